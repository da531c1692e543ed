"""Two evaluation runs -> what changed: every figure they share, and the questions that flipped
between right and wrong. A run is compared through its `Scorecard`, read from an earlier run's
report.json or made from the report of this run (report.scorecard), so both sides are typed alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from docqa.errors import BadEvalFile

REPORT_JSON = "report.json"
# The settings of a run that change its answers: a change of one explains the flips.
SETTINGS_COMPARED = ("threshold", "reader", "model", "top_k")


@dataclass(frozen=True)
class Outcome:
    """One question of a run, as comparison needs it (right = exact match)."""

    id: str
    question: str
    answer: str | None
    right: bool


@dataclass(frozen=True)
class Scorecard:
    """What comparison reads of a run: where it came from, its figures flattened ('all.f1',
    'style=paraphrase.f1', ...; numbers only) and its questions in file order."""

    folder: str
    file: str
    figures: Mapping[str, float | None]
    outcomes: tuple[Outcome, ...]
    settings: Mapping[str, object] = field(default_factory=dict)  # SETTINGS_COMPARED of the run


@dataclass(frozen=True)
class Change:
    name: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True)
class Flip:
    """An item right in one run and wrong in the other (right = exact match)."""

    id: str
    question: str
    before: str | None
    after: str | None
    now_right: bool


@dataclass(frozen=True)
class Comparison:
    previous: str           # the earlier report's folder
    previous_file: str      # the evaluation file it ran on
    same_file: bool
    changes: tuple[Change, ...]
    flips: tuple[Flip, ...]
    only_before: tuple[str, ...]  # ids missing from this run
    only_after: tuple[str, ...]   # ids new in this run
    others: tuple[Flip, ...] = ()  # items with another answer, right or wrong in both runs (declined -> wrong)
    settings: tuple[tuple[str, object, object], ...] = ()  # (name, before, now) of each setting that changed

    def to_json(self) -> dict:
        return {
            "previous": self.previous,
            "previous_file": self.previous_file,
            "same_file": self.same_file,
            "changes": [{"name": c.name, "before": c.before, "after": c.after, "delta": c.delta} for c in self.changes],
            "flips": [vars(f) for f in self.flips],
            "only_before": list(self.only_before),
            "only_after": list(self.only_after),
            "other_answers": [vars(f) for f in self.others],
            "settings": [{"name": name, "before": a, "after": b} for name, a, b in self.settings],
        }


def flat_figures(overall: Mapping, groups: Mapping[str, Mapping[str, Mapping]]) -> dict[str, float | None]:
    """Every figure of report.json's `overall` and `groups` as 'all.f1', 'style=paraphrase.f1', ...;
    numbers only."""
    flat: dict[str, float | None] = {}
    sections = [("all", overall)] + [
        (f"{name}={label}", values) for name, by in groups.items() for label, values in by.items()
    ]
    for prefix, values in sections:
        for key, value in values.items():
            if value is None or isinstance(value, (int, float)):
                flat[f"{prefix}.{key}"] = value
    return flat


def compare(now: Scorecard, before: Scorecard) -> Comparison:
    """The change of every figure and setting the two runs share, the items that flipped between right
    and wrong, and those that answer otherwise without a flip (matched by id)."""
    changes = tuple(Change(name, before.figures[name], value) for name, value in now.figures.items()
                    if name in before.figures)
    earlier = {o.id: o for o in before.outcomes}
    current = {o.id: o for o in now.outcomes}
    flips = tuple(
        Flip(i, o.question, earlier[i].answer, o.answer, o.right)
        for i, o in current.items()
        if i in earlier and o.right != earlier[i].right
    )
    others = tuple(
        Flip(i, o.question, earlier[i].answer, o.answer, o.right)
        for i, o in current.items()
        if i in earlier and o.right == earlier[i].right and o.answer != earlier[i].answer
    )
    return Comparison(
        previous=before.folder,
        previous_file=before.file,
        same_file=before.file == now.file,
        changes=changes,
        flips=flips,
        only_before=tuple(i for i in earlier if i not in current),
        only_after=tuple(i for i in current if i not in earlier),
        others=others,
        settings=tuple((name, before.settings[name], value) for name, value in now.settings.items()
                       if name in before.settings and before.settings[name] != value),
    )


def scorecard_from_json(data: Mapping, folder: str) -> Scorecard:
    """The scorecard of a report.json's content; raises ValueError when it lacks what comparison reads."""
    if not _looks_like_report(data):
        raise ValueError("not a docqa report")
    return Scorecard(
        folder,
        str(data.get("file", "")),
        flat_figures(data["overall"], data.get("groups", {})),
        tuple(Outcome(str(r["id"]), str(r["question"]), r["answer"], r["exact"] == 1.0) for r in data["results"]),
        _settings(data.get("settings")),
    )


def _settings(settings: object) -> dict[str, object]:
    """SETTINGS_COMPARED of a report.json's `settings` (an older report may lack some)."""
    return {name: settings[name] for name in SETTINGS_COMPARED if name in settings} if isinstance(settings, dict) else {}


def load_report(folder: Path) -> Scorecard:
    """The scorecard of an earlier `docqa eval` run's report.json; raises BadEvalFile when it is not one."""
    path = folder / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadEvalFile(
            f"No {REPORT_JSON} in {folder}/. Pass --compare with a folder written by an earlier `docqa eval`."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadEvalFile(f"Cannot read {path} ({error}). Pass --compare with another report folder.") from None
    try:
        return scorecard_from_json(data, str(folder))
    except ValueError:
        raise BadEvalFile(f"{path} is not a report written by `docqa eval`. Pass --compare with another folder.") from None


def _looks_like_report(data: object) -> bool:
    """Whether `data` has what `compare` reads: figures, and results with id, question, answer, exact."""
    if not isinstance(data, dict) or not isinstance(data.get("overall"), dict):
        return False
    groups = data.get("groups", {})
    if not isinstance(groups, dict) or not all(
        isinstance(by, dict) and all(isinstance(values, dict) for values in by.values()) for by in groups.values()
    ):
        return False
    results = data.get("results")
    return isinstance(results, list) and all(
        isinstance(r, dict) and {"id", "question", "answer", "exact"} <= set(r) for r in results
    )
