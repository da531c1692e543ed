"""A `docqa bench` run -> its typed report, report.json and report.md (bench/run.py measures; evaluation/chart.py draws)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from docqa.evaluation.metrics import percentile
from docqa.tables import markdown_table

JSON, MARKDOWN, CHART = "report.json", "report.md", "bench.png"
RECALL_K = 10
MODEL_SAMPLE = 10_000  # texts the embedding model encodes alone in a size's measurement (all, up to this many)


@dataclass(frozen=True)
class Percentiles:
    """Milliseconds."""

    p50: float
    p95: float


def percentiles(seconds: Sequence[float]) -> Percentiles:
    return Percentiles(round(percentile(seconds, 50) * 1000, 3), round(percentile(seconds, 95) * 1000, 3))


@dataclass(frozen=True)
class SearchFigures:
    vectors: int
    dim: int
    queries: int
    hnsw: dict                # the HNSW parameters vector_index_spec picks for this many vectors
    hnsw_build_seconds: float
    exact: Percentiles        # per query, one query at a time as the engine searches
    approximate: Percentiles
    recall_at_10: float
    peak_mb: float


@dataclass(frozen=True)
class SizeResult:
    size: int                           # passages asked for
    documents: int
    passages: int                       # passages built
    vector_index: dict                  # the manifest's
    build_seconds: float
    build_passages_per_second: float    # passages / build_seconds
    model_passages: int
    model_seconds: float
    model_passages_per_second: float    # model_passages / model_seconds
    build_peak_mb: float
    disk_mb: float
    load_seconds: float
    questions: int
    embed_ms: Percentiles
    search_ms: Percentiles
    read_ms: Percentiles
    question_ms: Percentiles
    server_peak_mb: float
    recall_at_10: float | None
    embed_runtime: str                  # what embedded the build's passages (Embedder.runtime)


@dataclass(frozen=True)
class BenchReport:
    started: str
    seconds: float
    cpus: int
    load_average: tuple[float, float, float]  # at the start: anything else running skews every figure
    machine: str
    versions: dict[str, str]
    model: str
    reader: str
    sizes: tuple[SizeResult, ...]
    search: SearchFigures | None


def report_json(report: BenchReport) -> dict:
    return asdict(report)


def _ms(figures: Percentiles) -> str:
    return f"{figures.p50:,.1f} / {figures.p95:,.1f}"


def render_markdown(report: BenchReport) -> str:
    """report.md: the environment, one row per size, and the search-alone figures."""
    lines = [
        f"# docqa bench, {report.started}",
        "",
        f"{report.cpus} CPUs ({report.machine}), load average {report.load_average[0]:.2f} at the start; "
        f"embedding model {report.model}, reader {report.reader}; {report.seconds:,.0f} s in all.",
        "",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in report.versions.items()) + ".",
        "",
    ]
    if report.sizes:
        lines += [
            "## Per corpus size",
            "",
            "Build: a full `docqa index` in process, the model loaded beforehand; the model alone encodes "
            "the same passage texts (at most 10,000 of them) in the same runtime (embedding). Questions: p50 / p95 in ms, one at a time; "
            "search = dense and BM25 search, fusion and passage reads. Peak memory: the peak resident memory "
            "(ru_maxrss) of a fresh process that builds, or that loads the index and asks.",
            "",
        ]
        lines += markdown_table(
            ["passages", "documents", "vector index", "embedding", "build passages/s", "model alone passages/s",
             "build / model", "embed ms", "search ms", "read ms", "question ms", "recall@10", "build peak MB",
             "server peak MB", "disk MB", "load s"],
            [[f"{size.passages:,}", f"{size.documents:,}", size.vector_index["kind"], size.embed_runtime,
              f"{size.build_passages_per_second:,.1f}", f"{size.model_passages_per_second:,.1f}",
              f"{size.build_passages_per_second / size.model_passages_per_second:.0%}",
              _ms(size.embed_ms), _ms(size.search_ms), _ms(size.read_ms), _ms(size.question_ms),
              "exact" if size.recall_at_10 is None else f"{size.recall_at_10:.3f}",
              f"{size.build_peak_mb:,.0f}", f"{size.server_peak_mb:,.0f}", f"{size.disk_mb:,.1f}",
              f"{size.load_seconds:.2f}"] for size in report.sizes],
        )
        lines.append("")
    if report.search is not None:
        search = report.search
        hnsw = search.hnsw
        lines += [
            "## Vector search alone",
            "",
            f"{search.vectors:,} random unit vectors of dimension {search.dim} (bench.random_unit_vectors: "
            f"as hard to search as sentence embeddings), {search.queries} queries one at a time, k = {RECALL_K}.",
            "",
            *markdown_table(
                ["index", "p50 ms", "p95 ms", "recall@10", "build s"],
                [["exact (flat)", f"{search.exact.p50:,.2f}", f"{search.exact.p95:,.2f}", "1.000", ""],
                 [f"HNSW (M {hnsw['m']}, efConstruction {hnsw['ef_construction']}, efSearch {hnsw['ef_search']})",
                  f"{search.approximate.p50:,.2f}", f"{search.approximate.p95:,.2f}", f"{search.recall_at_10:.3f}",
                  f"{search.hnsw_build_seconds:,.1f}"]],
            ),
            "",
            f"Peak memory of that process: {search.peak_mb:,.0f} MB.",
            "",
        ]
    return "\n".join(lines)


def format_summary(report: BenchReport, out: Path) -> str:
    """What `docqa bench` prints: one line per size and the search figures."""
    lines = []
    for size in report.sizes:
        recall = "" if size.recall_at_10 is None else f", recall@10 {size.recall_at_10:.3f}"
        lines.append(
            f"{size.passages:,} passages ({size.vector_index['kind']}, {size.embed_runtime}): build {size.build_passages_per_second:,.1f} "
            f"passages/s (model alone {size.model_passages_per_second:,.1f}); question p50 "
            f"{size.question_ms.p50:,.0f} ms (embed {size.embed_ms.p50:,.1f}, search {size.search_ms.p50:,.1f}, "
            f"read {size.read_ms.p50:,.1f}){recall}; peak {size.server_peak_mb:,.0f} MB asking, "
            f"{size.build_peak_mb:,.0f} MB building; {size.disk_mb:,.1f} MB on disk")
    if report.search is not None:
        search = report.search
        lines.append(f"search alone, {search.vectors:,} vectors: exact p50 {search.exact.p50:,.2f} ms, HNSW p50 "
                     f"{search.approximate.p50:,.2f} ms at recall@10 {search.recall_at_10:.3f}")
    lines.append(f"report: {out / MARKDOWN}")
    return "\n".join(lines)
