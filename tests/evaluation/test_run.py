"""`docqa eval` end to end on the default document: every file written, every figure following
exactly from the predictions written, calibration, comparison, --strict.

The run never asserts what the reader answers (test_engine and test_readers do); it asserts that
every figure written follows exactly from the predictions written.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import statistics
from pathlib import Path

import pytest

from docqa import cli
from docqa.evaluation import run as evaluate
from docqa.evaluation.compare import flat_figures
from docqa.evaluation.metrics import exact_match, f1_score, first_hit
from docqa.settings import Settings
from docqa.text import threshold_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "nato-relations-with-serbia.txt"


ITEMS = [
    {"id": "a1", "question": "When did Serbia join the Partnership for Peace?", "answers": ["December 2006"],
     "style": "verbatim"},
    {"id": "a2", "question": "With which court must Belgrade cooperate fully?",
     "answers": ["the International Criminal Tribunal for the former Yugoslavia"], "style": "paraphrase"},
    {"id": "f1", "question": "When was it established?", "answers": ["December 2006"],
     "history": ["Which office did the transit agreement provide for the establishment of?"], "style": "verbatim"},
    {"id": "u1", "question": "What is the population of Serbia?", "answers": [], "style": "paraphrase"},
]


def _main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs of `docqa eval` on a copy of the default document: the first calibrates, the second
    uses threshold 0 and compares with the first."""
    root = tmp_path_factory.mktemp("project")
    (root / "corpus").mkdir()
    shutil.copy(CORPUS, root / "corpus" / CORPUS.name)
    qa = root / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(i) for i in ITEMS) + '\n{"question": "Who?"}\n', encoding="utf-8")
    where = ["--corpus", str(root / "corpus"), "--index", str(root / "index")]
    with pytest.MonkeyPatch.context() as patch:  # a file of 4 questions may calibrate here, not in use
        patch.setattr("docqa.evaluation.report.CALIBRATION_ANSWERABLE", 3)
        patch.setattr("docqa.evaluation.report.CALIBRATION_UNANSWERABLE", 1)
        first = _main(["eval", str(qa), *where, "--out", str(root / "first"), "--calibrate"])
    second = _main(["eval", str(qa), *where, "--out", str(root / "second"), "--threshold", "0",
                    "--compare", str(root / "first")])
    return root, first, second


def _read(folder: Path) -> tuple[list[dict], dict]:
    predictions = [json.loads(line) for line in (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    return predictions, json.loads((folder / "report.json").read_text(encoding="utf-8"))


def _mean(values):
    return sum(values) / len(values)


def test_eval_writes_every_file(runs):
    root, (code, out, err), _ = runs
    assert code == 0, err
    folder = root / "first"
    assert sorted(p.name for p in folder.iterdir()) == ["predictions.jsonl", "report.json", "report.md",
                                                         "threshold.png"]
    assert (folder / "threshold.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    predictions, report = _read(folder)
    assert [p["id"] for p in predictions] == ["a1", "a2", "f1", "u1"]
    for p in predictions:
        assert {"id", "question", "answer", "confidence", "source", "passages"} <= set(p)
        assert (p["source"] is None) == (p["answer"] is None)
        assert all({"document", "start", "end", "text", "score"} <= set(h) for h in p["passages"])
        assert len(p["passages"]) == 5
    assert report["problems"] == [{"line": 5, "reason": "`answers` is missing (write [] for a question "
                                                         "the documents do not answer)"}]
    assert f"{root / 'qa.jsonl'} line 5: `answers` is missing" in err
    assert "question 4/4" in err
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    for heading in ("## Answers", "## Retrieval and latency", "## Settings", "## No-answer threshold",
                    "## Misses", "## Every question", "## Malformed lines (skipped)", "(threshold.png)"):
        assert heading in markdown


def test_figures_follow_from_the_predictions(runs):
    root, (_, out, _), _ = runs
    predictions, report = _read(root / "first")
    answerable = [p for p in predictions if p["expected"]]
    unanswerable = [p for p in predictions if not p["expected"]]
    em = {p["id"]: exact_match(p["answer"], p["expected"]) for p in predictions}
    f1 = {p["id"]: f1_score(p["answer"], p["expected"]) for p in predictions}
    hit = {p["id"]: first_hit([h["text"] for h in p["passages"]], p["expected"]) for p in answerable}
    o = report["overall"]
    assert (o["items"], o["answerable"], o["unanswerable"]) == (4, 3, 1)
    assert o["exact"] == pytest.approx(_mean(list(em.values())))
    assert o["f1"] == pytest.approx(_mean(list(f1.values())))
    assert o["f1_answerable"] == pytest.approx(_mean([f1[p["id"]] for p in answerable]))
    assert o["exact_unanswerable"] == pytest.approx(_mean([em[p["id"]] for p in unanswerable]))
    assert o["declined_correctly"] == _mean([float(p["answer"] is None) for p in unanswerable])
    assert o["wrongly_declined"] == _mean([float(p["answer"] is None) for p in answerable])
    for k in (1, 3, 5):
        assert o[f"recall_at_{k}"] == pytest.approx(_mean([float(h is not None and h <= k) for h in hit.values()]))
    assert o["mrr"] == pytest.approx(_mean([1 / h if h else 0.0 for h in hit.values()]))
    assert o["latency_median"] == pytest.approx(statistics.median(p["seconds"] for p in predictions), abs=1e-3)
    paraphrase = report["groups"]["style"]["paraphrase"]
    assert paraphrase["items"] == 2
    assert paraphrase["f1"] == pytest.approx((f1["a2"] + f1["u1"]) / 2)
    misses = {r["id"]: r["miss"] for r in report["results"]}
    for p in predictions:
        expected_miss = None if em[p["id"]] == 1.0 else (
            "abstention" if not p["expected"] else
            "retrieval" if hit[p["id"]] is None else
            "abstention" if p["answer"] is None else "reader")
        assert misses[p["id"]] == expected_miss
    assert o["miss_reader"] == list(misses.values()).count("reader")
    threshold = report["settings"]["threshold"]
    for r in report["results"]:
        assert r["answer"] == (r["candidate"] if r["candidate"] is not None and r["confidence"] >= threshold else None)
    at = next(p for p in report["sweep"] if p["threshold"] == threshold)
    assert (at["exact"], at["f1"]) == pytest.approx((o["exact"], o["f1"]))
    assert report["settings"]["index"]["passages"] > 0 and report["settings"]["top_k"] == 5
    assert f"{'all':<22}{4:>6}{o['exact']:>8.3f}{o['f1']:>8.3f}" in out


def test_calibrate_stores_the_best_threshold_where_the_engine_reads_it(runs):
    root, (_, out, _), _ = runs
    _, report = _read(root / "first")
    (stored,) = json.loads((root / "evaluation" / "calibration.json").read_text(encoding="utf-8"))["calibrations"]
    best = report["best_threshold"]
    assert stored["threshold"] == best["threshold"]
    assert stored["f1"] == pytest.approx(best["f1"], abs=1e-4)
    assert best["f1"] == max(p["f1"] for p in report["sweep"])
    assert (stored["items"], stored["file"]) == (4, str(root / "qa.jsonl"))
    assert stored["reader"] == "trained"
    settings = Settings(corpus=root / "corpus", index=root / "index")
    assert settings.effective_threshold("trained", 0.5) == best["threshold"]
    assert f"calibrated: no-answer threshold {threshold_text(best['threshold'])} stored in" in out


def test_a_file_without_enough_unanswerable_questions_does_not_calibrate(runs):
    root = runs[0]
    stored = (root / "evaluation" / "calibration.json").read_text(encoding="utf-8")
    answerable = root / "answerable.jsonl"
    answerable.write_text("\n".join(json.dumps(i) for i in ITEMS[:2]) + "\n", encoding="utf-8")
    code, out, err = _main(["eval", str(answerable), "--corpus", str(root / "corpus"), "--index", str(root / "index"),
                            "--out", str(root / "refused"), "--calibrate"])
    assert code == 1 and "calibrated" not in out
    assert err.splitlines()[-1].startswith(
        f"docqa: Not calibrated: {answerable} has 2 answerable question(s) and 0 that the documents do not answer; "
        "a threshold is weighed on at least 10 of the first and 5 of the second")
    assert (root / "evaluation" / "calibration.json").read_text(encoding="utf-8") == stored
    assert (root / "refused" / "report.md").is_file()  # the run's report is written all the same


def test_compare_reports_changes_and_flips(runs):
    root, _, (code, out, err) = runs
    assert code == 0, err
    _, before = _read(root / "first")
    _, now = _read(root / "second")
    assert now["settings"]["threshold"] == 0.0
    comparison = now["comparison"]
    assert comparison["previous"] == str(root / "first") and comparison["same_file"] is True
    old = flat_figures(before["overall"], before["groups"])
    new = flat_figures(now["overall"], now["groups"])
    for change in comparison["changes"]:
        assert (change["before"], change["after"]) == (old[change["name"]], new[change["name"]])
    assert {c["name"] for c in comparison["changes"]} == set(old)
    right_before = {r["id"]: r["exact"] == 1.0 for r in before["results"]}
    flipped = {r["id"] for r in now["results"] if (r["exact"] == 1.0) != right_before[r["id"]]}
    assert {f["id"] for f in comparison["flips"]} == flipped
    answers_before = {r["id"]: r["answer"] for r in before["results"]}
    others = {r["id"] for r in now["results"] if r["id"] not in flipped and r["answer"] != answers_before[r["id"]]}
    assert {f["id"] for f in comparison["other_answers"]} == others
    # the threshold changed (calibrated, then 0): the comparison says so, on the console and in report.md
    calibrated = before["settings"]["threshold"]
    assert comparison["settings"] == [{"name": "threshold", "before": calibrated, "after": 0.0}]
    md = (root / "second" / "report.md").read_text(encoding="utf-8")
    assert "## Compared with the previous run" in md
    assert f"Threshold {threshold_text(calibrated)} -> 0.00." in md.splitlines()
    assert f"{len(flipped)} flipped" in out and f"{len(others)} other answers without a flip; threshold " in out


def test_strict_stops_at_the_first_malformed_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "When?", "answers": ["2006"]}\n{"question": "Who?"}\n', encoding="utf-8")
    code, out, err = _main(["eval", str(bad), "--strict", "--index", str(tmp_path / "index")])
    assert code == 2 and out == ""
    assert err == (f"docqa: {bad} line 2: `answers` is missing (write [] for a question the documents do not "
                   "answer). Fix the line, or run without --strict to skip it.\n")


def test_calibrating_one_reader_keeps_the_others(tmp_path):
    path = tmp_path / "evaluation" / "calibration.json"
    path.parent.mkdir()
    path.write_text('{"threshold": 0.2, "reader": "rules", "model": "m"}', encoding="utf-8")  # the older format
    evaluate.write_calibration(path, {"threshold": 0.9, "reader": "trained", "model": "m"})
    evaluate.write_calibration(path, {"threshold": 0.95, "reader": "trained", "model": "m"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"calibrations": [
        {"threshold": 0.2, "reader": "rules", "model": "m"}, {"threshold": 0.95, "reader": "trained", "model": "m"}]}
    assert [p.name for p in path.parent.iterdir()] == ["calibration.json"]  # no temporary file left


def test_questions_limited_to_documents_the_index_does_not_hold_are_skipped_saying_so(runs):
    root = runs[0]
    where = ["--corpus", str(root / "corpus"), "--index", str(root / "index")]
    gone = {"question": "What is the daily meal allowance?", "answers": ["£30"], "documents": ["expenses.docx"]}
    alone, mixed = root / "alone.jsonl", root / "mixed.jsonl"
    alone.write_text(json.dumps(gone) + "\n", encoding="utf-8")
    mixed.write_text(json.dumps(gone) + "\nnot json\n" + json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    code, out, err = _main(["eval", str(alone), *where, "--out", str(root / "alone")])
    assert (code, out, err.splitlines()) == (2, "", [
        f"docqa: {alone} line 1: `documents` names 'expenses.docx', which the index does not hold; skipped.",
        f"docqa: {alone} holds no question that can be asked of this index (first: line 1: `documents` names "
        "'expenses.docx', which the index does not hold). Name documents as `docqa documents list` shows them."])
    code, out, err = _main(["eval", str(mixed), *where, "--out", str(root / "mixed")])
    assert code == 0 and err.splitlines()[:2] == [
        f"docqa: {mixed} line 2: not valid JSON (Expecting value at column 1); skipped.",
        f"docqa: {mixed} line 1: `documents` names 'expenses.docx', which the index does not hold; skipped."]
    report = (root / "mixed" / "report.md").read_text(encoding="utf-8")
    assert ("## Malformed lines (skipped)\n\n- line 1: `documents` names 'expenses.docx', which the index does not "
            "hold\n- line 2: not valid JSON (Expecting value at column 1)\n") in report


def test_a_retrieval_miss_whose_answer_no_document_holds_says_so(runs):
    root = runs[0]
    stale = root / "stale.jsonl"
    stale.write_text(json.dumps({"id": "fire", "question": "Where is the fire assembly point?",
                                 "answers": ["Victoria Square"]}) + "\n" + json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    code, _, _ = _main(["eval", str(stale), "--corpus", str(root / "corpus"), "--index", str(root / "index"),
                        "--out", str(root / "stale")])
    predictions, _ = _read(root / "stale")
    assert code == 0 and [p.get("expected_in_documents") for p in predictions] == [False, None]
    report = (root / "stale" / "report.md").read_text(encoding="utf-8")
    assert "| fire | Where is the fire assembly point? | Victoria Square |" in report
    assert report.split("| fire |")[1].splitlines()[0].endswith("| in no document |")
