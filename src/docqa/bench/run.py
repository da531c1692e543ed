"""`docqa bench`: what each corpus size costs. Per size: build throughput beside the embedding model's
own on the same texts, question time (embed, search, read) at p50 and p95, peak resident memory of the
build and of the question server, size on disk, and recall@10 against exact search where the vector
index is approximate. Apart: vector search alone over N random unit vectors, exact against HNSW.

Each build and each question server runs in a fresh process (multiprocessing "spawn"), so that its
peak resident memory (ru_maxrss) is its own. The corpus of each size is generated at run time from text this
machine has, never committed: sentences of the default corpus, the licence texts in
/usr/share/common-licenses and the README and copyright files under /usr/share/doc, drawn (seeded)
into documents of 3 paragraphs of 4 sentences, about 4 passages each. The questions are drawn from
the same documents (`question_of`).
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from docqa.bench.chart import draw_bench_chart
from docqa.bench.report import (
    CHART,
    JSON,
    MARKDOWN,
    MODEL_SAMPLE,
    RECALL_K,
    BenchReport,
    Percentiles,
    SearchFigures,
    SizeResult,
    percentiles,
    render_markdown,
    report_json,
)
from docqa.embed.embedder import Embedder
from docqa.engine import Engine
from docqa.errors import BadSettings, ReportNotWritten
from docqa.evaluation import run as evaluate
from docqa.index.build import build_index
from docqa.index.manifest import library_versions
from docqa.index.shards import passages_of
from docqa.index.store import load_index
from docqa.index.vectors import (
    FLAT,
    make_vector_index,
    search_vectors,
    vector_index_spec,
)
from docqa.ingest.clean import clean_text
from docqa.ingest.corpus import load_document
from docqa.ingest.split import split_sentences
from docqa.settings import Settings, VectorSearch

LICENSES = Path("/usr/share/common-licenses")
SHARED_DOCS = Path("/usr/share/doc")
POOL_CHARACTERS = 1_500_000   # text read for the sentence pool: about 5 s of sentence splitting
PARAGRAPHS, SENTENCES = 3, 4  # per generated document, per paragraph
SEARCH_QUERIES = 200          # queries of the search-alone benchmark
VECTOR_DIM = 384              # all-MiniLM-L6-v2's
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


# ---- text of this machine -------------------------------------------------------------------------

def text_sources(corpus: Path) -> list[Path]:
    """Readable text files: the corpus's .txt and .md, the licences, then README and copyright files
    of the installed packages (plain or gzipped), each file once, in a fixed order."""
    found = [p for p in sorted(corpus.rglob("*")) if p.suffix in (".txt", ".md")] if corpus.is_dir() else []
    found += sorted(p for p in LICENSES.glob("*") if p.is_file()) if LICENSES.is_dir() else []
    if SHARED_DOCS.is_dir():
        shared = sorted(p for p in SHARED_DOCS.glob("*/*") if p.is_file())
        found += [p for p in shared if p.name.lower().startswith("readme") and p.suffix in ("", ".gz", ".md", ".txt")]
        found += [p for p in shared if p.name == "copyright"]
    unique = {p.resolve(): p for p in reversed(found)}  # a licence linked under two names is read once
    return [p for p in found if unique[p.resolve()] is p]


def read_text(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", errors="replace")


def is_prose(sentence: str) -> bool:
    """6 to 60 words, mostly letters: not a table row, a path or a line of code."""
    words = sentence.split()
    letters = sum(ch.isalpha() or ch.isspace() for ch in sentence)
    return 6 <= len(words) <= 60 and letters >= 0.85 * len(sentence) and "http" not in sentence


def sentence_pool(paths: Sequence[Path], max_characters: int = POOL_CHARACTERS) -> list[str]:
    """The distinct prose sentences of `paths`, sorted, reading files in order up to `max_characters`."""
    pool: set[str] = set()
    read = 0
    for path in paths:
        if read >= max_characters:
            break
        try:
            text = clean_text(read_text(path)).text
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        read += len(text)
        pool.update(s.text for s in split_sentences(text) if is_prose(s.text))
    return sorted(pool)


def write_corpus(folder: Path, documents: int, pool: Sequence[str], seed: int = 0) -> list[list[str]]:
    """`documents` files doc00000.txt ... of PARAGRAPHS paragraphs of SENTENCES sentences drawn from
    `pool`; returns each document's sentences. Document n is the same whatever `documents` is."""
    if len(pool) < SENTENCES:
        raise ValueError(f"{len(pool)} sentences of text found; a benchmark corpus needs at least {SENTENCES}")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(documents):
        paragraphs = [[pool[i] for i in rng.choice(len(pool), SENTENCES, replace=False)] for _ in range(PARAGRAPHS)]
        text = f"Document {n}\n\n" + "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
        (folder / f"doc{n:05d}.txt").write_text(text, encoding="utf-8")
        written.append([s for p in paragraphs for s in p])
    return written


def question_of(sentence: str) -> str:
    """A question drawn from a sentence: "What" and its second to ninth words."""
    return "What " + " ".join(_WORD.findall(sentence)[1:9]) + "?"


def passages_per_document(folder: Path, settings: Settings, sample: int = 20) -> float:
    """Mean passages of the first `sample` documents of `folder`, split as a build splits them."""
    paths = sorted(folder.glob("doc*.txt"))[:sample]
    counts = [len(passages_of(load_document(p, folder), settings)) for p in paths]
    return statistics.mean(counts)


# ---- measurements, each in a process of its own ---------------------------------------------------

def peak_memory_mb() -> float:
    """This process's peak resident memory (getrusage's ru_maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


class Recording:
    """The embedder, keeping the texts a build asked it to embed and what embedded them (a build asks
    once per shard, and each ask picks its runtime by its own count: Embedder.runtime)."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.dim = embedder.dim
        self.texts: list[str] = []
        self.runtimes: list[str] = []

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.texts.extend(texts)
        self.runtimes.append(self.embedder.runtime(len(texts)))
        return self.embedder.encode(texts)


@dataclass(frozen=True)
class BuildFigures:
    documents: int
    passages: int
    seconds: float
    embedded: int
    model_passages: int       # texts the embedding model encoded alone, from those the build embedded
    model_seconds: float
    peak_mb: float
    disk_mb: float
    vector_index: dict
    embed_runtime: str        # what embedded the build's texts (Embedder.runtime), "a + b" when shards differed


def measure_build(settings: Settings, size: int, seed: int) -> BuildFigures:
    """A full build of `settings.corpus` (about `size` passages) with the model loaded beforehand, then
    the model alone on (a seeded sample of at most MODEL_SAMPLE of) the same texts."""
    recording = Recording(Embedder(settings.model, precision=settings.precision))
    recording.embedder.prepare(size)
    report = build_index(settings, recording, full=True)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(recording.texts), min(MODEL_SAMPLE, len(recording.texts)), replace=False))
    sample = [recording.texts[i] for i in chosen]
    started = time.perf_counter()
    recording.embedder.encode(sample)
    model_seconds = time.perf_counter() - started
    peak = peak_memory_mb()
    index = load_index(settings.index)
    return BuildFigures(len(index.manifest.documents), report.passages, report.seconds, report.embedded, len(sample),
                        model_seconds, peak, folder_mb(index.folder), index.manifest.vectors,
                        " + ".join(dict.fromkeys(recording.runtimes)))


@dataclass(frozen=True)
class QuestionFigures:
    load_seconds: float
    questions: int
    embed: Percentiles
    search: Percentiles
    read: Percentiles
    total: Percentiles
    peak_mb: float
    recall_at_10: float | None  # None when the vectors are searched exactly


def measure_questions(settings: Settings, questions: Sequence[str]) -> QuestionFigures:
    """A question server's load time and, per question, the engine's three steps: the embedder's
    forward pass, retrieval (its vector now cached: dense and BM25 search, fusion, passage reads) and
    the reader. Recall@10 of the dense search against exact search is measured after the peak."""
    started = time.perf_counter()
    engine = Engine(settings, auto_build=False)
    load_seconds = time.perf_counter() - started
    engine.ask("What is this document about?")  # first-call costs (sessions, caches) are not a question's
    embed, search, read = [], [], []
    for question in questions:
        t0 = time.perf_counter()
        engine.embedder.encode([question])
        t1 = time.perf_counter()
        hits = engine.retrieve(question)
        t2 = time.perf_counter()
        engine.reader.read(question, hits)
        t3 = time.perf_counter()
        embed.append(t1 - t0)
        search.append(t2 - t1)
        read.append(t3 - t2)
    peak = peak_memory_mb()
    index = load_index(settings.index)
    recall = None
    if index.spec != FLAT:
        exact = index.vectors_of(list(range(len(index.passages))))
        found = []
        for question in questions:
            vector = engine.embedder.encode([question])[0]
            truth = set(np.argsort(-(exact @ vector), kind="stable")[:RECALL_K].tolist())
            found.append(len(truth & {i for i, _ in index.search(vector, RECALL_K)}) / len(truth))
        recall = round(statistics.mean(found), 4)
    total = [a + b + c for a, b, c in zip(embed, search, read)]
    return QuestionFigures(round(load_seconds, 3), len(questions), percentiles(embed), percentiles(search),
                           percentiles(read), percentiles(total), peak, recall)


def random_unit_vectors(n: int, dim: int, seed: int, chunk: int = 100_000) -> np.ndarray:
    """float32 (n, dim) unit vectors of a Gaussian whose variances fall as i^-0.8 along random orthogonal
    directions. Uniform vectors in 384 dimensions have no near neighbours for a graph to find; these are
    as hard as sentence embeddings: on a weak HNSW graph (M 6, efConstruction 16, efSearch 10) over 1,200
    of them recall@10 is 0.62, as over the vectors of 1,200 passages of the bench corpus (i^-0.6: 0.47,
    i^-1: 0.70)."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    scale = np.arange(1, dim + 1) ** -0.4
    out = np.empty((n, dim), dtype=np.float32)
    for first in range(0, n, chunk):
        rows = (rng.standard_normal((min(chunk, n - first), dim)) * scale) @ basis.T
        out[first : first + len(rows)] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def measure_search(vectors: int, queries: int, seed: int) -> SearchFigures:
    """Exact and HNSW search over `vectors` random unit vectors, one query at a time; recall@10 of HNSW
    against exact. The exact index is dropped before the graph is built."""
    data = random_unit_vectors(vectors + queries, VECTOR_DIM, seed)
    base, asked = data[:vectors], data[vectors:]
    flat = make_vector_index(base, FLAT)
    exact_seconds, truth = [], []
    for query in asked:
        started = time.perf_counter()
        _, ids = search_vectors(flat, FLAT, query, RECALL_K)
        exact_seconds.append(time.perf_counter() - started)
        truth.append(set(ids[0].tolist()))
    del flat
    spec = vector_index_spec(vectors, VectorSearch.HNSW)
    started = time.perf_counter()
    graph = make_vector_index(base, spec)
    build_seconds = time.perf_counter() - started
    approximate_seconds, recall = [], []
    for query, expected in zip(asked, truth):
        started = time.perf_counter()
        _, ids = search_vectors(graph, spec, query, RECALL_K)
        approximate_seconds.append(time.perf_counter() - started)
        recall.append(len(expected & set(ids[0].tolist())) / RECALL_K)
    return SearchFigures(vectors, VECTOR_DIM, queries, spec.to_json(), round(build_seconds, 3),
                         percentiles(exact_seconds), percentiles(approximate_seconds),
                         round(statistics.mean(recall), 4), peak_memory_mb())


def in_fresh_process(function: Callable, *args: object):
    """function(*args) in a new Python process; its return value (or exception) comes back."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# ---- the report -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BenchConfig:
    sizes: tuple[int, ...] = (1000, 10_000)
    search_vectors: int | None = None
    questions: int = 40
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.sizes and self.search_vectors is None:
            raise BadSettings("Nothing to measure: give --sizes, --search-vectors or both.")
        if any(size < 1 for size in self.sizes):
            raise BadSettings(f"--sizes must be passage counts of at least 1, got {', '.join(map(str, self.sizes))}.")
        if self.questions < 1:
            raise BadSettings(f"--questions must be at least 1, got {self.questions}.")
        if self.search_vectors is not None and self.search_vectors < RECALL_K:
            raise BadSettings(f"--search-vectors must be at least {RECALL_K}, got {self.search_vectors}.")


def measure_size(settings: Settings, size: int, pool: Sequence[str], config: BenchConfig, work: Path,
                 progress: Callable[[str], None]) -> SizeResult:
    corpus = work / f"size-{size}" / "corpus"
    sized = settings.with_(corpus=corpus, index=work / f"size-{size}" / "index")
    write_corpus(corpus, 20, pool, config.seed)
    documents = max(1, round(size / passages_per_document(corpus, sized)))
    written = write_corpus(corpus, documents, pool, config.seed)
    rng = np.random.default_rng(config.seed)
    questions = [question_of(written[d][s]) for d, s in zip(rng.integers(0, documents, config.questions),
                                                               rng.integers(0, PARAGRAPHS * SENTENCES, config.questions))]
    progress(f"{size:,} passages: building an index of {documents:,} generated documents")
    build: BuildFigures = in_fresh_process(measure_build, sized, size, config.seed)
    progress(f"{size:,} passages: asking {len(questions)} questions")
    asked: QuestionFigures = in_fresh_process(measure_questions, sized, questions)
    return SizeResult(
        size=size, documents=build.documents, passages=build.passages, vector_index=build.vector_index,
        build_seconds=round(build.seconds, 3), build_passages_per_second=round(build.passages / build.seconds, 3),
        model_passages=build.model_passages, model_seconds=round(build.model_seconds, 3),
        model_passages_per_second=round(build.model_passages / build.model_seconds, 3),
        build_peak_mb=round(build.peak_mb, 1), disk_mb=round(build.disk_mb, 3), load_seconds=asked.load_seconds,
        questions=asked.questions, embed_ms=asked.embed, search_ms=asked.search, read_ms=asked.read,
        question_ms=asked.total, server_peak_mb=round(asked.peak_mb, 1), recall_at_10=asked.recall_at_10,
        embed_runtime=build.embed_runtime,
    )


def run(settings: Settings, config: BenchConfig, progress: Callable[[str], None] = lambda line: None) -> BenchReport:
    """Measure every size of `config` with `settings` (model, reader, vector index; the corpus folder
    is one of the text sources), then search alone over `config.search_vectors` vectors."""
    started = time.perf_counter()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    load = os.getloadavg()
    sizes = []
    if config.sizes:
        pool = sentence_pool(text_sources(settings.corpus))
        progress(f"{len(pool):,} sentences of text found on this machine")
        with tempfile.TemporaryDirectory(prefix="docqa-bench-") as work:
            sizes = [measure_size(settings, size, pool, config, Path(work), progress) for size in config.sizes]
    search = None
    if config.search_vectors is not None:
        progress(f"search alone: {config.search_vectors:,} random unit vectors, exact and HNSW")
        search = in_fresh_process(measure_search, config.search_vectors, SEARCH_QUERIES, config.seed)
    reader = settings.reader if settings.reader is not None else "trained"
    return BenchReport(stamp, round(time.perf_counter() - started, 1), os.cpu_count() or 1,
                       (round(load[0], 2), round(load[1], 2), round(load[2], 2)),
                       f"{platform.machine()} {platform.processor() or platform.system()}".strip(),
                       bench_versions(), settings.model, reader, tuple(sizes), search)


def bench_versions() -> dict[str, str]:
    versions = library_versions()
    for package in ("numpy", "onnxruntime", "tokenizers"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def default_out(settings: Settings, now: datetime) -> Path:
    """evaluation/reports/bench-<UTC timestamp>/ beside the index folder."""
    return evaluate.default_out(settings, now, prefix="bench-")


def prepare_out(out: Path) -> None:
    """Make the report's folder before an hour of measuring, not after; ReportNotWritten when it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot write the bench report in {out}/ ({error.strerror or error}). Pass --out with a writable folder."
        ) from None


def write_report(out: Path, report: BenchReport) -> list[Path]:
    """report.json, report.md and, when sizes were measured, bench.png in `out`; returns their paths."""
    written = [out / JSON, out / MARKDOWN] + ([out / CHART] if report.sizes else [])
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / JSON).write_text(json.dumps(report_json(report), indent=2) + "\n", encoding="utf-8")
        (out / MARKDOWN).write_text(render_markdown(report), encoding="utf-8")
        if report.sizes:
            draw_bench_chart(report, out / CHART)
    except OSError as error:
        raise ReportNotWritten(
            f"Cannot write the bench report in {out}/ ({error.strerror or error}). Pass --out with a writable folder."
        ) from None
    return written


