"""The shapes that travel between the stages, at the bottom of the house: a passage of a document, a
retrieved passage (a hit), an answer copied from one, and the Reader protocol the engine calls. Nothing
here imports a model, an index or a parser.

Offsets are character positions in a document's cleaned text: `text[p.start:p.end] == p.text` for a
passage, `text[a.start:a.end] == a.text` for an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences of one document section. Offsets index the cleaned document text."""

    id: str
    document: str
    start: int
    end: int
    text: str
    section: str | None = None
    page: int | None = None
    ocr: bool = False  # its page was read by OCR from the page's image: its words may be misread
    page_breaks: tuple[int, ...] = ()  # where each later page it runs onto starts (document offsets)
    table_header: str | None = None  # the header row of a table the passage starts inside (ingest/tables.py)

    def page_at(self, offset: int) -> int | None:
        """The page of the document offset `offset` inside the passage (an answer's page, which is the
        passage's own or one it runs onto)."""
        return None if self.page is None else self.page + sum(1 for b in self.page_breaks if b <= offset)

    @property
    def search_text(self) -> str:
        """What retrieval sees: the section title gives short passages their topic."""
        return f"{self.section}. {self.text}" if self.section else self.text


@dataclass(frozen=True)
class Hit:
    """A retrieved passage. `score` is the fused score scaled to [0, 1] (1 = first in both rankings)."""

    passage: Passage
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Answer:
    """An extractive answer: `text == document_text[start:end]`; the quote is the passage it came from.

    `quote_start`/`quote_end` are document offsets of the quoted passage, so the answer sits at
    `start - quote_start` inside `quote`. `verdict`: "yes" or "no" where the answer is the sentence
    that answers a yes/no question and states it in words ("is not allowed", "may"), else None.
    """

    text: str
    document: str
    start: int
    end: int
    confidence: float
    quote: str
    quote_start: int
    quote_end: int
    section: str | None = None
    page: int | None = None
    verdict: str | None = None

    @classmethod
    def within(cls, passage: Passage, start: int, end: int, confidence: float, verdict: str | None = None) -> Answer:
        """The answer `passage.text[start:end]` (offsets inside the passage), quoting the whole passage."""
        return cls(passage.text[start:end], passage.document, passage.start + start, passage.start + end, confidence,
                   passage.text, passage.start, passage.end, passage.section, passage.page_at(passage.start + start),
                   verdict)

    @property
    def quote_offsets(self) -> tuple[int, int]:
        """Where the answer sits inside `quote`."""
        return self.start - self.quote_start, self.end - self.quote_start


class Reader(Protocol):
    """Picks the best answer span from the retrieved passages; None when it finds no candidate at all.

    `label` names the reader in reports and calibration files, so that a threshold calibrated for one
    reader is never applied to another; `default_threshold` is the no-answer threshold that travels
    with it (its model card's). `warm` prepares for the corpus's passages ahead of the questions and
    returns how many it prepared; they are read from the index as it iterates, so it takes only those
    it prepares. `context` holds what a follow-up question refers to (earlier turns),
    "" for a standalone one. The engine, not the reader, compares the confidence with the threshold.
    """

    label: str
    default_threshold: float

    def warm(self, passages: Iterable[str]) -> int: ...

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None: ...


@dataclass(frozen=True)
class DocumentInfo:
    """One document as the documents panel and `docqa documents list` show it. `state`: "indexed"
    (current), "new" (in the corpus, not yet indexed), "changed" (its file changed since the index was
    built), "removed" (indexed, its file gone), "skipped" (not read: `reason` says why). `kind`: "PDF",
    "Word", "HTML", "Markdown", "text", "image" or "other"; `size` in bytes and `modified` (ISO 8601, UTC:
    when it was added or last replaced) of its file, None once it is gone; `pages` of a paged document
    (the last one a passage reaches), else None."""

    name: str
    kind: str
    size: int | None
    modified: str | None
    passages: int
    pages: int | None
    state: str
    reason: str | None = None

    def to_dict(self) -> dict:
        """The JSON shape of `docqa documents list --json` and of the API's documents."""
        return {"name": self.name, "kind": self.kind, "size": self.size, "modified": self.modified,
                "passages": self.passages, "pages": self.pages, "state": self.state, "reason": self.reason}
