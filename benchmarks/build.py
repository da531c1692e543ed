"""Benchmark of `docqa index` (not a test): where a full build spends its time, and what an
incremental build costs after one document changes.

    .venv/bin/python benchmarks/build.py [--documents 1000] [--full-runs 2] [--incremental-runs 5]

The corpus is generated as `docqa bench` generates it (docqa.bench.write_corpus): each document has
three paragraphs of sentences drawn (seeded) from the text this machine has (the default corpus, the
licence texts in /usr/share/common-licenses, README and copyright files under /usr/share/doc), so that
its passages are unique, as in a real corpus.

(a) Full build, in process, with the model already loaded: total seconds against the embedding
    model alone on the same passage texts (target: embedding >= 85% of the build), and that model
    (the ONNX export docqa embeds with) against the torch sentence-transformers model, side by side
    on the same texts, in passages/s, with the largest difference between their vectors.
(b) Incremental build after changing one document (target: <= 5% of the full build), in process
    and as the `docqa index` command, whose fixed cost (starting Python, importing torch and
    sentence-transformers, loading the model) is measured apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from docqa.bench.run import Recording, sentence_pool, text_sources, write_corpus
from docqa.embed.embedder import Embedder
from docqa.index.build import build_index
from docqa.index.shards import passages_of
from docqa.index.store import load_index, write_index
from docqa.ingest.corpus import load_document, scan_corpus
from docqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def phases(settings: Settings) -> dict[str, float]:
    """Seconds of each step of a full build other than embedding, run on their own."""
    scan_seconds, scan = timed(lambda: scan_corpus(settings.corpus))
    read_seconds, documents = timed(lambda: [load_document(settings.corpus / p, settings.corpus) for p in scan.hashes])
    split_seconds, passages = timed(lambda: [p for d in documents for p in passages_of(d, settings)])
    index = load_index(settings.index)
    vectors = index.vectors_of(list(range(len(index.passages))))
    out = settings.index.parent / "phase-index"
    write_seconds, _ = timed(lambda: write_index(out, settings.model, settings.split, scan.hashes, passages,
                                                 vectors, 0.0))
    load_seconds, _ = timed(lambda: load_index(settings.index))
    return {"hash files": scan_seconds, "read + clean": read_seconds, "split (pysbd)": split_seconds,
            "write index": write_seconds, "load previous index": load_seconds}


def docqa_index(settings: Settings, *options: str) -> float:
    command = [str(VENV_BIN / "docqa"), "index", "--corpus", str(settings.corpus), "--index", str(settings.index),
               *options]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    seconds, result = timed(lambda: subprocess.run(command, env=env, capture_output=True, text=True))
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return seconds


def change_one(settings: Settings, run: int) -> None:
    path = settings.corpus / "doc00500.txt"
    if not path.exists():
        path = sorted(settings.corpus.iterdir())[len(list(settings.corpus.iterdir())) // 2]
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"\nThis document was edited for run {run} of the benchmark.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--full-runs", type=int, default=2)
    parser.add_argument("--incremental-runs", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="skip the `docqa index` subprocess timings")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="docqa-bench-") as work:
        root = Path(work)
        settings = Settings(corpus=root / "corpus", index=root / "index")
        write_corpus(settings.corpus, args.documents, sentence_pool(text_sources(ROOT / "corpus")))
        print(f"corpus: {args.documents} generated documents, "
              f"{sum(len(p.read_text().split()) for p in settings.corpus.iterdir()):,} words; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        load_seconds, embedder = timed(Embedder)
        print(f"model load: {load_seconds:.2f} s (in process, not part of the builds below)")

        print("\n(a) full build against the embedding model alone on the same passages")
        builds, inside, alone, torch_alone = [], [], [], []
        for run in range(args.full_runs):
            recording = Recording(embedder)
            report = build_index(settings, recording, full=True)
            alone_seconds, vectors = timed(lambda: embedder.encode(recording.texts))
            torch_seconds, reference = timed(lambda: embedder.model.encode(
                recording.texts, batch_size=embedder.batch_size, normalize_embeddings=True, convert_to_numpy=True))
            builds.append(report.seconds)
            inside.append(report.embed_seconds)
            alone.append(alone_seconds)
            torch_alone.append(torch_seconds)
            n = report.passages
            print(f"  run {run + 1}: {n} passages, build {report.seconds:.2f} s = {n / report.seconds:.1f} passages/s "
                  f"(embedding inside it {report.embed_seconds:.2f} s); model alone {alone_seconds:.2f} s = "
                  f"{n / alone_seconds:.1f} passages/s; torch model alone {torch_seconds:.2f} s = "
                  f"{n / torch_seconds:.1f} passages/s; largest vector difference "
                  f"{float(np.abs(vectors - reference).max()):.1e}, lowest cosine {float((vectors * reference).sum(1).min()):.6f}")
        print(f"  median: build {median(builds):.2f} s, model alone {median(alone):.2f} s -> "
              f"embedding is {median(alone) / median(builds):.1%} of the build "
              f"({median(inside) / median(builds):.1%} timed inside the build); target >= 85%")
        print(f"  the ONNX export against the torch model: {median(torch_alone) / median(alone):.2f}x as fast; "
              f"the build {median(torch_alone) / median(builds):.2f}x the torch model's throughput")
        print("  the rest of a full build, step by step:")
        for name, seconds in phases(settings).items():
            print(f"    {name:<20} {seconds:6.2f} s")

        print("\n(b) one document changed, incremental build")
        incremental = []
        for run in range(args.incremental_runs):
            change_one(settings, run)
            report = build_index(settings, Recording(embedder))
            incremental.append(report.seconds)
            if (len(report.changed), len(report.added), len(report.removed)) != (1, 0, 0):
                raise SystemExit(f"expected one changed document, the build reported {report}")
        full = median(builds)
        print(f"  in process: median {median(incremental):.3f} s over {args.incremental_runs} runs "
              f"(each re-embedding {report.embedded} passage(s)) = {median(incremental) / full:.2%} "
              f"of the full build ({full:.2f} s); target <= 5%")
        if not args.no_cli:
            start_seconds = median([timed(lambda: subprocess.run(
                [sys.executable, "-c", "import docqa.embed"], check=True))[0] for _ in range(3)])
            cli_full = docqa_index(settings, "--full")
            cli_incremental = []
            for run in range(args.incremental_runs):
                change_one(settings, 100 + run)
                cli_incremental.append(docqa_index(settings))
            cli_unchanged = median([docqa_index(settings) for _ in range(3)])
            print(f"  `docqa index` command: full {cli_full:.2f} s, one change median {median(cli_incremental):.2f} s "
                  f"= {median(cli_incremental) / cli_full:.2%} of the full command; nothing changed "
                  f"{cli_unchanged:.2f} s")
            print(f"  of which starting Python and importing torch + sentence-transformers: {start_seconds:.2f} s "
                  f"(median of 3)")


if __name__ == "__main__":
    main()
