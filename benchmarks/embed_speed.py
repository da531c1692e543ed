"""Benchmark of embedding passages (not a test): passages/s of sentence-transformers with torch (fp32, and
bf16 autocast as `--precision bf16` builds run it) and of the ONNX export at several batch sizes, side by
side on the same texts, alternating, with the smallest cosine of each against the torch fp32 vectors.

    .venv/bin/python benchmarks/embed_speed.py [--index DIR] [--passages 512] [--rounds 2]

The texts are the first --passages passages of a built index (default: index/; a larger one, such as
the held-out SQuAD corpus of benchmarks/heldout_corpus.py, gives longer, more varied passages).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from docqa.embed import embedder as embed
from docqa.embed.embedder import Embedder
from docqa.index.store import load_index

BATCHES = (64, 16, 8, 4, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = [p.search_text for p in load_index(args.index).passages[: args.passages]]
    onnx, torch_model, bf16 = Embedder(precision="fp32"), Embedder(fast=False, precision="fp32"), Embedder(precision="bf16")
    bf16.prepare(len(texts))
    rates: dict[str, list[float]] = {}
    reference = torch_model.encode(texts)
    for round_ in range(args.rounds):
        for name in ["torch", "torch bf16", *(f"onnx batch {b}" for b in BATCHES)]:
            if name.startswith("torch"):
                started = time.perf_counter()
                vectors = (bf16 if name == "torch bf16" else torch_model).encode(texts)
            else:
                embed.ONNX_BATCH_TEXTS = int(name.split()[-1])
                started = time.perf_counter()
                vectors = onnx.encode(texts)
            rate = len(texts) / (time.perf_counter() - started)
            rates.setdefault(name, []).append(rate)
            print(f"round {round_ + 1} {name:14} {rate:6.1f} passages/s, smallest cosine against torch "
                  f"{float((reference * vectors).sum(axis=1).min()):.6f}", flush=True)
    print(f"{len(texts)} passages; medians: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in rates.items()))


if __name__ == "__main__":
    main()
