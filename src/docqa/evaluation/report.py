"""A run's item results -> its report: figures overall and per group, the threshold sweep, the best
threshold, reliability and the comparison with an earlier run, as one typed value; its JSON
(report.json) and the calibration record that `docqa eval --calibrate` stores. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from docqa.evaluation.compare import (
    SETTINGS_COMPARED,
    Comparison,
    Outcome,
    Scorecard,
    compare,
    flat_figures,
)
from docqa.evaluation.items import Problem
from docqa.evaluation.scoring import (
    GROUP_FIELDS,
    SWEEP,
    Figures,
    ItemResult,
    ReliabilityBin,
    SweepPoint,
    best_threshold,
    figures,
    group_figures,
    reliability,
    reliability_by_kind,
    sweep,
)


@dataclass(frozen=True)
class RunSettings:
    model: str
    reader: str
    top_k: int
    threshold: float
    calibration: str | None  # the calibration file the threshold may come from, when it exists
    index: Mapping[str, object]  # the index manifest


@dataclass(frozen=True)
class Report:
    file: str
    created_at: str
    settings: RunSettings
    problems: tuple[Problem, ...]
    results: tuple[ItemResult, ...]  # in item order; each holds its line of predictions.jsonl
    overall: Figures
    groups: Mapping[str, Mapping[str, Figures]]  # field -> value -> figures
    sweep: tuple[SweepPoint, ...]
    best: SweepPoint
    reliability: tuple[ReliabilityBin, ...]
    comparison: Comparison | None
    reliability_kinds: Mapping[str, tuple[ReliabilityBin, ...]] = field(default_factory=dict)  # by question_kind

    def at_threshold(self) -> SweepPoint:
        return next(p for p in self.sweep if p.threshold == self.settings.threshold)

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "created_at": self.created_at,
            "settings": asdict(self.settings),
            "problems": [asdict(p) for p in self.problems],
            **_figures_json(self.overall, self.groups),
            "best_threshold": asdict(self.best),
            "sweep": [asdict(p) for p in self.sweep],
            "reliability": [asdict(b) for b in self.reliability],
            "reliability_by_kind": {kind: [asdict(b) for b in bins] for kind, bins in self.reliability_kinds.items()},
            "results": _results_json(self.results),
            "comparison": None if self.comparison is None else self.comparison.to_json(),
        }


def _figures_json(overall: Figures, groups: Mapping[str, Mapping[str, Figures]]) -> dict:
    return {
        "overall": overall.to_json(),
        "groups": {name: {label: f.to_json() for label, f in by.items()} for name, by in groups.items()},
    }


def _results_json(results: Sequence[ItemResult]) -> list[dict]:
    return [
        {
            "id": r.item.id,
            "line": r.item.line,
            "question": r.item.question,
            "history": list(r.item.history),
            "expected": list(r.item.answers),
            "answer": r.prediction.answer,
            "candidate": r.prediction.candidate,
            "confidence": r.prediction.confidence,
            "exact": r.exact,
            "f1": r.f1,
            "first_hit": r.first_hit,
            "miss": r.miss.value if r.miss else None,
            "seconds": r.prediction.seconds,
            "extra": dict(r.item.extra),
        }
        for r in results
    ]


def scorecard(file: str, overall: Figures, groups: Mapping[str, Mapping[str, Figures]],
              results: Sequence[ItemResult], folder: str = "", settings: RunSettings | None = None) -> Scorecard:
    """What comparison reads of this run, the same figures and settings report.json holds."""
    figures_json = _figures_json(overall, groups)
    return Scorecard(
        folder, file, flat_figures(figures_json["overall"], figures_json["groups"]),
        tuple(Outcome(r.item.id, r.item.question, r.prediction.answer, r.correct) for r in results),
        {} if settings is None else {name: getattr(settings, name) for name in SETTINGS_COMPARED},
    )


def build_report(
    file: str,
    settings: RunSettings,
    problems: Sequence[Problem],
    results: Sequence[ItemResult],
    previous: Scorecard | None,
    created_at: str,
) -> Report:
    """All figures of a run; `previous`, an earlier run's scorecard, to compare with."""
    overall = figures(results)
    groups = {name: by for name in GROUP_FIELDS if (by := group_figures(results, name))}
    points = sweep(results, sorted(set(SWEEP) | {settings.threshold}))
    comparison = None if previous is None else compare(scorecard(file, overall, groups, results, settings=settings), previous)
    return Report(file, created_at, settings, tuple(problems), tuple(results), overall, groups, points,
                  best_threshold(points, settings.threshold), reliability(results), comparison, reliability_by_kind(results))


# A threshold fitted on fewer questions of either kind fits those questions, not the documents: with no
# unanswerable question, answering everything is never penalised and the sweep's best is its lowest.
CALIBRATION_ANSWERABLE = 10
CALIBRATION_UNANSWERABLE = 5


def calibration_refusal(report: Report) -> str | None:
    """Why the run's file cannot calibrate the threshold (too few answerable or unanswerable questions
    to weigh answering against declining), with what to add; None where it can."""
    answerable, unanswerable = report.overall.answerable, report.overall.unanswerable
    if answerable >= CALIBRATION_ANSWERABLE and unanswerable >= CALIBRATION_UNANSWERABLE:
        return None
    return (f"Not calibrated: {report.file} has {answerable} answerable question(s) and {unanswerable} that the "
            f"documents do not answer; a threshold is weighed on at least {CALIBRATION_ANSWERABLE} of the first and "
            f"{CALIBRATION_UNANSWERABLE} of the second (\"answers\": []), else answering everything is never "
            f"penalised (its best here would be {report.best.threshold:g}). The threshold in use stays "
            f"{report.settings.threshold:g}.")


def calibration_record(report: Report) -> dict:
    """What `--calibrate` stores for the run's reader and model; Settings.effective_threshold reads it."""
    return {
        "threshold": report.best.threshold,
        "f1": round(report.best.f1, 4),
        "exact": round(report.best.exact, 4),
        "file": report.file,
        "items": len(report.results),
        "reader": report.settings.reader,
        "model": report.settings.model,
        "calibrated_at": report.created_at,
    }
