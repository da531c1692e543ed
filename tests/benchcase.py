"""A literal `docqa bench` report, for the tests of its rendering and its chart."""

from __future__ import annotations

from docqa.bench.report import BenchReport, Percentiles, SearchFigures, SizeResult

FLAT = {"kind": "flat", "m": None, "ef_construction": None, "ef_search": None}
HNSW = {"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 64}


def size_result(passages: int, vector_index: dict, recall: float | None, runtime: str) -> SizeResult:
    return SizeResult(
        size=passages, documents=passages // 4, passages=passages, vector_index=vector_index,
        build_seconds=passages / 50, build_passages_per_second=50.0, model_passages=min(passages, 10_000),
        model_seconds=min(passages, 10_000) / 56, model_passages_per_second=56.0, build_peak_mb=1400.0,
        disk_mb=passages * 0.0031, load_seconds=0.8, questions=40, embed_ms=Percentiles(9.5, 11.25),
        search_ms=Percentiles(1.5, 3.0), read_ms=Percentiles(170.0, 240.5), question_ms=Percentiles(181.0, 254.75),
        server_peak_mb=600.0, recall_at_10=recall, embed_runtime=runtime,
    )


def bench_report() -> BenchReport:
    return BenchReport(
        started="2026-11-30T06:00:00+00:00", seconds=1234.5, cpus=2, load_average=(0.12, 0.3, 0.5),
        machine="x86_64 Linux", versions={"python": "3.11.7", "faiss-cpu": "1.15.1"}, model="all-MiniLM-L6-v2",
        reader="trained", sizes=(size_result(1000, FLAT, None, "onnx fp32"), size_result(10_000, HNSW, 0.987, "torch bf16")),
        search=SearchFigures(vectors=1_000_000, dim=384, queries=200,
                             hnsw={"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 288},
                             hnsw_build_seconds=612.25, exact=Percentiles(95.5, 101.0),
                             approximate=Percentiles(2.25, 3.5), recall_at_10=0.9612, peak_mb=3300.0),
    )
