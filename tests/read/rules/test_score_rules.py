"""read/rules/score_rules.py: each named rule on literal evidence, the tables, and the weighted score."""

from dataclasses import replace

import pytest

from docqa.read.rules.answer_type import AnswerType, QuestionInfo
from docqa.read.rules.score_rules import (
    FIT_RULES,
    FORM_RULES,
    SCORE_WEIGHTS,
    Evidence,
    ScoreTerms,
    action_fit,
    actor_asked_where,
    anchor,
    another_name_fit,
    asks_an_instance,
    count_with_its_noun,
    described_before_its_title,
    describes_a_name,
    excess_length,
    instance_fit,
    kind_not_its_head,
    later_purpose,
    modifier_only,
    money_not_named,
    narrowed_in_text,
    novelty,
    piece_of_a_name,
    place_asked_who,
    rule_fit,
    score_terms,
    weighted_score,
    whose_body_asked_who,
)
from docqa.read.rules.span_facts import SpanFacts

FACTS = SpanFacts(
    words=(0,), root=0, numeric=False, crosses=False, inside=False, modifier=False, coordination=False,
    bracketed=False, money=False, verbal=False, located=False, acronym=False, restates=False, narrowed=False,
    named=False, subject=False, whose=False,
)
EVIDENCE = Evidence(
    info=QuestionInfo("What did they build?", "what", AnswerType.THING, None, None), kind="NP", type_fit=0.8,
    facts=FACTS, tokens=3, money_asked=False, focus_named=False, kind_in_sentence=False, listed=False,
    root_names_kind=False, head_names_kind=False, root_conjunct=False, instance_fit=1.0, short_name_share=None,
    anchor=0.5, novelty=1.0, role=0.0,
)


def asked(answer_type: AnswerType = AnswerType.THING, **flags: bool) -> QuestionInfo:
    """A question of this answer type with these of its flags set (alias, action, sort, copula)."""
    return QuestionInfo("?", "what", answer_type, None, None, **flags)


def evidence(facts: dict | None = None, **changes) -> Evidence:
    """EVIDENCE with these changes, and these changes to its SpanFacts."""
    return replace(EVIDENCE, facts=replace(FACTS, **(facts or {})), **changes)


# ---- rules that set the fit ------------------------------------------------------------------------

def test_another_name_is_spelled_out_before_its_short_name_or_stands_in_brackets():
    alias = asked(alias=True)
    assert another_name_fit(evidence(), 0.8) == 0.8  # not asked for another name
    assert another_name_fit(evidence(info=alias, short_name_share=0.5), 0.8) == 0.75  # "KFOR": 0.5 + 0.5 x 0.5
    assert another_name_fit(evidence(info=alias, short_name_share=1.0), 0.2) == 1.0
    assert another_name_fit(evidence(info=alias, facts={"bracketed": True}), 0.2) == 1.0
    assert another_name_fit(evidence(info=alias, kind="QUOTE"), 0.2) == 1.0
    assert another_name_fit(evidence(info=alias), 0.8) == 0.4


def test_an_action_is_a_clause_or_a_verb_phrase():
    action = asked(action=True)
    assert action_fit(evidence(), 0.5) == 0.5
    assert action_fit(evidence(info=action, kind="CLAUSE"), 0.5) == 1.0
    assert action_fit(evidence(info=action, facts={"verbal": True}), 0.5) == 1.0
    assert action_fit(evidence(info=action), 0.5) == 0.2


def test_the_form_rules_apply_in_order():
    assert FORM_RULES == (another_name_fit, action_fit)


# ---- rules that scale the fit --------------------------------------------------------------------

def test_money_asked_wants_an_amount_of_money():
    assert money_not_named(evidence(money_asked=True))
    assert not money_not_named(evidence(money_asked=True, facts={"money": True}))
    assert not money_not_named(evidence())


def test_an_instance_of_the_asked_for_kind_is_asked_unless_listed_or_a_reason():
    assert asks_an_instance(evidence(focus_named=True))
    assert not asks_an_instance(evidence(focus_named=True, listed=True))
    assert not asks_an_instance(evidence(focus_named=True, info=asked(AnswerType.REASON)))
    assert not asks_an_instance(evidence())
    assert instance_fit(evidence(instance_fit=0.35)) == 0.35


def test_a_kind_question_wants_the_kind_as_its_head():
    sort = asked(sort=True)
    assert kind_not_its_head(evidence(info=sort, kind_in_sentence=True))
    assert not kind_not_its_head(evidence(info=sort, kind_in_sentence=True, root_names_kind=True))
    assert not kind_not_its_head(evidence(info=sort, kind_in_sentence=True, listed=True))
    assert not kind_not_its_head(evidence(info=sort))  # the sentence does not name the kind
    assert not kind_not_its_head(evidence(kind_in_sentence=True))


def test_a_description_followed_by_its_title_yields_to_the_title():
    assert described_before_its_title(evidence(facts={"named": True}, focus_named=True, root_names_kind=True))
    assert not described_before_its_title(evidence(facts={"named": True}, focus_named=True, root_names_kind=True,
                                                   info=asked(sort=True)))
    assert not described_before_its_title(evidence(facts={"named": True}, focus_named=True))


def test_the_actor_is_no_place():
    assert actor_asked_where(evidence(facts={"subject": True}, info=asked(AnswerType.PLACE)))
    assert not actor_asked_where(evidence(facts={"subject": True}, info=asked(AnswerType.AGENT)))


def test_a_name_narrowed_in_the_text_says_less():
    assert narrowed_in_text(evidence(facts={"narrowed": True}))
    assert not narrowed_in_text(evidence())


def test_a_description_of_a_name_yields_to_the_name_unless_another_name_is_asked():
    assert describes_a_name(evidence(facts={"restates": True}))
    assert not describes_a_name(evidence(facts={"restates": True}, info=asked(alias=True)))


def test_who_did_it_is_neither_whose_body_nor_where():
    agent = asked(AnswerType.AGENT)
    assert whose_body_asked_who(evidence(facts={"whose": True}, info=agent))
    assert not whose_body_asked_who(evidence(facts={"whose": True}))
    assert place_asked_who(evidence(facts={"located": True}, info=agent))
    assert not place_asked_who(evidence(facts={"located": True}, info=asked(AnswerType.PLACE)))


def test_a_piece_of_a_name_is_rarely_the_answer_but_a_date_by_pattern_is_whole():
    assert piece_of_a_name(evidence(facts={"inside": True}))
    assert not piece_of_a_name(evidence(facts={"inside": True}, kind="DATE_PATTERN"))
    assert not piece_of_a_name(evidence())


def test_the_first_purpose_leads():
    assert later_purpose(evidence(kind="CLAUSE", root_conjunct=True))
    assert not later_purpose(evidence(kind="NP", root_conjunct=True))
    assert not later_purpose(evidence(kind="CLAUSE"))


def test_a_count_is_better_without_its_noun():
    assert count_with_its_noun(evidence(info=asked(AnswerType.NUMBER), root_names_kind=True))
    assert not count_with_its_noun(evidence(info=asked(AnswerType.NUMBER)))
    assert not count_with_its_noun(evidence(root_names_kind=True))


def test_a_modifier_is_no_whole_answer_but_a_path_naming_the_kind_or_a_duration_is():
    assert modifier_only(evidence(facts={"modifier": True}))
    assert not modifier_only(evidence(facts={"modifier": True}, kind="ADDRESS", head_names_kind=True))
    assert modifier_only(evidence(facts={"modifier": True}, kind="NP", head_names_kind=True))
    assert not modifier_only(evidence(facts={"modifier": True, "numeric": True}, info=asked(AnswerType.DURATION)))
    assert not modifier_only(evidence())


def test_the_fit_rules_table():
    assert [(rule.__name__, factor if isinstance(factor, float) else factor.__name__) for rule, factor in FIT_RULES] == [
        ("money_not_named", 0.3), ("asks_an_instance", "instance_fit"), ("kind_not_its_head", 0.6),
        ("described_before_its_title", 0.6), ("actor_asked_where", 0.7), ("narrowed_in_text", 0.9),
        ("describes_a_name", 0.5), ("whose_body_asked_who", 0.8), ("place_asked_who", 0.5),
        ("piece_of_a_name", 0.6), ("later_purpose", 0.9), ("count_with_its_noun", 0.8), ("modifier_only", 0.5),
    ]


def test_rule_fit_multiplies_the_factors_of_the_rules_that_apply():
    assert rule_fit(evidence()) == 0.8  # no rule applies: the type fit
    # narrowed (0.9) and a modifier (0.5)
    assert rule_fit(evidence(type_fit=1.0, facts={"narrowed": True, "modifier": True})) == pytest.approx(0.45)
    # an instance of the asked-for kind at 0.5, after "how much" money it does not name (0.3)
    money = evidence(type_fit=1.0, money_asked=True, focus_named=True, instance_fit=0.5,
                     info=asked(AnswerType.NUMBER))
    assert rule_fit(money) == pytest.approx(0.15)
    # another name is asked: the bracketed one is set to 1, then narrowed
    assert rule_fit(evidence(type_fit=0.2, info=asked(alias=True), facts={"bracketed": True, "narrowed": True})) == 0.9


# ---- the other terms -------------------------------------------------------------------------------

def test_anchor_is_the_nearness_of_the_question_words_outside_the_span():
    assert anchor(0.6, 1.2, answers_faq=False, technical=False, holds_match=False) == 0.5
    assert anchor(0.0, 0.0, answers_faq=False, technical=False, holds_match=False) == 0.0
    assert anchor(0.0, 0.0, answers_faq=True, technical=False, holds_match=False) == 0.5  # "It's in zlib.h."
    assert anchor(0.2, 1.0, answers_faq=False, technical=True, holds_match=True) == 0.5  # "contrib/delphi"
    assert anchor(0.2, 1.0, answers_faq=False, technical=True, holds_match=False) == 0.2


def test_novelty_costs_twice_the_share_of_repeated_words():
    assert novelty(0.0, 3, technical=False) == 1.0
    assert novelty(1.0, 4, technical=False) == 0.5
    assert novelty(0.5, 4, technical=False) == 0.75  # a name's word counts half
    assert novelty(3.0, 4, technical=False) == 0.0
    assert novelty(0.0, 0, technical=False) == 1.0  # a number alone
    assert novelty(2.0, 2, technical=True) == 1.0


def test_excess_length_counts_the_tokens_beyond_the_answer_types_ideal():
    assert excess_length(evidence(tokens=9)) == 3  # a thing: 6
    assert excess_length(evidence(tokens=9, info=asked(AnswerType.AGENT))) == 5  # other types: 4
    assert excess_length(evidence(tokens=9, info=asked(AnswerType.REASON))) == 0  # a reason: 14
    assert excess_length(evidence(tokens=9, facts={"acronym": True})) == 0  # "(IPP)" is free
    assert excess_length(evidence(tokens=20, listed=True, facts={"coordination": True})) == 0  # a listing whole
    assert excess_length(evidence(tokens=20, listed=True)) == 14


def test_score_terms_and_the_weighted_score():
    terms = score_terms(evidence(tokens=8, anchor=0.25, novelty=0.5, role=1.0, facts={"coordination": True}))
    assert terms == ScoreTerms(fit=0.8, anchor=0.25, novelty=0.5, role=1.0, excess_length=2, coordination=1.0)
    # 0.4 x 0.8 + 0.25 x 0.25 + 0.2 x 0.5 + 0.2 x 1 - 0.015 x 2 + 0.05 x 1
    assert weighted_score(terms) == pytest.approx(0.32 + 0.0625 + 0.1 + 0.2 - 0.03 + 0.05)
    assert SCORE_WEIGHTS == ScoreTerms(fit=0.4, anchor=0.25, novelty=0.2, role=0.2, excess_length=-0.015,
                                       coordination=0.05)
