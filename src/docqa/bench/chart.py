"""A bench report -> bench.png: build speed, question time and memory against the corpus size.
matplotlib loads only when it draws."""

from __future__ import annotations

from pathlib import Path

from docqa.bench.report import BenchReport


def draw_bench_chart(report: BenchReport, path: Path) -> None:
    """PNG: against the passages of each size (log scale), build and model-alone throughput, question
    time p50 split into embed, search and read (with the whole question's p95), and peak memory of the
    build and the question server beside the size on disk."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    speed, asking, memory = figure.subplots(1, 3)
    x = [size.passages for size in report.sizes]
    marks = {"marker": "o"}
    speed.plot(x, [s.build_passages_per_second for s in report.sizes], label="build", color="tab:blue", **marks)
    speed.plot(x, [s.model_passages_per_second for s in report.sizes], label="embedding model alone",
               color="tab:gray", linestyle="--", **marks)
    speed.set_ylabel("passages / s")
    speed.set_title("Build throughput")
    for label, color, part in (("embed", "tab:orange", "embed_ms"), ("search", "tab:green", "search_ms"),
                               ("read", "tab:red", "read_ms")):
        asking.plot(x, [getattr(s, part).p50 for s in report.sizes], label=f"{label} p50", color=color, **marks)
    asking.plot(x, [s.question_ms.p50 for s in report.sizes], label="question p50", color="black", **marks)
    asking.plot(x, [s.question_ms.p95 for s in report.sizes], label="question p95", color="black", linestyle=":",
              **marks)
    asking.set_ylabel("ms per question")
    asking.set_title("Question time")
    memory.plot(x, [s.server_peak_mb for s in report.sizes], label="question server peak", color="tab:purple", **marks)
    memory.plot(x, [s.build_peak_mb for s in report.sizes], label="build peak", color="tab:blue", **marks)
    memory.plot(x, [s.disk_mb for s in report.sizes], label="on disk", color="tab:brown", linestyle="--", **marks)
    memory.set_ylabel("MB")
    memory.set_title("Memory and disk")
    for axes in (speed, asking, memory):
        axes.set_xscale("log")
        axes.set_xlabel("passages")
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(loc="best", fontsize=8)
    figure.suptitle(f"docqa bench {report.started}: {report.cpus} CPUs, {report.model}, reader {report.reader}",
                    fontsize=10)
    figure.savefig(path, dpi=110)
