"""Corpus -> passages -> vectors -> a new index on disk, embedding only what changed.

`build_index` is the one place that turns documents into an index; the engine's `rebuild`, the
`docqa index` command and `docqa index --watch` all call it.

What is reused: the passages and vectors of every document whose bytes did not change, and the
vector of any passage whose text (with its section title) is already in the index, so that a
renamed file or the untouched paragraphs of an edited one are not embedded again. A change of
model or splitter settings, or `full`, reuses nothing; another vector index alone
(`Settings.vector_search`) re-indexes the stored vectors without embedding any.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from .documents import ACCEPTED_SUFFIXES, Document, Skipped, UnreadableFile, corpus_files, load_document, scan_corpus
from .errors import CorruptIndex, DocqaError, EmptyCorpus, IndexNotFound
from .index import (
    BuildLock, BuildReport, Index, load_index, plan_build, remove_leftovers, vector_index_spec, write_index,
)
from .settings import Settings
from .split import Passage, split_passages

log = logging.getLogger("docqa")

BUILD_LOCK_WAIT_SECONDS = 600.0
# Below this many passages an embedding takes a second or two: a progress bar would only flicker.
PROGRESS_BAR_MIN_PASSAGES = 256


class Encoder(Protocol):
    dim: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def passages_of(document: Document, settings: Settings) -> list[Passage]:
    return split_passages(document.path, document.clean, settings.split)


def _previous(settings: Settings) -> Index | None:
    """The index as it is, its passages read into memory (a build walks them all)."""
    try:
        index = load_index(settings.index)
        return Index(index.folder, index.manifest, list(index.passages), index.vectors, index.spec, index.lexical)
    except (IndexNotFound, CorruptIndex) as error:  # a missing or damaged index is rebuilt from scratch
        log.info("No reusable previous index: %s", error)
        return None


def _read(paths: tuple[str, ...], settings: Settings) -> tuple[list[Document], list[Skipped]]:
    documents, skipped = [], []
    for path in paths:
        try:
            documents.append(load_document(settings.corpus / path, settings.corpus))
        except UnreadableFile as error:
            log.warning("Skipped %s: %s", path, error)
            skipped.append(Skipped(path, str(error)))
    return documents, skipped


def _embed(
    fresh: list[Passage], previous: Index | None, encoder: Encoder, progress: Callable[[str], None] | None,
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
    reuse = sorted({known[p.search_text] for p in fresh if p.search_text in known})
    old = previous.vectors_of(reuse) if previous is not None else np.zeros((0, encoder.dim), np.float32)
    row = {text: n for n, text in enumerate(missing)}
    row.update({previous.passages[position].search_text: len(missing) + n for n, position in enumerate(reuse)})
    vectors = np.concatenate([embedded, old])[[row[p.search_text] for p in fresh]]
    return vectors, len(missing), seconds


def build_index(
    settings: Settings, encoder: Encoder, full: bool = False, progress: Callable[[str], None] | None = None,
    lock_wait_seconds: float = BUILD_LOCK_WAIT_SECONDS,
) -> BuildReport:
    """Bring the index in `settings.index` up to date with `settings.corpus`.

    Unchanged documents keep their passages and vectors; added and changed ones are read, split and
    embedded; removed ones are dropped. The new index replaces the old one atomically; when nothing
    changed (documents, and the vector index `settings.vector_search` asks for), nothing is written. Another build of the same index is waited for up to
    `lock_wait_seconds`, then IndexLocked names it. Raises EmptyCorpus when no document is readable.
    """
    started = time.perf_counter()
    tell = progress if progress is not None else log.info
    lock = BuildLock(settings.index, lock_wait_seconds,
                     on_wait=lambda holder: tell(f"Waiting for the build that holds {settings.index}/ ({holder})"))
    with lock:
        for leftover in remove_leftovers(settings.index):
            log.info("Removed %s, left by a build that was killed", leftover)
        scan = scan_corpus(settings.corpus)
        previous = _previous(settings)
        plan = plan_build(scan.hashes, previous.manifest if previous is not None else None,
                          settings.model, settings.split, full)
        if plan.full and previous is not None:
            tell(f"Embedding every document: {plan.reason}")
        reusable = None if plan.full else previous
        fresh_documents, unreadable = _read(plan.added + plan.changed, settings)
        old_documents = reusable.manifest.documents if reusable is not None else {}
        kept = set(plan.unchanged)
        parsed = {d.path: d.sha256 for d in fresh_documents}
        # Hashes of the bytes actually read, in corpus order.
        documents = {p: parsed.get(p, h) for p, h in scan.hashes.items() if p in kept or p in parsed}
        skipped_hashes = {s.path: scan.hashes[s.path] for s in unreadable}

        same_search = reusable is not None and reusable.spec == vector_index_spec(len(reusable.passages),
                                                                                   settings.vector_search)
        if same_search and documents == old_documents and skipped_hashes == reusable.manifest.skipped:
            passages, embedded, reused, embed_seconds = reusable.passages, 0, 0, 0.0  # nothing to write
        elif not documents:
            raise EmptyCorpus(str(settings.corpus), ACCEPTED_SUFFIXES)
        else:
            kept_positions = [i for i, p in enumerate(reusable.passages) if p.document in kept] if reusable else []
            fresh = [p for d in fresh_documents for p in passages_of(d, settings)]
            fresh_vectors, embedded, embed_seconds = _embed(fresh, reusable, encoder, progress)
            reused = len(fresh) - embedded
            passages = [reusable.passages[i] for i in kept_positions] + fresh if reusable else fresh
            vectors = np.concatenate([reusable.vectors_of(kept_positions), fresh_vectors]) if reusable else fresh_vectors
            # Corpus order, so that building the same corpus twice yields the same index.
            order = {path: n for n, path in enumerate(documents)}
            ranked = sorted(range(len(passages)), key=lambda i: (order[passages[i].document], passages[i].start))
            passages = [passages[i] for i in ranked]
            vectors = vectors[ranked] if ranked else vectors
            write_index(settings.index, settings.model, settings.split, documents, passages, vectors,
                        time.perf_counter() - started, skipped=skipped_hashes, vector_search=settings.vector_search)
    return BuildReport(
        added=tuple(d.path for d in fresh_documents if d.path not in old_documents),
        changed=tuple(d.path for d in fresh_documents if d.path in old_documents),
        removed=tuple(sorted(p for p in old_documents if p not in documents)),
        unchanged=plan.unchanged, passages=len(passages), embedded=embedded,
        seconds=time.perf_counter() - started, embed_seconds=embed_seconds, full=plan.full,
        skipped=tuple(f"{s.path}: {s.reason}" for s in [*scan.skipped, *unreadable]), reused=reused,
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
    settings: Settings, encoder: Encoder, on_build: Callable[[BuildReport], None],
    poll_seconds: float = 1.0, debounce_seconds: float = 2.0, should_stop: Callable[[], bool] = lambda: False,
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
                on_build(build_index(settings, encoder))
            except DocqaError as error:
                log.warning("%s", error)
