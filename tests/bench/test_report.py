"""bench/report.py: percentiles in milliseconds, report.md's rows and the printed summary, on a literal report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from benchcase import bench_report

from docqa.bench.report import (
    Percentiles,
    format_summary,
    percentiles,
    render_markdown,
    report_json,
)


def test_percentiles_in_milliseconds() -> None:
    # numpy's linear interpolation: p50 between 2 and 3 ms, p95 at 3 + 0.85 of the way to 4.
    assert percentiles([0.004, 0.001, 0.003, 0.002]) == Percentiles(2.5, 3.85)
    assert percentiles([0.25]) == Percentiles(250.0, 250.0)


def test_markdown_rows() -> None:
    lines = render_markdown(bench_report()).splitlines()
    assert lines[0] == "# docqa bench, 2026-11-30T06:00:00+00:00"
    assert lines[2] == ("2 CPUs (x86_64 Linux), load average 0.12 at the start; embedding model all-MiniLM-L6-v2, "
                        "reader trained; 1,234 s in all.")
    assert lines[4] == "Versions: python 3.11.7, faiss-cpu 1.15.1."
    assert "| 1,000 | 250 | flat | onnx fp32 | 50.0 | 56.0 | 89% | 9.5 / 11.2 | 1.5 / 3.0 | 170.0 / 240.5 | 181.0 / 254.8 | exact " \
           "| 1,400 | 600 | 3.1 | 0.80 |" in lines
    assert "| 10,000 | 2,500 | hnsw | torch bf16 | 50.0 | 56.0 | 89% | 9.5 / 11.2 | 1.5 / 3.0 | 170.0 / 240.5 | 181.0 / 254.8 " \
           "| 0.987 | 1,400 | 600 | 31.0 | 0.80 |" in lines
    assert "| exact (flat) | 95.50 | 101.00 | 1.000 |  |" in lines
    assert "| HNSW (M 32, efConstruction 128, efSearch 288) | 2.25 | 3.50 | 0.961 | 612.2 |" in lines
    assert "Peak memory of that process: 3,300 MB." in lines


def test_sections_follow_what_was_measured() -> None:
    only_search = render_markdown(replace(bench_report(), sizes=()))
    assert "## Per corpus size" not in only_search and "## Vector search alone" in only_search
    assert "## Vector search alone" not in render_markdown(replace(bench_report(), search=None))


def test_json_is_the_dataclasses() -> None:
    data = json.loads(json.dumps(report_json(bench_report())))
    assert data["sizes"][1]["recall_at_10"] == 0.987 and data["sizes"][0]["recall_at_10"] is None
    assert data["sizes"][0]["question_ms"] == {"p50": 181.0, "p95": 254.75}
    assert data["search"]["hnsw"]["ef_search"] == 288 and data["load_average"] == [0.12, 0.3, 0.5]


def test_summary() -> None:
    assert format_summary(bench_report(), Path("out")).splitlines() == [
        "1,000 passages (flat, onnx fp32): build 50.0 passages/s (model alone 56.0); question p50 181 ms (embed 9.5, "
        "search 1.5, read 170.0); peak 600 MB asking, 1,400 MB building; 3.1 MB on disk",
        "10,000 passages (hnsw, torch bf16): build 50.0 passages/s (model alone 56.0); question p50 181 ms (embed 9.5, "
        "search 1.5, read 170.0), recall@10 0.987; peak 600 MB asking, 1,400 MB building; 31.0 MB on disk",
        "search alone, 1,000,000 vectors: exact p50 95.50 ms, HNSW p50 2.25 ms at recall@10 0.961",
        "report: out/report.md",
    ]
