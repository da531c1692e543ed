"""The engine: owns the embedder, the loaded index, the retriever and the reader, and exposes the
verbs users need (ask, rebuild, status, documents, add_documents, remove_documents, page_view,
context). The CLI, the web chat and the JSON API are thin shells over it.

Thread safety: `ask`, `retrieve`, `status` and `page_view` may be called from many threads at once (the
web chat answers up to web.chat.CONCURRENCY questions together). What those threads share:
  - the snapshot: the loaded Index (FAISS index, passage store, manifest, BM25 arrays) and the
    Retriever. Nothing writes to them once built; FAISS and BM25 searches only read, and the passage
    store reads its file with positioned reads (os.pread), which keep no shared file position.
    `rebuild` and `reload_if_changed` build a complete new snapshot and swap it in with one
    assignment (under `_swap`), so a question in flight finishes on the snapshot it started with.
  - the Embedder: its ONNX export (embed/onnx_cache.py), or the torch model when no export can be had;
    `encode` runs either under a lock, and its cache of recent single texts is read and written
    under the same lock.
  - the reader (made by name in read/factory.py): NeuralReader, the default, sets its tokenizer's
    truncation and tokenizes under a lock; its onnxruntime session runs concurrently (InferenceSession.run
    is thread-safe). SpanReader ("rules") runs its spaCy pipeline under a lock and keeps its parse and
    vector caches in LRU caches with their own locks. Cached Docs are read; their `user_data` gains
    per-sentence tables computed from the Doc alone, so two threads racing store equal values.
  - module-level caches (functools.lru_cache of stems and word matches), thread-safe in CPython.
    PyStemmer objects must not be called concurrently, and are not: a call holds the GIL throughout
    (8 threads stemming 200,000 words gave exactly the single-thread stems).
  - the pages drawn for answers and the corpus files' hashes: kept in an LRU and a dict, each entry
    written whole, so two threads at worst draw or hash the same file twice.
Not shared: the sentence splitter (ingest/split.py makes a pysbd Segmenter per use, since one keeps the
text it is splitting on itself) and per-question state (query, hits, candidates), which lives in
local variables. benchmarks/load.py checks that 50 users at once get the single-user replies.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path, PurePosixPath

import pypdfium2

from docqa.caching import LRU
from docqa.conversation import Query, may_mean_answer, resolve_followup
from docqa.embed.embedder import Embedder
from docqa.errors import (
    BadQuestion,
    CorpusNotFound,
    CorruptIndex,
    DocqaError,
    DocumentGone,
    EmptyCorpus,
    IndexLocked,
    IndexNotFound,
    StaleIndex,
    UnknownDocument,
)
from docqa.index.build import build_index, corpus_signature
from docqa.index.manifest import BuildReport, stale_reason
from docqa.index.named import as_read, named_documents, unnamed, versions, versions_named
from docqa.index.search import OFF_TOPIC, Mode, Retriever, off_topic, off_topic_bar
from docqa.index.spelling import Correction, Spelled, english, meant_note, names_meant, respelled, spelling_note
from docqa.index.store import Index, build_holder, current_folder, load_index
from docqa.ingest.corpus import corpus_path, document_info, kind_of, scan_corpus
from docqa.ingest.formats import ACCEPTED_SUFFIXES, UnreadableFile
from docqa.ingest.sandbox import Sandbox
from docqa.ingest.uploads import Removal, Upload, remove_documents, store_uploads
from docqa.names import display_name, name_words
from docqa.pageview import PageView, Stretch, draw_page, draw_picture, drawable, surrounding
from docqa.read.factory import make_reader
from docqa.read.form import asked_definition
from docqa.read.question import in_english, key_terms, unmentioned
from docqa.read.typed import the_question
from docqa.settings import Settings
from docqa.text import check_question
from docqa.types import Answer, DocumentInfo, Hit, Passage, Reader

log = logging.getLogger("docqa")

# How often the engine looks again at the corpus files' sizes and times to tell whether its index is
# behind them (and reads their bytes only when those changed): a question pays for the look at most
# this often (a stat of each file).
BEHIND_CHECK_SECONDS = 2.0
# Pages drawn for answers and kept: a chat shows a page, then an API client or a reload asks for it again.
VIEWS_KEPT = 32


class Freshness(str, Enum):
    """What an engine does when its index is out of date with the corpus as it starts."""

    WAIT = "wait"  # build first, waiting for a build that another process runs (docqa eval: exact figures)
    ANSWER = "answer"  # build first unless another build runs; then answer from the index there is (docqa ask)
    BACKGROUND = "background"  # answer from the index there is while this engine builds the new one (docqa serve)
    KEEP = "keep"  # use the index there is, out of date or not; build only when there is none (docqa documents)


def quoted_passage(hits: Sequence[Hit], answer: Answer) -> Passage | None:
    """The passage of `hits` that `answer` quotes (its document and start), None where none is."""
    return next((h.passage for h in hits if (h.passage.document, h.passage.start) ==
                 (answer.document, answer.quote_start)), None)


@dataclass(frozen=True)
class Reply:
    """What `ask` returns. `candidate` is the reader's best span whatever its confidence; `answer` is
    that candidate when its confidence reaches the threshold, else None (docqa declines).
    `confidence` is the candidate's confidence, 0.0 when there was no candidate or when `unstated` is
    not empty: the names and numbers of the question that the candidate's passage does not state.
    `off_topic`: for a keyword query that no passage comes near (index/search.py off_topic), the closest
    passage's similarity; such a query is declined unread, without a candidate."""

    question: str
    resolved: str
    answer: Answer | None
    candidate: Answer | None
    confidence: float
    threshold: float
    hits: tuple[Hit, ...]
    seconds: float
    unstated: tuple[str, ...] = ()
    notice: str | None = None  # the index is behind the corpus, or being rebuilt: the reply may be out of date
    documents: tuple[str, ...] = ()  # the documents the question was limited to; () for all of them
    named: tuple[str, ...] = ()  # the documents the question names, which it was asked of (index/named.py)
    off_topic: float | None = None
    english: bool = True  # the question reads as English (read/question.py in_english); a decline says so if not
    other_version: Answer | None = None  # another version of the answer's document says otherwise (Engine._other_version)
    passed_over: tuple[str, ...] = ()  # the documents the question names, which did not answer it; another did
    corrections: tuple[Correction, ...] = ()  # misspelt words of the question, read as the documents' (index/spelling.py)
    meant: tuple[Correction, ...] = ()  # unstated names the documents write one edit otherwise ("Serbai": Serbia)

    @property
    def meant_text(self) -> str | None:
        """What a decline for unstated names suggests, where the documents write them one edit otherwise."""
        return meant_note(self.meant) if self.answer is None else None

    @property
    def followup(self) -> str | None:
        """The question as it was read with the conversation's context (conversation.py), None where it
        was read alone (its words respelt, if any, are no follow-up)."""
        return self.resolved if self.resolved != respelled(self.question, self.corrections) else None

    @property
    def spelling_text(self) -> str | None:
        """What the reply says of the question's words read as others ('Read "optoin" as "option".')."""
        return spelling_note(self.corrections)

    @property
    def passed_over_text(self) -> str | None:
        """What the reply says when the documents the question names did not answer it and another did
        ("how long to cure a breach under the mpl" answered from the GPL), as a sentence; None otherwise."""
        if not self.passed_over or self.answer is None:
            return None
        named = quoted_list([display_name(d) for d in self.passed_over])
        return (f"The question names {named}, which does not answer it; this answer is from "
                f"{display_name(self.answer.document)}, another document.")

    @property
    def answer_passage(self) -> Passage | None:
        """The retrieved passage the answer was copied from (None when docqa declined)."""
        return quoted_passage(self.hits, self.answer) if self.answer is not None else None

    @property
    def other_version_text(self) -> str | None:
        """What the reply says of another version that answers otherwise, as a sentence (the CLI, the chat
        and the export); None without one."""
        other = self.other_version
        if other is None:
            return None
        where = f"p. {other.page}, " if other.page is not None else ""
        return (f"Another version, {display_name(other.document)}, says otherwise: \"{other.text}\" "
                f"({where}characters {other.start}-{other.end}).")

    @property
    def columns(self) -> str | None:
        """The header row of the table whose rows the answer's passage goes on with (Passage.table_header),
        which the quote does not show; None otherwise."""
        passage = self.answer_passage
        return passage.table_header if passage is not None else None

    @property
    def columns_text(self) -> str | None:
        """`columns` as the CLI, the chat and the export say it; None without them."""
        return f"Table columns (the header above the quote): {self.columns}" if self.columns else None

    @property
    def read_by_ocr(self) -> bool:
        """Whether the answer's words were read by OCR from a scanned page (and may be misread)."""
        passage = self.answer_passage
        return passage is not None and passage.ocr

    def shown_hits(self) -> tuple[Hit, ...]:
        """The hits in the order a declined reply shows them: rank order, except that a decline for
        unstated terms shows the passage of the candidate first, the one its message speaks of."""
        candidate = self.candidate
        if self.unstated and candidate is not None:
            for k, hit in enumerate(self.hits):
                if (hit.passage.document, hit.passage.start) == (candidate.document, candidate.quote_start):
                    return (hit, *self.hits[:k], *self.hits[k + 1:])
        return self.hits

    def to_dict(self) -> dict:
        """The JSON shape of `docqa ask --json` and of evaluation predictions."""
        answer = self.answer
        return {
            "question": self.question,
            "answer": answer.text if answer else None,
            "confidence": round(self.confidence, 4),
            "unstated": list(self.unstated),
            "source": (
                {"document": answer.document, "section": answer.section, "start": answer.start, "end": answer.end,
                 "page": answer.page, "ocr": self.read_by_ocr}
                if answer else None
            ),
            "quote": answer.quote if answer else None,
            "verdict": answer.verdict if answer else None,
            "notice": self.notice,
            "documents": list(self.documents),
            "named": list(self.named),
            "passed_over": list(self.passed_over),
            "corrections": [{"typed": c.typed, "read": c.read} for c in self.corrections],
            "meant": [{"typed": c.typed, "read": c.read} for c in self.meant],
            "off_topic": self.off_topic,
            "english": self.english,
            "other_version": (
                {"document": self.other_version.document, "answer": self.other_version.text,
                 "start": self.other_version.start, "end": self.other_version.end, "page": self.other_version.page,
                 "confidence": round(self.other_version.confidence, 4)}
                if self.other_version else None
            ),
            "passages": [
                {
                    "document": hit.passage.document,
                    "start": hit.passage.start,
                    "end": hit.passage.end,
                    "page": hit.passage.page,
                    "section": hit.passage.section,
                    "text": hit.passage.text,
                    "score": hit.score,
                }
                for hit in self.hits
            ],
        }


@dataclass(frozen=True)
class Status:
    documents: int
    passages: int
    built_at: str
    model: str
    stale: str | None  # reason, or None when the index matches the corpus
    rebuilding: str | None = None  # who is building the index anew ("this chat", "pid 12 on host ..."), or None


def _words(text: str) -> str:
    """An answer's words, for telling two answers apart ("30 days" and "30 days." agree)."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def chosen_documents(names: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """The documents of `known` that the asker's `names` choose: each a document's name as the documents
    list shows it, or with its accents composed, or, naming one document alone, without its folder or its
    suffix ("leave-policy-2026" for "hr/leave-policy-2026.docx"); the name as given otherwise (retrieve
    then refuses it)."""
    chosen = []
    for name in names:
        wanted = unicodedata.normalize("NFC", name).casefold()
        exact = [k for k in known if k == name or unicodedata.normalize("NFC", k).casefold() == wanted]
        loose = [k for k in known if wanted in (PurePosixPath(k).name.casefold(), PurePosixPath(k).stem.casefold())]
        if len(exact) == 1:
            chosen.append(exact[0])
        elif not exact and len(loose) == 1:
            chosen.append(loose[0])
        else:
            chosen.append(name)
    return tuple(chosen)


@dataclass(frozen=True)
class _Snapshot:
    index: Index
    retriever: Retriever
    pointer: str  # the build folder loaded (what CURRENT named then): build-<UTC time>, later ones sort after


def unstated_terms(question: str, candidate: Answer, title: str = "") -> tuple[str, ...]:
    """The names and numbers of the question that the candidate's passage, its document's name, its
    `title` (index/named.py: "Mozilla Public License" for mpl-2.0.txt) and its section heading do not
    state (question.unmentioned). A passage that answers "When did Alfonso XXII
    reach Valencia?" names Alfonso XXII; one about Alfonso XII answers another question.

    Measured with `docqa eval` (answers that this check turns into declines, 2026-11-30): 800 held-out
    SQuAD questions, half of them with a name or number swapped for another of their article's
    (benchmarks/heldout_corpus.py --swapped): EM 0.600 -> 0.682 (68 unanswerable declined, 2 right
    answers lost); evaluation/qa.jsonl 0.773 -> 0.794, extra 0.387 -> 0.403, heldout unchanged;
    150 Natural Questions 0.367 -> 0.360 ("who is the winner of jhalak dikhlaja 2017", a passage
    about season 9)."""
    context = "\n".join((candidate.quote, name_words(candidate.document), title, candidate.section or ""))
    return unmentioned(key_terms(question), context)


def quoted_list(terms: Sequence[str]) -> str:
    """'"A"', '"A" or "B"', '"A", "B" or "C"': the unstated terms as a reply names them."""
    quoted = [f'"{term}"' for term in terms]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


# What a declined reply adds when the question does not read as English.
NOT_ENGLISH = ("The question does not seem to be in English: docqa's reader and search understand English "
               "only. Ask it in English.")


def off_topic_text(similarity: float) -> str:
    """Why a keyword query was declined unread (Reply.off_topic), as the CLI and the chat say it."""
    return (f"no passage comes near these words (the closest one's similarity is {similarity:.2f}, below the "
            f"{OFF_TOPIC} a search-box query needs); the documents do not seem to be about this")


class Engine:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        reader: Reader | None = None,
        auto_build: bool = True,
        warm: bool = False,
        freshness: Freshness = Freshness.WAIT,
    ):
        """`reader`: any object of the types.Reader protocol; by default the one `settings.reader` names,
        made by factory.make_reader. Its threshold is `settings.effective_threshold` for its label.
        `warm`: prepare the reader for the index's passages in a background thread (the web chat and
        `docqa eval` do; a single `docqa ask` does not need it). A missing or damaged index is built
        first; one out of date with the corpus as `freshness` says; with `auto_build` False either
        raises (IndexNotFound, CorruptIndex, StaleIndex)."""
        self.settings = settings
        self.embedder = embedder if embedder is not None else Embedder(settings.model, precision=settings.precision)
        self._swap = threading.Lock()
        self._warm = False  # no preparing until the reader exists (a first build may run below)
        self._warming: threading.Thread | None = None
        self._builds = 0  # rebuilds this engine runs now (guarded by _swap)
        self._views: LRU[PageView] = LRU(VIEWS_KEPT)
        self._behind = _Behind()
        self._hashes: dict[str, tuple[int, int, str]] = {}  # the corpus files' hashes by size and time
        self._snapshot: _Snapshot | None = None  # set by _open, or by the first build it runs
        stale, self._snapshot = self._open(auto_build, freshness)
        self.reader = reader if reader is not None else make_reader(
            settings.reader, self.embedder, idf=lambda: self._snapshot.retriever.idf)
        self.threshold = settings.effective_threshold(self.reader.label, self.reader.default_threshold)
        self._warm = warm
        self._start_warming()
        self._background: threading.Thread | None = None
        if stale and freshness is Freshness.BACKGROUND:
            self._background = threading.Thread(target=self._rebuild_quietly, name="docqa-build", daemon=True)
            self._background.start()

    def _start_warming(self) -> None:
        if not self._warm:
            return
        warm = self.reader.warm
        index = self._snapshot.index
        # Read as the reader asks for them: the trained reader asks for none.
        passages = (p.text for p in index.passages)
        self._warming = threading.Thread(target=self._run_warm, args=(warm, passages, index), name="docqa-warm",
                                         daemon=True)
        self._warming.start()

    @staticmethod
    def _run_warm(warm: Callable[[Iterable[str]], int], passages: Iterable[str], index: Index | None = None) -> None:
        started = time.perf_counter()
        try:
            if index is not None:
                # The documents' names (index/named.py) read every passage once: here, not at the first question
                # (0.5 s for 7,771 passages).
                index.naming  # noqa: B018
                english("warm")  # and the dictionary that tells a typo (index/spelling.py: 0.2 s)
            count = warm(passages)
        except Exception:  # a cold cache is slower, never wrong: the questions are still answered
            log.exception("Preparing the reader failed; answers will be slower at first")
            return
        if count:  # the trained reader prepares none: nothing to say
            log.info("Reader prepared for %d sentences in %.1f s", count, time.perf_counter() - started)

    def wait_until_warm(self, timeout: float | None = None) -> None:
        """Block until the background preparation (if any) has finished."""
        if self._warming is not None:
            self._warming.join(timeout)

    # ---- index lifecycle -------------------------------------------------------------------
    def _pointer(self) -> str:
        """The build folder CURRENT names now ("" without one); raises CorruptIndex as loading would."""
        folder = current_folder(self.settings.index)
        return folder.name if folder is not None else ""

    def _load(self) -> _Snapshot:
        index = load_index(self.settings.index)
        return _Snapshot(index, Retriever(index), index.folder.name)

    def _stale(self, index: Index) -> str | None:
        hashes = scan_corpus(self.settings.corpus, self.settings.limits, self._hashes).hashes  # bytes only: no file is parsed
        return stale_reason(index.manifest, self.settings.model, self.settings.split, hashes)

    def _open(self, auto_build: bool, freshness: Freshness) -> tuple[bool, _Snapshot]:
        """(whether the index is still out of date, the snapshot to answer from), building first
        where it must (see __init__)."""
        try:
            snapshot = self._load()
        except (IndexNotFound, CorruptIndex) as error:
            if not auto_build:
                raise
            if not self.settings.corpus.is_dir():  # nothing to build from: say so before making any folder
                raise CorpusNotFound(str(self.settings.corpus), self.settings.corpus.is_file()) from error
            log.warning("%s: building it now.", error.problem)
            self._rebuild_logged()
            return False, self._snapshot
        reason = self._stale(snapshot.index)
        if reason is None:
            return False, snapshot
        error = StaleIndex(str(self.settings.index), reason)
        if not auto_build:
            raise error
        if freshness is Freshness.KEEP:
            return True, snapshot
        if freshness is Freshness.BACKGROUND:
            log.warning("%s: answering from it while it is rebuilt.", error.problem)
            return True, snapshot
        holder = build_holder(self.settings.index) if freshness is Freshness.ANSWER else None
        if holder is None:
            log.warning("%s: building it now.", error.problem)
            try:
                self._rebuild_logged(lock_wait_seconds=0.0 if freshness is Freshness.ANSWER else None)
                return False, self._snapshot
            except IndexLocked as locked:
                holder = str(locked)
            except OSError as failed:  # a read-only index folder: its index still answers, saying it is behind
                if freshness is not Freshness.ANSWER:
                    raise
                log.warning("%s, and it cannot be rebuilt here (%s: %s): answering from the index as it is.",
                            error.problem, failed.strerror or type(failed).__name__, failed.filename or self.settings.index)
                return True, snapshot
        log.warning("%s; a rebuild is under way (%s): answering from the index as it is.", error.problem, holder)
        return True, snapshot

    def _rebuild_logged(self, lock_wait_seconds: float | None = None) -> BuildReport:
        """`rebuild` where no one prints the report (an index missing or behind when asked, the background
        rebuild of `docqa serve`): the files it skipped and what reading changed go to the log as warnings,
        unless the log shows INFO (`docqa serve`, --verbose), where reading said each as it went."""
        report = self.rebuild(lock_wait_seconds=lock_wait_seconds)
        if log.isEnabledFor(logging.INFO):
            return report
        for reason in report.skipped:
            log.warning("Skipped %s", reason)
        for warning in report.warnings:
            log.warning("%s", warning)
        return report

    def _rebuild_quietly(self) -> None:
        """The background rebuild of `docqa serve`: a failure is logged, and the old index keeps answering."""
        try:
            report = self._rebuild_logged()
        except DocqaError as error:
            log.warning("The rebuild failed; the previous index is still in use: %s", error)
        except Exception:
            log.exception("The rebuild failed; the previous index is still in use")
        else:
            log.info("Index rebuilt: %d passages from %s", report.passages, report.documents)

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Block until the background rebuild this engine started (if any) has finished."""
        if self._background is not None:
            self._background.join(timeout)

    def rebuild(self, full: bool = False, progress: Callable[[str], None] | None = None,
                lock_wait_seconds: float | None = None) -> BuildReport:
        """Bring the index up to date with the corpus (only changed documents are embedded), then
        switch this engine to it. Questions asked meanwhile are answered from the index there was,
        and say that a rebuild is under way. `lock_wait_seconds`: how long to wait for another
        process's build (build.BUILD_LOCK_WAIT_SECONDS when None), then IndexLocked."""
        with self._swap:
            self._builds += 1
        try:
            options = {} if lock_wait_seconds is None else {"lock_wait_seconds": lock_wait_seconds}
            report = build_index(self.settings, self.embedder, full=full, progress=progress, allow_empty=True, **options)
            index = load_index(self.settings.index)
            with self._swap:
                # Two rebuilds at once (the chat's, the API's): the later build stays, whichever ends last.
                if self._snapshot is None or index.folder.name >= self._snapshot.pointer:
                    self._snapshot = _Snapshot(index, Retriever(index), index.folder.name)
        finally:
            with self._swap:
                self._builds -= 1
        self._start_warming()
        return report

    def add_documents(self, sources: Sequence[Path], replace: bool = False,
                      names: Sequence[str] | None = None, upload: bool = True) -> list[Upload]:
        """Copy the files `sources` (called `names`, else by their own names) into the corpus under safe
        names, each stored or refused with the reason (ingest/uploads.py): a content already there is
        refused, a name already there is replaced only with `replace`. `rebuild` then makes them
        searchable. `upload`: the files come from the chat or the API, and keep to `limits.upload_mb`;
        else (`docqa documents add`) to `limits.file_mb`, what a build reads."""
        limits = self.settings.limits
        max_bytes = (limits.upload_mb if upload else limits.file_mb) * 2**20
        hashes = scan_corpus(self.settings.corpus, self.settings.limits, self._hashes).hashes
        contents = {sha: path for path, sha in reversed(list(hashes.items()))}  # the first file of a content
        with tempfile.TemporaryDirectory(prefix="docqa-check-") as folder, Sandbox(Path(folder), self.settings.limits) as sandbox:
            def unreadable(source: Path, name: str) -> str | None:
                """Why the file cannot become a document: read as the build would, in the sandbox (a
                scanned PDF only up to its first page with text: the build reads it all)."""
                trial = Path(folder) / name
                shutil.copyfile(source, trial)
                try:
                    sandbox.read(name, trial=True)
                except UnreadableFile as error:
                    return str(error)
                finally:
                    trial.unlink(missing_ok=True)
                return None

            return store_uploads(sources, self.settings.corpus, replace, contents, names, unreadable, max_bytes)

    def remove_documents(self, names: Sequence[str]) -> list[Removal]:
        """Delete these documents' files from the corpus (each removed or refused with the reason);
        `rebuild` then drops them from the index."""
        return remove_documents(names, self.settings.corpus)

    def page_view(self, answer: Answer) -> PageView | None:
        """The page of an answer from a PDF drawn with the answer marked (pageview.draw_page), or from an
        image file as it is (pageview.draw_picture), or None for an answer from another format; kept for a
        while (a chat shows it, an API client fetches it). Raises OutsideCorpus for a document outside
        the corpus, DocumentGone when its file is gone."""
        if answer.page is None or not drawable(answer.document):
            return None
        path = corpus_path(self.settings.corpus, answer.document)
        try:
            info = os.stat(path, follow_symlinks=False)
        except OSError as error:
            raise DocumentGone(answer.document, error.strerror or "") from error
        key = (answer.document, info.st_size, info.st_mtime_ns, answer.page, answer.start, answer.end)
        view = self._views.get(key)
        if view is None:
            try:
                if path.suffix.lower() == ".pdf":
                    view = draw_page(path, answer.document, answer.page, answer.quote,
                                     answer.start - answer.quote_start, answer.text)
                else:
                    view = draw_picture(path, answer.document, answer.page)
            except (OSError, ValueError, pypdfium2.PdfiumError) as error:
                raise DocumentGone(answer.document, str(error)) from error
            self._views.put(key, view)
        return view

    def passage_texts(self) -> Iterator[str]:
        """The texts of the index's passages, in index order (read as they are asked for)."""
        return (passage.text for passage in self._snapshot.index.passages)

    def indexed_names(self) -> tuple[str, ...]:
        """The documents the index answers from (paths as the documents list names them), in its order."""
        return tuple(self._snapshot.index.manifest.documents)

    def answer_at(self, document: str, start: int, end: int) -> Answer:
        """The span [start, end) of an indexed document as an Answer with its passage (what the API's
        page route draws); raises UnknownDocument, or BadQuestion for offsets no passage holds."""
        index = self._snapshot.index
        outline = index.outlines.get(document)
        if outline is None:
            raise UnknownDocument([document], list(index.outlines))
        for first, last in outline.ranges:
            for position in range(first, last):
                p = index.passages[position]
                if p.start <= start and end <= p.end and start < end:
                    return Answer.within(p, start - p.start, end - p.start, 1.0)
        raise BadQuestion(f"No passage of {document} holds the characters {start}-{end}.")

    def context(self, answer: Answer, around: int = 1) -> list[Stretch]:
        """The answer's passage in the text around it: the passages `around` before and after it in its
        document, merged into runs (pageview.surrounding); what the chat shows of a text that has no pages."""
        index = self._snapshot.index
        outline = index.outlines.get(answer.document)
        if outline is None:
            return [Stretch(answer.quote_start, answer.quote_end, answer.quote)]
        positions = [n for first, last in outline.ranges for n in range(first, last)]
        at = next((k for k, n in enumerate(positions) if index.passages[n].start == answer.quote_start), None)
        if at is None:
            return [Stretch(answer.quote_start, answer.quote_end, answer.quote)]
        chosen = [index.passages[n] for n in positions[max(0, at - around):at + around + 1]]
        return surrounding([Stretch(p.start, p.end, p.text) for p in chosen])

    def documents(self) -> tuple[DocumentInfo, ...]:
        """Every document of the corpus and of the index, as the documents panel and `docqa documents
        list` show them: the index's documents in its order, then the corpus's files it does not hold."""
        index = self._snapshot.index
        scan = scan_corpus(self.settings.corpus, self.settings.limits, self._hashes)
        indexed, unread = index.manifest.documents, index.manifest.skipped
        outlines = index.outlines
        shown = [*indexed, *(p for p in scan.hashes if p not in indexed)]
        infos = []
        for path in shown:
            outline = outlines.get(path)
            if path not in scan.hashes:
                state = "removed"
            elif path in indexed:
                state = "indexed" if indexed[path] == scan.hashes[path] else "changed"
            else:
                state = "skipped" if unread.get(path) == scan.hashes[path] else "new"
            info = document_info(self.settings.corpus / path, path, state,
                                 outline.passages if outline else 0, outline.pages if outline else None)
            infos.append(replace(info, reason=index.manifest.reasons.get(path)) if state == "skipped" else info)
        infos += [DocumentInfo(s.path, kind_of(s.path), None, None, 0, None, "skipped", s.reason) for s in scan.skipped]
        return tuple(infos)

    def reload_if_changed(self) -> bool:
        """Switch to a newer index written by another process (`docqa index`); True if it switched."""
        pointer = self._pointer()
        if not pointer or pointer == self._snapshot.pointer:
            return False
        with self._swap:
            if pointer == self._snapshot.pointer:
                return False
            index = load_index(self.settings.index)
            self._snapshot = _Snapshot(index, Retriever(index), index.folder.name)
        log.info("Switched to the new index %s", index.folder.name)
        self._start_warming()
        return True

    # ---- questions --------------------------------------------------------------------------
    def retrieve(self, question: str, top_k: int | None = None, mode: Mode = Mode.HYBRID,
                 documents: Sequence[str] = (), named: tuple[str, ...] | None = None) -> list[Hit]:
        """The top_k passages for `question`; of `documents` only when given (paths as the documents
        list names them; raises UnknownDocument for one the index does not hold), else of the documents
        it names (`named`, worked out here when None)."""
        snapshot = self._snapshot
        k = self.settings.top_k if top_k is None else top_k
        within = None
        if documents:
            unknown = [d for d in documents if d not in snapshot.index.outlines]
            if unknown:
                raise UnknownDocument(unknown, list(snapshot.index.outlines))
            within = snapshot.index.within(documents)
        words = None
        named = self.named(question, documents) if named is None else named
        if named:
            # A question that names documents ("under the GPL") is asked of them, and their words
            # search without the name, which only points at the passages that repeat it.
            within = snapshot.index.within(named)
            words = unnamed(question, snapshot.index.names, named)
        vector = self.embedder.encode([question])[0]
        # A question asking what a term means gets the passages that define it first.
        return snapshot.retriever.search(question, vector, k, mode, within, definition=asked_definition(question),
                                         unnamed=words)

    def named(self, question: str, documents: Sequence[str] = ()) -> tuple[str, ...]:
        """The documents `question` names (index/named.py), which it is asked of; none where the asker
        chose `documents`."""
        index = self._snapshot.index
        if documents:
            return ()
        return named_documents(question, index.names, index.naming) or versions_named(question, tuple(index.outlines))

    def ask(self, question: str, history: Sequence[str] = (), top_k: int | None = None,
            referents: bool = True, documents: Sequence[str] = ()) -> Reply:
        """`referents`: a follow-up's context also holds the answer to the question before it (a
        question that "it" may stand for: "What has been a vehicle for reform?" -> "When was it set up?").
        `documents`: answer from these documents only (all when empty)."""
        started = time.perf_counter()
        question = check_question(question)
        earlier = [check_question(q, "An earlier question (history)") for q in history if q and q.strip()]
        if not self._snapshot.index.manifest.passages:
            raise EmptyCorpus(str(self.settings.corpus), ACCEPTED_SUFFIXES)
        documents = chosen_documents(documents, tuple(self._snapshot.index.outlines))
        # Misspelt words are read as the documents' words they were meant to be, everywhere after here.
        spelled = self._spelled(question)
        query = resolve_followup(spelled.text, [self._spelled(q).text for q in earlier])
        if query.context and referents and may_mean_answer(question, earlier[-1]):
            referent = self._referent(earlier, top_k, documents)
            if referent:
                query = Query(query.text, f"{query.context} {referent}")
        named = self.named(query.search_text, documents)
        reply = self._answer(question, query, named, top_k, documents, started)
        if named and reply.answer is None:
            # What the documents it names do not answer, the others may: "When was ls first released?"
            # names ls.txt, and a note of the user's answers it.
            wider = self._answer(question, query, (), top_k, documents, started)
            reply = replace(wider, passed_over=named) if wider.answer is not None else reply
        return replace(reply, corrections=spelled.corrections) if spelled.corrections else reply

    def _spelled(self, question: str) -> Spelled:
        """The question with its misspelt words read as the documents' (index/spelling.py); a question in
        another language has none ("Wann trat Serbien ...": "trat" is no typo of "that")."""
        retriever = self._snapshot.retriever
        return retriever.spelled(question) if in_english(question, retriever.knows) else Spelled(question, question)

    def _answer(self, question: str, query: Query, named: tuple[str, ...], top_k: int | None,
                documents: Sequence[str], started: float) -> Reply:
        """The reply to `query` read from the passages of the documents it names (`named`), or of all
        (of `documents` when given) where it names none."""
        resolved = query.search_text
        hits = self.retrieve(resolved, top_k, documents=documents, named=named)
        # Retrieval reads every word typed; the reader the question inside them (read/typed.py: no greeting,
        # polite wrapper or preamble about the asker), and the checks on its words read what it reads.
        asked = the_question(query.text)
        # A question without a single letter or digit ("🤝🤝🤝") asks nothing a span could answer.
        asks = any(ch.isalnum() for ch in asked)
        # A keyword query no passage comes near is declined unread; a threshold of 0 answers everything,
        # and a query that names a document ("mpl version") is about the documents whatever its words.
        bar = off_topic_bar(self.settings.model)
        far = off_topic(asked, hits, bar) if bar is not None and self.threshold > 0.0 and not named else None
        # Read from the documents it names, "the TideCast FAQ" of the question is "it" (named.as_read).
        read = as_read(asked, self._snapshot.index.names, named) if named else asked
        candidate = self.reader.read(read, hits, context=query.context) if hits and asks and far is None else None
        unstated = self._unstated(asked, candidate, hits) if candidate else ()
        reads_english = in_english(asked, self._snapshot.retriever.knows)
        meant = names_meant(asked, unstated, self._snapshot.retriever.frequency) if unstated and reads_english else ()
        confidence = candidate.confidence if candidate and not unstated else 0.0
        answer = candidate if candidate is not None and not unstated and confidence >= self.threshold else None
        other = self._other_version(asked, query.context, hits, answer) if answer is not None else None
        return Reply(question, resolved, answer, candidate, confidence, self.threshold, tuple(hits),
                     time.perf_counter() - started, unstated, self.notice(), tuple(documents), named, far,
                     reads_english, other, meant=meant)

    def _other_version(self, asked: str, context: str, hits: Sequence[Hit], answer: Answer) -> Answer | None:
        """What another version of the answer's document (index/named.py `versions`: "leave-policy-2025"
        beside "leave-policy-2026") says instead to the question the reader read (`asked`, with its
        follow-up `context`), where its retrieved passages answer surely and otherwise; None where no
        version was retrieved (no second reading then), or where it agrees."""
        siblings = [h for h in hits if versions(h.passage.document, answer.document)]
        other = self.reader.read(asked, siblings, context=context) if siblings else None
        if other is None or other.confidence < self.threshold or self._unstated(asked, other, siblings):
            return None
        return None if _words(other.text) == _words(answer.text) else other

    def _unstated(self, question: str, candidate: Answer, hits: Sequence[Hit]) -> tuple[str, ...]:
        """unstated_terms with the candidate's document's title (index/named.py) and, for a passage that
        starts inside a table, the table's header (its columns may be what the question names: "the Titan
        16 Pro" of a laptop comparison)."""
        names = self._snapshot.index.names.get(candidate.document)
        passage = quoted_passage(hits, candidate)
        header = passage.table_header if passage is not None else None
        return unstated_terms(question, candidate, "\n".join(filter(None, (names.heading if names else "", header))))

    def _referent(self, earlier: list[str], top_k: int | None, documents: Sequence[str]) -> str | None:
        """The answer to the previous question when a pronoun could stand for it: a name or a thing,
        not a date or a number (those are what "when"/"how many" asked for, not what "it" is)."""
        reply = self.ask(earlier[-1], earlier[:-1], top_k, referents=False, documents=documents)
        if reply.answer is None or any(ch.isdigit() for ch in reply.answer.text):
            return None
        return reply.answer.text

    def rebuilding(self) -> str | None:
        """Who is building this index anew: "this chat" (a rebuild of this engine), what another
        process's build lock says of it, or None."""
        with self._swap:
            if self._builds:
                return "this chat"
        return build_holder(self.settings.index)

    def behind(self) -> str | None:
        """Why the index answering now is behind the corpus (files new, changed or removed since it was
        built), or None; looked at again at most every BEHIND_CHECK_SECONDS."""
        snapshot = self._snapshot
        return self._behind.reason(snapshot, lambda: corpus_signature(self.settings),
                                   lambda: self._stale(snapshot.index))

    def notice(self) -> str | None:
        """What a reply says when the index may be out of date, or None when it is current."""
        try:
            behind = self.behind()
        except DocqaError as error:  # the corpus folder went away: the answers still come from the index
            return f"The corpus cannot be checked ({error}); answers come from the index as it was built."
        if behind is None:
            return None
        if self.rebuilding() is not None:
            return f"The index is behind the corpus ({behind}); a rebuild is under way, and answers come from the index as it was."
        return (f"The index is behind the corpus ({behind}): answers come from the index as it was. "
                "Rebuild it (`docqa index`, or Rebuild index in the chat).")

    def status(self) -> Status:
        index = self._snapshot.index
        try:
            stale = self._stale(index)
        except Exception as error:  # the status line must never break the page
            stale = str(error)
        try:
            rebuilding = self.rebuilding()
        except OSError:
            rebuilding = None
        return Status(len(index.manifest.documents), index.manifest.passages, index.manifest.built_at,
                      index.manifest.model, stale, rebuilding)


class _Behind:
    """The engine's memory of whether its index is behind the corpus: the answer, the snapshot and the
    corpus files' (path, size, time) it was worked out for, and when the files were last looked at."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._signature: object = None
        self._reason: str | None = None
        self._looked = float("-inf")

    def reason(self, snapshot: _Snapshot, signature: Callable[[], object],
               stale: Callable[[], str | None]) -> str | None:
        """The reason `stale()` gives for `snapshot`, worked out again only when the snapshot or the
        files' `signature()` changed; the files are looked at at most every BEHIND_CHECK_SECONDS."""
        with self._lock:
            now = time.monotonic()
            if self._snapshot is snapshot and now - self._looked < BEHIND_CHECK_SECONDS:
                return self._reason
            files = signature()
            if self._snapshot is not snapshot or files != self._signature:
                self._reason = stale()
                self._snapshot, self._signature = snapshot, files
            self._looked = now
            return self._reason
