"""The index on disk: round trip, passages read one line at a time, FAISS (flat and HNSW) against numpy
brute force, the choice of vector index, staleness, folders of earlier versions, and damaged files."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import faiss
import numpy as np
import pytest

import docqa.index.store
from docqa.errors import CorruptIndex, IndexNotFound, StaleIndex
from docqa.index.lexical import FOLDER as LEXICAL
from docqa.index.manifest import stale_reason
from docqa.index.search import Retriever
from docqa.index.store import (
    CURRENT,
    MANIFEST,
    OFFSETS,
    PASSAGES,
    VECTORS,
    load_current,
    load_index,
    merge_hits,
    passage_from_json,
    passage_line,
    read_manifest,
    remove_leftovers,
    write_index,
)
from docqa.index import vectors as vector_module
from docqa.index.vectors import FLAT, VectorIndexSpec, first_bad_vector, hnsw_ef_search, vector_index_spec
from docqa.ingest.split import passage_id
from docqa.settings import EXACT_SEARCH_LIMIT, SplitSettings, VectorSearch
from docqa.types import Passage

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


def build(index_dir: Path, n: int = 3, seed: int = 0,
          vector_search: VectorSearch = VectorSearch.AUTO) -> tuple[list[Passage], np.ndarray]:
    items, vectors = passages(n), unit_vectors(n, seed=seed)
    write_index(index_dir, MODEL, SPLIT, DOCUMENTS, items, vectors, build_seconds=1.25, vector_search=vector_search)
    return items, vectors


def active(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text(encoding="utf-8").strip()


def test_write_then_load_round_trip(tmp_path: Path) -> None:
    items, vectors = build(tmp_path / "index", n=5)
    index = load_index(tmp_path / "index")
    assert list(index.passages) == items
    assert (len(index.passages), index.passages[3], index.passages[-1], index.passages[1:3]) == (
        5, items[3], items[4], items[1:3])
    np.testing.assert_array_equal(index.vectors_of(list(range(5))), vectors)
    assert len(index.shards) == 1 and index.shards[0].vectors.ntotal == 5 and index.shards[0].vectors.d == DIM
    manifest = index.manifest
    assert (manifest.format, manifest.model, manifest.dim, manifest.passages) == (1, MODEL, DIM, 5)
    assert manifest.split == {"min_words": 40, "max_words": 120, "overlap_sentences": 1}
    assert manifest.documents == DOCUMENTS
    assert manifest.build_seconds == 1.25
    assert {"python", "faiss-cpu"} <= set(manifest.versions)
    assert manifest.vectors == {"kind": "flat", "m": None, "ef_construction": None, "ef_search": None}
    assert index.spec == FLAT and type(index.shards[0].vectors) is faiss.IndexFlatIP
    assert read_manifest(tmp_path / "index") == manifest
    # JSON, .npy and FAISS's own format only: no pickle anywhere.
    folder = active(tmp_path / "index")
    assert sorted(p.name for p in folder.iterdir()) == [LEXICAL, MANIFEST, PASSAGES, OFFSETS, VECTORS]
    lines = (folder / PASSAGES).read_bytes().splitlines(keepends=True)
    assert np.load(folder / OFFSETS).tolist() == np.cumsum([0] + [len(line) for line in lines]).tolist()
    assert json.loads((active(tmp_path / "index") / MANIFEST).read_text(encoding="utf-8"))["passages"] == 5


def test_a_passage_line_leaves_out_empty_fields_and_reads_back_its_page_breaks_as_a_tuple() -> None:
    plain = Passage("a", "a.pdf", 0, 5, "Hello", None, 1)
    broken = replace(plain, page_breaks=(3,), ocr=True, table_header="City | Hotel")
    assert json.loads(passage_line(plain)) == {"id": "a", "document": "a.pdf", "start": 0, "end": 5, "text": "Hello",
                                               "section": None, "page": 1}
    assert json.loads(passage_line(broken))["page_breaks"] == [3]
    assert json.loads(passage_line(broken))["table_header"] == "City | Hotel"
    assert [passage_from_json(json.loads(passage_line(p))) for p in (plain, broken)] == [plain, broken]


def test_empty_index_round_trip(tmp_path: Path) -> None:
    write_index(tmp_path / "index", MODEL, SPLIT, {}, [], np.zeros((0, DIM), dtype=np.float32), 0.0)
    index = load_index(tmp_path / "index")
    assert len(index.passages) == 0 and list(index.passages) == []
    assert index.lexical is not None and index.lexical.search("Serbia", 5) == []
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
    # Folders of the user's own beside the index, named like docqa's, are never removed.
    for own in ("build-photos", ".partial-notes", "build-2026"):
        (index_dir / own).mkdir()
        (index_dir / own / "keep.txt").write_text("my only copy", encoding="utf-8")
    build(index_dir, n=4)
    remove_leftovers(index_dir)
    assert all((index_dir / own / "keep.txt").is_file() for own in ("build-photos", ".partial-notes", "build-2026"))
    assert len([p for p in index_dir.glob("build-2*") if p.is_dir() and p.name != "build-2026"]) == 2


@pytest.mark.parametrize("kind", [VectorSearch.FLAT, VectorSearch.HNSW])
@pytest.mark.parametrize("n", [1, 7, 33])
@pytest.mark.parametrize("k", [1, 5, 50])
def test_faiss_search_matches_numpy_brute_force(tmp_path: Path, n: int, k: int, kind: VectorSearch) -> None:
    # A graph smaller than its search's candidate list (64) is searched through: HNSW is exact here.
    _, vectors = build(tmp_path / "index", n=n, seed=n, vector_search=kind)
    index = load_index(tmp_path / "index")
    assert index.spec.kind is kind
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
    # bytes that are no text, a NUL, a folder in its place: a damaged index, rebuilt as one, not a traceback
    (tmp_path / "index" / CURRENT).write_bytes(b"\xff\xfe garbage")
    with pytest.raises(CorruptIndex, match=r"cannot be read \(CURRENT cannot be read \(UnicodeDecodeError\)\)"):
        load_index(tmp_path / "index")
    (tmp_path / "index" / CURRENT).write_bytes(b"build\x00x")
    with pytest.raises(CorruptIndex, match=r"CURRENT names 'build\\x00x'"):
        load_index(tmp_path / "index")
    (tmp_path / "index" / CURRENT).unlink()
    (tmp_path / "index" / CURRENT).mkdir()
    with pytest.raises(CorruptIndex, match=r"cannot be read \(CURRENT is a folder\)"):
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


def test_passages_file_shorter_than_its_offsets(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / PASSAGES
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]))
    with pytest.raises(CorruptIndex, match=rf"passages\.jsonl is damaged: {len(lines[0]) + len(lines[1])} bytes, "
                                           rf"passages\.offsets\.npy says {sum(map(len, lines))} in 3 lines\)"):
        load_index(tmp_path / "index")


def test_passage_count_mismatch_without_offsets(tmp_path: Path) -> None:
    build(tmp_path / "index")
    folder = active(tmp_path / "index")
    (folder / OFFSETS).unlink()
    path = folder / PASSAGES
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


# ---- passages read one line at a time -----------------------------------------------------------

def test_a_passage_is_one_read_of_its_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items, _ = build(tmp_path / "index", n=6)
    offsets = np.load(active(tmp_path / "index") / OFFSETS).tolist()
    reads: list[tuple[int, int]] = []
    pread = docqa.index.store.os.pread
    monkeypatch.setattr(docqa.index.store.os, "pread", lambda fd, n, at: reads.append((n, at)) or pread(fd, n, at))
    index = load_index(tmp_path / "index")
    # Loading reads the first and the last line only, to check them.
    assert reads == [(offsets[1], 0), (offsets[6] - offsets[5], offsets[5])]
    reads.clear()
    assert index.passages[4] == items[4]
    assert index.passages[-6] == items[0]
    assert reads == [(offsets[5] - offsets[4], offsets[4]), (offsets[1], 0)]
    with pytest.raises(IndexError, match="passage 6 of 6"):
        index.passages[6]


def test_stored_passages_keep_their_text_and_offsets(tmp_path: Path) -> None:
    build(tmp_path / "index", n=3)
    passage = load_index(tmp_path / "index").passages[1]
    assert (passage.start, passage.end, passage.section, passage.page) == (100, 170, "Key milestones", 1)
    assert passage.text == "Passage 1: Serbia joined the PfP in December 2006, “quoted” — ünïcode."
    assert passage.end - passage.start == len(passage.text)


def test_a_damaged_line_is_found_when_it_is_read(tmp_path: Path) -> None:
    build(tmp_path / "index", n=3)
    path = active(tmp_path / "index") / PASSAGES
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = b"#" * (len(lines[1]) - 1) + b"\n"  # same length: the offsets still add up
    path.write_bytes(b"".join(lines))
    index = load_index(tmp_path / "index")  # the first and last lines are whole
    assert index.passages[2].text.startswith("Passage 2:")
    with pytest.raises(CorruptIndex, match=r"\(build-\w+/passages\.jsonl is damaged: passage 1: Expecting value: "
                                           r"line 1 column 1 \(char 0\)\)\. Run `docqa index --full`"):
        index.passages[1]


@pytest.mark.parametrize("content", [b"", b"not numpy", b"\x93NUMPY\x01\x00garbage"])
def test_damaged_offsets(tmp_path: Path, content: bytes) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / OFFSETS).write_bytes(content)
    with pytest.raises(CorruptIndex, match=r"build-\w+/passages\.offsets\.npy is damaged"):
        load_index(tmp_path / "index")


def test_offsets_of_another_kind(tmp_path: Path) -> None:
    build(tmp_path / "index")
    np.save(active(tmp_path / "index") / OFFSETS, np.array([0.0, 1.0]))
    with pytest.raises(CorruptIndex, match=r"passages\.offsets\.npy is damaged: not a list of offsets"):
        load_index(tmp_path / "index")


def test_damaged_bm25(tmp_path: Path) -> None:
    build(tmp_path / "index")
    (active(tmp_path / "index") / LEXICAL / "words.json").write_text("[", encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"\(build-\w+/bm25/ is damaged: Expecting value"):
        load_index(tmp_path / "index")


# ---- folders written by earlier versions --------------------------------------------------------

def test_a_folder_of_an_earlier_version_still_loads(tmp_path: Path) -> None:
    """Before this version: no offsets, no bm25/, no `vectors` in the manifest, and the old loader
    skipped blank lines."""
    items, vectors = build(tmp_path / "index", n=4)
    new = load_index(tmp_path / "index")
    expected_hits = Retriever(new).lexical("Serbia PfP December", 4)
    folder = active(tmp_path / "index")
    (folder / OFFSETS).unlink()
    shutil.rmtree(folder / LEXICAL)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    del manifest["vectors"]
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    lines = (folder / PASSAGES).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / PASSAGES).write_text("\n" + lines[0] + "\n  \n" + "".join(lines[1:]), encoding="utf-8")

    old = load_index(tmp_path / "index")
    assert (old.spec, old.lexical, old.manifest.vectors["kind"]) == (FLAT, None, "flat")
    assert list(old.passages) == items
    np.testing.assert_array_equal(old.vectors_of([0, 1, 2, 3]), vectors)
    assert Retriever(old).lexical("Serbia PfP December", 4) == expected_hits
    assert [i for i, _ in old.search(vectors[2], 1)] == [2]


# ---- the vector index: exact up to a size, HNSW past it ------------------------------------------

def test_hnsw_candidates_grow_with_the_size() -> None:
    # 64 * (n / 10,000)^0.6, up to a multiple of 32: 30,000 -> 123.7, 100,000 -> 254.8, 1,000,000 -> 1014.3
    assert [hnsw_ef_search(n) for n in (1, 10_000, 10_001, 30_000, 100_000, 1_000_000)] == [64, 64, 96, 128, 256, 1024]


def test_vector_index_spec_by_size_and_choice() -> None:
    assert EXACT_SEARCH_LIMIT == 100_000
    hnsw = VectorIndexSpec(VectorSearch.HNSW, 32, 128, 256)
    assert vector_index_spec(100_000, VectorSearch.AUTO) == FLAT
    assert vector_index_spec(100_001, VectorSearch.AUTO) == hnsw
    assert vector_index_spec(100_001, VectorSearch.FLAT) == FLAT
    assert vector_index_spec(10, VectorSearch.HNSW) == VectorIndexSpec(VectorSearch.HNSW, 32, 128, 64)
    assert VectorIndexSpec.from_json(hnsw.to_json()) == hnsw
    assert hnsw.to_json() == {"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 256}


def test_the_manifest_records_a_forced_hnsw_index(tmp_path: Path) -> None:
    _, vectors = build(tmp_path / "index", n=7, vector_search=VectorSearch.HNSW)
    index = load_index(tmp_path / "index")
    assert index.manifest.vectors == {"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 64}
    graph = index.shards[0].vectors
    assert type(graph) is faiss.IndexHNSWFlat and graph.hnsw.efSearch == 64
    np.testing.assert_array_equal(index.vectors_of([6, 0]), vectors[[6, 0]])
    np.testing.assert_array_equal(index.vectors_of(list(range(7)) * 10), np.tile(vectors, (10, 1)))


@pytest.mark.parametrize("vectors", [{"kind": "ivf"}, {"kind": "hnsw", "m": 32}, {"kind": "flat", "m": 32},
                                     {"kind": "flat", "nlist": 4}, "flat"])
def test_manifest_with_a_damaged_vector_index(tmp_path: Path, vectors: object) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / MANIFEST
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "vectors": vectors}), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"build-\w+/manifest\.json is damaged"):
        load_index(tmp_path / "index")


def test_manifest_naming_another_vector_index(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / MANIFEST
    hnsw = {"kind": "hnsw", "m": 32, "ef_construction": 128, "ef_search": 64}
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), "vectors": hnsw}), encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"\(build-\w+/vectors\.faiss holds IndexFlatIP, the manifest says hnsw\)"):
        load_index(tmp_path / "index")


def test_merge_hits_takes_the_best_of_every_shard_at_global_positions() -> None:
    found = [
        (np.array([0.9, 0.5, 0.1], np.float32), np.array([2, 0, 1])),
        (np.array([], np.float32), np.array([], np.int64)),
        (np.array([0.7, 0.5, 0.0], np.float32), np.array([1, 0, -1])),
    ]
    assert merge_hits(found, [0, 3, 3], 4) == [(2, pytest.approx(0.9)), (4, pytest.approx(0.7)),
                                               (0, 0.5), (3, 0.5)]
    assert merge_hits(found, [0, 3, 3], 1) == [(2, pytest.approx(0.9))]


def test_a_malformed_shard_entry_is_a_damaged_manifest(tmp_path: Path) -> None:
    build(tmp_path / "index")
    path = active(tmp_path / "index") / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**manifest, "shards": [{"name": "../x", "documents": {}, "skipped": {}, "passages": 3}]}),
                    encoding="utf-8")
    with pytest.raises(CorruptIndex, match=r"manifest\.json is damaged: a shard entry holds"):
        load_index(tmp_path / "index")


def test_the_first_vector_not_of_unit_length_is_found_in_any_chunk(monkeypatch) -> None:
    monkeypatch.setattr(vector_module, "CHECK_CHUNK", 4)  # the check reads 4 vectors at a time
    unit = np.eye(10, 8, dtype=np.float32)[:, :8] + np.eye(10, 8, k=-2, dtype=np.float32)
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(8)
    index.add(unit)
    assert first_bad_vector(index) is None
    for position, value in ((6, np.nan), (9, 3.0), (0, 0.0)):
        damaged = unit.copy()
        damaged[position] *= value
        bad = faiss.IndexFlatIP(8)
        bad.add(damaged)
        assert first_bad_vector(bad) == position
