"""Evaluation file + engine -> predictions, figures, misses, a chart and a report (`docqa eval`).

Everything here is a pure function over literal data except `run` (which asks the engine) and the
writers at the end. Exact match and F1 follow the official SQuAD v2.0 script, evaluate-v2.0.py
(Rajpurkar, Jia & Liang, ACL 2018): lower case, ASCII punctuation removed, the articles a/an/the
removed, whitespace collapsed; token-bag F1; the best score over the gold answers. One deliberate
difference: the script turns a null prediction into "" and compares strings, so an answer made only
of punctuation or articles would count as a decline; here an unanswerable item scores 1 iff the
prediction is null, because any shown answer is an answer to the user.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .engine import Engine, Reply
from .errors import BadEvalFile, ReportNotWritten
from .evalset import EvalItem, Problem
from .index import read_manifest
from .metrics import exact_match, f1_score, gold_answers, normalize_answer
from .settings import Settings

RECALL_AT = (1, 3, 5)
# Optional item fields that split every figure; our targets are set separately for paraphrases.
GROUP_FIELDS = ("style", "type")
UNLABELLED = "(none)"
# The no-answer threshold is swept in steps of 0.01 over [0, 1]; the threshold in use is added.
SWEEP = tuple(i / 100 for i in range(101))
RELIABILITY_BINS = 5

PREDICTIONS = "predictions.jsonl"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
CHART = "threshold.png"
DEFAULT_FILE = "qa.jsonl"
REPORTS = "reports"


def contains_answer(passage: str, answers: Sequence[str]) -> bool:
    """Whether the passage holds a gold answer as whole words, both normalised."""
    text = f" {normalize_answer(passage)} "
    return any(f" {normalize_answer(g)} " in text for g in gold_answers(answers))


def first_hit(passages: Sequence[str], answers: Sequence[str]) -> int | None:
    """The 1-based rank of the first passage holding a gold answer; None when none does."""
    for rank, passage in enumerate(passages, start=1):
        if contains_answer(passage, answers):
            return rank
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# ---- one item's outcome ---------------------------------------------------------------------------
class Miss(str, Enum):
    RETRIEVAL = "retrieval"    # answerable, and no retrieved passage holds a gold answer
    READER = "reader"          # a passage held it, and the words picked were wrong
    ABSTENTION = "abstention"  # declined although answerable, or answered although unanswerable


@dataclass(frozen=True)
class Prediction:
    """What the engine said about one item: the answer after the threshold, the best candidate
    whatever its confidence, the retrieved passages' texts in rank order, and the time taken."""

    answer: str | None
    candidate: str | None
    confidence: float
    passages: tuple[str, ...]
    seconds: float

    @classmethod
    def from_reply(cls, reply: Reply) -> "Prediction":
        return cls(
            reply.answer.text if reply.answer else None,
            reply.candidate.text if reply.candidate else None,
            reply.confidence,
            tuple(hit.passage.text for hit in reply.hits),
            reply.seconds,
        )

    @classmethod
    def from_record(cls, record: Mapping) -> "Prediction":
        """From one line of predictions.jsonl."""
        return cls(record["answer"], record["candidate"], record["confidence"],
                   tuple(p["text"] for p in record["passages"]), record["seconds"])

    def answer_at(self, threshold: float) -> str | None:
        """The answer docqa would give with this no-answer threshold."""
        return self.candidate if self.candidate is not None and self.confidence >= threshold else None


@dataclass(frozen=True)
class ItemResult:
    item: EvalItem
    prediction: Prediction
    exact: float
    f1: float
    first_hit: int | None  # 1-based rank of the first passage holding a gold answer
    miss: Miss | None      # None when the answer is exactly right

    @property
    def declined(self) -> bool:
        return self.prediction.answer is None

    @property
    def correct(self) -> bool:
        return self.exact == 1.0


def classify_miss(item: EvalItem, answer: str | None, hit: int | None, exact: float) -> Miss | None:
    """Why an item is not exactly right; the missing passage comes first, as the reader never saw it."""
    if exact == 1.0:
        return None
    if not item.answerable:
        return Miss.ABSTENTION
    if hit is None:
        return Miss.RETRIEVAL
    return Miss.ABSTENTION if answer is None else Miss.READER


def score_item(item: EvalItem, prediction: Prediction) -> ItemResult:
    exact = exact_match(prediction.answer, item.answers)
    hit = first_hit(prediction.passages, item.answers) if item.answerable else None
    return ItemResult(item, prediction, exact, f1_score(prediction.answer, item.answers), hit,
                      classify_miss(item, prediction.answer, hit, exact))


# ---- figures --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    """The figures of a set of items. Shares are in [0, 1]; None when the set has no item they apply
    to (e.g. recall without answerable items). Retrieval figures count answerable items only."""

    items: int
    answerable: int
    unanswerable: int
    exact: float
    f1: float
    exact_answerable: float | None
    f1_answerable: float | None
    exact_unanswerable: float | None
    f1_unanswerable: float | None
    declined_correctly: float | None  # share of unanswerable items declined
    wrongly_declined: float | None    # share of answerable items declined
    recall_at_1: float | None
    recall_at_3: float | None
    recall_at_5: float | None
    mrr: float | None
    latency_median: float
    latency_p95: float
    miss_retrieval: int
    miss_reader: int
    miss_abstention: int


def _recall(answerable: Sequence[ItemResult], k: int) -> float | None:
    return _mean([float(r.first_hit is not None and r.first_hit <= k) for r in answerable])


def figures(results: Sequence[ItemResult]) -> Figures:
    """The figures of a non-empty set of item results."""
    if not results:
        raise ValueError("figures of no results")
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    seconds = [r.prediction.seconds for r in results]
    misses = Counter(r.miss for r in results)
    recall = {k: _recall(answerable, k) for k in RECALL_AT}
    return Figures(
        items=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        exact=sum(r.exact for r in results) / len(results),
        f1=sum(r.f1 for r in results) / len(results),
        exact_answerable=_mean([r.exact for r in answerable]),
        f1_answerable=_mean([r.f1 for r in answerable]),
        exact_unanswerable=_mean([r.exact for r in unanswerable]),
        f1_unanswerable=_mean([r.f1 for r in unanswerable]),
        declined_correctly=_mean([float(r.declined) for r in unanswerable]),
        wrongly_declined=_mean([float(r.declined) for r in answerable]),
        recall_at_1=recall[1],
        recall_at_3=recall[3],
        recall_at_5=recall[5],
        mrr=_mean([1.0 / r.first_hit if r.first_hit else 0.0 for r in answerable]),
        latency_median=percentile(seconds, 50),
        latency_p95=percentile(seconds, 95),
        miss_retrieval=misses[Miss.RETRIEVAL],
        miss_reader=misses[Miss.READER],
        miss_abstention=misses[Miss.ABSTENTION],
    )


def group_figures(results: Sequence[ItemResult], name: str) -> dict[str, Figures]:
    """Figures per value of the optional field `name`, sorted by value; {} when no item has it.
    Items without the field are grouped under "(none)"."""
    if all(r.item.label(name) is None for r in results):
        return {}
    groups: dict[str, list[ItemResult]] = {}
    for result in results:
        label = result.item.label(name)
        groups.setdefault(UNLABELLED if label is None else label, []).append(result)
    return {label: figures(groups[label]) for label in sorted(groups)}


# ---- the no-answer threshold ----------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """The figures docqa would reach with `threshold` as its no-answer threshold."""

    threshold: float
    exact: float
    f1: float
    f1_answerable: float | None
    declined_correctly: float | None
    answered: float  # share of all items answered


def sweep(results: Sequence[ItemResult], thresholds: Sequence[float]) -> tuple[SweepPoint, ...]:
    """One point per threshold (in the order given), re-deciding every item from its candidate."""
    points = []
    for t in thresholds:
        given = [(r.item, r.prediction.answer_at(t)) for r in results]
        answerable = [(item, a) for item, a in given if item.answerable]
        unanswerable = [a for item, a in given if not item.answerable]
        points.append(SweepPoint(
            threshold=t,
            exact=sum(exact_match(a, item.answers) for item, a in given) / len(given),
            f1=sum(f1_score(a, item.answers) for item, a in given) / len(given),
            f1_answerable=_mean([f1_score(a, item.answers) for item, a in answerable]),
            declined_correctly=_mean([float(a is None) for a in unanswerable]),
            answered=sum(a is not None for _, a in given) / len(given),
        ))
    return tuple(points)


def best_threshold(points: Sequence[SweepPoint]) -> SweepPoint:
    """The point of highest F1. When neighbouring thresholds tie, the middle of the first run of
    tied points, so the choice sits away from the confidences where a decision flips."""
    if not points:
        raise ValueError("best threshold of no points")
    ordered = sorted(points, key=lambda p: p.threshold)
    top = max(p.f1 for p in ordered)
    first = next(i for i, p in enumerate(ordered) if math.isclose(p.f1, top, abs_tol=1e-12))
    last = first
    while last + 1 < len(ordered) and math.isclose(ordered[last + 1].f1, top, abs_tol=1e-12):
        last += 1
    return ordered[(first + last) // 2]


@dataclass(frozen=True)
class ReliabilityBin:
    """Candidates whose confidence lies in [low, high) (the last bin includes 1.0) and the share of
    them that is exactly right; a candidate for an unanswerable item is wrong."""

    low: float
    high: float
    items: int
    confidence: float | None
    accuracy: float | None


def reliability(results: Sequence[ItemResult], bins: int = RELIABILITY_BINS) -> tuple[ReliabilityBin, ...]:
    """How far confidence is a probability of being right: equal-width bins over [0, 1]."""
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [
            r for r in results
            if r.prediction.candidate is not None
            and (low <= r.prediction.confidence < high or (b == bins - 1 and r.prediction.confidence >= high))
        ]
        table.append(ReliabilityBin(
            low, high, len(members),
            _mean([r.prediction.confidence for r in members]),
            _mean([exact_match(r.prediction.candidate, r.item.answers) for r in members]),
        ))
    return tuple(table)


# ---- comparison with an earlier report ------------------------------------------------------------
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


def _figures_json(overall: Figures, groups: Mapping[str, Mapping[str, Figures]]) -> dict:
    return {
        "overall": asdict(overall),
        "groups": {name: {label: asdict(f) for label, f in by.items()} for name, by in groups.items()},
    }


def flat_figures(report: Mapping) -> dict[str, float | None]:
    """Every figure of a report.json as 'all.f1', 'style=paraphrase.f1', ...; numbers only."""
    flat: dict[str, float | None] = {}
    sections = [("all", report["overall"])] + [
        (f"{name}={label}", values)
        for name, by in report.get("groups", {}).items() for label, values in by.items()
    ]
    for prefix, values in sections:
        for key, value in values.items():
            if value is None or isinstance(value, (int, float)):
                flat[f"{prefix}.{key}"] = value
    return flat


@dataclass(frozen=True)
class PreviousReport:
    """The report.json of an earlier run, as read, and the folder it came from."""

    folder: str
    data: Mapping


def compare(report: Mapping, earlier_report: PreviousReport) -> Comparison:
    """The change of every figure the two report.json share, and the items that flipped between
    right and wrong (matched by id)."""
    previous = earlier_report.data
    now, before = flat_figures(report), flat_figures(previous)
    changes = tuple(Change(name, before[name], now[name]) for name in now if name in before)
    earlier = {r["id"]: r for r in previous["results"]}
    current = {r["id"]: r for r in report["results"]}
    flips = tuple(
        Flip(i, r["question"], earlier[i]["answer"], r["answer"], r["exact"] == 1.0)
        for i, r in current.items()
        if i in earlier and (r["exact"] == 1.0) != (earlier[i]["exact"] == 1.0)
    )
    return Comparison(
        previous=earlier_report.folder,
        previous_file=str(previous.get("file", "")),
        same_file=previous.get("file") == report.get("file"),
        changes=changes,
        flips=flips,
        only_before=tuple(i for i in earlier if i not in current),
        only_after=tuple(i for i in current if i not in earlier),
    )


def load_report(folder: Path) -> PreviousReport:
    """The report.json of an earlier `docqa eval` run; raises BadEvalFile when it is not one."""
    path = folder / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadEvalFile(
            f"No {REPORT_JSON} in {folder}/. Pass --compare with a folder written by an earlier `docqa eval`."
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadEvalFile(f"Cannot read {path} ({error}). Pass --compare with another report folder.") from None
    if not _looks_like_report(data):
        raise BadEvalFile(f"{path} is not a report written by `docqa eval`. Pass --compare with another folder.")
    return PreviousReport(str(folder), data)


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


# ---- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSettings:
    model: str
    reader: str
    top_k: int
    threshold: float
    calibration: str | None  # the calibration file the threshold may come from, when it exists
    index: Mapping[str, object]  # the index manifest


def run_settings(engine: Engine) -> RunSettings:
    settings = engine.settings
    path = settings.calibration_path
    return RunSettings(
        model=settings.model,
        reader=engine.reader.label,
        top_k=settings.top_k,
        threshold=engine.threshold,
        calibration=str(path) if settings.threshold is None and path.is_file() else None,
        index=asdict(read_manifest(settings.index)),
    )


@dataclass(frozen=True)
class Report:
    file: str
    created_at: str
    settings: RunSettings
    problems: tuple[Problem, ...]
    results: tuple[ItemResult, ...]
    overall: Figures
    groups: Mapping[str, Mapping[str, Figures]]  # field -> value -> figures
    sweep: tuple[SweepPoint, ...]
    best: SweepPoint
    reliability: tuple[ReliabilityBin, ...]
    comparison: Comparison | None
    records: tuple[Mapping, ...]  # the lines of predictions.jsonl, in item order

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
            "results": _results_json(self.results),
            "comparison": _comparison_json(self.comparison),
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


def _comparison_json(comparison: Comparison | None) -> dict | None:
    if comparison is None:
        return None
    data = asdict(comparison)
    data["changes"] = [{**asdict(c), "delta": c.delta} for c in comparison.changes]
    return data


def build_report(
    file: str,
    settings: RunSettings,
    problems: Sequence[Problem],
    results: Sequence[ItemResult],
    records: Sequence[Mapping],
    previous: PreviousReport | None,
    created_at: str,
) -> Report:
    """All figures of a run; `records` are the predictions.jsonl lines, `previous` an earlier
    report.json with its folder, to compare with."""
    overall = figures(results)
    groups = {name: by for name in GROUP_FIELDS if (by := group_figures(results, name))}
    points = sweep(results, sorted(set(SWEEP) | {settings.threshold}))
    comparison = None
    if previous is not None:
        current = {"file": file, **_figures_json(overall, groups), "results": _results_json(results)}
        comparison = compare(current, previous)
    return Report(file, created_at, settings, tuple(problems), tuple(results), overall, groups, points,
                  best_threshold(points), reliability(results), comparison, tuple(records))


# ---- the run: the one place that asks the engine --------------------------------------------------
def prediction_record(item: EvalItem, reply: Reply) -> dict:
    """One line of predictions.jsonl: `docqa ask --json`'s shape with the item's id first, plus what
    scoring needs (the candidate before the threshold, the time) and the item's own fields."""
    return {
        "id": item.id,
        **reply.to_dict(),
        "history": list(item.history),
        "expected": list(item.answers),
        "candidate": reply.candidate.text if reply.candidate else None,
        "seconds": round(reply.seconds, 4),
        "extra": dict(item.extra),
    }


def run(
    engine: Engine,
    file: Path,
    items: Sequence[EvalItem],
    problems: Sequence[Problem] = (),
    previous: PreviousReport | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Ask every item's question (as a follow-up to its history) in file order, score the replies
    and build the report; `progress(done, total)` after each question."""
    records, results = [], []
    for done, item in enumerate(items, start=1):
        reply = engine.ask(item.question, history=list(item.history))
        records.append(prediction_record(item, reply))
        results.append(score_item(item, Prediction.from_reply(reply)))
        if progress is not None:
            progress(done, len(items))
    created_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The absolute path, so that --compare recognises the same file however it was named.
    return build_report(str(file.resolve()), run_settings(engine), problems, results, records, previous, created_at)


# ---- writing --------------------------------------------------------------------------------------
def evaluation_folder(settings: Settings) -> Path:
    """evaluation/ next to the index folder: the dev set, reports, calibration and feedback live there."""
    return settings.calibration_path.parent


def default_file(settings: Settings) -> Path:
    return evaluation_folder(settings) / DEFAULT_FILE


def default_out(settings: Settings, now: datetime) -> Path:
    """evaluation/reports/<UTC timestamp>/, with -2, -3 ... when a run of the same second exists."""
    base = evaluation_folder(settings) / REPORTS / now.strftime("%Y%m%dT%H%M%SZ")
    folder, n = base, 2
    while folder.exists():
        folder, n = base.with_name(f"{base.name}-{n}"), n + 1
    return folder


def write_report(folder: Path, report: Report) -> None:
    """predictions.jsonl, report.json, report.md and the threshold chart, in `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / PREDICTIONS).open("w", encoding="utf-8") as out:
            for record in report.records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        (folder / REPORT_JSON).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
        (folder / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")
        draw_chart(report, folder / CHART)
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot write the report in {folder}/ ({error.strerror or error}). Pass --out with a writable folder."
        ) from None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def calibration_record(report: Report) -> dict:
    """What `--calibrate` stores; Settings.effective_threshold reads `threshold` from it."""
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


def write_calibration(path: Path, record: Mapping) -> None:
    """Replace the calibration file in one step, so a reader never sees half of it."""
    try:
        _write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot store the calibration in {path} ({error.strerror or error}). Make its folder writable, "
            "or pass --threshold to ask and serve instead."
        ) from None


# ---- formatting -----------------------------------------------------------------------------------
def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def _rows(report: Report) -> list[tuple[str, Figures]]:
    return [("all", report.overall)] + [
        (f"{name}={label}", f) for name, by in report.groups.items() for label, f in by.items()
    ]


def format_summary(report: Report, folder: Path) -> str:
    """The short table `docqa eval` prints."""
    o = report.overall
    lines = [
        f"docqa eval: {o.items} questions from {report.file} ({o.answerable} answerable, "
        f"{o.unanswerable} unanswerable)" + (f"; {_count(len(report.problems), 'malformed line')} skipped"
                                              if report.problems else ""),
        "",
        f"{'':<22}{'items':>6}{'EM':>8}{'F1':>8}",
        f"{'all':<22}{o.items:>6}{_num(o.exact):>8}{_num(o.f1):>8}",
        f"{'answerable':<22}{o.answerable:>6}{_num(o.exact_answerable):>8}{_num(o.f1_answerable):>8}",
        f"{'unanswerable':<22}{o.unanswerable:>6}{_num(o.exact_unanswerable):>8}{_num(o.f1_unanswerable):>8}",
    ]
    for label, f in report.groups.get("style", {}).items():
        lines.append(f"{'style=' + label:<22}{f.items:>6}{_num(f.exact):>8}{_num(f.f1):>8}")
    now = report.at_threshold()
    lines += [
        "",
        f"declined correctly {_num(o.declined_correctly)} of unanswerable; "
        f"wrongly declined {_num(o.wrongly_declined)} of answerable",
        f"retrieval (answerable): recall@1 {_num(o.recall_at_1)}  recall@3 {_num(o.recall_at_3)}  "
        f"recall@5 {_num(o.recall_at_5)}  MRR {_num(o.mrr)}",
        f"latency per question: median {o.latency_median:.3f} s, p95 {o.latency_p95:.3f} s",
        f"misses: {o.miss_retrieval} retrieval, {o.miss_reader} reader, {o.miss_abstention} abstention",
        f"no-answer threshold {now.threshold:.2f} (F1 {_num(now.f1)}); best on this file "
        f"{report.best.threshold:.2f} (F1 {_num(report.best.f1)})",
    ]
    c = report.comparison
    if c is not None:
        delta = {change.name: change.delta for change in c.changes}
        right = sum(f.now_right for f in c.flips)
        lines.append(
            f"compared with {c.previous}: EM {_signed(delta.get('all.exact'))}, F1 {_signed(delta.get('all.f1'))}; "
            f"{len(c.flips)} flipped ({right} now right, {len(c.flips) - right} now wrong)"
        )
    lines.append(f"report: {folder / REPORT_MD}")
    return "\n".join(lines)


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _answer_cell(answer: str | None) -> str:
    return "*declined*" if answer is None else _cell(answer)


def _expected_cell(answers: Sequence[str]) -> str:
    return "*not answerable*" if not answers else " / ".join(_cell(a) for a in answers)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render_markdown(report: Report) -> str:
    """report.md: figures, settings, threshold, misses with their reason, every question."""
    o, s = report.overall, report.settings
    rows = _rows(report)
    lines = [
        f"# docqa evaluation of {report.file}",
        "",
        f"Run at {report.created_at}: {o.items} questions, {o.answerable} answerable and {o.unanswerable} "
        "that the documents do not answer. Exact match (EM) and F1 use the official SQuAD v2.0 answer "
        "normalisation, best over the gold answers; an unanswerable question scores 1 when docqa declines.",
        "",
        "## Answers",
        "",
        *_table(
            ["items", "n", "EM", "F1", "EM answerable", "F1 answerable", "EM unanswerable",
             "declined correctly", "wrongly declined"],
            [[label, str(f.items), _num(f.exact), _num(f.f1), _num(f.exact_answerable), _num(f.f1_answerable),
              _num(f.exact_unanswerable), _num(f.declined_correctly), _num(f.wrongly_declined)]
             for label, f in rows],
        ),
        "",
        "*declined correctly*: share of unanswerable questions docqa declined; *wrongly declined*: share "
        "of answerable ones it declined.",
        "",
        "## Retrieval and latency",
        "",
        f"A passage is a hit when it contains a gold answer (both normalised); answerable questions only, "
        f"over the top {s.top_k} passages.",
        "",
        *_table(
            ["items", "answerable", "recall@1", "recall@3", "recall@5", "MRR", "median s", "p95 s",
             "misses: retrieval", "reader", "abstention"],
            [[label, str(f.answerable), _num(f.recall_at_1), _num(f.recall_at_3), _num(f.recall_at_5),
              _num(f.mrr), _num(f.latency_median), _num(f.latency_p95), str(f.miss_retrieval),
              str(f.miss_reader), str(f.miss_abstention)] for label, f in rows],
        ),
        "",
        "## Settings",
        "",
        f"- embedding model: {s.model}",
        f"- reader: {s.reader}",
        f"- top-k: {s.top_k}",
        f"- no-answer threshold: {s.threshold:.2f}"
        + (f" (from {s.calibration})" if s.calibration else ""),
        f"- index: {s.index.get('passages')} passages from {_count(len(s.index.get('documents', {})), 'document')}, "
        f"built {s.index.get('built_at')} with {s.index.get('model')}, split {s.index.get('split')}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in dict(s.index.get('versions', {})).items())}",
        "",
    ]
    lines += _threshold_section(report)
    lines += _misses_section(report)
    if report.comparison is not None:
        lines += _comparison_section(report.comparison)
    lines += _questions_section(report)
    if report.problems:
        lines += ["## Malformed lines (skipped)", "", *(f"- {p}" for p in report.problems), ""]
    return "\n".join(lines)


def _threshold_section(report: Report) -> list[str]:
    now, best = report.at_threshold(), report.best
    shown = sorted({round(i / 10, 1) for i in range(11)} | {now.threshold, best.threshold})
    by_threshold = {p.threshold: p for p in report.sweep}
    lines = [
        "## No-answer threshold",
        "",
        f"![EM and F1 against the no-answer threshold]({CHART})",
        "",
        f"docqa answers when its best candidate's confidence reaches the threshold, else it declines. "
        f"In use: {now.threshold:.2f} (F1 {_num(now.f1)}, EM {_num(now.exact)}). Best for F1 on this file: "
        f"{best.threshold:.2f} (F1 {_num(best.f1)}, EM {_num(best.exact)}). A threshold chosen on a file "
        "flatters the figures of that same file; `docqa eval --calibrate` stores it for `ask`, `serve` "
        "and later runs.",
        "",
        *_table(
            ["threshold", "EM", "F1", "F1 answerable", "declined correctly", "answered"],
            [[f"{t:.2f}" + (" (in use)" if t == now.threshold else "") + (" (best)" if t == best.threshold else ""),
              _num(p.exact), _num(p.f1), _num(p.f1_answerable), _num(p.declined_correctly), _num(p.answered)]
             for t in shown if (p := by_threshold.get(t)) is not None],
        ),
        "",
        "### Is the confidence a probability?",
        "",
        "Candidates by confidence, and the share exactly right (any answer to an unanswerable question is wrong).",
        "",
        *_table(
            ["confidence", "candidates", "mean confidence", "exactly right"],
            [[f"{b.low:.1f}–{b.high:.1f}", str(b.items), _num(b.confidence), _num(b.accuracy)]
             for b in report.reliability],
        ),
        "",
    ]
    return lines


def _misses_section(report: Report) -> list[str]:
    lines = [
        "## Misses",
        "",
        "- **retrieval**: answerable, and none of the retrieved passages holds a gold answer;",
        "- **reader**: a retrieved passage held it, and the words picked were wrong (F1 shows partial credit);",
        "- **abstention**: declined although answerable, or answered although the documents do not answer.",
        "",
    ]
    for kind in Miss:
        missed = [r for r in report.results if r.miss is kind]
        lines += [f"### {kind.value} ({len(missed)})", ""]
        if missed:
            lines += _table(
                ["id", "question", "expected", "given", "confidence", "F1", "first hit"],
                [[_cell(r.item.id), _cell(_asked(r.item)), _expected_cell(r.item.answers),
                  _answer_cell(r.prediction.answer) + (f" (candidate: {_cell(r.prediction.candidate)})"
                                                       if r.declined and r.prediction.candidate else ""),
                  _num(r.prediction.confidence, 2), _num(r.f1, 2), str(r.first_hit or "–")] for r in missed],
            )
            lines.append("")
    return lines


def _asked(item: EvalItem) -> str:
    return " → ".join([*item.history, item.question])


def _comparison_section(c: Comparison) -> list[str]:
    lines = ["## Compared with the previous run", "", f"Previous report: {c.previous} (on {c.previous_file})."]
    if not c.same_file:
        lines.append("It ran on another file: figures compare different questions.")
    if c.only_before or c.only_after:
        lines.append(f"{len(c.only_before)} questions only in the previous run, {len(c.only_after)} only in this one.")
    lines += [
        "",
        *_table(["figure", "before", "now", "change"],
                [[change.name, _num(change.before), _num(change.after), _signed(change.delta)]
                 for change in c.changes if change.before != change.after]),
        "",
        f"Unchanged figures are not listed. {len(c.flips)} questions flipped between right and wrong (exact match):",
        "",
    ]
    if c.flips:
        lines += _table(
            ["id", "question", "before", "now", "now"],
            [[_cell(f.id), _cell(f.question), _answer_cell(f.before), _answer_cell(f.after),
              "right" if f.now_right else "wrong"] for f in c.flips],
        )
        lines.append("")
    return lines


def _questions_section(report: Report) -> list[str]:
    labels = list(report.groups)
    return [
        "## Every question",
        "",
        *_table(
            ["id", *labels, "question", "expected", "given", "confidence", "EM", "F1", "first hit", "miss"],
            [[_cell(r.item.id), *(_cell(r.item.label(n) or "") for n in labels), _cell(_asked(r.item)),
              _expected_cell(r.item.answers), _answer_cell(r.prediction.answer), _num(r.prediction.confidence, 2),
              _num(r.exact, 0), _num(r.f1, 2), str(r.first_hit or "–"), r.miss.value if r.miss else ""]
             for r in report.results],
        ),
        "",
    ]


def draw_chart(report: Report, path: Path) -> None:
    """PNG: EM and F1 against the no-answer threshold, the threshold in use and the best one marked;
    below, how the candidates' confidences spread for right and wrong candidates."""
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
                label=f"threshold in use {report.settings.threshold:.2f}")
    top.plot([report.best.threshold], [report.best.f1], marker="o", color="tab:red", linestyle="none",
             label=f"best F1 {report.best.f1:.3f} at {report.best.threshold:.2f}")
    top.set_ylim(0, 1.02)
    top.set_ylabel("score")
    top.set_title(f"docqa on {Path(report.file).name}: {report.overall.items} questions")
    top.legend(loc="best", fontsize=8)
    top.grid(alpha=0.3)
    right = [r.prediction.confidence for r in report.results
             if r.prediction.candidate is not None and exact_match(r.prediction.candidate, r.item.answers) == 1.0]
    wrong = [r.prediction.confidence for r in report.results
             if r.prediction.candidate is not None and exact_match(r.prediction.candidate, r.item.answers) == 0.0]
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
