"""Hits -> Answer with the built-in reader (no trained QA model exists offline)."""

from __future__ import annotations

import numpy as np

from .answer import Answer
from .embed import Embedder
from .retrieve import Hit
from .split import split_sentences


class SpanReader:
    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def read(self, question: str, hits: list[Hit]) -> Answer | None:
        sentences = []
        for hit in hits:
            for s in split_sentences(hit.passage.text):
                sentences.append((hit, s))
        if not sentences:
            return None
        vectors = self.embedder.encode([question] + [s.text for _, s in sentences])
        scores = vectors[1:] @ vectors[0]
        best = int(np.argmax(scores))
        hit, s = sentences[best]
        p = hit.passage
        return Answer(s.text, p.document, p.start + s.start, p.start + s.end, float(max(0.0, scores[best])),
                      p.text, p.start, p.end, p.section, p.page)
