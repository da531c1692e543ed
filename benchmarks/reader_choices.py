"""How the trained reader should pick among the retrieved passages (not a test): reads each question's
top 10 passages once, keeps every window's best span and null score, then scores rules of choice on
those numbers without reading again. EM at the no-answer threshold, the unstated-names decline
included, as `docqa eval` counts it (follow-up items left out).

    .venv/bin/python benchmarks/reader_choices.py FILE --corpus DIR --index DIR [FILE --corpus ... ]

Rules: the highest span score (`span score`); the span score less w per place in the retrieval
(`rank w`); the widest margin over the window's own null (`surest`, what `span.choose` does);
`surest` over the top k passages; `surest` at other thresholds. Each file is also split into
even and odd items, so that a rule can be chosen on one half and checked on the other. Last, reading
stopped early: the passages read in rank order until the surest span so far is `stop` sure, with
the passages that costs on average (the reader reads each window alone, so a passage's spans do not
depend on the passages read beside it and these figures are what such a reader would give).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docqa.engine import Engine, unstated_terms
from docqa.evaluation.items import load_eval_file
from docqa.evaluation.metrics import exact_match
from docqa.read.decode import span_confidence, window_result
from docqa.read.question import acronym_asked
from docqa.read.trained import NeuralReader, answer_form
from docqa.settings import Settings
from docqa.types import Answer

TOP = 10


@dataclass(frozen=True)
class Candidate:
    """One window's best span: the passage's place in the retrieval, its scores, and whether its
    passage states the question's names and numbers."""

    rank: int
    text: str
    score: float
    null: float
    stated: bool


@dataclass(frozen=True)
class Item:
    answers: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    passages: int  # how many passages were read (the retrieval may give fewer than TOP)
    acronym: bool  # the question asks what an acronym stands for: the reader never stops early


def read_file(path: Path, corpus: Path, index: Path) -> list[Item]:
    engine = Engine(Settings(corpus=corpus, index=index))
    reader = engine.reader
    if not isinstance(reader, NeuralReader):
        raise SystemExit("the trained reader is needed")
    items = []
    for item in load_eval_file(path)[0]:
        if item.history:
            continue
        hits = engine.retrieve(item.question, TOP)
        texts = [hit.passage.text for hit in hits]
        fits = answer_form(item.question)  # as NeuralReader.read takes spans
        encoded = reader.encode(item.question, texts)
        starts, ends = reader.logits(encoded.inputs)
        candidates = []
        for k, window in enumerate(encoded.windows):
            result = window_result(window, starts[k], ends[k], texts[window.passage], reader.max_answer_tokens, fits)
            if result.span is None:
                continue
            p = hits[window.passage].passage
            a, b = result.span.char_start, result.span.char_end
            answer = Answer(p.text[a:b], p.document, p.start + a, p.start + b, 1.0, p.text, p.start, p.end, p.section)
            candidates.append(Candidate(window.passage, answer.text, result.span.score, result.null,
                                        not unstated_terms(item.question, answer)))
        items.append(Item(item.answers, tuple(candidates), len(texts), acronym_asked(item.question) is not None))
    return items


THRESHOLD = 0.99  # the shipped reader's, from its card


def surest(candidate: Candidate) -> float:
    """The margin of a span over its window's null, as `decode.choose` ranks them."""
    return candidate.score - candidate.null


def _right(item: Item, best: Candidate | None, threshold: float) -> bool:
    answered = best is not None and best.stated and span_confidence(best.score, best.null) >= threshold
    if not item.answers:
        return not answered
    return bool(answered and exact_match(best.text, list(item.answers)))


def exact(items: list[Item], key: Callable[[Candidate], float], top: int = 5, threshold: float = THRESHOLD) -> float:
    right = 0
    for item in items:
        pool = [c for c in item.candidates if c.rank < top]
        best = max(pool, key=key, default=None)  # max keeps the first of equals: the earlier window
        right += _right(item, best, threshold)
    return right / len(items)


def read_until_sure(items: list[Item], stop: float, top: int = 5, threshold: float = THRESHOLD) -> tuple[float, float]:
    """(EM, mean passages read) when the passages are read in rank order and reading stops at the first
    passage after which the surest span so far has a confidence of at least `stop`, as
    `NeuralReader.read` does (never for a question asking what an acronym stands for)."""
    right = read = 0
    for item in items:
        best = None
        for rank in range(min(top, item.passages)):
            read += 1
            best = max((c for c in item.candidates if c.rank <= rank), key=surest, default=None)
            if not item.acronym and best is not None and span_confidence(best.score, best.null) >= stop:
                break
        right += _right(item, best, threshold)
    return right / len(items), read / len(items)


RULES: dict[str, Callable[[list[Item]], float]] = {
    "span score": lambda items: exact(items, lambda c: c.score),
    **{f"rank {w}": (lambda items, w=w: exact(items, lambda c: c.score - w * c.rank)) for w in (0.5, 0.75, 1, 2)},
    "surest": lambda items: exact(items, surest),
    **{f"surest, top {k}": (lambda items, k=k: exact(items, surest, top=k)) for k in (3, 10)},
    **{f"surest at {t}": (lambda items, t=t: exact(items, surest, threshold=t)) for t in (0.9, 0.98)},
}


STOPS = (0.99, 0.999, 0.9999, 0.99999)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="+")
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--index", type=Path, action="append", required=True)
    args = parser.parse_args()
    if not len(args.file) == len(args.corpus) == len(args.index):
        raise SystemExit("give one --corpus and one --index per file")
    for path, corpus, index in zip(args.file, args.corpus, args.index):
        items = read_file(path, corpus, index)
        print(f"{path}: {len(items)} items", flush=True)
        for name, part in (("all", items), ("even half", items[0::2]), ("odd half", items[1::2])):
            print(f"  {name}: " + ", ".join(f"{rule} {score(part):.3f}" for rule, score in RULES.items()), flush=True)
        for stop in STOPS:
            em, read = read_until_sure(items, stop)
            print(f"  read in rank order until a span is {stop} sure: EM {em:.3f}, {read:.2f} passages read", flush=True)


if __name__ == "__main__":
    main()
