"""Passages + vectors -> an index on disk (FAISS file, passages as JSON lines, manifest.json).

Layout of the index folder:
    CURRENT             name of the active build folder (replaced atomically)
    build-<stamp>/      vectors.faiss, passages.jsonl, manifest.json
    .lock               held while a build writes
A build writes a new folder and only then points CURRENT at it, so a build killed at any moment
leaves the previous index loadable. No pickle anywhere: JSON and FAISS's own format.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import faiss
import numpy as np
from filelock import FileLock, Timeout

from .documents import Document
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

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class BuildReport:
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
        if not positions:
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
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


def read_manifest(index_dir: Path) -> Manifest:
    folder = current_folder(index_dir)
    if folder is None:
        raise IndexNotFound(str(index_dir))
    try:
        return Manifest.from_json(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is missing") from error
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise CorruptIndex(str(index_dir), f"{folder.name}/{MANIFEST} is damaged: {error}") from error


def stale_reason(manifest: Manifest, model: str, split: SplitSettings, hashes: dict[str, str]) -> str | None:
    """Why an index no longer matches the settings and corpus, or None when it is current."""
    if manifest.format != FORMAT:
        return f"index format {manifest.format}, this docqa writes {FORMAT}"
    if manifest.model != model:
        return f"built with model {manifest.model!r}, settings ask for {model!r}"
    if manifest.split != asdict(split):
        return "built with other splitter settings"
    added = sorted(set(hashes) - set(manifest.documents))
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


def load_index(index_dir: Path) -> Index:
    """Load the active index; raises IndexNotFound or CorruptIndex with what to do."""
    manifest = read_manifest(index_dir)
    folder = current_folder(index_dir)
    assert folder is not None  # read_manifest raised otherwise
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


def load_current(index_dir: Path, model: str, split: SplitSettings, hashes: dict[str, str]) -> Index:
    """Load the index and check it against the settings and corpus; raises StaleIndex if it differs."""
    index = load_index(index_dir)
    reason = stale_reason(index.manifest, model, split, hashes)
    if reason:
        raise StaleIndex(str(index_dir), reason)
    return index


class BuildLock:
    """Keeps two builds of one index folder apart; the second waits, then says who holds the lock."""

    def __init__(self, index_dir: Path, wait_seconds: float):
        index_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir = index_dir
        self.lock = FileLock(str(index_dir / LOCK))
        self.wait_seconds = wait_seconds

    def __enter__(self) -> "BuildLock":
        try:
            self.lock.acquire(timeout=self.wait_seconds)
        except Timeout as error:
            info = self.index_dir / LOCK_INFO
            holder = info.read_text(encoding="utf-8").strip() if info.is_file() else "unknown process"
            raise IndexLocked(str(self.index_dir), holder) from error
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


def write_index(
    index_dir: Path, model: str, split: SplitSettings, documents: dict[str, str],
    passages: list[Passage], vectors: np.ndarray, build_seconds: float,
) -> Path:
    """Write a complete new build folder, then switch CURRENT to it; older builds are removed."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = index_dir / f"build-{stamp}"
    partial = index_dir / f".partial-{stamp}-{os.getpid()}"
    partial.mkdir(parents=True)
    flat = faiss.IndexFlatIP(int(vectors.shape[1]))
    if len(vectors):
        flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(partial / VECTORS))
    with (partial / PASSAGES).open("w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(json.dumps(asdict(passage), ensure_ascii=False) + "\n")
    manifest = Manifest(
        format=FORMAT, model=model, dim=int(vectors.shape[1]), split=asdict(split), documents=documents,
        passages=len(passages), built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        build_seconds=round(build_seconds, 3), versions=library_versions(),
    )
    (partial / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2, ensure_ascii=False), encoding="utf-8")
    for name in (VECTORS, PASSAGES, MANIFEST):
        with (partial / name).open("rb") as handle:
            os.fsync(handle.fileno())
    os.replace(partial, folder)
    _write_json_atomic(index_dir / CURRENT, folder.name + "\n")
    _remove_old_builds(index_dir, keep={folder.name})
    return folder


def _remove_old_builds(index_dir: Path, keep: set[str]) -> None:
    """Drop superseded builds and leftovers of killed builds. The newest older build stays a while
    for servers still reading it; it goes at the next build."""
    builds = sorted(p for p in index_dir.glob("build-*") if p.is_dir() and p.name not in keep)
    for old in builds[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    for partial in index_dir.glob(".partial-*"):
        pid = partial.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(partial, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def plan_build(
    documents: list[Document], previous: Index | None, model: str, split: SplitSettings, full: bool
) -> tuple[list[Document], list[Document], list[str], list[str]]:
    """(added, changed, removed paths, unchanged paths) relative to the previous index.

    With no usable previous index (missing, other model or splitter, or `full`), every document is new.
    """
    reusable = (
        previous is not None and not full and previous.manifest.model == model
        and previous.manifest.split == asdict(split) and previous.manifest.format == FORMAT
    )
    old = previous.manifest.documents if reusable and previous is not None else {}
    current = {d.path: d for d in documents}
    added = [d for d in documents if d.path not in old]
    changed = [d for d in documents if d.path in old and old[d.path] != d.sha256]
    unchanged = [d.path for d in documents if d.path in old and old[d.path] == d.sha256]
    removed = sorted(p for p in old if p not in current)
    return added, changed, removed, unchanged
