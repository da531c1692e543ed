"""A report -> threshold.png: EM and F1 against the no-answer threshold, and how the candidates'
confidences spread for right and wrong candidates; a bench report -> bench.png: build speed, question
time and memory against the corpus size. The one module that imports matplotlib, and only when it draws."""

from __future__ import annotations

from pathlib import Path

from docqa.evaluation.report import Report
from docqa.text import threshold_text


# The threshold's axis: thresholds near 1 are where answering turns to declining (0.99, 0.995, 0.999), so
# the axis is drawn in "nines", -log10(1 - t): 0.9 one step from 0, 0.99 two, 0.999 three, 1 four.
AXIS_TICKS = (0.0, 0.5, 0.9, 0.99, 0.999, 1.0)
HISTOGRAM_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 1.0)
_TOP = 1e-4  # the distance from 1 drawn as 1 itself


def nines(t):
    """A threshold's place on the axis: -log10(1 - t), 1 drawn at 4."""
    import numpy as np

    return -np.log10(np.clip(1.0 - np.asarray(t, dtype=float), _TOP, None))


def _from_nines(u):
    import numpy as np

    return 1.0 - 10.0 ** (-np.asarray(u, dtype=float))


def draw_chart(report: Report, path: Path) -> None:
    """PNG: EM and F1 against the no-answer threshold, the threshold in use and the best one marked;
    below, how the candidates' confidences spread for right and wrong candidates; the axis in nines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    for axis in (top, bottom):
        axis.set_xscale("function", functions=(nines, _from_nines))
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
    bottom.hist([right, wrong], bins=list(HISTOGRAM_BINS), stacked=True, color=["tab:green", "tab:red"],
                label=["candidate right", "candidate wrong"])
    bottom.axvline(report.settings.threshold, color="black", linewidth=1)
    bottom.set_xlabel("no-answer threshold / candidate confidence (the scale widens towards 1)")
    bottom.set_ylabel("questions")
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_xlim(0, 1)
    bottom.set_xticks(AXIS_TICKS, [f"{t:g}" for t in AXIS_TICKS])
    bottom.legend(loc="best", fontsize=8)
    figure.savefig(path, dpi=110)


