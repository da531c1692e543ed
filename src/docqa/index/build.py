"""Corpus -> passages -> vectors -> a new index on disk, embedding only what changed.

`build_index` is the one place that turns documents into an index; the engine's `rebuild`, the
`docqa index` command and `docqa index --watch` all call it.

An index is one shard (the build folder itself) or several (`--shards N`, `--ray`): each document
belongs to one shard by a hash of its path (shards.shard_of), a shard whose documents did not change
is kept as it is (its files hard-linked into the new build), and every other shard is built again by
shards.build_shard, in this process or on Ray workers (cluster.py). Within a shard built again, the
passages and vectors of unchanged documents are kept and a passage whose text already had a vector in
that shard is not embedded again (for an unsharded index, the shard is the whole corpus, so a renamed
file keeps its vectors too). This process then indexes the vectors as the total size asks, builds BM25
over every passage, writes the manifest and switches CURRENT. A change of model, splitter settings or
shard count, or `full`, reuses nothing; another vector index alone (`Settings.vector_search`)
re-indexes the stored vectors without embedding any. An index whose documents another docqa read
(`split.READING`) has every file read again, and only its vectors are reused, passage text by passage text.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from docqa.errors import CorruptIndex, DocqaError, EmptyCorpus, IndexNotFound
from docqa.index.manifest import (
    BuildPlan,
    BuildReport,
    Manifest,
    ShardRecord,
    new_manifest,
    plan_build,
)
from docqa.index.shards import (
    Encoder,
    InProcess,
    ShardJob,
    ShardResult,
    ShardWorkers,
    assign_shards,
    read_documents,
    shard_name,
)
from docqa.index.store import (
    BuildLock,
    Index,
    finish_build,
    link_shard,
    load_index,
    reindex_shard,
    remove_leftovers,
    shard_folder,
    start_build,
    stored_passages,
)
from docqa.index.vectors import vector_index_spec
from docqa.ingest.corpus import Skipped, corpus_files, scan_corpus
from docqa.ingest.formats import ACCEPTED_SUFFIXES
from docqa.names import display_name
from docqa.settings import Settings, VectorSearch

log = logging.getLogger("docqa")

BUILD_LOCK_WAIT_SECONDS = 600.0


def _previous(settings: Settings) -> tuple[Index | None, str | None]:
    """The index before this build, or None; and why it could not be read, where it is damaged (the
    build then reads everything again, and its report says so)."""
    try:
        return load_index(settings.index), None
    except IndexNotFound:  # a first build: nothing to reuse, nothing to say
        return None, None
    except CorruptIndex as error:  # a damaged index is rebuilt from scratch
        log.info("No reusable previous index: %s", error.problem)
        return None, error.problem


# A reason shared by more files than this (a folder of photos) is said once, naming the first of them.
NAMED_PER_REASON = 3


def _reasons(skipped: list[Skipped]) -> tuple[str, ...]:
    """"path: reason" for each skipped file, in order; the files of a reason more than NAMED_PER_REASON + 1
    share (every .png of a folder) in one line, where the first of them stood."""
    paths: dict[str, list[str]] = {}
    for s in skipped:
        paths.setdefault(s.reason, []).append(display_name(s.path))
    lines = []
    for reason, names in paths.items():
        if len(names) > NAMED_PER_REASON + 1:
            names = [f"{', '.join(names[:NAMED_PER_REASON])} and {len(names) - NAMED_PER_REASON} more"]
        lines += [f"{name}: {reason}" for name in names]
    return tuple(lines)


def shard_count(requested: int | None, previous: Manifest | None, default: int) -> int:
    """How many shards a build makes: `requested` (--shards) when given, else as many as the previous
    index when it is sharded, else `default` (the workers' own: 1 in process)."""
    if requested is not None:
        return requested
    if previous is not None and previous.shards:
        return len(previous.shards)
    return default


@dataclass(frozen=True)
class _ShardPlan:
    """Which shards a build keeps as the index it replaces has them, and which it builds again.
    `names` in passage order ([""] for an unsharded index); `wanted`: each shard's documents (path ->
    sha256, corpus order); `before`: the replaced index's records of its shards."""

    names: list[str]
    wanted: dict[str, dict[str, str]]
    before: dict[str, ShardRecord]
    kept: list[str]
    redo: list[str]


def _shard_plan(hashes: dict[str, str], reusable: Index | None, reread: bool, count: int) -> _ShardPlan:
    before = {r.name: r for r in reusable.manifest.shard_records()} if reusable is not None else {}
    names = [""] if count == 1 else [shard_name(n) for n in range(count)]
    wanted = dict(zip(names, assign_shards(hashes, count)))
    kept = [n for n in names if n in before and not reread and {**before[n].documents, **before[n].skipped} == wanted[n]]
    return _ShardPlan(names, wanted, before, kept, [n for n in names if n not in kept])


def build_index(
    settings: Settings, encoder: Encoder | None, full: bool = False, progress: Callable[[str], None] | None = None,
    lock_wait_seconds: float = BUILD_LOCK_WAIT_SECONDS, workers: ShardWorkers | None = None,
    allow_empty: bool = False,
) -> BuildReport:
    """Bring the index in `settings.index` up to date with `settings.corpus`.

    Unchanged documents keep their passages and vectors; added and changed ones are read, split and
    embedded (by `workers`, else in this process with `encoder`); removed ones are dropped. The new index
    replaces the old one atomically; when nothing changed (documents, and the vector index
    `settings.vector_search` asks for), nothing is written. Another build of the same index is waited
    for up to `lock_wait_seconds`, then IndexLocked names it. Raises EmptyCorpus when no document is
    readable, unless `allow_empty`: then the index holds no passage (a chat that starts with no document,
    or whose last document was removed).
    """
    started = time.perf_counter()
    tell = progress if progress is not None else log.info
    if workers is None:
        if encoder is None:
            raise ValueError("build_index needs an encoder or workers")
        workers = InProcess(encoder, progress)
    lock = BuildLock(settings.index, lock_wait_seconds,
                     on_wait=lambda holder: tell(f"Waiting for the build that holds {settings.index}/ ({holder})"))
    with lock:
        for leftover in remove_leftovers(settings.index):
            log.info("Removed %s, left by a build that was killed", leftover)
        scan = scan_corpus(settings.corpus, settings.limits)
        previous, damage = _previous(settings)
        count = shard_count(settings.shards, previous.manifest if previous is not None else None,
                            workers.default_shards)
        plan = plan_build(scan.hashes, previous.manifest if previous is not None else None,
                          settings.model, settings.split, full, count)
        if plan.full and previous is not None:
            tell(f"Embedding every document: {plan.reason}")
        elif plan.reread:
            tell(f"Reading every document again: {plan.reason}")
        reusable = None if plan.full else previous
        shards = _shard_plan(scan.hashes, reusable, plan.reread, count)
        # Files a kept shard could not read are tried again, only to say why they are still skipped.
        _, still_unreadable = read_documents([p for n in shards.kept for p in shards.before[n].skipped], settings)
        skipped = [*scan.skipped, *still_unreadable]
        if not shards.redo and reusable is not None and reusable.spec == vector_index_spec(
                len(reusable.passages), settings.vector_search):
            return BuildReport(added=(), changed=(), removed=(), unchanged=plan.unchanged,
                               passages=len(reusable.passages), embedded=0, seconds=time.perf_counter() - started,
                               embed_seconds=0.0, full=False, shard_count=count,
                               skipped=_reasons(skipped))  # nothing to write
        partial = start_build(settings.index)
        try:
            results = _build_shards(settings, partial, shards, reusable, plan.reread, workers, tell)
            documents = _write(settings, partial, shards, results, reusable, scan.hashes, started, allow_empty,
                               {s.path: s.reason for s in still_unreadable})
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return replace(_report(scan.hashes, reusable, documents, results, plan, shards, skipped, time.perf_counter() - started),
                   repaired=damage)


def _build_shards(settings: Settings, partial: Path, shards: _ShardPlan, reusable: Index | None, reread: bool,
                  workers: ShardWorkers, tell: Callable[[str], None]) -> dict[str, ShardResult]:
    """Link the kept shards into the build being written and have `workers` build the others; the
    results by shard name."""
    for name in shards.kept:
        link_shard(shard_folder(reusable.folder, name), shard_folder(partial, name))  # type: ignore[union-attr]
    jobs = [ShardJob(name, shard_folder(partial, name), shards.wanted[name],
                     shard_folder(reusable.folder, name) if name in shards.before else None,  # type: ignore[union-attr]
                     ({} if reread else shards.before[name].documents) if name in shards.before else None)
            for name in shards.redo]
    for job in jobs:  # made here, so that a worker that cannot see them says so
        job.folder.mkdir(parents=True, exist_ok=True)
    if len(shards.names) > 1:
        tell(f"Building {len(jobs)} of {len(shards.names)} shards")
    return {r.record.name: r for r in workers.build(jobs, settings)}


def _write(settings: Settings, partial: Path, shards: _ShardPlan, results: dict[str, ShardResult],
           reusable: Index | None, hashes: dict[str, str], started: float, allow_empty: bool,
           reasons: dict[str, str]) -> dict[str, str]:
    """Index the vectors as the build's size asks, write BM25 and the manifest, and switch CURRENT to
    the new build; the documents it holds (path -> sha256, corpus order). `reasons`: why the files of
    kept shards are still unreadable (those of the shards read now come with their results). Raises
    EmptyCorpus."""
    records = [results[n].record if n in results else shards.before[n] for n in shards.names]
    found = {p: h for r in records for p, h in r.documents.items()}
    documents = {p: found[p] for p in hashes if p in found}  # corpus order
    if not documents and not allow_empty:
        raise EmptyCorpus(str(settings.corpus), ACCEPTED_SUFFIXES)
    unreadable = {p: h for r in records for p, h in r.skipped.items()}
    passages = sum(r.passages for r in records)
    spec = vector_index_spec(passages, settings.vector_search)
    for name in shards.names:  # shards are written flat; kept ones as the previous build indexed them
        written = VectorSearch.FLAT if name in results else reusable.spec.kind  # type: ignore[union-attr]
        if spec.kind is not written:
            reindex_shard(shard_folder(partial, name), spec)
    texts = [p.search_text for name in shards.names for p in stored_passages(shard_folder(partial, name))]
    dims = [r.dim for r in results.values()] + ([reusable.manifest.dim] if reusable is not None else [])
    manifest = new_manifest(settings.model, settings.split, dims[0], documents, passages,
                            time.perf_counter() - started, unreadable, spec,
                            records if len(shards.names) > 1 else (),
                            {**reasons, **{u.path: u.reason for r in results.values() for u in r.unreadable}})
    finish_build(settings.index, partial, manifest, texts)
    return documents


def _report(hashes: dict[str, str], reusable: Index | None, documents: dict[str, str],
            results: dict[str, ShardResult], plan: BuildPlan, shards: _ShardPlan, skipped: list[Skipped],
            seconds: float) -> BuildReport:
    """What a build that wrote a new index did."""
    old_documents = reusable.manifest.documents if reusable is not None else {}
    read = {p for r in results.values() for p in r.read}
    sharded = len(shards.names) > 1
    return BuildReport(
        added=tuple(p for p in hashes if p in read and p not in old_documents),
        changed=tuple(p for p in hashes if p in read and p in old_documents),
        removed=tuple(sorted(p for p in old_documents if p not in documents)),
        unchanged=plan.unchanged, passages=sum(results[n].record.passages if n in results
                                                else shards.before[n].passages for n in shards.names),
        embedded=sum(r.embedded for r in results.values()),
        seconds=seconds, embed_seconds=sum(r.embed_seconds for r in results.values()),
        full=plan.full,
        skipped=_reasons([*skipped, *(u for r in results.values() for u in r.unreadable)]),
        reused=sum(r.reused for r in results.values()), shards=tuple(shards.redo) if sharded else (),
        shard_count=len(shards.names),
        warnings=tuple(f"{display_name(n.path)}: {n.message}" for r in results.values() for n in r.notices),
    )


def corpus_signature(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    """Cheap fingerprint of the corpus folder (path, size, mtime) used to notice edits."""
    signature = []
    for path in corpus_files(settings.corpus):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def watch(
    settings: Settings, encoder: Encoder | None, on_build: Callable[[BuildReport], None],
    poll_seconds: float = 1.0, debounce_seconds: float = 2.0, should_stop: Callable[[], bool] = lambda: False,
    workers: ShardWorkers | None = None,
) -> None:
    """Rebuild after the corpus changes, once it has been quiet for `debounce_seconds`.

    A build that fails (an empty corpus, another build holding the lock) is logged and retried at the
    next change; the watch goes on until `should_stop()` is true.
    """
    seen = corpus_signature(settings)
    changed_at: float | None = None
    while not should_stop():
        time.sleep(poll_seconds)
        now = corpus_signature(settings)
        if now != seen:
            seen, changed_at = now, time.monotonic()
        elif changed_at is not None and time.monotonic() - changed_at >= debounce_seconds:
            changed_at = None
            try:
                on_build(build_index(settings, encoder, workers=workers))
            except DocqaError as error:
                log.warning("%s", error)
