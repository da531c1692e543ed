"""The index on disk: round trip, FAISS against numpy brute force, staleness, and damaged files."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

from docqa.errors import CorruptIndex, IndexNotFound, StaleIndex
from docqa.index import (
    CURRENT,
    MANIFEST,
    PASSAGES,
    VECTORS,
    load_current,
    load_index,
    read_manifest,
    stale_reason,
    write_index,
)
from docqa.settings import SplitSettings
from docqa.split import Passage, passage_id

MODEL = "all-MiniLM-L6-v2"
SPLIT = SplitSettings()
DIM = 16
DOCUMENTS = {"a.txt": "1" * 64, "sub/b.md": "2" * 64}


def unit_vectors(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def passages(n: int) -> list[Passage]:
    texts = [f"Passage {i}: Serbia joined the PfP in December 2006, “quoted” — ünïcode." for i in range(n)]
    return [
        Passage(
            id=passage_id("a.txt", 100 * i, 100 * i + len(text), text), document="a.txt",
            start=100 * i, end=100 * i + len(text), text=text,
            section="Key milestones" if i % 2 else None, page=i if i % 3 else None,
        )
        for i, text in enumerate(texts)
    ]


def build(index_dir: Path, n: int = 3, seed: int = 0) -> tuple[list[Passage], np.ndarray]:
    items, vectors = passages(n), unit_vectors(n, seed=seed)
    write_index(index_dir, MODEL, SPLIT, DOCUMENTS, items, vectors, build_seconds=1.25)
    return items, vectors


def active(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text(encoding="utf-8").strip()


def test_write_then_load_round_trip(tmp_path: Path) -> None:
    items, vectors = build(tmp_path / "index", n=5)
    index = load_index(tmp_path / "index")
    assert index.passages == items
    np.testing.assert_array_equal(index.vectors_of(list(range(5))), vectors)
    assert index.vectors.ntotal == 5 and index.vectors.d == DIM
    manifest = index.manifest
    assert (manifest.format, manifest.model, manifest.dim, manifest.passages) == (1, MODEL, DIM, 5)
    assert manifest.split == {"min_words": 40, "max_words": 120, "overlap_sentences": 1}
    assert manifest.documents == DOCUMENTS
    assert manifest.build_seconds == 1.25
    assert {"python", "faiss-cpu"} <= set(manifest.versions)
    assert read_manifest(tmp_path / "index") == manifest
    # JSON and FAISS's own format only: no pickle anywhere.
    assert sorted(p.name for p in active(tmp_path / "index").iterdir()) == [MANIFEST, PASSAGES, VECTORS]
    assert json.loads((active(tmp_path / "index") / MANIFEST).read_text(encoding="utf-8"))["passages"] == 5


def test_empty_index_round_trip(tmp_path: Path) -> None:
    write_index(tmp_path / "index", MODEL, SPLIT, {}, [], np.zeros((0, DIM), dtype=np.float32), 0.0)
    index = load_index(tmp_path / "index")
    assert index.passages == []
    assert index.search(unit_vectors(1)[0], 5) == []
    assert index.vectors_of([]).shape == (0, DIM)


def test_a_new_build_replaces_the_active_one_and_prunes_old_builds(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    for n in (1, 2, 3):
        build(index_dir, n=n)
    assert len(load_index(index_dir).passages) == 3
    # The newest superseded build stays for servers still reading it; older ones go.
    assert len([p for p in index_dir.glob("build-*") if p.is_dir()]) == 2
    assert not list(index_dir.glob(".partial-*"))


@pytest.mark.parametrize("n", [1, 7, 33])
@pytest.mark.parametrize("k", [1, 5, 50])
def test_faiss_search_matches_numpy_brute_force(tmp_path: Path, n: int, k: int) -> None:
    _, vectors = build(tmp_path / "index", n=n, seed=n)
    index = load_index(tmp_path / "index")
    for query in unit_vectors(4, seed=1000 + n):
        scores = vectors @ query
        expected = np.argsort(-scores, kind="stable")[: min(k, n)]
        hits = index.search(query, k)
        assert [i for i, _ in hits] == expected.tolist()
        np.testing.assert_allclose([s for _, s in hits], scores[expected], rtol=1e-5, atol=1e-6)


def manifest_of(tmp_path: Path):
    build(tmp_path / "index")
    return read_manifest(tmp_path / "index")


def test_stale_reason_current_index(tmp_path: Path) -> None:
    assert stale_reason(manifest_of(tmp_path), MODEL, SPLIT, dict(DOCUMENTS)) is None


@pytest.mark.parametrize(
    ("hashes", "reason"),
    [
        ({"a.txt": "9" * 64, "sub/b.md": "2" * 64}, "changed: a.txt"),
        ({**DOCUMENTS, "c.txt": "3" * 64}, "new: c.txt"),
        ({"a.txt": "1" * 64}, "removed: sub/b.md"),
        ({"a.txt": "9" * 64, "c.txt": "3" * 64}, "new: c.txt; changed: a.txt; removed: sub/b.md"),
        ({**DOCUMENTS, **{f"n{i}.txt": "4" * 64 for i in range(5)}}, "new: n0.txt, n1.txt, n2.txt and 2 more"),
        ({}, "removed: a.txt, sub/b.md"),
    ],
)
def test_stale_reason_corpus_changes(tmp_path: Path, hashes: dict[str, str], reason: str) -> None:
    assert stale_reason(manifest_of(tmp_path), MODEL, SPLIT, hashes) == reason


def test_stale_reason_settings_changes(tmp_path: Path) -> None:
    manifest = manifest_of(tmp_path)
    assert stale_reason(manifest, "paraphrase-MiniLM-L3-v2", SPLIT, DOCUMENTS) == (
        "built with model 'all-MiniLM-L6-v2', settings ask for 'paraphrase-MiniLM-L3-v2'"
    )
    assert stale_reason(manifest, MODEL, SplitSettings(max_words=200), DOCUMENTS) == (
        "built with other splitter settings"
    )
    assert stale_reason(manifest, MODEL, SplitSettings(overlap_sentences=0), DOCUMENTS) == (
        "built with other splitter settings"
    )
    assert stale_reason(replace(manifest, format=99), MODEL, SPLIT, DOCUMENTS) == "index format 99, this docqa writes 1"


def test_load_current_raises_stale_index(tmp_path: Path) -> None:
    build(tmp_path / "index")
    assert len(load_current(tmp_path / "index", MODEL, SPLIT, dict(DOCUMENTS)).passages) == 3
    with pytest.raises(StaleIndex, match=r"is out of date \(changed: a\.txt\)\. Run `docqa index`\.$"):
        load_current(tmp_path / "index", MODEL, SPLIT, {"a.txt": "0" * 64, "sub/b.md": "2" * 64})
    with pytest.raises(StaleIndex, match=r"out of date \(built with other splitter settings\)"):
        load_current(tmp_path / "index", MODEL, SplitSettings(min_words=10), dict(DOCUMENTS))


def test_missing_index_folder_or_current(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match=r"^No index in .*nowhere/\. Run `docqa index`\.$"):
        load_index(tmp_path / "nowhere")
    build(tmp_path / "index")
    (tmp_path / "index" / CURRENT).unlink()
    with pytest.raises(IndexNotFound, match=r"No index in .*index/\. Run `docqa index`\."):
        load_index(tmp_path / "index")


def test_current_naming_an_unsafe_folder(tmp_path: Path) -> None:
    build(tmp_path / "index")
    (tmp_path / "index" / CURRENT).write_text("../elsewhere\n", encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"cannot be read \(CURRENT names '\.\./elsewhere'\)"):
        load_index(tmp_path / "index")


def test_missing_manifest(tmp_path: Path) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / MANIFEST).unlink()
    with pytest.raises(CorruptIndex, match=r"\(build-\w+/manifest\.json is missing\)\. Run `docqa index --full`"):
        load_index(tmp_path / "index")


@pytest.mark.parametrize("content", ["{not json", '{"format": 1}', "[1, 2]", ""])
def test_garbled_manifest(tmp_path: Path, content: str) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / MANIFEST).write_text(content, encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"build-\w+/manifest\.json is damaged"):
        load_index(tmp_path / "index")


def test_truncated_vectors(tmp_path: Path) -> None:
    build(tmp_path / "index", n=7)
    path = active(tmp_path / "index") / VECTORS
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptIndex, match=r"build-\w+/vectors\.faiss is unreadable.*your documents in the corpus"):
        load_index(tmp_path / "index")


def test_missing_vectors(tmp_path: Path) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / VECTORS).unlink()
    with pytest.raises(CorruptIndex, match=r"vectors\.faiss is unreadable"):
        load_index(tmp_path / "index")


@pytest.mark.parametrize(
    "bad_line",
    ["this is not json", '{"id": "x", "document": "a.txt"}', "[1, 2, 3]", '{"id": "x", "document": "a.txt", '],
)
def test_passages_with_a_bad_line(tmp_path: Path, bad_line: str) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / PASSAGES
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = bad_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"build-\w+/passages\.jsonl is damaged"):
        load_index(tmp_path / "index")


def test_missing_passages(tmp_path: Path) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / PASSAGES).unlink()
    with pytest.raises(CorruptIndex, match=r"passages\.jsonl is missing"):
        load_index(tmp_path / "index")


def test_passage_count_mismatch(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / PASSAGES
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"\(3 vectors, 2 passages, manifest says 3\)"):
        load_index(tmp_path / "index")


def test_manifest_count_mismatch(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "passages": 4}), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"\(3 vectors, 3 passages, manifest says 4\)"):
        load_index(tmp_path / "index")


def test_manifest_dimension_mismatch(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "dim": 384}), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"\(vectors of dimension 16, manifest says 384\)"):
        load_index(tmp_path / "index")


def test_manifest_is_plain_json_of_the_dataclass(tmp_path: Path) -> None:
    manifest = manifest_of(tmp_path)
    on_disk = json.loads((active(tmp_path / "index") / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk == asdict(manifest)
