"""Corpus -> passages -> vectors -> a new index on disk, embedding only what changed.

`build_index` is the one place that turns documents into an index; the engine's `rebuild`, the
`docqa index` command and `docqa index --watch` all call it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from .clean import CleanText
from .documents import Document, corpus_files, load_corpus
from .errors import EmptyCorpus
from .index import BuildLock, BuildReport, Index, load_index, plan_build, write_index
from .settings import Settings
from .split import Passage, split_passages

log = logging.getLogger("docqa")

BUILD_LOCK_WAIT_SECONDS = 600.0


class Encoder(Protocol):
    dim: int

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def passages_of(document: Document, settings: Settings) -> list[Passage]:
    return split_passages(document.path, CleanText(document.text, document.sections), settings.split)


def _previous(settings: Settings) -> Index | None:
    try:
        return load_index(settings.index)
    except Exception as error:  # a missing or damaged previous index is rebuilt from scratch
        log.info("No reusable previous index: %s", error)
        return None


def build_index(
    settings: Settings, encoder: Encoder, full: bool = False, progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Bring the index in `settings.index` up to date with `settings.corpus`.

    Unchanged documents keep their passages and vectors; added and changed ones are split and
    embedded; removed ones are dropped. The new index replaces the old one atomically.
    """
    started = time.perf_counter()
    with BuildLock(settings.index, BUILD_LOCK_WAIT_SECONDS):
        corpus = load_corpus(settings.corpus)
        if not corpus.documents:
            raise EmptyCorpus(str(settings.corpus))
        previous = _previous(settings)
        added, changed, removed, unchanged = plan_build(
            list(corpus.documents), previous, settings.model, settings.split, full
        )
        if previous is not None and not (added or changed or removed):
            return BuildReport(
                added=(), changed=(), removed=(), unchanged=tuple(unchanged), passages=len(previous.passages),
                embedded=0, seconds=time.perf_counter() - started, embed_seconds=0.0, full=False,
                skipped=tuple(f"{s.path}: {s.reason}" for s in corpus.skipped),
            )
        keep = set(unchanged)
        reused_positions = (
            [i for i, p in enumerate(previous.passages) if p.document in keep] if previous is not None else []
        )
        reused = [previous.passages[i] for i in reused_positions] if previous is not None else []
        fresh = [p for d in added + changed for p in passages_of(d, settings)]
        if progress:
            progress(f"Embedding {len(fresh)} passages from {len(added) + len(changed)} documents")
        embed_started = time.perf_counter()
        new_vectors = encoder.encode([p.search_text for p in fresh], progress=progress is not None)
        embed_seconds = time.perf_counter() - embed_started
        old_vectors = (
            previous.vectors_of(reused_positions) if previous is not None
            else np.zeros((0, encoder.dim), dtype=np.float32)
        )
        passages = reused + fresh
        vectors = np.concatenate([old_vectors, new_vectors]) if passages else new_vectors
        # Corpus order, so that building the same corpus twice yields the same index.
        order = {d.path: n for n, d in enumerate(corpus.documents)}
        ranked = sorted(range(len(passages)), key=lambda i: (order[passages[i].document], passages[i].start))
        passages = [passages[i] for i in ranked]
        vectors = vectors[ranked]
        write_index(
            settings.index, settings.model, settings.split, {d.path: d.sha256 for d in corpus.documents},
            passages, vectors, time.perf_counter() - started,
        )
    return BuildReport(
        added=tuple(d.path for d in added), changed=tuple(d.path for d in changed), removed=tuple(removed),
        unchanged=tuple(unchanged), passages=len(passages), embedded=len(fresh),
        seconds=time.perf_counter() - started, embed_seconds=embed_seconds, full=previous is None or full,
        skipped=tuple(f"{s.path}: {s.reason}" for s in corpus.skipped),
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
    """Rebuild after the corpus changes, once it has been quiet for `debounce_seconds`."""
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
            except EmptyCorpus as error:
                log.warning("%s", error)
