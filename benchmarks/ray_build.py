"""Benchmark of `docqa index --ray` (not a test): a full build in process against the same build through
a local Ray cluster on the same cores, side by side, alternating, in passages/s.

    .venv/bin/python benchmarks/ray_build.py [--documents 100] [--rounds 3] [--precision fp32|bf16]

The corpus is the default document plus documents generated as `docqa bench` generates them
(docqa.bench.write_corpus, sentences of the text this machine has). Both builds start with their
model loaded: the in-process embedder made beforehand; the Ray cluster started (on 127.0.0.1) and its
worker warmed by one build before the rounds. Each round builds into a fresh index folder. The
overhead is 1 - (Ray passages/s) / (in-process passages/s), of the medians. Both embed in the one
--precision given (default fp32): under `auto` a shard's few passages and the whole corpus in process
could be embedded in different formats.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import ray

from docqa.bench.run import sentence_pool, text_sources, write_corpus
from docqa.embed.embedder import Embedder
from docqa.index.build import build_index
from docqa.index.cluster import RayWorkers
from docqa.settings import Precision, Settings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100, help="generated documents beside the default one")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--precision", default=Precision.FP32.value,
                        choices=[p.value for p in Precision if p is not Precision.AUTO])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        corpus = work / "corpus"
        write_corpus(corpus, args.documents, sentence_pool(text_sources(ROOT / "corpus")))
        shutil.copy(ROOT / "corpus" / "nato-relations-with-serbia.txt", corpus)
        embedder = Embedder(precision=args.precision)
        embedder.prepare(2)
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
        workers = RayWorkers("auto", embedder.name, args.precision)
        settings = Settings(corpus=corpus, precision=args.precision)
        warm = build_index(settings.with_(index=work / "warm"), None, workers=workers)
        print(f"{os.cpu_count()} CPUs, {args.precision}; corpus of {len(list(corpus.iterdir()))} documents, {warm.passages} passages; "
              f"Ray: {len(workers.workers)} worker(s), {warm.shard_count} shards")
        rates: dict[str, list[float]] = {"in process": [], "ray": []}
        for n in range(args.rounds):
            for label in rates:
                index = work / f"{label.replace(' ', '-')}-{n}"
                if label == "ray":
                    report = build_index(settings.with_(index=index), None, workers=workers)
                else:
                    report = build_index(settings.with_(index=index), embedder)
                rates[label].append(report.passages / report.seconds)
                print(f"round {n + 1} {label:10s} {report.passages} passages in {report.seconds:.2f} s: "
                      f"{rates[label][-1]:.1f} passages/s (embedding {report.embed_seconds:.2f} s)")
        single, clustered = statistics.median(rates["in process"]), statistics.median(rates["ray"])
        print(f"median: in process {single:.1f} passages/s, ray {clustered:.1f} passages/s; "
              f"ratio {clustered / single:.3f}, overhead {100 * (1 - clustered / single):.1f}%")
        workers.close()
        ray.shutdown()


if __name__ == "__main__":
    main()
