"""evaluation/compare.py: the change of every figure two runs share and the questions that flipped, on
literal scorecards; earlier reports read from report.json or refused with what to do."""

from __future__ import annotations

import json

import pytest

from docqa.errors import BadEvalFile
from docqa.evaluation.compare import (
    Outcome,
    Scorecard,
    compare,
    flat_figures,
    load_report,
)


def test_compare_gives_every_change_and_the_flips():
    before = Scorecard("reports/old", "qa.jsonl",
                       {"all.items": 3, "all.exact": 0.5, "all.f1": 0.6, "all.mrr": None, "style=paraphrase.f1": 0.2},
                       (Outcome("a", "A?", "x", True), Outcome("b", "B?", None, False), Outcome("c", "C?", "c", True)))
    now = Scorecard("", "qa.jsonl",
                    {"all.items": 3, "all.exact": 0.75, "all.f1": 0.6, "all.mrr": 0.5, "style=paraphrase.f1": 0.5},
                    (Outcome("a", "A?", "y", False), Outcome("b", "B?", "z", True), Outcome("d", "D?", "d", True)))
    c = compare(now, before)
    deltas = {change.name: change.delta for change in c.changes}
    assert list(deltas) == ["all.items", "all.exact", "all.f1", "all.mrr", "style=paraphrase.f1"]
    assert deltas["all.mrr"] is None  # no MRR before: no change to give
    assert [deltas[n] for n in ("all.items", "all.exact", "all.f1", "style=paraphrase.f1")] == pytest.approx(
        [0, 0.25, 0.0, 0.3])
    assert [(f.id, f.before, f.after, f.now_right) for f in c.flips] == [("a", "x", "y", False), ("b", None, "z", True)]
    assert (c.only_before, c.only_after, c.same_file, c.previous) == (("c",), ("d",), True, "reports/old")
    assert c.to_json()["changes"][1] == {"name": "all.exact", "before": 0.5, "after": 0.75, "delta": 0.25}


def test_compare_gives_other_answers_without_a_flip_and_the_settings_that_changed():
    before = Scorecard("reports/old", "qa.jsonl", {}, (Outcome("a", "A?", None, False), Outcome("b", "B?", "b", True),
                                                       Outcome("c", "C?", "x", False)),
                       {"threshold": 0.995, "reader": "trained", "top_k": 5})
    now = Scorecard("", "qa.jsonl", {}, (Outcome("a", "A?", "board", False), Outcome("b", "B?", "b", True),
                                         Outcome("c", "C?", "x", False)),
                    {"threshold": 0.98, "reader": "trained", "top_k": 5, "model": "m"})
    c = compare(now, before)
    assert c.flips == ()
    assert [(f.id, f.before, f.after, f.now_right) for f in c.others] == [("a", None, "board", False)]  # declined -> wrong
    assert c.settings == (("threshold", 0.995, 0.98),)  # "model": not in the earlier report, not compared
    assert c.to_json()["settings"] == [{"name": "threshold", "before": 0.995, "after": 0.98}]


def test_flat_figures_name_every_number_by_group():
    overall = {"items": 3, "f1": 0.5, "mrr": None, "note": "text"}
    groups = {"style": {"paraphrase": {"f1": 0.25}}}
    assert flat_figures(overall, groups) == {"all.items": 3, "all.f1": 0.5, "all.mrr": None,
                                             "style=paraphrase.f1": 0.25}


def test_an_earlier_report_is_read_as_a_scorecard(tmp_path):
    data = {"file": "/x/qa.jsonl", "overall": {"f1": 0.5}, "groups": {},
            "results": [{"id": "a", "question": "A?", "answer": None, "exact": 1.0, "f1": 1.0}]}
    (tmp_path / "report.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_report(tmp_path) == Scorecard(str(tmp_path), "/x/qa.jsonl", {"all.f1": 0.5},
                                              (Outcome("a", "A?", None, True),))
    data["settings"] = {"threshold": 0.99, "reader": "trained", "top_k": 5, "index": {"passages": 3}}
    (tmp_path / "report.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_report(tmp_path).settings == {"threshold": 0.99, "reader": "trained", "top_k": 5}


def test_what_is_no_report_says_what_to_do(tmp_path):
    with pytest.raises(BadEvalFile, match="No report.json in .*Pass --compare with a folder"):
        load_report(tmp_path)
    for text in ("[]", '{"overall": {}, "results": [{"id": "a"}]}', "{"):
        (tmp_path / "report.json").write_text(text, encoding="utf-8")
        with pytest.raises(BadEvalFile, match="is not a report written by `docqa eval`|Cannot read .*report.json"):
            load_report(tmp_path)
