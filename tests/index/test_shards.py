"""Shards: which shard a document belongs to, a sharded build in process against the unsharded one
(same passages, vectors and hits), and a rebuild after one edit that builds only that document's shard
and links the others' files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from index.test_build import BAKERS, FACTS, Recording, make_corpus

from docqa.embed.embedder import Embedder
from docqa.index.build import build_index
from docqa.index.manifest import ShardRecord
from docqa.index.shards import assign_shards, shard_name, shard_of
from docqa.index.store import PASSAGES, SHARDS, VECTORS, load_index, read_manifest
from docqa.settings import Settings

QUESTIONS = ["When was the lighthouse built?", "Why does sourdough rise slowly?", "How do honeybees communicate?"]


def test_a_document_goes_to_the_shard_of_its_path_hash() -> None:
    paths = ["alpha.txt", "beta.txt", "gamma.txt", "epsilon.txt", "sub/alpha-renamed.txt"]
    assert [shard_of(p, 2) for p in paths] == [1, 0, 1, 0, 1]
    assert [shard_of(p, 3) for p in paths] == [2, 2, 2, 1, 1]
    assert [shard_of(p, 1) for p in paths] == [0, 0, 0, 0, 0]
    hashes = {"alpha.txt": "a", "beta.txt": "b", "gamma.txt": "g", "epsilon.txt": "e"}
    assert assign_shards(hashes, 3) == [{}, {"epsilon.txt": "e"}, {"alpha.txt": "a", "beta.txt": "b", "gamma.txt": "g"}]
    assert assign_shards(hashes, 2) == [{"beta.txt": "b", "epsilon.txt": "e"}, {"alpha.txt": "a", "gamma.txt": "g"}]
    assert [shard_name(0), shard_name(12), shard_name(1234)] == ["000", "012", "1234"]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def by_passage(settings: Settings) -> dict[tuple[str, int], tuple[str, np.ndarray]]:
    """(document, start) -> (passage text, vector) of the built index."""
    index = load_index(settings.index)
    vectors = index.vectors_of(list(range(len(index.passages))))
    return {(p.document, p.start): (p.text, vectors[i]) for i, p in enumerate(index.passages)}


def hits(settings: Settings, embedder: Embedder, question: str) -> list[tuple[str, float]]:
    index = load_index(settings.index)
    return [(index.passages[i].text, round(score, 5)) for i, score in index.search(embedder.encode([question])[0], 4)]


def test_a_sharded_build_holds_the_unsharded_build_s_passages_vectors_and_hits(tmp_path: Path, embedder: Embedder) -> None:
    single = make_corpus(tmp_path / "single", FACTS)
    sharded = make_corpus(tmp_path / "sharded", FACTS).with_(shards=2)
    build_index(single, embedder)
    report = build_index(sharded, embedder)
    assert (report.shards, report.shard_count, report.embedded, report.passages) == (("000", "001"), 2, 4, 4)
    manifest = read_manifest(sharded.index)
    records = [ShardRecord.from_json(entry) for entry in manifest.shards]
    assert [(r.name, list(r.documents), r.passages) for r in records] == [
        ("000", ["beta.txt", "epsilon.txt"], 2), ("001", ["alpha.txt", "gamma.txt"], 2)]
    assert list(manifest.documents) == ["alpha.txt", "beta.txt", "epsilon.txt", "gamma.txt"]
    index = load_index(sharded.index)
    assert [p.document for p in index.passages] == ["beta.txt", "epsilon.txt", "alpha.txt", "gamma.txt"]
    ours, theirs = by_passage(sharded), by_passage(single)
    assert sorted(ours) == sorted(theirs)
    assert all(ours[key][0] == theirs[key][0] for key in ours)
    assert max(float(np.abs(ours[key][1] - theirs[key][1]).max()) for key in ours) <= 1e-5
    for question in QUESTIONS:
        assert hits(sharded, embedder, question) == hits(single, embedder, question)


def test_an_edit_rebuilds_only_its_shard_and_links_the_others(tmp_path: Path, embedder: Embedder) -> None:
    settings = make_corpus(tmp_path, FACTS).with_(shards=2)
    build_index(settings, embedder)
    first = load_index(settings.index).folder
    (settings.corpus / "beta.txt").write_text(FACTS["beta.txt"] + BAKERS + "\n", encoding="utf-8")
    encoder = Recording(embedder)
    report = build_index(settings.with_(shards=None), encoder)  # the index's own count
    assert (report.changed, report.unchanged, report.shards, report.embedded) == (
        ("beta.txt",), ("alpha.txt", "epsilon.txt", "gamma.txt"), ("000",), 1)
    assert encoder.texts == [FACTS["beta.txt"] + BAKERS]
    second = load_index(settings.index).folder
    for name in (VECTORS, PASSAGES):  # the kept shard's files are the same files, not copies
        assert os.stat(second / SHARDS / "001" / name).st_ino == os.stat(first / SHARDS / "001" / name).st_ino
    assert [p.document for p in load_index(settings.index).passages] == ["beta.txt", "epsilon.txt", "alpha.txt", "gamma.txt"]
    # Another shard count reuses nothing.
    again = build_index(settings.with_(shards=3), encoder)
    assert (again.full, again.shards, again.embedded) == (True, ("000", "001", "002"), 4)
