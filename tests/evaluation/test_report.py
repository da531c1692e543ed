"""report.py: a run's results -> one typed report (figures, sweep, best threshold, reliability,
comparison), its report.json, and the calibration record, on five hand-scored items."""

from __future__ import annotations

import pytest
from reportcase import report

from docqa.evaluation.compare import Outcome, Scorecard
from docqa.evaluation.report import calibration_record, calibration_refusal, scorecard


def test_the_report_holds_each_figure_once():
    r = report()
    assert (r.overall.exact, r.best.threshold, r.at_threshold().threshold) == (pytest.approx(0.4), 0.75, 0.3)
    assert list(r.groups) == ["style"] and list(r.groups["style"]) == ["(none)", "paraphrase", "verbatim"]
    # every hundredth, every thousandth above 0.99, and the threshold in use (0.3, a hundredth already)
    assert len(r.sweep) == 110
    assert [p.threshold for p in r.sweep][-11:] == [0.99, 0.991, 0.992, 0.993, 0.994, 0.995, 0.996, 0.997, 0.998,
                                                   0.999, 1.0]
    assert [b.items for b in r.reliability] == [1, 1, 1, 1, 1]
    assert r.comparison is None


def test_report_json_gives_the_results_and_figures_as_computed():
    data = report().to_json()
    assert list(data) == ["file", "created_at", "settings", "problems", "overall", "groups", "best_threshold",
                          "sweep", "reliability", "reliability_by_kind", "results", "comparison"]
    assert data["overall"]["recall_at_3"] == pytest.approx(2 / 3)
    # the five literal items all ask "Question?": one kind, a factoid, binned as the whole file
    assert list(data["reliability_by_kind"]) == ["factoid"]
    assert data["reliability_by_kind"]["factoid"] == data["reliability"]
    assert data["best_threshold"]["threshold"] == 0.75
    first = data["results"][0]
    assert first == {"id": "q1-December 2006", "line": 0, "question": "Question?", "history": [],
                     "expected": ["December 2006"], "answer": "December 2006", "candidate": "December 2006",
                     "confidence": 0.9, "exact": 1.0, "f1": 1.0, "first_hit": 2, "miss": None, "seconds": 1.0,
                     "extra": {"style": "verbatim"}}
    assert [r["miss"] for r in data["results"]] == [None, "reader", "retrieval", None, "abstention"]


def test_a_report_compares_with_an_earlier_scorecard():
    r = report()
    own = scorecard(r.file, r.overall, r.groups, r.results)
    assert own.outcomes[1] == Outcome("q1-the KFOR force", "Question?", "the KFOR force", False)
    assert own.figures["all.exact"] == pytest.approx(0.4) and own.figures["style=verbatim.items"] == 2
    earlier = Scorecard("reports/old", "/x/qa.jsonl", {"all.exact": 0.2},
                        (Outcome("q1-the KFOR force", "Question?", "KFOR", True),))
    c = report(earlier).comparison
    assert [(x.name, x.before, x.after) for x in c.changes] == [("all.exact", 0.2, pytest.approx(0.4))]
    assert [(f.id, f.before, f.after, f.now_right) for f in c.flips] == [
        ("q1-the KFOR force", "KFOR", "the KFOR force", False)]
    assert c.same_file and c.only_before == () and len(c.only_after) == 3  # ids repeat: 4 distinct, 1 shared


def test_a_file_of_too_few_questions_of_either_kind_does_not_calibrate():
    r = report()
    assert (r.overall.answerable, r.overall.unanswerable) == (3, 2)
    assert calibration_refusal(r) == (
        "Not calibrated: /x/qa.jsonl has 3 answerable question(s) and 2 that the documents do not answer; a "
        "threshold is weighed on at least 10 of the first and 5 of the second (\"answers\": []), else answering "
        "everything is never penalised (its best here would be 0.75). The threshold in use stays 0.3.")


def test_calibration_names_the_reader_and_model_it_was_measured_with():
    assert calibration_record(report()) == {
        "threshold": 0.75, "f1": 0.6, "exact": 0.6, "file": "/x/qa.jsonl", "items": 5, "reader": "trained",
        "model": "all-MiniLM-L6-v2", "calibrated_at": "2026-11-30T01:00:00Z"}
