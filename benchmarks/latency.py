"""Benchmark of answering (not a test): time per question with the models loaded and the index's
sentences prepared, as in the chat, for the questions of an evaluation file.

    .venv/bin/python benchmarks/latency.py [FILE] [--corpus DIR] [--index DIR] [--rounds 3]

Prints the median and p95 per round and over all rounds, and where the median question spends its
time: the embedding model's forward pass, retrieval (that forward pass included), the reader, and the
rest. `--reader` picks the reader (default: the trained one; `rules` for the rule-based one). To compare two
versions side by side, run it alternately with each version's `src` first on PYTHONPATH:

    for i in 1 2 3; do PYTHONPATH=old/src python benchmarks/latency.py --rounds 1; \
                       PYTHONPATH=src python benchmarks/latency.py --rounds 1; done
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from docqa.engine import Engine
from docqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT / "evaluation" / "qa.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reader", default=None)
    args = parser.parse_args()

    engine = Engine(Settings(corpus=args.corpus, index=args.index, reader=args.reader), warm=True)
    engine.wait_until_warm()
    items = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    spent: dict[str, float] = {}

    def timed(owner: object, name: str, key: str) -> None:
        inner = getattr(owner, name)

        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return inner(*a, **k)
            finally:
                spent[key] = spent.get(key, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(engine.embedder, "_forward", "forward")
    timed(engine, "retrieve", "retrieve")
    timed(engine.reader, "read", "read")
    everything: list[float] = []
    parts: dict[str, list[float]] = {"forward": [], "retrieve": [], "read": []}
    for round_ in range(args.rounds):
        times = []
        for number, item in enumerate(items):
            spent.clear()
            # each round asks a new question text, so that no answer comes from a cache
            question = item["question"] if round_ == 0 else f"{item['question']} {'.' * round_}"
            started = time.perf_counter()
            engine.ask(question, item.get("history", []))
            times.append(time.perf_counter() - started)
            for key in parts:
                parts[key].append(spent.get(key, 0.0))
        everything += times
        print(f"round {round_ + 1}: {len(times)} questions, median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {sorted(times)[int(0.95 * (len(times) - 1))] * 1000:.1f} ms")
    median = statistics.median(everything)
    forward, retrieve, read = (statistics.median(parts[key]) for key in ("forward", "retrieve", "read"))
    print(f"all rounds: median {median * 1000:.1f} ms; of a median question: embedding forward "
          f"{forward * 1000:.1f} ms, retrieval in all {retrieve * 1000:.1f} ms, reader {read * 1000:.1f} ms, "
          f"the rest {max(0.0, median - retrieve - read) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
