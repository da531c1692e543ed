"""Files in the corpus folder -> Documents with cleaned text, sections and a content hash.

Each format has a small reader (bytes -> raw text); every reader's output goes through the
same cleaning, so offsets always index the cleaned text. A file that cannot be read is skipped
with a warning naming it and the reason; the rest of the corpus still loads.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .clean import CleanText, Section, clean_text
from .errors import CorpusNotFound

log = logging.getLogger("docqa")


class UnreadableFile(Exception):
    """Raised by a format reader; the message is the reason shown in the warning."""


@dataclass(frozen=True)
class Document:
    """One corpus file. `path` is relative to the corpus folder, in POSIX form."""

    path: str
    text: str
    sections: tuple[Section, ...]
    sha256: str

    def section_at(self, offset: int) -> str | None:
        return CleanText(self.text, self.sections).section_at(offset)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise UnreadableFile("it looks binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"not valid UTF-8 (byte {error.start})") from error


def read_plain(data: bytes) -> CleanText:
    return clean_text(_decode(data))


def read_markdown(data: bytes) -> CleanText:
    return clean_text(_decode(data), markdown=True)


Reader = Callable[[bytes], CleanText]
READERS: dict[str, Reader] = {".txt": read_plain, ".md": read_markdown}


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corpus_files(corpus: Path) -> list[Path]:
    """Readable-format files under `corpus`, recursively, in a stable order; hidden files are ignored."""
    if not corpus.is_dir():
        raise CorpusNotFound(str(corpus))
    return sorted(
        path
        for path in corpus.rglob("*")
        if path.is_file()
        and path.suffix.lower() in READERS
        and not any(part.startswith(".") for part in path.relative_to(corpus).parts)
    )


def load_document(path: Path, corpus: Path, data: bytes | None = None) -> Document:
    """Read and clean one file; raises UnreadableFile with the reason."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UnreadableFile(f"cannot be read: {error.strerror}") from error
    clean = READERS[path.suffix.lower()](data)
    if not clean.text.strip():
        raise UnreadableFile("it is empty (no text)")
    return Document(
        path=path.relative_to(corpus).as_posix(),
        text=clean.text,
        sections=clean.sections,
        sha256=content_hash(data),
    )


def load_corpus(corpus: Path) -> Corpus:
    """Every readable document of the corpus; unreadable ones are reported in `skipped` and logged."""
    documents, skipped = [], []
    for path in corpus_files(corpus):
        try:
            documents.append(load_document(path, corpus))
        except UnreadableFile as error:
            relative = path.relative_to(corpus).as_posix()
            log.warning("Skipped %s: %s", relative, error)
            skipped.append(Skipped(relative, str(error)))
    return Corpus(tuple(documents), tuple(skipped))
