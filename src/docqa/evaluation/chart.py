"""A report -> threshold.png: EM and F1 against the no-answer threshold, and how the candidates'
confidences spread for right and wrong candidates; a bench report -> bench.png: build speed, question
time and memory against the corpus size. The one module that imports matplotlib, and only when it draws."""

from __future__ import annotations

from pathlib import Path

from docqa.evaluation.report import Report
from docqa.text import threshold_text


def draw_chart(report: Report, path: Path) -> None:
    """PNG: EM and F1 against the no-answer threshold, the threshold in use and the best one marked;
    below, how the candidates' confidences spread for right and wrong candidates."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    x = [p.threshold for p in report.sweep]
    steps = {"drawstyle": "steps-post"}  # figures change in jumps, never along a slope
    top.plot(x, [p.f1 for p in report.sweep], label="F1, all", color="tab:blue", linewidth=2, **steps)
    top.plot(x, [p.exact for p in report.sweep], label="EM, all", color="tab:orange", linewidth=2, **steps)
    if report.overall.answerable:
        top.plot(x, [p.f1_answerable for p in report.sweep], label="F1, answerable", color="tab:blue",
                 linestyle="--", linewidth=1, **steps)
    if report.overall.unanswerable:
        top.plot(x, [p.declined_correctly for p in report.sweep], label="unanswerable declined",
                 color="tab:green", linestyle=":", linewidth=1.5, **steps)
    top.axvline(report.settings.threshold, color="black", linewidth=1,
                label=f"threshold in use {threshold_text(report.settings.threshold)}")
    top.plot([report.best.threshold], [report.best.f1], marker="o", color="tab:red", linestyle="none",
             label=f"best F1 {report.best.f1:.3f} at {threshold_text(report.best.threshold)}")
    top.set_ylim(0, 1.02)
    top.set_ylabel("score")
    top.set_title(f"docqa on {Path(report.file).name}: {report.overall.items} questions")
    top.legend(loc="best", fontsize=8)
    top.grid(alpha=0.3)
    right = [r.prediction.confidence for r in report.results if r.candidate_exact == 1.0]
    wrong = [r.prediction.confidence for r in report.results if r.candidate_exact == 0.0]
    bins = [i / 20 for i in range(21)]
    bottom.hist([right, wrong], bins=bins, stacked=True, color=["tab:green", "tab:red"],
                label=["candidate right", "candidate wrong"])
    bottom.axvline(report.settings.threshold, color="black", linewidth=1)
    bottom.set_xlabel("no-answer threshold / candidate confidence")
    bottom.set_ylabel("questions")
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlim(0, 1)
    bottom.legend(loc="best", fontsize=8)
    figure.savefig(path, dpi=110)


