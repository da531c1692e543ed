"""Small deterministic stand-ins for the models, so that tests of the shells check the shells."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from docqa.types import Answer, Hit


class NoReader:
    """A reader that never answers: for tests of retrieval and of the index lifecycle."""

    label = "none"
    default_threshold = 0.5

    def warm(self, passages: Iterable[str]) -> int:
        return 0

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        return None


@dataclass(frozen=True)
class Read:
    """One call of WordReader.read, as the engine made it."""

    question: str
    passages: tuple[str, ...]  # the hits' passage texts, in rank order
    context: str


class WordReader:
    """A reader that answers `word` wherever it first occurs as a whole word in the hits (rank order,
    then position), with confidence `confidence` whatever the question; None when no hit holds it.
    It records every call in `reads` and the passages it was warmed with in `warmed`."""

    label = "word"
    default_threshold = 0.5

    def __init__(self, word: str, confidence: float = 0.9):
        self.word = word
        self.confidence = confidence
        self.reads: list[Read] = []
        self.warmed: list[str] = []

    def warm(self, passages: Iterable[str]) -> int:
        self.warmed = list(passages)
        return len(passages)

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        self.reads.append(Read(question, tuple(hit.passage.text for hit in hits), context))
        pattern = re.compile(rf"\b{re.escape(self.word)}\b")
        for hit in hits:
            passage = hit.passage
            found = pattern.search(passage.text)
            if found:
                return Answer(found.group(), passage.document, passage.start + found.start(),
                              passage.start + found.end(), self.confidence, passage.text, passage.start,
                              passage.end, passage.section, passage.page)
        return None
