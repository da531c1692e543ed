"""Passages + vectors -> an index on disk (FAISS file, passages as JSON lines with their byte offsets,
BM25, manifest.json), and the loaded index that questions read.

Layout of the index folder:
    CURRENT             name of the active build folder (replaced atomically)
    build-<stamp>/      vectors.faiss, passages.jsonl, passages.offsets.npy, bm25/ (lexical.py), manifest.json
                        or, for a sharded build, shards/<name>/ holding the first three each (below)
    .lock               held while a build writes
    .partial-<stamp>-<pid>/  a build being written (or left by a killed one; removed by the next build)
A build writes a new folder and only then points CURRENT at it, so a build killed at any moment
leaves the previous index loadable. No pickle anywhere: JSON, numpy's .npy and FAISS's own format.

A question reads only the passages it returns: passages.offsets.npy (int64, where each line of
passages.jsonl starts, then the file's size) is memory-mapped and a passage is one read of its line.
A folder written before the offsets and bm25/ existed still loads: its offsets come from one pass
over the file, its BM25 is built in memory (retrieve.Retriever).

Vectors are searched exactly (faiss.IndexFlatIP) up to EXACT_SEARCH_LIMIT passages and through an
HNSW graph past it, or as `Settings.vector_search` says; the manifest records which, with its parameters.

A sharded build (`docqa index --shards N` or `--ray`) keeps its passages and vectors in shards: each
shard folder holds the passages.jsonl, offsets and vectors.faiss of the documents it was given, the
manifest lists every shard with those documents' hashes, and BM25 and the manifest stay at the build
folder's root, over all passages. Passages are numbered shard after shard, so a question searches
every shard and merges their hits into the positions the rest of the engine knows. An unsharded build
is one shard, the build folder itself, as every folder written before shards existed.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import functools
import json
import logging
import os
import re
import shutil
import socket
import weakref
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import overload

import faiss
import numpy as np
from filelock import FileLock, Timeout

from docqa.atomic import replacing, write_text_atomically
from docqa.errors import CorruptIndex, IndexLocked, IndexNotFound, StaleIndex
from docqa.index.lexical import FOLDER as LEXICAL
from docqa.index.lexical import DamagedLexicalIndex, LexicalIndex
from docqa.index.manifest import Manifest, new_manifest, stale_reason
from docqa.index.named import Names, corpus_names, naming_index
from docqa.index.vectors import (
    VectorIndexSpec,
    _flat,
    all_vectors,
    first_bad_vector,
    make_vector_index,
    search_vectors,
    vector_index_spec,
)
from docqa.settings import EXACT_SEARCH_LIMIT, SplitSettings, VectorSearch
from docqa.types import Passage

log = logging.getLogger("docqa")

CURRENT = "CURRENT"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
OFFSETS = "passages.offsets.npy"
MANIFEST = "manifest.json"
SHARDS = "shards"
SHARD_FILES = (VECTORS, PASSAGES, OFFSETS)
LOCK = ".lock"
LOCK_INFO = ".lock.info"
PARTIAL_PREFIX = ".partial-"
# The names docqa gives its own folders in an index folder; nothing else there is ever removed (a user's
# "build-photos" beside the index stays).
_STAMP = r"\d{8}T\d{12}Z"
_BUILD_NAME = re.compile(rf"build-{_STAMP}")
_PARTIAL_NAME = re.compile(rf"{re.escape(PARTIAL_PREFIX)}{_STAMP}-\d+")
LOAD_ATTEMPTS = 3


def shard_folder(build_folder: Path, name: str) -> Path:
    """Where the shard `name` of a build folder lives ("" is the build folder itself)."""
    return build_folder / SHARDS / name if name else build_folder


class PassageSequence(Sequence[Passage]):
    """A read-only sequence of passages: slices and negative positions as for a list, each passage
    from `_at(position)` with 0 <= position < len(self)."""

    @abstractmethod
    def _at(self, position: int) -> Passage: ...

    @overload
    def __getitem__(self, position: int) -> Passage: ...

    @overload
    def __getitem__(self, position: slice) -> list[Passage]: ...

    def __getitem__(self, position: int | slice) -> Passage | list[Passage]:
        if isinstance(position, slice):
            return [self._at(i) for i in range(*position.indices(len(self)))]
        n = len(self)
        at = position + n if position < 0 else position
        if not 0 <= at < n:
            raise IndexError(f"passage {position} of {n}")
        return self._at(at)


class PassageStore(PassageSequence):
    """The passages of one build in index order, each read from passages.jsonl when asked for.

    Reads are positioned (os.pread), so threads share the store without a lock; the open file keeps
    serving a build folder that a newer build removed meanwhile. A damaged line raises CorruptIndex."""

    def __init__(self, path: Path, offsets: np.ndarray, damaged: Callable[[str], CorruptIndex]):
        """`offsets`: where each passage's line starts, then where the last one ends (int64)."""
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        self._offsets = offsets
        self._damaged = damaged

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _at(self, at: int) -> Passage:
        start, end = int(self._offsets[at]), int(self._offsets[at + 1])
        try:
            return passage_from_json(json.loads(os.pread(self._fd, end - start, start)))
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
            raise self._damaged(f"passage {at}: {error}") from error


class Shard:
    """The passages of one shard in its own order (read on demand) and the FAISS index of their vectors."""

    def __init__(self, passages: Sequence[Passage], vectors: faiss.Index):
        self.passages = passages
        self.vectors = vectors

    def vectors_of(self, positions: list[int]) -> np.ndarray:
        """float32 array (len(positions), dim): the stored vectors of these passage positions."""
        if not positions:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        if len(positions) > 64:  # one bulk copy beats a call per vector
            return all_vectors(self.vectors)[np.asarray(positions)]
        flat = _flat(self.vectors)
        return np.stack([flat.reconstruct(int(p)) for p in positions]).astype(np.float32)


class ShardedPassages(PassageSequence):
    """The passages of several shards as one sequence, shard after shard."""

    def __init__(self, shards: Sequence[Sequence[Passage]]):
        self.shards = list(shards)
        self.starts = np.cumsum([0] + [len(s) for s in self.shards]).tolist()

    def __len__(self) -> int:
        return self.starts[-1]

    def _at(self, at: int) -> Passage:
        shard = bisect.bisect_right(self.starts, at) - 1
        return self.shards[shard][at - self.starts[shard]]


def merge_hits(found: Sequence[tuple[np.ndarray, np.ndarray]], starts: Sequence[int], k: int) -> list[tuple[int, float]]:
    """The k best (position, score) over shards: `found` holds each shard's (scores, positions in the
    shard) for one query, best first, position -1 where none; shard n's passages start at `starts[n]`.
    Equal scores keep the shards' order."""
    hits = [(start + int(i), float(score)) for (scores, ids), start in zip(found, starts)
            for i, score in zip(ids, scores) if i >= 0]
    return sorted(hits, key=lambda hit: -hit[1])[:k]


@dataclass(frozen=True)
class Within:
    """Passage positions in index order as sorted, disjoint half-open ranges [start, end): the passages
    of the documents a question is limited to."""

    ranges: tuple[tuple[int, int], ...]

    @property
    def count(self) -> int:
        return sum(end - start for start, end in self.ranges)

    def contains(self, positions: np.ndarray) -> np.ndarray:
        """A boolean mask: which of `positions` lie in a range."""
        starts = np.array([start for start, _ in self.ranges] or [0], dtype=np.int64)
        ends = np.array([end for _, end in self.ranges] or [0], dtype=np.int64)
        at = np.searchsorted(starts, positions, side="right") - 1
        return (at >= 0) & (positions < ends[np.clip(at, 0, None)])

    def positions(self, start: int, end: int) -> np.ndarray:
        """The positions of the ranges that lie within [start, end), in order (int64)."""
        parts = [np.arange(max(a, start), min(b, end), dtype=np.int64) for a, b in self.ranges if a < end and b > start]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Outline:
    """Where one document's passages lie in index order (ranges [start, end): a build stores a
    document's passages together, so one range, more only where they are not) and the last page that
    a passage reaches (None for a text without pages)."""

    ranges: tuple[tuple[int, int], ...]
    pages: int | None

    @property
    def passages(self) -> int:
        return sum(end - start for start, end in self.ranges)


def outlines(passages: Sequence[Passage]) -> dict[str, Outline]:
    """Each document's Outline, in the order its first passage comes."""
    ranges: dict[str, list[list[int]]] = {}
    pages: dict[str, int | None] = {}
    for position, passage in enumerate(passages):
        found = ranges.setdefault(passage.document, [])
        if found and found[-1][1] == position:
            found[-1][1] = position + 1
        else:
            found.append([position, position + 1])
        if passage.page is not None:
            last = passage.page + len(passage.page_breaks)
            pages[passage.document] = max(pages.get(passage.document) or 0, last)
    return {d: Outline(tuple((a, b) for a, b in r), pages.get(d)) for d, r in ranges.items()}


class Index:
    """A loaded index: its shards (one for an unsharded build), their passages as one sequence in index
    order (read on demand), and the BM25 over all of them (None for a folder written before BM25 was
    stored). `spec` says how every shard's vectors are searched."""

    def __init__(self, folder: Path, manifest: Manifest, shards: Sequence[Shard], spec: VectorIndexSpec,
                 lexical: LexicalIndex | None):
        self.folder = folder
        self.manifest = manifest
        self.shards = list(shards)
        joined = ShardedPassages([s.passages for s in self.shards])
        self.starts = joined.starts  # where each shard's passages begin in index order, then the total
        self.passages: Sequence[Passage] = self.shards[0].passages if len(self.shards) == 1 else joined
        self.spec = spec
        self.lexical = lexical

    @functools.cached_property
    def outlines(self) -> dict[str, Outline]:
        """Each document's Outline (`outlines`): the passages are read through once, on first use."""
        return outlines(self.passages)

    @functools.cached_property
    def names(self) -> dict[str, Names]:
        """Each document's name words (named.document_names): its file name's and its title's, the title
        being its first passage's section heading, else that passage's first line. The passages are read
        through once, on first use."""
        documents = {}
        for document, outline in self.outlines.items():
            first = self.passages[outline.ranges[0][0]]
            texts = [self.passages[i].search_text for start, end in outline.ranges for i in range(start, end)]
            documents[document] = (first.section or first.text, texts)
        return corpus_names(documents)

    @functools.cached_property
    def naming(self) -> dict[str, tuple[str, ...]]:
        """Each word that may name documents -> those documents (named.naming_index)."""
        return naming_index(self.names)

    def within(self, documents: Sequence[str]) -> Within:
        """The passages of `documents` (paths as the index names them; every one must be in it)."""
        return Within(tuple(sorted(r for document in documents for r in self.outlines[document].ranges)))

    def search(self, query: np.ndarray, k: int, within: Within | None = None) -> list[tuple[int, float]]:
        """(passage position, cosine) for the k nearest passages over every shard, best first; only
        passages `within` when given. A limited search is exact: FAISS's own selection for a flat index;
        for an HNSW graph (which a selection can leave with too few neighbours to walk), the selected
        vectors compared one by one, up to EXACT_SEARCH_LIMIT of them."""
        k = min(k, len(self.passages) if within is None else within.count)
        if k == 0:
            return []
        if within is not None and self.spec.kind is VectorSearch.HNSW and within.count <= EXACT_SEARCH_LIMIT:
            positions = within.positions(0, len(self.passages))
            scores = self.vectors_of(positions.tolist()) @ np.asarray(query, dtype=np.float32).reshape(-1)
            best = np.lexsort((positions, -scores))[:k]
            return [(int(positions[i]), float(scores[i])) for i in best]
        found = []
        for n, shard in enumerate(self.shards):
            start = self.starts[n]
            ids = within.positions(start, start + len(shard.passages)) - start if within is not None else None
            size = len(shard.passages) if ids is None else len(ids)
            if size:
                scores, hits = search_vectors(shard.vectors, self.spec, query, min(k, size), ids)
                found.append((scores[0], hits[0]))
            else:
                found.append((np.zeros(0, np.float32), np.zeros(0, np.int64)))
        return merge_hits(found, self.starts, k)

    def vectors_of(self, positions: list[int]) -> np.ndarray:
        """float32 array (len(positions), dim): the stored vectors of these passage positions."""
        if len(self.shards) == 1:
            return self.shards[0].vectors_of(positions)
        at = np.asarray(positions, dtype=np.int64)
        owner = np.searchsorted(self.starts, at, side="right") - 1
        out = np.zeros((len(at), self.manifest.dim), dtype=np.float32)
        for n, shard in enumerate(self.shards):
            rows = np.flatnonzero(owner == n)
            if len(rows):
                out[rows] = shard.vectors_of((at[rows] - self.starts[n]).tolist())
        return out


def current_folder(index_dir: Path) -> Path | None:
    """The build folder CURRENT names; None without a CURRENT. Raises CorruptIndex for one that names
    no build folder of this index (or is no text)."""
    pointer = index_dir / CURRENT
    if pointer.is_dir():
        raise CorruptIndex(str(index_dir), f"{CURRENT} is a folder")
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (UnicodeDecodeError, OSError) as error:
        raise CorruptIndex(str(index_dir), f"{CURRENT} cannot be read ({type(error).__name__})") from error
    if not name or "/" in name or "\0" in name or name.startswith("."):
        raise CorruptIndex(str(index_dir), f"{CURRENT} names {name!r}")
    return index_dir / name


def _read_manifest_in(index_dir: Path, folder: Path) -> Manifest:
    try:
        return Manifest.from_json(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is missing") from error
    except IsADirectoryError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is a folder") from error
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is damaged: {error}") from error


def read_manifest(index_dir: Path) -> Manifest:
    return _read_manifest_in(index_dir, _active(index_dir))


def passage_from_json(data: dict) -> Passage:
    """The passage of a line of passages.jsonl; a field added since the line was written takes its default."""
    passage = Passage(**{name: data[name] for name in Passage.__dataclass_fields__ if name in data})
    return replace(passage, page_breaks=tuple(passage.page_breaks)) if passage.page_breaks else passage


def passage_line(passage: Passage) -> bytes:
    """The passage as one line of passages.jsonl."""
    # Field by field: dataclasses.asdict deep-copies every value, a third of an incremental build.
    row = {name: getattr(passage, name) for name in Passage.__dataclass_fields__}
    for name in ("ocr", "page_breaks", "table_header"):
        if not row[name]:
            del row[name]  # lines stay as they were for text not read by OCR, passages on one page, in no table
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def line_offsets(path: Path) -> np.ndarray:
    """Where each non-blank line of `path` starts, then the file's size (int64): the offsets of a
    passages.jsonl written without its offsets file. A blank line joins the line before it."""
    starts, at = [], 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                starts.append(at)
            at += len(line)
    return np.array(starts + [at], dtype=np.int64)


def _label(index_dir: Path, folder: Path) -> str:
    """How a message names a folder of the index: build-<stamp>, or build-<stamp>/shards/<name>."""
    return folder.relative_to(index_dir).as_posix() if folder.is_relative_to(index_dir) else folder.name


def _passage_store(index_dir: Path, folder: Path) -> PassageStore:
    label = _label(index_dir, folder)

    def damaged(reason: str) -> CorruptIndex:
        return CorruptIndex(str(index_dir), f"{label}/{PASSAGES} is damaged: {reason}")

    path = folder / PASSAGES
    if not path.is_file():
        raise CorruptIndex(str(index_dir), f"{label}/{PASSAGES} is missing")
    try:
        offsets = np.load(folder / OFFSETS, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        offsets = line_offsets(path)  # written before offsets were stored
    except (OSError, ValueError, EOFError) as error:
        raise CorruptIndex(str(index_dir), f"{label}/{OFFSETS} is damaged: {error}") from error
    size = path.stat().st_size
    if offsets.dtype != np.int64 or offsets.ndim != 1 or len(offsets) == 0:
        raise CorruptIndex(str(index_dir), f"{label}/{OFFSETS} is damaged: not a list of offsets")
    if int(offsets[-1]) != size or int(offsets[0]) < 0 or bool(np.any(np.diff(offsets) <= 0)):
        raise damaged(f"{size} bytes, {OFFSETS} says {int(offsets[-1])} in {len(offsets) - 1} lines")
    store = PassageStore(path, offsets, damaged)
    if len(store):  # the first and the last line parse: a garbled file shows at load, not at a question
        _ = store[0], store[-1]
    return store


def stored_passages(folder: Path) -> Sequence[Passage]:
    """The passages of the shard in `folder`, read on demand; raises CorruptIndex when they are damaged."""
    return _passage_store(folder.parent, folder)


def _lexical(index_dir: Path, folder: Path, passages: int) -> LexicalIndex | None:
    try:
        return LexicalIndex.load(folder, passages)
    except FileNotFoundError:
        return None  # written before BM25 was stored
    except DamagedLexicalIndex as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{LEXICAL}/ is damaged: {error}") from error


def load_shard(index_dir: Path, folder: Path, spec: VectorIndexSpec | None) -> Shard:
    """The shard in `folder` (a build folder, or one of its shards/); raises CorruptIndex naming the
    file when one is missing or damaged, or the vectors are not of `spec`'s kind (any kind for None).
    Its passages and vectors are counted against the manifest by the caller."""
    label = _label(index_dir, folder)
    try:
        vectors = faiss.read_index(str(folder / VECTORS))
    except RuntimeError as error:
        raise CorruptIndex(str(index_dir), f"{label}/{VECTORS} is unreadable") from error
    expected = faiss.IndexHNSWFlat if spec is not None and spec.kind is VectorSearch.HNSW else faiss.IndexFlatIP
    if spec is not None and type(vectors) is not expected:
        raise CorruptIndex(str(index_dir), f"{label}/{VECTORS} holds {type(vectors).__name__}, "
                                           f"the manifest says {spec.kind.value}")
    bad = first_bad_vector(vectors)
    if bad is not None:
        raise CorruptIndex(str(index_dir), f"{label}/{VECTORS} is damaged: vector {bad:,} is not of unit length")
    return Shard(_passage_store(index_dir, folder), vectors)


def _load_folder(index_dir: Path, folder: Path) -> Index:
    manifest = _read_manifest_in(index_dir, folder)
    try:
        spec = VectorIndexSpec.from_json(manifest.vectors)
        records = manifest.shard_records()
    except ValueError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is damaged: {error}") from error
    shards = [load_shard(index_dir, shard_folder(folder, r.name), spec) for r in records]
    held = [len(s.passages) for s in shards]
    if ([s.vectors.ntotal for s in shards] != held or held != [r.passages for r in records]
            or sum(held) != manifest.passages):
        raise CorruptIndex(
            str(index_dir),
            f"{sum(s.vectors.ntotal for s in shards)} vectors, {sum(held)} passages, manifest says {manifest.passages}",
        )
    if any(s.vectors.d != manifest.dim for s in shards):
        raise CorruptIndex(str(index_dir), f"vectors of dimension {shards[0].vectors.d}, manifest says {manifest.dim}")
    return Index(folder, manifest, shards, spec, _lexical(index_dir, folder, manifest.passages))


def load_index(index_dir: Path) -> Index:
    """Load the active index; raises IndexNotFound or CorruptIndex with what to do.

    Every file comes from the one build folder CURRENT named when loading began. If that folder
    disappears meanwhile (two newer builds finished and pruned it), the load starts again from the
    new CURRENT.
    """
    folder = _active(index_dir)
    for _ in range(LOAD_ATTEMPTS - 1):
        try:
            return _load_folder(index_dir, folder)
        except CorruptIndex:
            newer = _active(index_dir)
            if newer == folder:
                raise
            folder = newer
    return _load_folder(index_dir, folder)


def _active(index_dir: Path) -> Path:
    folder = current_folder(index_dir)
    if folder is None:
        raise IndexNotFound(str(index_dir))
    return folder


def load_current(index_dir: Path, model: str, split: SplitSettings, hashes: dict[str, str]) -> Index:
    """Load the index and check it against the settings and corpus; raises StaleIndex if it differs."""
    index = load_index(index_dir)
    reason = stale_reason(index.manifest, model, split, hashes)
    if reason:
        raise StaleIndex(str(index_dir), reason)
    return index


def build_holder(index_dir: Path) -> str | None:
    """Who holds the build lock of `index_dir` ("pid 12 on host since ..."), or None when no build
    runs. The look is a shared flock for an instant: looks do not disturb one another, and a build
    that starts during one waits that instant (BuildLock's FileLock takes an exclusive flock)."""
    try:
        handle = os.open(index_dir / LOCK, os.O_RDONLY)
    except OSError:
        return None  # no lock file: no build has ever run here
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return BuildLock.holder_of(index_dir)
    finally:
        os.close(handle)  # closing lets go of the shared lock
    return None


class BuildLock:
    """Keeps two builds of one index folder apart; the second waits, then says who holds the lock."""

    def __init__(self, index_dir: Path, wait_seconds: float, on_wait: Callable[[str], None] | None = None):
        index_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir = index_dir
        # An OS lock (flock): the kernel releases it when its holder dies, even by kill -9.
        self.lock = FileLock(str(index_dir / LOCK))
        self.wait_seconds = wait_seconds
        self.on_wait = on_wait

    def holder(self) -> str:
        return self.holder_of(self.index_dir)

    @staticmethod
    def holder_of(index_dir: Path) -> str:
        """What the lock's holder wrote of itself ("pid 12 on host since ...")."""
        try:
            return (index_dir / LOCK_INFO).read_text(encoding="utf-8").strip()
        except OSError:
            return "unknown process"

    def __enter__(self) -> "BuildLock":
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            if self.on_wait is not None:
                self.on_wait(self.holder())
            try:
                self.lock.acquire(timeout=self.wait_seconds)
            except Timeout as error:
                raise IndexLocked(str(self.index_dir), self.holder()) from error
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        (self.index_dir / LOCK_INFO).write_text(
            f"pid {os.getpid()} on {socket.gethostname()} since {started}", encoding="utf-8"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        (self.index_dir / LOCK_INFO).unlink(missing_ok=True)
        self.lock.release()


def _fsync_files(paths: Sequence[Path]) -> None:
    for path in paths:
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` survive a power cut, not only a killed process."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def start_build(index_dir: Path) -> Path:
    """A new, empty folder for a build to write into (`.partial-<stamp>-<pid>`); finish_build publishes it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    partial = index_dir / f"{PARTIAL_PREFIX}{stamp}-{os.getpid()}"
    partial.mkdir(parents=True)
    return partial


def write_shard(folder: Path, passages: Sequence[Passage], vectors: np.ndarray, spec: VectorIndexSpec) -> None:
    """Write one shard's vectors.faiss (of `spec`'s kind), passages.jsonl and passages.offsets.npy into
    `folder` (made if needed), each flushed to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    _replace_vectors(folder, vectors, spec)
    offsets = [0]
    with (folder / PASSAGES).open("wb") as handle:
        for passage in passages:
            line = passage_line(passage)
            handle.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(folder / OFFSETS, np.array(offsets, dtype=np.int64), allow_pickle=False)
    _fsync_files([folder / name for name in SHARD_FILES])
    _fsync_dir(folder)


def reindex_shard(folder: Path, spec: VectorIndexSpec) -> None:
    """Index the vectors stored in `folder` the way `spec` says, in a new vectors.faiss (the old file may
    be a hard link to one of the build being served: it is replaced, never written through)."""
    _replace_vectors(folder, all_vectors(faiss.read_index(str(folder / VECTORS))), spec)
    _fsync_files([folder / VECTORS])
    _fsync_dir(folder)


def _replace_vectors(folder: Path, vectors: np.ndarray, spec: VectorIndexSpec) -> None:
    if spec.kind is VectorSearch.HNSW:
        log.info("Building an HNSW graph over %d vectors (M %d, efConstruction %d)", len(vectors), spec.m,
                 spec.ef_construction)
    with replacing(folder / VECTORS) as temporary:
        faiss.write_index(make_vector_index(vectors, spec), str(temporary))


def link_shard(source: Path, target: Path) -> None:
    """The shard files of `source` in `target` too: hard links (no copy, no write to either), or copies
    where the file system cannot link."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SHARD_FILES:
        if not (source / name).exists():  # a folder written before offsets were stored
            continue
        try:
            os.link(source / name, target / name)
        except OSError:
            shutil.copy2(source / name, target / name)


def finish_build(index_dir: Path, partial: Path, manifest: Manifest, texts: Sequence[str]) -> Path:
    """Complete the build in `partial` (its shards written) with the BM25 of `texts` (every passage's
    search text, in index order) and the manifest, then make it the active build: renamed to
    build-<stamp>, CURRENT switched to it. The build CURRENT named before stays (a server may still be
    loading it); older ones are removed."""
    written = LexicalIndex.build(list(texts)).save(partial)
    (partial / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False), encoding="utf-8")
    _fsync_files([*written, partial / MANIFEST])
    _fsync_dir(partial / LEXICAL)
    if (partial / SHARDS).is_dir():
        _fsync_dir(partial / SHARDS)
    _fsync_dir(partial)
    stamp = partial.name[len(PARTIAL_PREFIX):].rsplit("-", 1)[0]
    folder = index_dir / f"build-{stamp}"
    try:
        previous = current_folder(index_dir)
    except CorruptIndex:  # a damaged CURRENT is what this build repairs
        previous = None
    os.replace(partial, folder)
    if (index_dir / CURRENT).is_dir():
        with contextlib.suppress(OSError):  # an empty folder in the pointer's place goes; one with files stays, and says so
            (index_dir / CURRENT).rmdir()
    write_text_atomically(index_dir / CURRENT, folder.name + "\n")
    _fsync_dir(index_dir)
    keep = {folder.name} | ({previous.name} if previous is not None else set())
    for old in index_dir.glob("build-*"):
        if old.is_dir() and old.name not in keep and _BUILD_NAME.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)
    return folder


def write_index(
    index_dir: Path, model: str, split: SplitSettings, documents: dict[str, str],
    passages: Sequence[Passage], vectors: np.ndarray, build_seconds: float, skipped: dict[str, str] | None = None,
    vector_search: VectorSearch = VectorSearch.AUTO,
) -> Path:
    """Write a complete new unsharded build folder, then switch CURRENT to it (finish_build).
    `vector_search` picks the vector index (vector_index_spec)."""
    partial = start_build(index_dir)
    spec = vector_index_spec(len(passages), vector_search)
    write_shard(partial, passages, vectors, spec)
    manifest = new_manifest(model, split, int(vectors.shape[1]), documents, len(passages), build_seconds,
                            {} if skipped is None else skipped, spec)
    return finish_build(index_dir, partial, manifest, [p.search_text for p in passages])


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what killed builds left (`.partial-*` folders, a half-written CURRENT.tmp); returns
    their names. Call it while holding the BuildLock: then no build is writing them."""
    leftovers = sorted(p for p in index_dir.glob(PARTIAL_PREFIX + "*") if _PARTIAL_NAME.fullmatch(p.name)) \
        + sorted(index_dir.glob(CURRENT + ".tmp"))
    for leftover in leftovers:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return [leftover.name for leftover in leftovers]


