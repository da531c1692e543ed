"""Sentences as answers: the units of a passage, the reader's evidence for each on literal logits, the
question's words, and the choice, with exact values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from docqa.read.decode import Window, span_confidence
from docqa.read.sentences import (
    Evidence,
    SentenceChoice,
    Unit,
    best_units,
    choose_sentence,
    content_stems,
    enumeration,
    match,
    question_lines,
    sentence_confidence,
    sentences,
    unit_evidence,
    units,
)

FAQ = "Yes. It works.\n\nIntro:\n\n(a) one thing; and\n\n(b) another thing.\n\nIs it so?"


def texts(text: str, found: list[Unit]) -> list[str]:
    return [text[u.start:u.end] for u in found]


def test_sentences_are_lines_cut_at_sentence_ends() -> None:
    assert sentences(FAQ) == [(0, 4), (5, 14), (16, 22), (24, 42), (44, 62), (64, 73)]
    assert sentences("Mrs. Brown left. She came back!  Did she stay? Yes") == [(0, 16), (17, 31), (33, 46), (47, 50)]


def test_units_join_a_short_sentence_and_an_introduction_and_leave_out_questions() -> None:
    found = units(FAQ)
    assert texts(FAQ, found) == ["Yes. It works.", "Intro:\n\n(a) one thing; and\n\n(b) another thing.",
                                 "(a) one thing; and", "(b) another thing."]
    assert all(FAQ[u.start:u.end] == text for u, text in zip(found, texts(FAQ, found)))


def test_a_definition_that_introduces_its_items_takes_them_and_a_passages_cut_number_is_no_unit() -> None:
    text = ('1.10. "Modifications" means any of the following:\n\n(a) any file that results from an addition; or'
            '\n\n(b) any new file.\n\n1.11.')
    assert texts(text, units(text)) == [
        '1.10. "Modifications" means any of the following:\n\n(a) any file that results from an addition; or\n\n'
        '(b) any new file.', "(a) any file that results from an addition; or", "(b) any new file."]


def test_a_colon_introduces_the_next_line_even_when_it_is_no_item() -> None:
    text = "After the above, then:\n\nmake install"
    assert texts(text, units(text)) == ["After the above, then:\n\nmake install", "make install"]


def test_a_bulleted_item_is_a_unit_without_its_bullet_and_still_widens_to_its_list() -> None:
    text = "Changes in this release:\n\n* By default, use of fsmonitor on a network filesystem is disabled.\n\n- Faster diffs."
    found = units(text)
    assert texts(text, found) == [
        "Changes in this release:\n\n* By default, use of fsmonitor on a network filesystem is disabled.\n\n- Faster diffs.",
        "By default, use of fsmonitor on a network filesystem is disabled.", "Faster diffs."]
    assert texts(text, [enumeration(text, found[1])]) == [text]


def test_question_lines() -> None:
    assert question_lines(FAQ) == [(64, 73)]
    assert question_lines('24. The license says it must be "plainly marked". So what must I do?\n\nChange it.') == [(0, 68)]


def test_enumeration_widens_an_item_to_its_introduction_and_siblings() -> None:
    assert enumeration(FAQ, Unit(24, 42)) == Unit(16, 62)
    assert enumeration(FAQ, Unit(44, 62)) == Unit(16, 62)
    assert enumeration(FAQ, Unit(0, 14)) == Unit(0, 14)


INLINE = ("Use it freely, subject to these conditions: (1) If you ship the source, keep this notice. "
          "(2) If you ship binaries only, say so in the manual. These apply to all copies.")


def test_items_written_on_one_line_are_units_and_widen_to_their_enumeration() -> None:
    found = units(INLINE)
    assert texts(INLINE, found) == ["Use it freely, subject to these conditions:",
                                    "(1) If you ship the source, keep this notice.",
                                    "(2) If you ship binaries only, say so in the manual.", "These apply to all copies."]
    whole = Unit(0, 142)
    assert INLINE[whole.start:whole.end].endswith("say so in the manual.")
    assert [enumeration(INLINE, u) for u in found] == [whole, whole, whole, found[3]]


def test_an_enumeration_chosen_whole_narrows_to_the_item_holding_half_its_evidence() -> None:
    whole, first, second = Unit(0, 142), Unit(44, 89), Unit(90, 142)
    # masses: the whole 3.0, the second item 2.5 (within log 2 of it), the first 0.0
    evidence = [Evidence(0, whole, 3.0), Evidence(0, first, 0.0), Evidence(0, second, 2.5)]
    topic = content_stems("What do I do if I ship binaries?")
    kept = choose_sentence(evidence, [INLINE], [""], topic, match_weight=1.0, bonus=0.0, bar=0.0)
    narrowed = choose_sentence(evidence, [INLINE], [""], topic, match_weight=1.0, bonus=0.0, bar=0.0, narrow=True)
    assert (kept.unit, narrowed.unit) == (whole, second)
    assert narrowed == SentenceChoice(0, second, 2.5, 1.0, span_confidence(3.5, 0.0))
    # an item with less than half the evidence leaves the whole
    weaker = [Evidence(0, whole, 3.0), Evidence(0, second, 2.0)]
    assert choose_sentence(weaker, [INLINE], [""], topic, match_weight=1.0, bonus=0.0, bar=0.0, narrow=True).unit == whole


# One window: [CLS] q [passage tokens at (0,3) (4,6) (7,9)] [SEP]; CLS start 1.0 + end 0.5 = null 1.5.
WINDOW = Window(0, (101, 1, 2, 3, 4, 102), (0, 0, 1, 1, 1, 1), (None, 0, 1, 1, 1, None),
                ((0, 0), (0, 1), (0, 3), (4, 6), (7, 9), (0, 0)), 0)
STARTS = np.array([1.0, 0.0, 2.0, 0.0, 1.0, 0.0])
ENDS = np.array([0.5, 0.0, 0.0, 1.0, 2.0, 0.0])


def test_unit_evidence_is_the_log_mass_of_starts_and_ends_inside_against_the_null() -> None:
    found = unit_evidence(WINDOW, STARTS, ENDS, [Unit(0, 6), Unit(7, 9), Unit(0, 9), Unit(4, 12)])
    assert [e.unit for e in found] == [Unit(0, 6), Unit(7, 9), Unit(0, 9)]  # (4, 12) runs past the window
    lse = lambda *v: math.log(sum(math.exp(x) for x in v))  # noqa: E731
    expected = [lse(2, 0) + lse(0, 1) - 1.5, 1.0 + 2.0 - 1.5, lse(2, 0, 1) + lse(0, 1, 2) - 1.5]
    assert [round(e.mass, 6) for e in found] == [round(x, 6) for x in expected] == [1.94019, 1.5, 3.315212]


def test_unit_evidence_of_a_single_token_unit_is_that_tokens_span_margin() -> None:
    (evidence,) = unit_evidence(WINDOW, STARTS, ENDS, [Unit(7, 9)])
    assert span_confidence(STARTS[4] + ENDS[4], STARTS[0] + ENDS[0]) == pytest.approx(span_confidence(evidence.mass, 0.0))


def test_best_units_keeps_each_units_best_window() -> None:
    a, b = Unit(0, 5), Unit(6, 9)
    assert best_units([Evidence(0, a, 1.0), Evidence(0, a, 2.5), Evidence(1, a, 0.5), Evidence(0, b, -1.0)]) == {
        (0, a): 2.5, (1, a): 0.5, (0, b): -1.0}


def test_content_stems_leave_out_the_frame_and_the_form() -> None:
    assert content_stems("What happens if I do not pay the licence fees?") == frozenset({"pay", "licens", "fee"})
    assert content_stems("Who counts as a Contributor?") == frozenset({"contributor"})


def test_match_is_the_share_of_the_questions_stems_stated_with_the_context() -> None:
    topic = content_stems("Can I charge a licence fee under the GPL?")
    assert topic == frozenset({"charg", "licens", "fee", "under", "gpl"})
    assert match(topic, "You may not impose a license fee.") == 0.4
    assert match(topic, "You may not impose a license fee.", "gpl 3.0") == 0.6
    assert match(frozenset(), "anything") == 0.0


TEXTS = ["Sublicensing is not allowed. The sky is blue.", "You may sublicense it."]
FIRST, SECOND, OTHER = Unit(0, 28), Unit(29, 45), Unit(0, 22)
EVIDENCE = [Evidence(0, FIRST, 1.0), Evidence(0, SECOND, 2.0), Evidence(1, OTHER, 0.5)]
TOPIC = frozenset({"sublicens"})


def test_the_choice_weighs_mass_and_match() -> None:
    # FIRST: 1.0 + 3 * 1.0 = 4.0; SECOND: 2.0 + 0 = 2.0; OTHER: 0.5 + 3 = 3.5
    chosen = choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, match_weight=3.0, bonus=0.0, bar=-2.0)
    assert chosen == SentenceChoice(0, FIRST, 1.0, 1.0, span_confidence(4.0, -2.0))
    assert round(chosen.confidence, 6) == 0.997527


def test_a_unit_that_says_the_answer_in_words_gets_the_bonus() -> None:
    says = lambda text: text.startswith("You may")  # noqa: E731
    chosen = choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, says=says, match_weight=3.0, bonus=1.0, bar=0.0,
                             rank_cost=0.0)
    assert (chosen.passage, chosen.unit, round(chosen.confidence, 6)) == (1, OTHER, round(span_confidence(4.5, 0.0), 6))


def test_a_lower_passage_pays_its_rank_in_the_choice_but_not_in_the_confidence() -> None:
    says = lambda text: text.startswith("You may")  # noqa: E731
    # OTHER (passage 1) scores 4.5, FIRST 4.0: one rank down at 0.75 leaves OTHER 3.75, so FIRST is chosen
    chosen = choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, says=says, match_weight=3.0, bonus=1.0, bar=0.0,
                             rank_cost=0.75)
    assert (chosen.passage, chosen.unit, chosen.confidence) == (0, FIRST, span_confidence(4.0, 0.0))
    cheaper = choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, says=says, match_weight=3.0, bonus=1.0, bar=0.0,
                              rank_cost=0.25)
    assert (cheaper.passage, cheaper.confidence) == (1, span_confidence(4.5, 0.0))


def test_required_units_and_passages_stating_the_names_come_first_where_any_exist() -> None:
    required = lambda text: "blue" in text  # noqa: E731
    assert choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, required=required).unit == SECOND
    assert choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, stated=[False, True]).passage == 1
    # where none is required or states the names, every unit is a candidate
    assert choose_sentence(EVIDENCE, TEXTS, ["", ""], TOPIC, stated=[False, False],
                           required=lambda text: False).unit == FIRST


def test_no_evidence_no_choice() -> None:
    assert choose_sentence([], [], [], TOPIC) is None


def test_a_sentence_answers_where_its_score_reaches_the_bar_whatever_the_threshold() -> None:
    # the bar lands on the reader's threshold; each point of score above it is a point of log-odds
    assert sentence_confidence(2.5, 2.5, 0.995) == pytest.approx(0.995, abs=1e-12)
    assert sentence_confidence(2.5, 2.5, 0.99) == pytest.approx(0.99, abs=1e-12)
    assert sentence_confidence(3.5, 2.5, 0.5) == pytest.approx(1 / (1 + math.exp(-1.0)), abs=1e-12)
    assert sentence_confidence(2.4, 2.5, 0.995) < 0.995 < sentence_confidence(2.6, 2.5, 0.995)
    # a threshold of 0 or 1 has no scale: the score's margin over the bar, plainly
    assert sentence_confidence(2.5, 2.5, 1.0) == 0.5 and sentence_confidence(2.5, 2.5, 0.0) == 0.5
