"""Hits -> Answer: the shape every reader fills, and the Reader protocol the engine calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the hits' type only: reading needs no index (training runs where faiss is not installed)
    from .retrieve import Hit


@dataclass(frozen=True)
class Answer:
    """An extractive answer: `text == document_text[start:end]`; the quote is the passage it came from.

    `quote_start`/`quote_end` are document offsets of the quoted passage, so the answer sits at
    `start - quote_start` inside `quote`.
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
