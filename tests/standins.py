"""Small deterministic stand-ins for the models, so that tests of the shells check the shells."""

from __future__ import annotations

from docqa.answer import Answer
from docqa.retrieve import Hit


class NoReader:
    """A reader that never answers: for tests of retrieval and of the index lifecycle."""

    label = "none"
    default_threshold = 0.5

    def warm(self, passages: list[str]) -> int:
        return 0

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        return None
