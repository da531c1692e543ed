"""Validation of a reader with the paragraph given (not a test): SQuAD-style EM/F1 on the held-out
articles `docqa train-reader` never trains on, and how many generated unanswerable questions it declines.

    .venv/bin/python benchmarks/validate_reader.py --squad ../shared/data/squad-v1.1-train.json.gz \
        [--nq ../shared/data/nq-qed-train.jsonl.gz] [--reader DIR ...] [--threshold T] [--limit N]

Each reader (a folder with model.onnx, or a Hugging Face folder; default: the shipped one) reads each
question with its own paragraph as the only passage. Answerable: exact match and F1 of the best span
(the SQuAD v1.1 protocol), and the share it would decline at the threshold. Unanswerable: the held-out
questions made unanswerable in each of docqa.train.unanswerable's kinds, and the share declined, in all and
by kind. Readers are run one after the other on the same examples, with the time per question.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from docqa.evaluation.metrics import exact_match, f1_score
from docqa.read.factory import TRAINED_FOLDER
from docqa.read.trained import NeuralReader
from docqa.train.data import Example, load_nq, load_squad, split_by_group
from docqa.train.unanswerable import negatives
from docqa.train.validation import mean
from docqa.types import Hit, Passage


def hit_of(example: Example) -> list[Hit]:
    return [Hit(Passage("p", example.group, 0, len(example.context), example.context), 1.0, 1.0, 1.0)]


def score(reader: NeuralReader, examples: list[Example], threshold: float) -> dict:
    exact, f1, declined_ok, declined_bad, seconds = [], [], [], [], []
    by_kind: dict[str, list[bool]] = {}
    for example in examples:
        started = time.perf_counter()
        answer = reader.read(example.question, hit_of(example))
        seconds.append(time.perf_counter() - started)
        confident = answer is not None and answer.confidence >= threshold
        if example.answerable:
            text = answer.text if answer is not None else None
            exact.append(exact_match(text, [example.answer_text]))
            f1.append(f1_score(text, [example.answer_text]))
            declined_bad.append(not confident)
        else:
            declined_ok.append(not confident)
            by_kind.setdefault(example.source, []).append(not confident)
    def share(values: list) -> float | None:
        return round(mean(values), 4) if values else None

    return {"exact": share(exact), "f1": share(f1), "answerable": len(exact),
            "answerable_declined": share(declined_bad), "unanswerable": len(declined_ok),
            "unanswerable_declined": share(declined_ok),
            **({"declined_by_kind": {kind: share(v) for kind, v in sorted(by_kind.items())}} if by_kind else {}),
            "median_ms": round(1000 * statistics.median(seconds), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--nq", type=Path, default=None)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--titles", type=int, default=150)
    parser.add_argument("--reader", action="append", default=[], help="reader folder (repeatable)")
    parser.add_argument("--threshold", type=float, default=None, help="default: each reader's own")
    parser.add_argument("--limit", type=int, default=None, help="at most this many answerable questions per set")
    args = parser.parse_args()
    sets = {"squad": split_by_group(load_squad(args.squad), args.articles)[1]}
    if args.nq:
        sets["nq"] = split_by_group(load_nq(args.nq), args.titles)[1]
    sets["squad negatives"] = negatives(sets["squad"], fraction=0.5, seed=7)
    if args.limit:
        sets = {name: examples[: args.limit] for name, examples in sets.items()}
    for folder in args.reader or [str(TRAINED_FOLDER)]:
        reader = NeuralReader(folder)
        threshold = reader.default_threshold if args.threshold is None else args.threshold
        for name, examples in sets.items():
            print(f"{folder} [{name}] threshold {threshold}: {score(reader, examples, threshold)}", flush=True)


if __name__ == "__main__":
    main()
