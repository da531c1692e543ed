"""Files in the corpus folder -> Documents with cleaned text, sections, pages and a content hash.

Each file is read by its format's reader (ingest/formats.py), so offsets always index the cleaned
text. A file that cannot be read is skipped with a warning naming it and the reason; the rest of the
corpus still loads.

Nothing outside the corpus folder is read: a link (to a file or a folder) whose target lies outside
it is skipped with a message naming the link, a link inside it is not followed (its target is read
under its own name, once), and every file is opened without following a link. What one file may cost
to read is bounded by `ReadLimits` (settings.py): its size on disk, what a .docx decompresses to, a
PDF's pages, its text; sandbox.py adds the time and memory limits of the process that reads it.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import io
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from docqa.errors import CorpusNotFound, OutsideCorpus
from docqa.ingest.clean import (
    CleanText,
    Section,
)
from docqa.ingest.formats import (
    IMAGE_SUFFIXES,
    READERS,
    UnreadableFile,
    check_length,
    format_not_read,
    read_named,
    read_pdf,
    read_plain,
    reader_for,
)
from docqa.names import display_name
from docqa.settings import ReadLimits
from docqa.types import DocumentInfo

log = logging.getLogger("docqa")
# pypdf warns about every repaired cross-reference; the document either reads or is skipped with a reason.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Document:
    """One corpus file. `path` is relative to the corpus folder, in POSIX form.

    `pages[n - 1]` is the offset in `text` where page n starts; empty for formats without pages.
    """

    path: str
    text: str
    sections: tuple[Section, ...]
    sha256: str
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()  # what reading had to change (bytes replaced, runs dropped): the build warns
    ocr_pages: tuple[int, ...] = ()  # pages (1-based) whose text OCR read

    @property
    def clean(self) -> CleanText:
        return CleanText(self.text, self.sections, self.pages, ocr_pages=self.ocr_pages)

    def section_at(self, offset: int) -> str | None:
        return self.clean.section_at(offset)

    def page_at(self, offset: int) -> int | None:
        return self.clean.page_at(offset)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """A document that was read, and what reading it had to change or leave out."""

    path: str
    message: str


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class Listing:
    """The corpus folder's files in a readable format, in a stable order, and the entries not read:
    links out of the folder, hidden files and folders, what is not a regular file."""

    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class CorpusScan:
    """The corpus files by content, without parsing them: enough to tell what changed."""

    hashes: dict[str, str]  # path relative to the corpus -> sha256 of the file's bytes, in corpus order
    skipped: tuple[Skipped, ...]  # files that could not even be opened


# ---- the corpus folder -------------------------------------------------------------------------

def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


# Microsoft Office writes "~$" and the rest of a document's name beside a document that is open: a lock
# file, no document (LibreOffice's ".~lock.*#" is a dot file).
OFFICE_LOCK = "~$"
HIDDEN = "its name starts with a dot (hidden): not read; rename it to index it"
OUTSIDE = "a link to a place outside the corpus folder: not read; copy the file into the corpus instead"
BROKEN = "a link to nothing: not read"
SPECIAL = "not a regular file: not read"


def list_corpus(corpus: Path) -> Listing:
    """Files under `corpus` in a readable format, recursively, in a stable order, and the entries not
    read with the reason: files of another format, hidden files of a readable format (not dot files such
    as .DS_Store, nor Office's lock files, "~$..."), hidden folders, links whose target lies outside the
    corpus, broken links, devices and pipes. A link inside the corpus is not followed: its target is read
    under its own name. Raises CorpusNotFound when `corpus` is no folder."""
    if not corpus.is_dir():
        raise CorpusNotFound(str(corpus), corpus.is_file())
    root = os.path.realpath(corpus)
    files: list[Path] = []
    skipped: list[Skipped] = []
    for folder, subfolders, names in os.walk(root):
        relative = Path(os.path.relpath(folder, root))
        for name in sorted(subfolders):
            path = os.path.join(folder, name)
            where = (relative / name).as_posix()
            if name.startswith("."):
                skipped.append(Skipped(where + "/", HIDDEN))
            elif os.path.islink(path) and not _inside(os.path.realpath(path), root):
                skipped.append(Skipped(where + "/", OUTSIDE))
        subfolders[:] = sorted(n for n in subfolders if not n.startswith("."))  # links are not walked into
        for name in names:
            path = os.path.join(folder, name)
            where = (relative / name).as_posix()
            if (name.startswith(".") and Path(name).suffix.lower() not in READERS) or name.startswith(OFFICE_LOCK):
                continue  # a dot file (".DS_Store", ".gitignore") or a lock file is no document: not even mentioned
            if reader_for(name) is None:
                skipped.append(Skipped(where, format_not_read(name)))
                continue
            reason = _not_read(path, name, root)
            if reason is None:
                files.append(corpus / relative / name)
            elif reason:
                skipped.append(Skipped(where, reason))
    return Listing(tuple(sorted(files)), tuple(sorted(skipped, key=lambda s: s.path)))


def _not_read(path: str, name: str, root: str) -> str | None:
    """Why the corpus entry at `path` is not read ("" for a link to a file read under its own name),
    or None when it is a regular file to read."""
    if name.startswith("."):
        return HIDDEN
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not os.path.exists(target):
            return BROKEN
        return "" if _inside(target, root) else OUTSIDE
    try:
        return None if stat.S_ISREG(os.lstat(path).st_mode) else SPECIAL
    except OSError as error:
        return f"cannot be read: {error.strerror}"


def corpus_files(corpus: Path) -> list[Path]:
    """Readable-format files under `corpus` that are read (`list_corpus`), in a stable order."""
    return list(list_corpus(corpus).files)


def corpus_path(corpus: Path, relative: str) -> Path:
    """The file at `relative` (a path inside the corpus as a user or an index names it), checked to
    lie inside the corpus once every link is resolved; raises OutsideCorpus otherwise ("../x",
    "/etc/passwd", a link out)."""
    root = os.path.realpath(corpus)
    if not relative or os.path.isabs(relative) or "\x00" in relative:
        raise OutsideCorpus(display_name(relative))
    path = os.path.join(root, relative)
    if not _inside(os.path.realpath(path), root):
        raise OutsideCorpus(display_name(relative))
    return corpus / relative


def corpus_name(name: str, corpus: Path) -> str:
    """A document given as a path on disk ("corpus/notes.md" from the project, "/home/me/corpus/notes.md")
    by its name inside `corpus` ("notes.md"), where such a file lies inside it; any other `name` as it is
    (names inside the corpus, as the documents list shows them, are checked by `corpus_path`)."""
    if not name or "\x00" in name:
        return name
    absolute = os.path.abspath(name)
    root = os.path.realpath(corpus)
    path = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))  # a link by its own name
    if os.path.lexists(path) and not os.path.isdir(path) and _inside(path, root):
        return Path(os.path.relpath(path, root)).as_posix()
    return name


@contextlib.contextmanager
def _open_regular(path: Path, limits: ReadLimits) -> Iterator[io.BufferedReader]:
    """The regular file at `path`, opened without following a link (a file swapped for a link since
    the listing is refused) and refused over `limits.file_mb`; raises UnreadableFile with the reason."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        reason = "it is a link" if error.errno == errno.ELOOP else error.strerror  # O_NOFOLLOW met a link
        raise UnreadableFile(f"cannot be read: {reason}") from error
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(SPECIAL)
        if info.st_size > limits.file_mb * 2**20:
            raise UnreadableFile(f"it is {info.st_size / 2**20:,.1f} MB, over the limit of {limits.named('file_mb')}")
        try:
            yield file
        except OSError as error:
            raise UnreadableFile(f"cannot be read: {error.strerror}") from error


def read_file_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The bytes of the corpus file at `path` (see `_open_regular`)."""
    with _open_regular(path, limits) as file:
        return file.read(limits.file_mb * 2**20 + 1)


def load_document(path: Path, corpus: Path, data: bytes | None = None, limits: ReadLimits = ReadLimits(),
                  progress: Callable[[str], None] | None = None, trial: bool = False) -> Document:
    """Read and clean one file within `limits`; raises UnreadableFile with the reason. `progress` hears
    of each page a scanned PDF has read by OCR. A `trial` only tells whether the file is readable: a
    scanned PDF's OCR stops at its first page with text (read_pdf)."""
    if data is None:
        data = read_file_bytes(path, limits)
    if len(data) > limits.file_mb * 2**20:  # grown since it was measured
        raise UnreadableFile(f"it is over the limit of {limits.named('file_mb')}")
    pdf = functools.partial(read_pdf, progress=progress, trial=trial) if reader_for(path.name) is read_pdf else None
    clean = read_named(path.name, data, limits, pdf)
    if not clean.text.strip():
        dropped = f"; {clean.notes[-1]}" if clean.notes else ""
        raise UnreadableFile(f"it is empty (no text){dropped}")
    check_length(len(clean.text), limits)
    return Document(
        path=path.relative_to(corpus).as_posix(),
        text=clean.text,
        sections=clean.sections,
        sha256=content_hash(data),
        pages=clean.pages,
        notes=clean.notes,
        ocr_pages=clean.ocr_pages,
    )


def _skip(path: Path, corpus: Path, error: UnreadableFile) -> Skipped:
    relative = path.relative_to(corpus).as_posix()
    log.warning("Skipped %s: %s", display_name(relative), error)
    return Skipped(relative, str(error))


def file_hash(path: Path, limits: ReadLimits) -> str:
    """sha256 of the corpus file's bytes (see `_open_regular`), read in blocks: memory stays small
    whatever its size."""
    digest = hashlib.sha256()
    with _open_regular(path, limits) as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def scan_corpus(corpus: Path, limits: ReadLimits = ReadLimits(),
                known: dict[str, tuple[int, int, str]] | None = None) -> CorpusScan:
    """Hash every corpus file's bytes without parsing it; entries not read (`list_corpus`) and files
    that cannot be opened or are over the size limit are skipped with the reason. `known` (path ->
    (size, mtime_ns, sha256)) spares the reading of a file whose size and time did not change, and
    learns the others: an engine asks this at every status, so a corpus is read once, not each time."""
    listing = list_corpus(corpus)
    hashes: dict[str, str] = {}
    skipped = list(listing.skipped)
    for path in listing.files:
        relative = path.relative_to(corpus).as_posix()
        try:
            info = os.stat(path, follow_symlinks=False)
            seen = known.get(relative) if known is not None else None
            if seen is not None and seen[:2] == (info.st_size, info.st_mtime_ns):
                hashes[relative] = seen[2]
                continue
            hashes[relative] = file_hash(path, limits)
            if known is not None:
                known[relative] = (info.st_size, info.st_mtime_ns, hashes[relative])
        except OSError as error:
            skipped.append(_skip(path, corpus, UnreadableFile(f"cannot be read: {error.strerror}")))
        except UnreadableFile as error:
            skipped.append(_skip(path, corpus, error))
    return CorpusScan(hashes, tuple(skipped))


def load_corpus(corpus: Path, limits: ReadLimits = ReadLimits()) -> Corpus:
    """Every readable document of the corpus; unreadable ones are reported in `skipped` and logged."""
    listing = list_corpus(corpus)
    documents, skipped = [], list(listing.skipped)
    for path in listing.files:
        try:
            documents.append(load_document(path, corpus, limits=limits))
        except UnreadableFile as error:
            skipped.append(_skip(path, corpus, error))
    return Corpus(tuple(documents), tuple(skipped))


KINDS = {".pdf": "PDF", ".docx": "Word", ".html": "HTML", ".htm": "HTML", ".md": "Markdown", ".txt": "text",
         ".csv": "CSV", ".tsv": "TSV", ".xlsx": "Excel",
         **dict.fromkeys(IMAGE_SUFFIXES, "image")}


def removable(info: DocumentInfo) -> bool:
    """Whether a document of the documents list can be removed (uploads.remove_documents): one the corpus
    holds as a file it reads or skips for its format or its content, not a hidden file, a link, a pipe, a
    folder or a document already gone."""
    return info.state != "removed" and not info.name.endswith("/") and info.reason not in (HIDDEN, OUTSIDE, BROKEN,
                                                                                            SPECIAL)


def kind_of(path: str) -> str:
    """What kind of document a corpus path names, by its suffix ("text" for one read as plain text
    without a suffix of its own: "LICENSE")."""
    return KINDS.get(Path(path).suffix.lower()) or ("text" if reader_for(path) is read_plain else "other")


def document_info(path: Path, name: str, state: str, passages: int, pages: int | None) -> DocumentInfo:
    """The DocumentInfo of the corpus file at `path` (called `name`); its size and time are None when
    it is gone."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        size, modified = None, None
    else:
        size = info.st_size
        modified = datetime.fromtimestamp(info.st_mtime, timezone.utc).isoformat(timespec="seconds")
    return DocumentInfo(name, kind_of(name), size, modified, passages, pages, state)
