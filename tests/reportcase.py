"""A report built from the five hand-scored items of evalcases.py, shared by the report, render and
chart tests."""

from __future__ import annotations

from evalcases import five

from docqa.evaluation.compare import Scorecard
from docqa.evaluation.report import Report, RunSettings, build_report

SETTINGS = RunSettings(
    model="all-MiniLM-L6-v2", reader="trained", top_k=5, threshold=0.3, calibration=None,
    index={"passages": 12, "documents": {"a.txt": "hash"}, "built_at": "2026-11-30T00:00:00Z",
           "model": "all-MiniLM-L6-v2", "split": {"min_words": 40}, "versions": {"faiss": "1.0"}},
)


def report(previous: Scorecard | None = None) -> Report:
    return build_report("/x/qa.jsonl", SETTINGS, [], five(), previous, "2026-11-30T01:00:00Z")
