"""Fit the bar of keyword queries and the off-topic gate together on training titles (not a test; issue #32, item 1).

Natural Questions training titles (never the last --held-out-titles, which `docqa train-reader` validates
on and benchmarks/heldout_corpus.py makes a corpus of) become a user's corpus: --titles drawn, of which
--absent are left out, their queries unanswerable (questions about something the documents do not cover).
Every keyword query (text.query_kind) is retrieved and read once as docqa does, without the gate; its
closest passage's similarity, its span's plain confidence (the margin over the null score that
read/trained.py QUERY_BAR judges) and its candidate's F1 are kept, and every pair of the grid is scored on
them: the file's F1 (an unanswerable query scores 1 when declined), answerable F1, and the shares declined.

    .venv/bin/python benchmarks/fit_query_gate.py --nq ../shared/data/nq-qed-train.jsonl.gz --out /tmp/nqtrain \\
        [--check /tmp/nq-absent/qa.jsonl --corpus /tmp/nq-absent/corpus --index /tmp/nq-absent/index]

`--check` (repeatable, with its --corpus and --index) scores the shipped pair and the fitted one on other
files, to see the fit hold where it was not made. Write the output outside the repository: the data's
licence travels with it.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heldout_corpus import write

from docqa.engine import Engine
from docqa.evaluation.items import load_eval_file
from docqa.evaluation.metrics import f1_score
from docqa.index.search import OFF_TOPIC
from docqa.read.trained import QUERY_BAR
from docqa.settings import Settings
from docqa.text import query_kind
from docqa.train.data import load_nq, split_by_group

BARS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
GATES = (0.0, 0.3, 0.35, 0.4, 0.425, 0.45, 0.475, 0.5, 0.55)


@dataclass(frozen=True)
class Read:
    answerable: bool
    closest: float
    margin: float | None  # a span answer's margin over its null score; None for a sentence answer
    answers: bool  # a sentence answer reaches the threshold (a span's is decided by the bar)
    f1: float


def readings(engine: Engine, file: Path) -> list[Read]:
    """Each keyword query of `file` retrieved and read as `engine` would, the gate aside."""
    reader = engine.reader
    margins: list[float] = []
    plain = reader.query_confidence

    def recording(choice):  # the span's margin, which the bar judges
        margins.append(choice.span.score - choice.null)
        return plain(choice)

    reader.query_confidence = recording
    items, _ = load_eval_file(file)
    out = []
    for item in items:
        if query_kind(item.question) != "keywords":
            continue
        hits = engine.retrieve(item.question)
        margins.clear()
        answer = reader.read(item.question, hits) if hits else None
        out.append(Read(bool(item.answers), max((h.dense for h in hits), default=0.0), margins[-1] if margins else None,
                        answer is not None and answer.confidence >= engine.threshold,
                        f1_score(answer.text, item.answers) if answer is not None and item.answers else 0.0))
    return out


def scores(reads: list[Read], bar: float, gate: float) -> tuple[float, float, float, float]:
    """(the file's F1, answerable F1, answerable declined, unanswerable declined) at `bar` and `gate`."""
    def answered(r: Read) -> bool:
        if r.closest < gate:
            return False
        return r.answers if r.margin is None else r.margin >= math.log(bar / (1.0 - bar))

    answerable = [r for r in reads if r.answerable]
    unanswerable = [r for r in reads if not r.answerable]
    right = sum(r.f1 for r in answerable if answered(r))
    declined = sum(not answered(r) for r in unanswerable)
    return ((right + declined) / max(1, len(reads)), right / max(1, len(answerable)),
            sum(not answered(r) for r in answerable) / max(1, len(answerable)),
            declined / len(unanswerable) if unanswerable else float("nan"))


def line(name: str, values: tuple[float, float, float, float]) -> str:
    f1, answerable, declined, off = values
    return f"{name}: F1 {f1:.4f}, answerable F1 {answerable:.3f}, answerable declined {declined:.3f}, " \
           f"unanswerable declined {off:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nq", type=Path, required=True)
    parser.add_argument("--titles", type=int, default=400, help="NQ training titles drawn")
    parser.add_argument("--absent", type=int, default=100, help="of them left out of the corpus")
    parser.add_argument("--held-out-titles", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check", type=Path, action="append", default=[])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--index", type=Path, action="append", default=[])
    args = parser.parse_args()

    if not (args.out / "qa.jsonl").exists():
        training, _ = split_by_group(load_nq(args.nq), args.held_out_titles)
        groups = sorted({e.group for e in training})
        chosen = set(random.Random(args.seed).sample(groups, min(args.titles, len(groups))))
        write([e for e in training if e.group in chosen], args.out, None, absent=args.absent)
    engine = Engine(Settings(corpus=args.out / "corpus", index=args.out / "index"))
    fit = readings(engine, args.out / "qa.jsonl")
    grid = sorted(((scores(fit, bar, gate), bar, gate) for bar in BARS for gate in GATES), reverse=True)
    print(f"{args.out / 'qa.jsonl'}: {sum(r.answerable for r in fit)} answerable keyword queries, "
          f"{sum(not r.answerable for r in fit)} of left-out titles")
    for values, bar, gate in grid[:10]:
        print(line(f"  bar {bar}, gate {gate}", values))
    print(line(f"  shipped: bar {QUERY_BAR}, gate {OFF_TOPIC}", scores(fit, QUERY_BAR, OFF_TOPIC)))
    print(line("  no gate, bar 0.995", scores(fit, 0.995, 0.0)))
    best = grid[0][1:]
    for file, corpus, index in zip(args.check, args.corpus, args.index):
        reads = readings(Engine(Settings(corpus=corpus, index=index)), file)
        print(f"{file}: {len(reads)} keyword queries")
        print(line(f"  fitted: bar {best[0]}, gate {best[1]}", scores(reads, *best)))
        print(line(f"  shipped: bar {QUERY_BAR}, gate {OFF_TOPIC}", scores(reads, QUERY_BAR, OFF_TOPIC)))
        print(line("  no gate, bar 0.995", scores(reads, 0.995, 0.0)))


if __name__ == "__main__":
    main()
