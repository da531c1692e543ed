"""`docqa eval`: SQuAD v2.0 metrics on hand-computed cases, the evaluation file, figures, threshold,
comparison, feedback lines, and one end-to-end run on the default document.

The end-to-end run never asserts what the reader answers (the reader is being improved); it asserts
that every figure written follows exactly from the predictions written.
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
from docqa.errors import BadEvalFile, BadFeedback
from docqa.evalset import EvalItem, append_feedback, feedback_item, load_eval_file
from docqa.evaluate import (
    Miss,
    Prediction,
    PreviousReport,
    SweepPoint,
    best_threshold,
    classify_miss,
    compare,
    contains_answer,
    exact_match,
    f1_score,
    figures,
    first_hit,
    flat_figures,
    group_figures,
    load_report,
    normalize_answer,
    percentile,
    reliability,
    score_item,
    sweep,
)
from docqa.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "nato-relations-with-serbia.txt"


# ---- SQuAD normalisation, EM and F1 ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Cat", "cat"),                          # case and a leading article
        ("a, an; the.", ""),                         # only articles and punctuation
        ("Anthem of the theatre", "anthem of theatre"),  # articles only as whole words
        ("U.S.A.", "usa"),                           # punctuation removed, not replaced by spaces
        ("  December\t\n 2006 ", "december 2006"),   # whitespace collapsed
        ("An apple a day", "apple day"),
        ("rock-and-roll", "rockandroll"),
        ("NATO’s role", "nato’s role"),              # the script strips ASCII punctuation only
    ],
)
def test_normalize_answer_follows_the_squad_script(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_is_best_over_the_gold_answers():
    golds = ["the International Criminal Tribunal", "ICTY"]
    assert exact_match("International criminal tribunal!", golds) == 1.0
    assert exact_match("icty", golds) == 1.0
    assert exact_match("the Tribunal", golds) == 0.0
    assert exact_match(None, golds) == 0.0


def test_unanswerable_scores_one_only_when_declined():
    assert exact_match(None, []) == 1.0
    assert f1_score(None, []) == 1.0
    assert exact_match("Belgrade", []) == 0.0
    assert f1_score("Belgrade", []) == 0.0
    # As in the script, a gold that normalises to nothing does not count: the item is unanswerable.
    assert exact_match(None, ["the"]) == 1.0


def test_f1_counts_shared_tokens_by_hand():
    # prediction [december, 2006, meeting], gold [december, 2006]: p = 2/3, r = 1, F1 = 0.8
    assert f1_score("the December 2006 meeting", ["December 2006"]) == pytest.approx(0.8)
    # repeated tokens count once per occurrence in both: p = 1/2, r = 1, F1 = 2/3
    assert f1_score("NATO NATO", ["NATO"]) == pytest.approx(2 / 3)
    # best over golds: 0 against the first, 2*(1/2*1/1)/(1/2+1) = 2/3 against the second
    assert f1_score("KFOR force", ["Belgrade", "KFOR"]) == pytest.approx(2 / 3)
    assert f1_score("Belgrade", ["KFOR"]) == 0.0
    assert f1_score(None, ["KFOR"]) == 0.0
    assert f1_score("the", ["KFOR"]) == 0.0  # an answer of only an article shares no token


def test_a_passage_holds_an_answer_as_whole_normalised_words():
    assert contains_answer("In December, 2006 Serbia joined.", ["December 2006"])
    assert not contains_answer("Code 20061 was used.", ["2006"])
    assert not contains_answer("anything", [])
    assert first_hit(["No.", "Still no.", "KFOR stays."], ["the KFOR"]) == 3
    assert first_hit(["No."], ["KFOR"]) is None


def test_percentile_interpolates_like_numpy():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    # position (5 - 1) * 0.95 = 3.8: 4 + 0.8 * (10 - 4) = 8.8
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 95) == pytest.approx(8.8)
    assert percentile([7.0], 95) == 7.0


# ---- items, misses and figures --------------------------------------------------------------------
def result(answers, answer, candidate, confidence, passages=(), seconds=1.0, **extra):
    item = EvalItem(f"q{len(answers)}-{candidate}", "Question?", tuple(answers), extra=extra)
    return score_item(item, Prediction(answer, candidate, confidence, tuple(passages), seconds))


@pytest.fixture
def five():
    """Answered with threshold 0.3: two right, one partly, one retrieval miss, one wrong answer."""
    return [
        result(["December 2006"], "December 2006", "December 2006", 0.9,
               ["Nothing.", "In December 2006 Serbia joined."], 1.0, style="verbatim"),
        result(["KFOR"], "the KFOR force", "the KFOR force", 0.5, ["KFOR stays."], 2.0, style="verbatim"),
        result(["2009"], None, "2008", 0.2, ["nothing here"], 3.0, style="paraphrase"),
        result([], None, "Belgrade", 0.1, ["Belgrade."], 4.0),
        result([], "Belgrade", "Belgrade", 0.6, ["Belgrade."], 10.0, style="paraphrase"),
    ]


def test_every_miss_has_its_reason(five):
    assert [r.miss for r in five] == [None, Miss.READER, Miss.RETRIEVAL, None, Miss.ABSTENTION]
    assert [r.first_hit for r in five] == [2, 1, None, None, None]
    declined = EvalItem("d", "Where?", ("Kosovo",))
    assert classify_miss(declined, None, 1, 0.0) is Miss.ABSTENTION
    assert classify_miss(declined, None, None, 0.0) is Miss.RETRIEVAL  # it never had the passage


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
    assert (f.recall_at_1, f.recall_at_3, f.recall_at_5) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert f.mrr == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert (f.latency_median, f.latency_p95) == pytest.approx((3.0, 8.8))
    assert (f.miss_retrieval, f.miss_reader, f.miss_abstention) == (1, 1, 1)


def test_figures_split_by_style(five):
    groups = group_figures(five, "style")
    assert list(groups) == ["(none)", "paraphrase", "verbatim"]
    assert groups["verbatim"].items == 2
    assert groups["verbatim"].f1 == pytest.approx((1 + 2 / 3) / 2)
    assert groups["paraphrase"].exact == 0.0
    assert groups["paraphrase"].recall_at_5 == 0.0
    assert groups["(none)"].answerable == 0 and groups["(none)"].recall_at_1 is None
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


def test_reliability_bins(five):
    bins = reliability(five, bins=5)
    assert [b.items for b in bins] == [1, 1, 1, 1, 1]
    assert [b.accuracy for b in bins] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert bins[4].confidence == pytest.approx(0.9)
    sure = [result(["x"], "x", "x", 1.0)]
    assert reliability(sure, bins=5)[4].items == 1  # the last bin includes 1.0


# ---- the evaluation file --------------------------------------------------------------------------
def test_malformed_lines_are_reported_with_their_line_and_reason(tmp_path):
    lines = [
        '{"id": "x1", "question": "When?", "answers": ["2006"], "style": "verbatim"}',
        '{bad json',
        '',
        '{"question": "Who?"}',
        '{"question": "Who?", "answers": "NATO"}',
        '{"question": "Who?", "answers": ["the"]}',
        '{"id": "x1", "question": "Again?", "answers": []}',
        '{"question": "What is \u2028 this?", "answers": ["x"], "history": ["", "Earlier?"]}',
        '[1, 2]',
        '{"question": "   ", "answers": []}',
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_file(path)
    assert [(i.id, i.line) for i in items] == [("x1", 1), ("8", 8)]
    assert items[0].answers == ("2006",) and items[0].label("style") == "verbatim"
    assert items[1].history == ("Earlier?",) and items[1].question == "What is  this?"
    assert [p.line for p in problems] == [2, 4, 5, 6, 7, 9, 10]
    reasons = dict((p.line, p.reason) for p in problems)
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4] == "`answers` is missing (write [] for a question the documents do not answer)"
    assert reasons[5] == "`answers` must be a list of strings"
    assert reasons[6] == "answer 'the' is empty once case, punctuation and articles are removed"
    assert reasons[7] == "id 'x1' is already used on line 1"
    assert reasons[9] == "not a JSON object"
    assert reasons[10].startswith("`question`: The question is empty")
    with pytest.raises(BadEvalFile, match=r"qa\.jsonl line 2: not valid JSON .*run without --strict"):
        load_eval_file(path, strict=True)


def test_unreadable_files_say_what_to_do(tmp_path):
    with pytest.raises(BadEvalFile, match="No evaluation file at .*Pass the path of a JSON-lines file"):
        load_eval_file(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"question": 1}\n', encoding="utf-8")
    with pytest.raises(BadEvalFile, match=r"holds no usable question \(first: line 1: `question` must be a string\)"):
        load_eval_file(empty)
    with pytest.raises(BadEvalFile, match="No report.json in .*Pass --compare with a folder"):
        load_report(tmp_path)
    for text in ("[]", '{"overall": {}, "results": [{"id": "a"}]}', "{"):
        (tmp_path / "report.json").write_text(text, encoding="utf-8")
        with pytest.raises(BadEvalFile, match="is not a report written by `docqa eval`|Cannot read .*report.json"):
            load_report(tmp_path)


# ---- comparison -----------------------------------------------------------------------------------
def test_compare_gives_every_change_and_the_flips():
    before = {
        "file": "qa.jsonl",
        "overall": {"items": 3, "exact": 0.5, "f1": 0.6, "mrr": None},
        "groups": {"style": {"paraphrase": {"f1": 0.2}}},
        "results": [
            {"id": "a", "question": "A?", "answer": "x", "exact": 1.0},
            {"id": "b", "question": "B?", "answer": None, "exact": 0.0},
            {"id": "c", "question": "C?", "answer": "c", "exact": 1.0},
        ],
    }
    now = {
        "file": "qa.jsonl",
        "overall": {"items": 3, "exact": 0.75, "f1": 0.6, "mrr": 0.5},
        "groups": {"style": {"paraphrase": {"f1": 0.5}}},
        "results": [
            {"id": "a", "question": "A?", "answer": "y", "exact": 0.0},
            {"id": "b", "question": "B?", "answer": "z", "exact": 1.0},
            {"id": "d", "question": "D?", "answer": "d", "exact": 1.0},
        ],
    }
    c = compare(now, PreviousReport("reports/old", before))
    deltas = {change.name: change.delta for change in c.changes}
    assert list(deltas) == ["all.items", "all.exact", "all.f1", "all.mrr", "style=paraphrase.f1"]
    assert deltas["all.mrr"] is None  # no MRR before: no change to give
    assert [deltas[n] for n in ("all.items", "all.exact", "all.f1", "style=paraphrase.f1")] == pytest.approx(
        [0, 0.25, 0.0, 0.3])
    assert [(f.id, f.before, f.after, f.now_right) for f in c.flips] == [("a", "x", "y", False), ("b", None, "z", True)]
    assert (c.only_before, c.only_after, c.same_file, c.previous) == (("c",), ("d",), True, "reports/old")


# ---- feedback from the chat -----------------------------------------------------------------------
def test_feedback_lines_are_evaluation_items(tmp_path):
    path = tmp_path / "evaluation" / "feedback.jsonl"
    right = feedback_item("When was it established? ", ["Which office opened?"], ["December 2006"])
    declined = feedback_item("What is the population of Serbia?", [], [])
    assert right == feedback_item("When was it established?", ["Which office opened?"], ["December 2006"])
    assert right["id"].startswith("feedback-") and right["id"] != declined["id"]
    append_feedback(path, right)
    with path.open("a", encoding="utf-8") as out:  # a hand edit that drops the final newline
        out.write('{"question": "Typed by hand?", "answers": ["yes"]}')
    append_feedback(path, declined)
    items, problems = load_eval_file(path)
    assert problems == []
    assert [(i.question, i.answers, i.history) for i in items] == [
        ("When was it established?", ("December 2006",), ("Which office opened?",)),
        ("Typed by hand?", ("yes",), ()),
        ("What is the population of Serbia?", (), ()),
    ]
    with pytest.raises(BadFeedback, match="Type the answer as the documents write it"):
        feedback_item("Who?", [], ["  "])
    with pytest.raises(BadFeedback, match="The question is empty"):
        feedback_item(" ", [], ["x"])
    with pytest.raises(BadFeedback, match="This mark cannot be recorded .`answers` is missing"):
        append_feedback(path, {"question": "Who?"})


# ---- end to end on the default document -----------------------------------------------------------
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
    stored = json.loads((root / "evaluation" / "calibration.json").read_text(encoding="utf-8"))
    best = report["best_threshold"]
    assert stored["threshold"] == best["threshold"]
    assert stored["f1"] == pytest.approx(best["f1"], abs=1e-4)
    assert best["f1"] == max(p["f1"] for p in report["sweep"])
    assert (stored["items"], stored["file"]) == (4, str(root / "qa.jsonl"))
    assert stored["reader"] == "trained"
    settings = Settings(corpus=root / "corpus", index=root / "index")
    assert settings.effective_threshold("trained", 0.5) == best["threshold"]
    assert f"calibrated: no-answer threshold {best['threshold']:.2f} stored in" in out


def test_compare_reports_changes_and_flips(runs):
    root, _, (code, out, err) = runs
    assert code == 0, err
    _, before = _read(root / "first")
    _, now = _read(root / "second")
    assert now["settings"]["threshold"] == 0.0
    comparison = now["comparison"]
    assert comparison["previous"] == str(root / "first") and comparison["same_file"] is True
    old, new = flat_figures(before), flat_figures(now)
    for change in comparison["changes"]:
        assert (change["before"], change["after"]) == (old[change["name"]], new[change["name"]])
    assert {c["name"] for c in comparison["changes"]} == set(old)
    right_before = {r["id"]: r["exact"] == 1.0 for r in before["results"]}
    flipped = {r["id"] for r in now["results"] if (r["exact"] == 1.0) != right_before[r["id"]]}
    assert {f["id"] for f in comparison["flips"]} == flipped
    assert "## Compared with the previous run" in (root / "second" / "report.md").read_text(encoding="utf-8")
    assert f"{len(flipped)} flipped" in out


def test_strict_stops_at_the_first_malformed_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "When?", "answers": ["2006"]}\n{"question": "Who?"}\n', encoding="utf-8")
    code, out, err = _main(["eval", str(bad), "--strict", "--index", str(tmp_path / "index")])
    assert code == 2 and out == ""
    assert err == (f"docqa: {bad} line 2: `answers` is missing (write [] for a question the documents do not "
                   "answer). Fix the line, or run without --strict to skip it.\n")
