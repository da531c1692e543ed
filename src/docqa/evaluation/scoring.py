"""One evaluation item and the engine's reply -> its score, why it missed, and the figures of a set
of items: answers, retrieval, latency, the no-answer threshold swept over [0, 1], reliability.

Pure functions over literal data; nothing here asks the engine or writes a file (evaluate.py does).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import Enum

from docqa.evaluation.items import AnswerKind, EvalItem
from docqa.evaluation.metrics import (
    exact_match,
    f1_score,
    first_hit,
    percentile,
    sentence_match,
)
from docqa.read.form import question_form
from docqa.text import query_kind

RECALL_AT = (1, 3, 5)
# Optional item fields that split every figure: `split` keeps questions set aside from tuning (dev,
# untuned) apart; our targets are set separately for paraphrases; `form` is the question's form (yes-no,
# how, why, what-happens, definition, list, factoid: read/form.py's names).
GROUP_FIELDS = ("split", "style", "type", "form")
UNLABELLED = "(none)"
# The no-answer threshold is swept in steps of 0.01 over [0, 1], and of 0.001 above 0.99, where a trained
# reader's confidences and its own threshold lie (the shipped one's is 0.995); the threshold in use is added.
SWEEP = tuple(sorted({i / 100 for i in range(101)} | {round(0.99 + i / 1000, 3) for i in range(1, 10)}))
RELIABILITY_BINS = 5


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# ---- one item's outcome ---------------------------------------------------------------------------
class Miss(str, Enum):
    RETRIEVAL = "retrieval"    # answerable, and no retrieved passage holds a gold answer
    READER = "reader"          # a passage held it, and the words picked were wrong
    ABSTENTION = "abstention"  # declined although answerable, or answered although unanswerable


@dataclass(frozen=True)
class Prediction:
    """What the engine said about one item, as one line of predictions.jsonl: `docqa ask --json`'s
    reply (answer after the threshold, confidence rounded for display, source, quote, retrieved
    passages) with the item's id first, plus the best candidate whatever its confidence, the seconds
    taken, and the item's own fields. The line is the one record of the prediction, and the
    properties read it; `confidence` alone is kept unrounded beside it, since it decided the answer
    and re-decides it in the threshold sweep."""

    record: Mapping
    confidence: float

    @classmethod
    def from_reply(cls, item: EvalItem, reply: Mapping, candidate: str | None, confidence: float,
                   seconds: float) -> "Prediction":
        """From `reply`, a Reply's to_dict(), and the reply's own candidate, confidence and time."""
        return cls({
            "id": item.id,
            **reply,
            "history": list(item.history),
            "expected": list(item.answers),
            "candidate": candidate,
            "seconds": round(seconds, 4),
            "extra": dict(item.extra),
        }, confidence)

    @property
    def answer(self) -> str | None:
        return self.record["answer"]

    @property
    def candidate(self) -> str | None:
        return self.record["candidate"]

    @property
    def passages(self) -> tuple[str, ...]:
        """The retrieved passages' texts, in rank order."""
        return tuple(p["text"] for p in self.record["passages"])

    @property
    def seconds(self) -> float:
        return self.record["seconds"]

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
    candidate_exact: float | None  # the candidate's exact match whatever its confidence; None without one

    @property
    def declined(self) -> bool:
        return self.prediction.answer is None

    @property
    def correct(self) -> bool:
        return self.exact == 1.0


def classify_miss(item: EvalItem, answer: str | None, hit: int | None, exact: float,
                  candidate_exact: float | None = None) -> Miss | None:
    """Why an item is not exactly right; the missing passage comes first, as the reader never saw it.
    A declined candidate that was exactly right was read from a retrieved passage, so its miss is
    the decline's (the threshold's, or the check on unstated names') even where the hit test finds
    the answer in no passage (the words of a gold answer can stand in a passage in a form that test
    does not match)."""
    if exact == 1.0:
        return None
    if not item.answerable:
        return Miss.ABSTENTION
    if answer is None and candidate_exact == 1.0:
        return Miss.ABSTENTION
    if hit is None:
        return Miss.RETRIEVAL
    return Miss.ABSTENTION if answer is None else Miss.READER


def right(item: EvalItem, answer: str | None) -> float:
    """1.0 when `answer` is right for the item: its exact match for a span item, sentence_match (with
    the item's keys) for a sentence item."""
    if item.kind is AnswerKind.SENTENCE:
        return sentence_match(answer, item.answers, item.keys)
    return exact_match(answer, item.answers)


def score_item(item: EvalItem, prediction: Prediction) -> ItemResult:
    """The item's score: `exact` is `right` (exact match, or a sentence item's match), F1 the token F1."""
    exact = right(item, prediction.answer)
    hit = first_hit(prediction.passages, item.answers) if item.answerable else None
    candidate = prediction.candidate
    candidate_exact = None if candidate is None else right(item, candidate)
    return ItemResult(item, prediction, exact, f1_score(prediction.answer, item.answers), hit,
                      classify_miss(item, prediction.answer, hit, exact, candidate_exact), candidate_exact)


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
    recall: Mapping[int, float | None]  # k -> share of answerable items with a hit in the top k (RECALL_AT)
    mrr: float | None
    latency_median: float
    latency_p95: float
    miss_retrieval: int
    miss_reader: int
    miss_abstention: int

    def to_json(self) -> dict:
        """The figures as report.json holds them: recall as recall_at_1, recall_at_3, ..."""
        data: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "recall":
                data.update({f"recall_at_{k}": v for k, v in value.items()})
            else:
                data[f.name] = value
        return data


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
        recall={k: _recall(answerable, k) for k in RECALL_AT},
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
            exact=sum(right(item, a) for item, a in given) / len(given),
            f1=sum(f1_score(a, item.answers) for item, a in given) / len(given),
            f1_answerable=_mean([f1_score(a, item.answers) for item, a in answerable]),
            declined_correctly=_mean([float(a is None) for a in unanswerable]),
            answered=sum(a is not None for _, a in given) / len(given),
        ))
    return tuple(points)


def best_threshold(points: Sequence[SweepPoint], in_use: float | None = None) -> SweepPoint:
    """The point of highest F1. The threshold `in_use` where it ties for the highest (a file that
    cannot tell thresholds apart moves nothing); else, when neighbouring thresholds tie, the middle of
    the first run of tied points, so the choice sits away from the confidences where a decision flips."""
    if not points:
        raise ValueError("best threshold of no points")
    ordered = sorted(points, key=lambda p: p.threshold)
    top = max(p.f1 for p in ordered)
    kept = next((p for p in ordered if p.threshold == in_use and math.isclose(p.f1, top, abs_tol=1e-12)), None)
    if kept is not None:
        return kept
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


def question_kind(question: str) -> str:
    """The kind of question as docqa reads it, whatever the file says: "keywords" for a search-box query
    (text.query_kind), else its form (read.form.question_form: factoid, yes-no, how, ...)."""
    return "keywords" if query_kind(question) == "keywords" else question_form(question).value


def reliability_by_kind(results: Sequence[ItemResult],
                        bins: int = RELIABILITY_BINS) -> dict[str, tuple[ReliabilityBin, ...]]:
    """`reliability` per kind of question (`question_kind`), kinds in the order first met: whether a
    confidence means the same on keyword queries, factoids and sentence forms."""
    kinds: dict[str, list[ItemResult]] = {}
    for r in results:
        kinds.setdefault(question_kind(r.item.question), []).append(r)
    return {kind: reliability(members, bins) for kind, members in kinds.items()}


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
            _mean([r.candidate_exact for r in members]),
        ))
    return tuple(table)
