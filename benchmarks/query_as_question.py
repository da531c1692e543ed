"""What reading a keyword query a second time as a question costs (not a test): each question of an
evaluation file asked through the engine twice, once as docqa answers it and once with the second
reading switched off (every query taken for a question, `docqa.read.trained.query_kind`), the order
alternating from one question to the next, in one process, so that both see the same machine.

    .venv/bin/python benchmarks/query_as_question.py /tmp/nq-heldout/qa.jsonl --corpus /tmp/nq-heldout/corpus \
        --index /tmp/nq-heldout/index [--rounds 2]

Prints the median time of each and the median of the per-question ratios. Questions that are not
keyword queries read once either way (their ratio is about 1).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from docqa.engine import Engine
from docqa.read import trained
from docqa.settings import Settings
from docqa.text import query_kind


def never_keywords(question: str) -> str:
    """`query_kind` that takes every query for a question: the second reading switched off."""
    return "question"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    engine = Engine(Settings(corpus=args.corpus, index=args.index), warm=True)
    engine.wait_until_warm()
    questions = [json.loads(line)["question"] for line in args.file.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    twice: list[float] = []
    once: list[float] = []
    for n, question in enumerate(questions * args.rounds):
        for second in ((True, False) if n % 2 else (False, True)):
            trained.query_kind = query_kind if second else never_keywords
            start = time.perf_counter()
            engine.ask(question)
            (twice if second else once).append(time.perf_counter() - start)
    trained.query_kind = query_kind
    print(f"{len(once)} questions: median {statistics.median(twice) * 1000:.1f} ms read as docqa reads them, "
          f"{statistics.median(once) * 1000:.1f} ms read once; median ratio "
          f"{statistics.median(a / b for a, b in zip(twice, once)):.2f}")


if __name__ == "__main__":
    main()
