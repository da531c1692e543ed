"""evaluation/chart.py: the threshold and bench charts are PNGs, and matplotlib loads only when a chart is drawn."""

from __future__ import annotations

import subprocess
import sys

from benchcase import bench_report
from reportcase import report

from docqa.bench.chart import draw_bench_chart
from docqa.evaluation.chart import draw_chart


def test_the_chart_is_a_png(tmp_path):
    draw_chart(report(), tmp_path / "threshold.png")
    data = (tmp_path / "threshold.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_the_bench_chart_is_a_png(tmp_path):
    draw_bench_chart(bench_report(), tmp_path / "bench.png")
    data = (tmp_path / "bench.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_matplotlib_loads_only_to_draw():
    code = ("import sys, docqa.evaluation.run, docqa.evaluation.chart, docqa.bench.chart, docqa.evaluation.items, docqa.web.server, docqa.bench.run; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
