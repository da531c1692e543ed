"""bench/run.py: the generated text (sentences, documents, questions), the random vectors, and one small
`docqa bench` run end to end whose every figure is checked against the others."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

from docqa import cli
from docqa.bench.run import (
    PARAGRAPHS,
    SENTENCES,
    BenchConfig,
    is_prose,
    question_of,
    random_unit_vectors,
    sentence_pool,
    write_corpus,
)
from docqa.errors import BadSettings
from docqa.index.vectors import vector_index_spec
from docqa.settings import VectorSearch

POOL = [f"Sentence number {n} says that the licence covers the work in some way." for n in range(12)]


def test_question_of_a_sentence() -> None:
    assert question_of("This License applies to any program or other work which contains a notice.") == (
        "What License applies to any program or other work?")
    assert question_of("Short one, two.") == "What one two?"


@pytest.mark.parametrize(("sentence", "prose"), [
    ("The licensor grants you a worldwide, royalty-free licence.", True),
    ("Too short to ask about.", False),
    ("| 1.0 | 2.0 | 3.0 | 4.0 | 5.0 | 6.0 | 7.0 |", False),
    ("See https://example.org/ for the full text of this licence.", False),
    ("word " * 61, False),
])
def test_is_prose(sentence: str, prose: bool) -> None:
    assert is_prose(sentence) is prose


def test_sentence_pool_reads_plain_and_gzipped_files(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The first file has one sentence of prose in it. Tiny.\n", encoding="utf-8")
    (tmp_path / "b.gz").write_bytes(gzip.compress(b"A gzipped file also holds a sentence worth keeping.\n"))
    assert sentence_pool([tmp_path / "a.txt", tmp_path / "b.gz"]) == [
        "A gzipped file also holds a sentence worth keeping.", "The first file has one sentence of prose in it."]
    assert sentence_pool([tmp_path / "a.txt", tmp_path / "b.gz"], max_characters=10) == [
        "The first file has one sentence of prose in it."]


def test_generated_documents(tmp_path: Path) -> None:
    written = write_corpus(tmp_path / "three", 3, POOL, seed=0)
    assert len(written) == 3 and all(len(d) == PARAGRAPHS * SENTENCES for d in written)
    text = (tmp_path / "three" / "doc00001.txt").read_text(encoding="utf-8")
    paragraphs = text.rstrip("\n").split("\n\n")
    assert paragraphs[0] == "Document 1" and len(paragraphs) == 1 + PARAGRAPHS
    assert paragraphs[1] == " ".join(written[1][:SENTENCES])
    assert all(sentence in POOL for sentence in written[1])
    # Document n is the same whatever the number of documents.
    assert write_corpus(tmp_path / "two", 2, POOL, seed=0) == written[:2]
    with pytest.raises(ValueError, match="3 sentences of text found; a benchmark corpus needs at least 4"):
        write_corpus(tmp_path / "none", 1, POOL[:3])


def test_random_unit_vectors() -> None:
    vectors = random_unit_vectors(1000, 384, seed=3, chunk=300)
    assert vectors.shape == (1000, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors, random_unit_vectors(1000, 384, seed=3))
    # Variances falling as i^-0.8: the first tenth of the directions holds sum(i^-0.8, i <= 38) /
    # sum(i^-0.8, i <= 384) = 0.495 of the variance; 0.513 in this sample of 1,000.
    spectrum = np.linalg.svd(vectors - vectors.mean(0), compute_uv=False) ** 2
    assert round(float(spectrum[:38].sum() / spectrum.sum()), 3) == 0.513


@pytest.mark.parametrize(("config", "message"), [
    ({"sizes": ()}, r"^Nothing to measure: give --sizes, --search-vectors or both\.$"),
    ({"sizes": (100, 0)}, r"^--sizes must be passage counts of at least 1, got 100, 0\.$"),
    ({"questions": 0}, r"^--questions must be at least 1, got 0\.$"),
    ({"search_vectors": 5}, r"^--search-vectors must be at least 10, got 5\.$"),
])
def test_bad_configurations(config: dict, message: str) -> None:
    with pytest.raises(BadSettings, match=message):
        BenchConfig(**config)


def test_a_bad_size_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["bench", "--sizes", "1k"])
    assert "expected passage counts such as 1000,10000, got '1k'" in capsys.readouterr().err


def consistent(figures: dict) -> bool:
    return figures["p95"] >= figures["p50"] > 0


def test_docqa_bench_end_to_end(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code = cli.main(["bench", "--sizes", "200", "--search-vectors", "20000", "--questions", "8", "--out", str(out),
                     "--corpus", str(Path(__file__).resolve().parents[2] / "corpus")])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["bench.png", "report.json", "report.md"]
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["cpus"] == os.cpu_count() and {"python", "faiss-cpu", "onnxruntime"} <= set(report["versions"])
    assert (report["model"], report["reader"]) == ("all-MiniLM-L6-v2", "trained")

    (size,) = report["sizes"]
    assert size["size"] == 200 and 150 <= size["passages"] <= 250 and size["documents"] > 0
    assert size["vector_index"] == {"kind": "flat", "m": None, "ef_construction": None, "ef_search": None}
    assert size["recall_at_10"] is None and size["questions"] == 8
    assert size["build_passages_per_second"] == pytest.approx(size["passages"] / size["build_seconds"], rel=1e-3)
    assert size["model_passages"] == size["passages"]  # below 10,000: every text the build embedded
    assert size["model_passages_per_second"] == pytest.approx(size["model_passages"] / size["model_seconds"], rel=1e-3)
    assert all(consistent(size[part]) for part in ("embed_ms", "search_ms", "read_ms", "question_ms"))
    assert size["question_ms"]["p50"] >= size["read_ms"]["p50"]
    assert size["build_peak_mb"] > 100 and size["server_peak_mb"] > 100
    assert size["disk_mb"] > 0 and size["load_seconds"] > 0

    search = report["search"]
    assert (search["vectors"], search["dim"], search["queries"]) == (20_000, 384, 200)
    assert search["hnsw"] == vector_index_spec(20_000, VectorSearch.HNSW).to_json()
    assert consistent(search["exact"]) and consistent(search["approximate"])
    assert 0.0 <= search["recall_at_10"] <= 1.0 and search["hnsw_build_seconds"] > 0 and search["peak_mb"] > 0

    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert f"| {size['passages']:,} | {size['documents']:,} | flat |" in markdown
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"{size['passages']:,} passages (flat, onnx fp32): build ")  # 200 passages: below BF16_MIN_TEXTS
    assert size["embed_runtime"] == "onnx fp32"
    assert printed[-1] == f"report: {out / 'report.md'}"
