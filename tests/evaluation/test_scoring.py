"""evaluation/scoring.py: each item's score and why it missed, the figures of a set, the threshold sweep and
reliability, all computed by hand on five literal items (tests/evalcases.py)."""

from __future__ import annotations

import dataclasses

import pytest
from evalcases import five as five_items
from evalcases import result

from docqa.evaluation.items import AnswerKind, EvalItem
from docqa.evaluation.scoring import (
    GROUP_FIELDS,
    Miss,
    Prediction,
    SweepPoint,
    best_threshold,
    classify_miss,
    figures,
    group_figures,
    question_kind,
    reliability,
    reliability_by_kind,
    score_item,
    sweep,
)


@pytest.fixture
def five():
    return five_items()


def test_a_prediction_is_its_line_of_predictions_jsonl():
    item = EvalItem("a1", "When?", ("2006",), ("Which office?",), {"style": "verbatim"})
    reply = {"question": "When?", "answer": None, "confidence": 0.25, "source": None, "quote": None,
             "passages": [{"document": "d.txt", "start": 0, "end": 9, "text": "In 2006."}]}
    scored = result(["2006"], None, "2006", 0.25, ["In 2006."])
    assert scored.candidate_exact == 1.0 and scored.declined and not scored.correct
    prediction = Prediction.from_reply(item, reply, "2006", 0.250004, 0.123456)
    assert prediction.record == {"id": "a1", **reply, "history": ["Which office?"], "expected": ["2006"],
                                 "candidate": "2006", "seconds": 0.1235, "extra": {"style": "verbatim"}}
    assert (prediction.answer, prediction.candidate, prediction.confidence, prediction.passages) == (
        None, "2006", 0.250004, ("In 2006.",))
    assert (prediction.answer_at(0.25), prediction.answer_at(0.26)) == ("2006", None)


def test_every_miss_has_its_reason(five):
    assert [r.miss for r in five] == [None, Miss.READER, Miss.RETRIEVAL, None, Miss.ABSTENTION]
    assert [r.first_hit for r in five] == [2, 1, None, None, None]
    declined = EvalItem("d", "Where?", ("Kosovo",))
    assert classify_miss(declined, None, 1, 0.0) is Miss.ABSTENTION
    assert classify_miss(declined, None, None, 0.0) is Miss.RETRIEVAL  # it never had the passage
    # A right candidate was read from a retrieved passage, whatever the hit test says: the threshold declined it.
    assert classify_miss(declined, None, None, 0.0, candidate_exact=1.0) is Miss.ABSTENTION
    assert classify_miss(declined, None, None, 0.0, candidate_exact=0.0) is Miss.RETRIEVAL


def test_figures_by_hand(five):
    f = figures(five)
    assert (f.items, f.answerable, f.unanswerable) == (5, 3, 2)
    assert f.exact == pytest.approx(2 / 5)
    assert f.f1 == pytest.approx((1 + 2 / 3 + 0 + 1 + 0) / 5)  # 0.533
    assert f.exact_answerable == pytest.approx(1 / 3)
    assert f.f1_answerable == pytest.approx((1 + 2 / 3) / 3)    # 0.556
    assert f.exact_unanswerable == f.f1_unanswerable == pytest.approx(0.5)
    assert f.declined_correctly == pytest.approx(0.5)
    assert f.wrongly_declined == pytest.approx(1 / 3)
    assert f.recall == pytest.approx({1: 1 / 3, 3: 2 / 3, 5: 2 / 3})
    assert f.mrr == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert (f.latency_median, f.latency_p95) == pytest.approx((3.0, 8.8))
    assert (f.miss_retrieval, f.miss_reader, f.miss_abstention) == (1, 1, 1)


def test_figures_split_by_style(five):
    groups = group_figures(five, "style")
    assert list(groups) == ["(none)", "paraphrase", "verbatim"]
    assert groups["verbatim"].items == 2
    assert groups["verbatim"].f1 == pytest.approx((1 + 2 / 3) / 2)
    assert groups["paraphrase"].exact == 0.0
    assert groups["paraphrase"].recall[5] == 0.0
    assert groups["(none)"].answerable == 0 and groups["(none)"].recall[1] is None
    assert group_figures(five, "type") == {}


def test_threshold_sweep_by_hand(five):
    points = sweep(five, [0.0, 0.3, 0.55, 0.7, 1.0])
    assert [p.exact for p in points] == pytest.approx([0.2, 0.4, 0.4, 0.6, 0.4])
    assert [p.f1 for p in points] == pytest.approx([(1 + 2 / 3) / 5, (2 + 2 / 3) / 5, 0.4, 0.6, 0.4])
    assert [p.answered for p in points] == pytest.approx([1.0, 0.6, 0.4, 0.2, 0.0])
    assert [p.declined_correctly for p in points] == pytest.approx([0.0, 0.5, 0.5, 1.0, 1.0])
    assert best_threshold(points).threshold == 0.7


def test_best_threshold_takes_the_middle_of_a_tie():
    points = [SweepPoint(t / 10, 0.0, f1, None, None, 1.0) for t, f1 in enumerate([0.1, 0.5, 0.5, 0.5, 0.2, 0.5])]
    assert best_threshold(points).threshold == 0.2



def test_a_tie_keeps_the_threshold_in_use():
    # a file on which every threshold scores alike moves nothing; one that does better elsewhere does
    flat = [SweepPoint(t / 10, 0.0, 0.8, None, None, 1.0) for t in range(11)]
    assert best_threshold(flat, in_use=0.9).threshold == 0.9
    assert best_threshold(flat).threshold == 0.5
    points = [SweepPoint(t / 10, 0.0, f1, None, None, 1.0) for t, f1 in enumerate([0.1, 0.5, 0.5, 0.5, 0.2, 0.5])]
    assert best_threshold(points, in_use=0.5).threshold == 0.5 and best_threshold(points, in_use=0.4).threshold == 0.2


def test_reliability_bins(five):
    bins = reliability(five, bins=5)
    assert [b.items for b in bins] == [1, 1, 1, 1, 1]
    assert [b.accuracy for b in bins] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert [r.candidate_exact for r in five] == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert bins[4].confidence == pytest.approx(0.9)
    sure = [result(["x"], "x", "x", 1.0)]
    assert reliability(sure, bins=5)[4].items == 1  # the last bin includes 1.0




def test_question_kind_is_docqas_reading_of_the_question():
    assert [question_kind(q) for q in ("who won jhalak dikhlaja 2017", "When did Serbia join?",
                                       "Can I sell copies?", "What happens if I stop paying?")] == [
        "keywords", "factoid", "yes-no", "what-happens"]


def test_reliability_by_kind_bins_each_kind_apart(five):
    def asked(scored, question):
        return dataclasses.replace(scored, item=dataclasses.replace(scored.item, question=question))

    # the five items asked as: two search-box queries, three yes/no questions
    kinds = ["who joined in december", "kfor force", "Can I go?", "Can I stay?", "Can I leave?"]
    by_kind = reliability_by_kind([asked(r, q) for r, q in zip(five, kinds)], bins=5)
    assert list(by_kind) == ["keywords", "yes-no"]
    assert [b.items for b in by_kind["keywords"]] == [0, 0, 1, 0, 1]
    assert [b.accuracy for b in by_kind["keywords"]] == [None, None, 0.0, None, 1.0]
    assert [b.items for b in by_kind["yes-no"]] == [1, 1, 0, 1, 0]


def test_figures_json_names_each_recall_as_before():
    data = figures(five_items()).to_json()
    assert [k for k in data if k.startswith("recall")] == ["recall_at_1", "recall_at_3", "recall_at_5"]
    assert list(data)[:3] == ["items", "answerable", "unanswerable"] and "recall" not in data


SENTENCE = "You may not remove or alter the substance of any license notices."


def sentence_result(answer, candidate, confidence, form):
    item = EvalItem(f"s-{form}-{answer}", "Can I strip the notices?", (SENTENCE,), extra={"form": form},
                    kind=AnswerKind.SENTENCE, keys=("may not remove",))
    reply = {"question": item.question, "answer": answer, "confidence": confidence, "source": None, "quote": None,
             "passages": [{"text": "Intro. " + SENTENCE}]}
    return score_item(item, Prediction.from_reply(item, reply, candidate, confidence, 1.0))


def test_a_sentence_item_is_right_when_its_answer_holds_the_keys_within_the_sentence():
    whole = sentence_result(SENTENCE, SENTENCE, 0.995, "yes-no")
    clause = sentence_result("You may not remove or alter the substance", "x", 0.995, "yes-no")
    fragment = sentence_result("may not", "may not", 0.995, "yes-no")
    declined = sentence_result(None, SENTENCE, 0.5, "how")
    # 11 words once "the" goes; the clause holds 7 of them (F1 14/18), the fragment 2 (F1 4/13)
    assert [(r.exact, round(r.f1, 3), r.miss) for r in (whole, clause, fragment, declined)] == [
        (1.0, 1.0, None), (1.0, 0.778, None), (0.0, 0.308, Miss.READER), (0.0, 0.0, Miss.ABSTENTION)]
    assert (whole.first_hit, declined.candidate_exact) == (1, 1.0)
    # the sweep re-decides each item with its own rule: at 0.4 the declined one's sentence is right
    (point,) = sweep([whole, declined], [0.4])
    assert point.exact == 1.0


def test_figures_per_question_form():
    results = [sentence_result(SENTENCE, SENTENCE, 0.995, "yes-no"), sentence_result("may not", "may not", 0.995,
                                                                                     "yes-no"),
               sentence_result(SENTENCE, SENTENCE, 0.995, "how")]
    groups = group_figures(results, "form")
    assert {form: (f.items, f.exact) for form, f in groups.items()} == {"how": (1, 1.0), "yes-no": (2, 0.5)}
    assert "form" in GROUP_FIELDS
