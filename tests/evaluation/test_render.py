"""evaluation/render.py: the summary `docqa eval` prints and report.md, line for line on five hand-scored items."""

from __future__ import annotations

from pathlib import Path

from dataclasses import replace

from evalcases import five
from reportcase import SETTINGS, report

from docqa.evaluation.render import format_summary, render_markdown
from docqa.evaluation.report import build_report


def test_report_md_tables_hold_the_hand_computed_figures():
    lines = render_markdown(report()).splitlines()
    assert lines[0] == "# docqa evaluation of /x/qa.jsonl"
    assert "| all | 5 | 0.400 | 0.533 | 0.333 | 0.556 | 0.500 | 0.500 | 0.333 |" in lines
    assert "| style=verbatim | 2 | 0.500 | 0.833 | 0.500 | 0.833 | – | – | 0.000 |" in lines
    assert "| all | 3 | 0.333 | 0.667 | 0.667 | 0.500 | 3.000 | 8.800 | 1 | 1 | 1 |" in lines
    assert "| 0.30 (in use) | 0.400 | 0.533 | 0.556 | 0.500 | 0.600 |" in lines
    assert "| 0.75 (best) | 0.600 | 0.600 | 0.333 | 1.000 | 0.200 |" in lines
    assert "| 0.8–1.0 | 1 | 0.900 | 1.000 |" in lines
    assert "| q1-2008 | Question? | 2009 | *declined* (candidate: 2008) | 0.20 | 0.00 | – |" in lines
    assert "| q0-Belgrade | paraphrase | Question? | *not answerable* | Belgrade | 0.60 | 0 | 0.00 | – | abstention |" in lines
    assert "- index: 12 passages from 1 document, built 2026-11-30T00:00:00Z with all-MiniLM-L6-v2, split {'min_words': 40}" in lines
    assert "### retrieval (1)" in lines and "### reader (1)" in lines and "### abstention (1)" in lines


def test_a_threshold_of_three_decimals_is_shown_with_them_and_the_top_of_the_sweep_beside_it():
    lines = render_markdown(build_report("/x/qa.jsonl", replace(SETTINGS, threshold=0.995), [], five(), None,
                                         "2026-11-30T01:00:00Z")).splitlines()
    assert "- no-answer threshold: 0.995" in lines
    shown = [line.split(" |")[0][2:] for line in lines if line.startswith("| 0.9") or line.startswith("| 1.00")]
    assert shown == ["0.90", "0.95", "0.98", "0.99", "0.995 (in use)", "0.999", "1.00"]
    # a declined candidate's confidence with the threshold's decimals, rounded down
    assert "| q1-2008 | Question? | 2009 | *declined* (candidate: 2008) | 0.200 | 0.00 | – |" in lines


def test_the_summary_prints_the_main_figures():
    summary = format_summary(report(), Path("/out"))
    assert summary.splitlines()[:4] == [
        "docqa eval: 5 questions from /x/qa.jsonl (3 answerable, 2 unanswerable)",
        "",
        "                       items      EM      F1",
        "all                        5   0.400   0.533",
    ]
    assert "retrieval (answerable): recall@1 0.333  recall@3 0.667  recall@5 0.667  MRR 0.500" in summary
    assert "no-answer threshold 0.30 (F1 0.533); best on this file 0.75 (F1 0.600)" in summary
    assert summary.endswith("report: /out/report.md")



def test_the_summary_splits_the_figures_by_split_then_style():
    from dataclasses import replace

    from evalcases import five
    from reportcase import SETTINGS

    from docqa.evaluation.report import build_report

    # The first two items are kept aside from tuning; the other three are the dev split.
    results = [replace(r, item=replace(r.item, extra={**r.item.extra, "split": "untuned" if n < 2 else "dev"}))
               for n, r in enumerate(five())]
    lines = format_summary(build_report("/x/qa.jsonl", SETTINGS, [], results, None, "2026-11-30T01:00:00Z"),
                           Path("/out")).splitlines()
    assert lines[6:10] == [
        "split=dev                  3   0.333   0.333",
        "split=untuned              2   0.500   0.833",
        "style=(none)               1   1.000   1.000",
        "style=paraphrase           2   0.000   0.000",
    ]
    # every field the report groups by, "type" too, in the report's order
    typed = [replace(r, item=replace(r.item, extra={**r.item.extra, "type": "when" if n < 2 else "who"}))
             for n, r in enumerate(five())]
    lines = format_summary(build_report("/x/qa.jsonl", SETTINGS, [], typed, None, "2026-11-30T01:00:00Z"),
                           Path("/out")).splitlines()
    assert lines[9:11] == ["type=when                  2   0.500   0.833", "type=who                   3   0.333   0.333"]


def test_the_summary_counts_the_retrieval_misses_whose_answer_no_document_holds():
    from docqa.evaluation.scoring import Miss, Prediction

    results = [replace(r, prediction=Prediction({**r.prediction.record, "expected_in_documents": False},
                                                r.prediction.confidence)) if r.miss is Miss.RETRIEVAL else r
               for r in five()]
    summary = format_summary(build_report("/x/qa.jsonl", SETTINGS, [], results, None, "2026-11-30T01:00:00Z"),
                             Path("/out"))
    assert "misses: 1 retrieval (1 in no document), 1 reader, 1 abstention" in summary.splitlines()
    assert "misses: 1 retrieval, 1 reader, 1 abstention" in format_summary(report(), Path("/out")).splitlines()
