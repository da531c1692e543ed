"""Documents -> one shard's passages and vectors on disk: the part of a build that can be spread over workers.

A document belongs to shard `shard_of(path, count)`, a hash of its path, so that editing a document
changes its own shard only and a build redoes only the shards whose documents changed (build.py).
`build_shard` is one shard's work: read, clean, split and embed its added and changed documents, keep
the passages and vectors of its unchanged ones, and write the shard's files. `InProcess` runs the
jobs one after another in the build's own process; index/cluster.py runs them on Ray workers.

What is reused within a shard: the passages and vectors of every document whose bytes did not change,
and the vector of any passage whose text (with its section title) the shard already held, so that the
untouched paragraphs of an edited file are not embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from docqa.index.manifest import ShardRecord
from docqa.index.store import load_shard, write_shard
from docqa.index.vectors import FLAT, all_vectors
from docqa.ingest.corpus import Document, Notice, Skipped
from docqa.ingest.formats import UnreadableFile
from docqa.ingest.sandbox import Sandbox
from docqa.ingest.split import split_passages
from docqa.names import display_name
from docqa.settings import Settings
from docqa.types import Passage

log = logging.getLogger("docqa")

# Below this many passages an embedding takes a second or two: a progress bar would only flicker.
PROGRESS_BAR_MIN_PASSAGES = 256


class Encoder(Protocol):
    dim: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def shard_of(path: str, count: int) -> int:
    """The shard (0 to count - 1) of the document at `path` (relative to the corpus): the first eight
    bytes of the path's SHA-256, big-endian, modulo `count`. The same on every machine and every run."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big") % count


def shard_name(number: int) -> str:
    """The folder name of shard `number` under a build's shards/."""
    return f"{number:03d}"


def assign_shards(hashes: dict[str, str], count: int) -> list[dict[str, str]]:
    """The corpus (path -> sha256, in corpus order) split into `count` shards, each in corpus order."""
    shards: list[dict[str, str]] = [{} for _ in range(count)]
    for path, sha in hashes.items():
        shards[shard_of(path, count)][path] = sha
    return shards


@dataclass(frozen=True)
class ShardJob:
    """Build shard `name` into `folder` from `documents` (path -> sha256 as scanned, in corpus order).
    `previous`: the folder of the same shard in the build being replaced, whose `previous_documents`
    keep their passages when their bytes did not change; None when nothing is reused."""

    name: str
    folder: Path
    documents: dict[str, str]
    previous: Path | None = None
    previous_documents: dict[str, str] | None = None


@dataclass(frozen=True)
class ShardResult:
    """What building one shard did: its manifest record; the documents it read, split and embedded
    (`read`) and those it could not read; passages embedded, and passages of read documents whose text
    already had a vector (`reused`); seconds spent embedding; the vectors' dimension; what reading the
    documents had to change (`notices`)."""

    record: ShardRecord
    read: tuple[str, ...]
    unreadable: tuple[Skipped, ...]
    embedded: int
    reused: int
    embed_seconds: float
    dim: int
    notices: tuple[Notice, ...] = ()


class ShardWorkers(Protocol):
    """Runs shard jobs: in this process (InProcess) or on a cluster (cluster.RayWorkers)."""

    default_shards: int  # the shard count of a sharded build when neither --shards nor the index says

    def build(self, jobs: list[ShardJob], settings: Settings) -> list[ShardResult]:
        """The result of every job, in the jobs' order."""
        ...


class InProcess:
    """Builds shards one after another with `encoder`, in this process."""

    default_shards = 1

    def __init__(self, encoder: Encoder, progress: Callable[[str], None] | None = None):
        self.encoder = encoder
        self.progress = progress

    def build(self, jobs: list[ShardJob], settings: Settings) -> list[ShardResult]:
        return [build_shard(job, settings, self.encoder, self.progress) for job in jobs]


def passages_of(document: Document, settings: Settings) -> list[Passage]:
    return split_passages(document.path, document.clean, settings.split)


@dataclass(frozen=True)
class Contents:
    """Passages already built (a previous shard) and their vectors, row for row."""

    passages: list[Passage]
    vectors: np.ndarray


def read_documents(paths: list[str], settings: Settings, progress: Callable[[str], None] | None = None,
                   ) -> tuple[list[Document], list[Skipped]]:
    """The documents at these corpus paths, read and cleaned in a sandbox within `settings.limits`;
    unreadable ones skipped. Why, and what reading changed in a document, go to the log at INFO: the
    build's report says both to the user (`docqa index`, the chat) or the engine logs them as warnings
    (a build no one prints). `progress` hears how a long file goes (each page of a scanned PDF)."""
    documents, skipped = [], []
    with Sandbox(settings.corpus, settings.limits, progress) as sandbox:
        for path in paths:
            try:
                documents.append(sandbox.read(path))
            except UnreadableFile as error:
                log.info("Skipped %s: %s", display_name(path), error)
                skipped.append(Skipped(path, str(error)))
                continue
            for note in documents[-1].notes:
                log.info("%s: %s", display_name(path), note)
    return documents, skipped


def embed_passages(
    fresh: list[Passage], previous: Contents | None, encoder: Encoder, progress: Callable[[str], None] | None,
) -> tuple[np.ndarray, int, float]:
    """Vectors of `fresh` passages; a search text that already has a vector in `previous` is not embedded
    again, nor is a text repeated within `fresh`.

    Returns (vectors in `fresh` order, number of texts embedded, seconds spent embedding).
    """
    known = {p.search_text: i for i, p in enumerate(previous.passages)} if previous is not None else {}
    missing = list(dict.fromkeys(p.search_text for p in fresh if p.search_text not in known))
    if progress is not None and missing:
        progress(f"Embedding {len(missing)} passage{'' if len(missing) == 1 else 's'}")
    started = time.perf_counter()
    show_bar = progress is not None and len(missing) >= PROGRESS_BAR_MIN_PASSAGES
    embedded = encoder.encode(missing, progress=show_bar) if missing else np.zeros((0, encoder.dim), np.float32)
    seconds = time.perf_counter() - started
    row = {text: n for n, text in enumerate(missing)}
    vectors = np.zeros((len(fresh), encoder.dim), dtype=np.float32)
    for n, passage in enumerate(fresh):
        text = passage.search_text
        vectors[n] = embedded[row[text]] if text in row else previous.vectors[known[text]]  # type: ignore[union-attr]
    return vectors, len(missing), seconds


def build_shard(job: ShardJob, settings: Settings, encoder: Encoder,
                progress: Callable[[str], None] | None = None) -> ShardResult:
    """Build one shard (see the module's docstring) and write its files into `job.folder`, flat: the
    build indexes them as its whole size asks once every shard is written."""
    before = job.previous_documents if job.previous is not None and job.previous_documents is not None else {}
    kept = {path for path, sha in job.documents.items() if before.get(path) == sha}
    previous = None
    if job.previous is not None:
        stored = load_shard(job.previous.parent, job.previous, None)
        previous = Contents(list(stored.passages), all_vectors(stored.vectors))
    read, unreadable = read_documents([p for p in job.documents if p not in kept], settings, progress)
    fresh = [passage for document in read for passage in passages_of(document, settings)]
    fresh_vectors, embedded, embed_seconds = embed_passages(fresh, previous, encoder, progress)
    kept_rows = [n for n, p in enumerate(previous.passages) if p.document in kept] if previous is not None else []
    passages = [previous.passages[n] for n in kept_rows] + fresh if previous is not None else fresh
    vectors = np.concatenate([previous.vectors[kept_rows], fresh_vectors]) if previous is not None else fresh_vectors
    # Corpus order, so that building the same corpus twice yields the same shard.
    order = {path: n for n, path in enumerate(job.documents)}
    ranked = sorted(range(len(passages)), key=lambda i: (order[passages[i].document], passages[i].start))
    write_shard(job.folder, [passages[i] for i in ranked], vectors[ranked] if ranked else vectors, FLAT)
    parsed = {d.path: d.sha256 for d in read}  # the hashes of the bytes actually read
    documents = {p: parsed.get(p, h) for p, h in job.documents.items() if p in kept or p in parsed}
    skipped = {s.path: job.documents[s.path] for s in unreadable}
    notices = tuple(Notice(d.path, note) for d in read for note in d.notes)
    return ShardResult(ShardRecord(job.name, documents, skipped, len(passages)), tuple(d.path for d in read),
                       tuple(unreadable), embedded, len(fresh) - embedded, embed_seconds, encoder.dim, notices)
