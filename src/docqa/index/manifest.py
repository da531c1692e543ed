"""What an index holds and how it was built (manifest.json), whether it is out of date with the
settings and the corpus, what a build did (BuildReport), and the plan of the next build."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import get_args, get_origin, get_type_hints

from docqa.index.vectors import FLAT, VectorIndexSpec
from docqa.ingest.split import READING
from docqa.settings import SplitSettings

FORMAT = 1


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
    # VectorIndexSpec.to_json(); manifests written before it existed describe a flat index.
    vectors: dict = field(default_factory=FLAT.to_json)
    # ShardRecord.to_json() of each shard, in passage order; empty for an unsharded build.
    shards: list[dict] = field(default_factory=list)
    # split.READING of the docqa that read the documents; manifests written before it existed hold 0.
    reading: int = 0
    # path -> why the build could not read the file (a skipped one's reason, as `documents list` shows it);
    # manifests written before it existed hold none.
    reasons: dict[str, str] = field(default_factory=dict)

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

    def shard_records(self) -> tuple["ShardRecord", ...]:
        """The build's shards in passage order; an unsharded build is one shard named "" (the build
        folder itself). Raises ValueError when a shard entry is malformed."""
        if not self.shards:
            return (ShardRecord("", self.documents, self.skipped, self.passages),)
        return tuple(ShardRecord.from_json(entry) for entry in self.shards)


@dataclass(frozen=True)
class ShardRecord:
    """One shard of a build: its folder's `name` under shards/ ("" for the build folder itself), the
    documents whose passages it holds and the files it could not read (path -> sha256 each), and how
    many passages it holds."""

    name: str
    documents: dict[str, str]
    skipped: dict[str, str]
    passages: int

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> "ShardRecord":
        """The record of a manifest's shard entry; raises ValueError when it is not one."""
        fields = set(cls.__dataclass_fields__)
        valid = (isinstance(data, dict) and set(data) == fields and isinstance(data["name"], str)
                 and data["name"] not in ("", ".", "..") and "/" not in data["name"]
                 and isinstance(data["passages"], int) and not isinstance(data["passages"], bool)
                 and data["passages"] >= 0
                 and all(isinstance(data[k], dict) and all(isinstance(x, str) for pair in data[k].items() for x in pair)
                         for k in ("documents", "skipped")))
        if not valid:
            raise ValueError(f"a shard entry holds {json.dumps(data)[:60]}")
        return cls(**data)


@dataclass(frozen=True)
class BuildReport:
    """What a build did. Documents by path: `added` and `changed` were read, split and (where their
    passage texts were not already in the index) embedded; `removed` left the index (deleted, or now
    unreadable); `unchanged` kept their passages and vectors. `embedded` counts passages sent to the
    model, `reused` passages of added or changed documents whose text already had a vector (a renamed
    file, an untouched paragraph). `full`: nothing was reused. `skipped`: "path: reason". `shards`:
    of a sharded build, the shards built again (the others were kept as they were) and how many it has.
    `warnings`: "path: what reading it changed" of the documents read (bytes replaced, runs dropped).
    `repaired`: why the index before could not be read (CorruptIndex.problem), when this build replaced it."""

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
    shards: tuple[str, ...] = ()
    shard_count: int = 1
    warnings: tuple[str, ...] = ()
    repaired: str | None = None

    @property
    def documents(self) -> str:
        """'1 document', '15 documents': how many the index now holds, as a reply says it."""
        n = len(self.added) + len(self.changed) + len(self.unchanged)
        return f"{n} document" + ("" if n == 1 else "s")

    @property
    def passages_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("docqa", "faiss-cpu", "sentence-transformers", "torch", "transformers", "bm25s", "spacy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def reread_reason(reading: int) -> str:
    return (f"its documents were read by another docqa (reading {reading}, this one reads them as {READING}): "
            "every file is read again, passages whose text did not change keep their vectors")


def stale_reason(manifest: Manifest, model: str, split: SplitSettings, hashes: dict[str, str]) -> str | None:
    """Why an index no longer matches the settings and corpus, or None when it is current."""
    if manifest.format != FORMAT:
        return f"index format {manifest.format}, this docqa writes {FORMAT}"
    if manifest.model != model:
        return f"built with model {manifest.model!r}, settings ask for {model!r}"
    if manifest.split != asdict(split):
        return "built with other splitter settings"
    if manifest.reading != READING:
        return reread_reason(manifest.reading)
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


def new_manifest(
    model: str, split: SplitSettings, dim: int, documents: dict[str, str], passages: int, build_seconds: float,
    skipped: dict[str, str], spec: VectorIndexSpec, shards: Sequence[ShardRecord] = (),
    reasons: dict[str, str] | None = None,
) -> Manifest:
    """The manifest of a build made now with this docqa; `shards` empty for an unsharded build; `reasons`:
    why each skipped file could not be read."""
    return Manifest(
        format=FORMAT, model=model, dim=dim, split=asdict(split), documents=documents, passages=passages,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), build_seconds=round(build_seconds, 3),
        versions=library_versions(), skipped=dict(skipped), vectors=spec.to_json(),
        shards=[record.to_json() for record in shards], reading=READING,
        reasons={path: reason for path, reason in (reasons or {}).items() if path in skipped},
    )


@dataclass(frozen=True)
class BuildPlan:
    """How the corpus compares with the previous index, by path and content hash.

    `added`: not in the previous index (new files, or files it could not read); `changed`: other bytes;
    `removed`: in the previous index, gone from the corpus; `unchanged`: same bytes, reused as they are.
    `full`: nothing of the previous index is reused, for `reason`. `reread`: the previous index's
    documents were read by another docqa (split.READING): every file is read again (none is unchanged)
    and only the vectors of passages whose text did not change are reused.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full: bool
    reason: str | None
    reread: bool = False


def plan_build(
    hashes: dict[str, str], previous: Manifest | None, model: str, split: SplitSettings, full: bool, shards: int = 1,
) -> BuildPlan:
    """Compare the corpus (path -> sha256, in corpus order) with the previous index's manifest.

    With no usable previous index (missing, other format, model, splitter or number of `shards`, or
    `full`), every file is added.
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
    elif len(previous.shards or [None]) != shards:
        reason = f"the number of shards changed from {len(previous.shards or [None])} to {shards}"
    else:
        reason = None
    old = previous.documents if previous is not None and reason is None else {}
    reread = previous is not None and reason is None and previous.reading != READING
    return BuildPlan(
        added=tuple(p for p in hashes if p not in old),
        changed=tuple(p for p in hashes if p in old and (reread or old[p] != hashes[p])),
        removed=tuple(sorted(p for p in old if p not in hashes)),
        unchanged=tuple(p for p in hashes if p in old and not reread and old[p] == hashes[p]),
        full=reason is not None,
        reason=reason if reason is not None else reread_reason(previous.reading) if reread else None,
        reread=reread,
    )
