"""Passages + vectors -> an index on disk (FAISS file, passages as JSON lines, manifest.json).

Layout of the index folder:
    CURRENT             name of the active build folder (replaced atomically)
    build-<stamp>/      vectors.faiss, passages.jsonl, manifest.json
    .lock               held while a build writes
    .partial-<stamp>-<pid>/  a build being written (or left by a killed one; removed by the next build)
A build writes a new folder and only then points CURRENT at it, so a build killed at any moment
leaves the previous index loadable. No pickle anywhere: JSON and FAISS's own format.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import get_args, get_origin, get_type_hints

import faiss
import numpy as np
from filelock import FileLock, Timeout

from .errors import CorruptIndex, IndexLocked, IndexNotFound, StaleIndex
from .settings import SplitSettings
from .split import Passage

FORMAT = 1
CURRENT = "CURRENT"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
MANIFEST = "manifest.json"
LOCK = ".lock"
LOCK_INFO = ".lock.info"
PARTIAL_PREFIX = ".partial-"
LOAD_ATTEMPTS = 3


@dataclass(frozen=True)
class Manifest:
    format: int
    model: str
    dim: int
    split: dict
    documents: dict[str, str]  # path -> sha256 of the file's bytes
    passages: int
    built_at: str
    build_seconds: float
    versions: dict[str, str]
    # path -> sha256 of files the build could not read: not stale while their bytes stay the same.
    skipped: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A manifest that parses as JSON but holds values of the wrong kind is as damaged as garbled
        # JSON: the TypeError becomes a CorruptIndex where the manifest is read, not a crash later.
        for name, kind in get_type_hints(type(self)).items():
            value = getattr(self, name)
            expected = (int, float) if kind is float else get_origin(kind) or kind
            items = value.items() if isinstance(value, dict) else ()
            if (isinstance(value, bool) or not isinstance(value, expected)
                    or any(not isinstance(x, t) for pair in items for x, t in zip(pair, get_args(kind)))):
                wanted = kind.__name__ if isinstance(kind, type) else str(kind)
                raise TypeError(f"{name} holds {json.dumps(value)[:40]}, expected {wanted}")

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        """The manifest of a JSON object; fields added since a manifest was written take their default."""
        return cls(**{
            name: data[name] for name, spec in cls.__dataclass_fields__.items()
            if name in data or (spec.default is MISSING and spec.default_factory is MISSING)
        })


@dataclass(frozen=True)
class BuildReport:
    """What a build did. Documents by path: `added` and `changed` were read, split and (where their
    passage texts were not already in the index) embedded; `removed` left the index (deleted, or now
    unreadable); `unchanged` kept their passages and vectors. `embedded` counts passages sent to the
    model, `reused` passages of added or changed documents whose text already had a vector (a renamed
    file, an untouched paragraph). `full`: nothing was reused. `skipped`: "path: reason"."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    passages: int
    embedded: int
    seconds: float
    embed_seconds: float
    full: bool
    skipped: tuple[str, ...] = ()
    reused: int = 0

    @property
    def passages_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


class Index:
    """A loaded index: passages in index order and the FAISS inner-product index over their vectors."""

    def __init__(self, folder: Path, manifest: Manifest, passages: list[Passage], vectors: faiss.Index):
        self.folder = folder
        self.manifest = manifest
        self.passages = passages
        self.vectors = vectors

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage position, cosine) for the k nearest passages, best first."""
        k = min(k, len(self.passages))
        if k == 0:
            return []
        scores, ids = self.vectors.search(query.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def vectors_of(self, positions: list[int]) -> np.ndarray:
        """float32 array (len(positions), dim): the stored vectors of these passage positions."""
        if not positions:
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        if len(positions) > 64:  # one bulk copy beats a call per vector
            return self.vectors.reconstruct_n(0, self.vectors.ntotal)[np.asarray(positions)].astype(np.float32)
        return np.stack([self.vectors.reconstruct(int(p)) for p in positions]).astype(np.float32)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("docqa", "faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "spacy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def current_folder(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    if not name or "/" in name or name.startswith("."):
        raise CorruptIndex(str(index_dir), f"{CURRENT} names {name!r}")
    return index_dir / name


def _read_manifest_in(index_dir: Path, folder: Path) -> Manifest:
    try:
        return Manifest.from_json(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is missing") from error
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is damaged: {error}") from error


def read_manifest(index_dir: Path) -> Manifest:
    return _read_manifest_in(index_dir, _active(index_dir))


def stale_reason(manifest: Manifest, model: str, split: SplitSettings, hashes: dict[str, str]) -> str | None:
    """Why an index no longer matches the settings and corpus, or None when it is current."""
    if manifest.format != FORMAT:
        return f"index format {manifest.format}, this docqa writes {FORMAT}"
    if manifest.model != model:
        return f"built with model {manifest.model!r}, settings ask for {model!r}"
    if manifest.split != asdict(split):
        return "built with other splitter settings"
    unreadable = {p for p, h in hashes.items() if manifest.skipped.get(p) == h}
    added = sorted(set(hashes) - set(manifest.documents) - unreadable)
    removed = sorted(set(manifest.documents) - set(hashes))
    changed = sorted(p for p in hashes if p in manifest.documents and manifest.documents[p] != hashes[p])
    parts = []
    for label, paths in (("new", added), ("changed", changed), ("removed", removed)):
        if paths:
            shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
            parts.append(f"{label}: {shown}")
    return "; ".join(parts) if parts else None


def _passage_from_json(data: dict) -> Passage:
    return Passage(**{name: data[name] for name in Passage.__dataclass_fields__})


def _load_folder(index_dir: Path, folder: Path) -> Index:
    manifest = _read_manifest_in(index_dir, folder)
    try:
        vectors = faiss.read_index(str(folder / VECTORS))
    except RuntimeError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{VECTORS} is unreadable") from error
    try:
        with (folder / PASSAGES).open(encoding="utf-8") as handle:
            passages = [_passage_from_json(json.loads(line)) for line in handle if line.strip()]
    except FileNotFoundError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{PASSAGES} is missing") from error
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{PASSAGES} is damaged: {error}") from error
    if vectors.ntotal != len(passages) or len(passages) != manifest.passages:
        raise CorruptIndex(
            str(index_dir),
            f"{vectors.ntotal} vectors, {len(passages)} passages, manifest says {manifest.passages}",
        )
    if vectors.d != manifest.dim:
        raise CorruptIndex(str(index_dir), f"vectors of dimension {vectors.d}, manifest says {manifest.dim}")
    return Index(folder, manifest, passages, vectors)


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
        info = self.index_dir / LOCK_INFO
        return info.read_text(encoding="utf-8").strip() if info.is_file() else "unknown process"

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


def _write_json_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` survive a power cut, not only a killed process."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_index(
    index_dir: Path, model: str, split: SplitSettings, documents: dict[str, str],
    passages: list[Passage], vectors: np.ndarray, build_seconds: float, skipped: dict[str, str] | None = None,
) -> Path:
    """Write a complete new build folder, then switch CURRENT to it. The build CURRENT named before
    stays (a server may still be loading it); older ones are removed."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = index_dir / f"build-{stamp}"
    partial = index_dir / f"{PARTIAL_PREFIX}{stamp}-{os.getpid()}"
    partial.mkdir(parents=True)
    flat = faiss.IndexFlatIP(int(vectors.shape[1]))
    if len(vectors):
        flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(partial / VECTORS))
    with (partial / PASSAGES).open("w", encoding="utf-8") as handle:
        for passage in passages:
            # Field by field: dataclasses.asdict deep-copies every value, a third of an incremental build.
            row = {name: getattr(passage, name) for name in Passage.__dataclass_fields__}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    manifest = Manifest(
        format=FORMAT, model=model, dim=int(vectors.shape[1]), split=asdict(split), documents=documents,
        passages=len(passages), built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(build_seconds, 3), versions=library_versions(),
        skipped={} if skipped is None else dict(skipped),
    )
    (partial / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False), encoding="utf-8")
    for name in (VECTORS, PASSAGES, MANIFEST):
        with (partial / name).open("rb") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(partial)
    try:
        previous = current_folder(index_dir)
    except CorruptIndex:  # a damaged CURRENT is what this build repairs
        previous = None
    os.replace(partial, folder)
    _write_json_atomic(index_dir / CURRENT, folder.name + "\n")
    _fsync_dir(index_dir)
    keep = {folder.name} | ({previous.name} if previous is not None else set())
    for old in index_dir.glob("build-*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what killed builds left (`.partial-*` folders, a half-written CURRENT.tmp); returns
    their names. Call it while holding the BuildLock: then no build is writing them."""
    leftovers = sorted(index_dir.glob(PARTIAL_PREFIX + "*")) + sorted(index_dir.glob(CURRENT + ".tmp"))
    for leftover in leftovers:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return [leftover.name for leftover in leftovers]


@dataclass(frozen=True)
class BuildPlan:
    """How the corpus compares with the previous index, by path and content hash.

    `added`: not in the previous index (new files, or files it could not read); `changed`: other bytes;
    `removed`: in the previous index, gone from the corpus; `unchanged`: same bytes, reused as they are.
    `full`: nothing of the previous index is reused, for `reason`.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full: bool
    reason: str | None


def plan_build(
    hashes: dict[str, str], previous: Manifest | None, model: str, split: SplitSettings, full: bool
) -> BuildPlan:
    """Compare the corpus (path -> sha256, in corpus order) with the previous index's manifest.

    With no usable previous index (missing, other format, model or splitter, or `full`), every file is added.
    """
    if full:
        reason = "a full rebuild was asked for"
    elif previous is None:
        reason = "there is no previous index"
    elif previous.format != FORMAT:
        reason = f"the index has format {previous.format}, this docqa writes {FORMAT}"
    elif previous.model != model:
        reason = f"the model changed from {previous.model!r} to {model!r}"
    elif previous.split != asdict(split):
        reason = "the splitter settings changed"
    else:
        reason = None
    old = previous.documents if previous is not None and reason is None else {}
    return BuildPlan(
        added=tuple(p for p in hashes if p not in old),
        changed=tuple(p for p in hashes if p in old and old[p] != hashes[p]),
        removed=tuple(sorted(p for p in old if p not in hashes)),
        unchanged=tuple(p for p in hashes if p in old and old[p] == hashes[p]),
        full=reason is not None,
        reason=reason,
    )
