"""Question -> ranked passages (Hits): dense FAISS search and BM25 (index/lexical.py), fused by reciprocal
rank fusion; for a question asking what a term means, the passages that define it first (`Definition`);
and whether a keyword query is about the documents at all (`off_topic`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np

from docqa.errors import CorruptIndex
from docqa.index.lexical import FOLDER as LEXICAL
from docqa.index.lexical import DamagedLexicalIndex, LexicalIndex, stem
from docqa.index.spelling import Spelled, corrected
from docqa.index.store import Index, Within
from docqa.text import query_kind
from docqa.types import Hit

# Cormack, Clarke & Büttcher (SIGIR 2009), "Reciprocal rank fusion outperforms Condorcet and
# individual rank learning methods": k = 60.
RRF_K = 60
CANDIDATES = 50
# Dense similarity counts less than BM25: on short factual questions over one document the lexical
# ranking put the right passage first for 72 of 80 dev questions, dense for 64 (measured with
# evaluation/qa.jsonl); at 0.3 the fusion matches BM25 at rank 1 and beats it at rank 3.
DENSE_WEIGHT = 0.3
# Keyword queries (query_kind: lower-case words without a "?", as typed into a search box) are another
# matter: there the dense ranking is the better one. Both weights were fitted on training data with
# benchmarks/fit_fusion.py (2026-12-07; 30 SQuAD training articles, 597 questions, and 300 Natural
# Questions training titles, 347 queries; MRR over the top 5 for each weight of a grid): for questions
# the MRR is flat from 0.3 to 0.5 (0.876, 0.878) and 0.3 does better on the repository's files (extra
# recall@1 0.700 against 0.680), so it stays; for keyword queries it rises with the dense weight to
# 100 (0.899 at 0.3, 0.925 at 10, 0.931 at 100), where BM25 only breaks ties and keeps its first
# passage. On the held-out NQ titles (150 queries) recall@1/@5 0.920/0.987 -> 0.953/0.993, as dense
# search alone.
KEYWORDS_DENSE_WEIGHT = 100.0
# A keyword query whose closest passage is less similar than this (the cosine of the two MiniLM embeddings)
# is about something the documents do not treat: docqa declines it unread. The reader learnt "no answer"
# on questions, and read as typed an off-topic query keeps a sure span; how near the documents come is
# what tells. Fitted 2026-12-07 with benchmarks/fit_query_gate.py on Natural Questions training titles
# (300 in the corpus, 358 queries; 100 left out, 117 queries), together with the reader's bar for keyword
# queries (read/trained.py QUERY_BAR), for the F1 of the whole file: 0.6622 at 0.475 and 0.7, 0.6590 at
# 0.55, 0.5663 without the gate at 0.995. There the closest passage's similarity alone separates the
# answerable queries from the left-out titles' with an AUROC of 0.99, the reader's confidence 0.86.
# Questions (with a capital or a "?") are not gated: follow-ups ("When was it set up?") and acronyms
# ("What does SHAPE stand for?") come as far as 0.05-0.15 from the passages that answer them.
OFF_TOPIC = 0.475
# The embedding models that bar was fitted for: a cosine of another model means something else, and no
# query is gated there.
OFF_TOPIC_MODELS = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
# How many passages that define the term a question asks about come first (two: a term may be defined
# in two documents, "Contributor" in the MPL and in the Apache License).
DEFINING_FIRST = 2


class Definition(Protocol):
    """What a question asking the meaning of a term searches with (read.form.Definition is one): the
    term, whose words BM25 looks up, and whether a passage's text defines it."""

    term: str

    def __call__(self, text: str) -> bool: ...


def dense_weight(question: str) -> float:
    """What the dense ranking counts in the fusion for this question, against BM25's 1."""
    return KEYWORDS_DENSE_WEIGHT if query_kind(question) == "keywords" else DENSE_WEIGHT


def off_topic_bar(model: str) -> float | None:
    """The similarity a keyword query's closest passage must reach with this embedding model: OFF_TOPIC
    for the one it was fitted with, None (no gate) for any other."""
    return OFF_TOPIC if model in OFF_TOPIC_MODELS else None


def off_topic(question: str, hits: Sequence[Hit], bar: float = OFF_TOPIC) -> float | None:
    """The similarity of the closest of `hits` to a keyword query (query_kind) that none comes as near as
    `bar` to: the documents are not about it. None for a question, for a query some hit is near, and
    without hits or dense scores (a keyword-only search)."""
    if query_kind(question) != "keywords" or not hits or all(hit.dense == 0.0 for hit in hits):
        return None
    closest = max(hit.dense for hit in hits)
    return closest if closest < bar else None


class Mode(str, Enum):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


def rrf(rankings: list[list[int]], weights: list[float] | None = None, k: int = RRF_K) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum over rankings of weight / (k + rank), rank from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights if weights is not None else [1.0] * len(rankings)):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


@dataclass(frozen=True)
class Fused:
    order: list[int]           # the top passage numbers, best first
    scores: dict[int, float]   # fused score of every ranked passage
    best_possible: float       # the score of a passage first in every ranking


def fuse(dense: list[tuple[int, float]], lexical: list[tuple[int, float]], top_k: int,
         dense_weight: float = DENSE_WEIGHT) -> Fused:
    """The top_k passages of two (number, score) rankings by weighted reciprocal rank fusion, the dense
    ranking counting `dense_weight` against BM25's 1."""
    pairs = [(ranking, weight) for ranking, weight in ((dense, dense_weight), (lexical, 1.0)) if ranking]
    rankings = [[i for i, _ in ranking] for ranking, _ in pairs]
    weights = [weight for _, weight in pairs]
    fused = rrf(rankings, weights, RRF_K)
    best_possible = sum(weights) / (RRF_K + 1) if rankings else 1.0
    lexical_score = dict(lexical)
    # Ties go to the lexical ranking, the stronger one on exact-wording questions.
    order = sorted(fused, key=lambda i: (-fused[i], -lexical_score.get(i, 0.0), i))[:top_k]
    if top_k >= 2 and lexical and lexical[0][0] not in order:
        # BM25's first passage holds the question's rarest words ("the Pennebaker and Mitchell
        # textbook"); when the dense ranking misses it, fusion alone would drop it.
        order = order[: top_k - 1] + [lexical[0][0]]
    return Fused(order, fused, best_possible)


class Retriever:
    """Fuses the dense and the BM25 rankings of one loaded Index (read-only afterwards)."""

    def __init__(self, index: Index):
        self.index = index
        # A folder written before BM25 was stored gets it here, over every passage, as docqa used to.
        self.bm25 = index.lexical if index.lexical is not None else LexicalIndex.build(
            [p.search_text for p in index.passages])

    @property
    def idf(self) -> dict[str, float]:
        """Stemmed word -> idf over the index's passages (the rule-based reader weighs words by it)."""
        return self.bm25.idf

    def knows(self, word: str) -> bool:
        """Whether a word (its stem) stands in some passage of the index: a product's name is understood."""
        return stem(word.lower()) in self.bm25.column

    def frequency(self, word: str) -> int:
        """How many passages of the index state a word (its stem); 0 for none."""
        column = self.bm25.column.get(stem(word.lower()))
        return 0 if column is None else int(self.bm25.starts[column + 1] - self.bm25.starts[column])

    def spelled(self, question: str) -> Spelled:
        """The question with its misspelt words read as the words of these passages (index/spelling.py)."""
        return corrected(question, self.frequency)

    def lexical(self, question: str, k: int, within: Within | None = None) -> list[tuple[int, float]]:
        try:
            return self.bm25.search(question, k, within.contains if within is not None else None)
        except DamagedLexicalIndex as error:
            raise CorruptIndex(str(self.index.folder.parent), f"{self.index.folder.name}/{LEXICAL}/ is damaged: "
                                                              f"{error}") from error

    def defining(self, definition: Definition, order: list[int], within: Within | None = None) -> list[int]:
        """The passages that define the term among those BM25 finds for the term's own words, those of
        `order` (the question's fused ranking) first, in its order, then in BM25's."""
        found = [i for i, _ in self.lexical(definition.term, CANDIDATES, within)]
        ranked = [i for i in order if i in found] + [i for i in found if i not in order]
        return [i for i in ranked if definition(self.index.passages[i].text)]

    def search(self, question: str, vector: np.ndarray, top_k: int, mode: Mode = Mode.HYBRID,
               within: Within | None = None, definition: Definition | None = None,
               unnamed: str | None = None) -> list[Hit]:
        """The top_k passages for the question; `vector` is the question's unit-length embedding. With
        `within`, both rankings hold only those passages: the limit applies inside each search, so the
        top_k are the best of the chosen documents, not what is left of the best of all. `definition`:
        the term the question asks the meaning of; the DEFINING_FIRST passages that define it come
        first, as a numbered definition ('1.1. "Contributor" means ...') shares few words with "Who
        counts as a contributor?", and many passages use the term without defining it. `unnamed`: the
        question without the names of the documents it is asked of (index/named.py), for BM25."""
        depth = max(CANDIDATES, top_k)
        dense = self.index.search(vector, depth, within) if mode != Mode.LEXICAL else []
        lexical = self.lexical(question if unnamed is None else unnamed, depth, within) if mode != Mode.DENSE else []
        dense_score = dict(dense)
        lexical_score = dict(lexical)
        fused = fuse(dense, lexical, top_k, dense_weight(question))
        if definition is not None:
            first = self.defining(definition, [i for i, _ in sorted(fused.scores.items(), key=lambda s: -s[1])], within)
            first = first[:DEFINING_FIRST]
            order = first + [i for i in fused.order if i not in first]
            fused = Fused(order[:top_k], fused.scores, fused.best_possible)
        if mode != Mode.LEXICAL:
            missing = [i for i in fused.order if i not in dense_score]
            if missing:
                dense_score.update(zip(missing, (self.index.vectors_of(missing) @ vector).tolist()))
        return [
            Hit(
                passage=self.index.passages[i],
                score=round(fused.scores.get(i, 0.0) / fused.best_possible, 6),
                dense=round(dense_score.get(i, 0.0), 6),
                lexical=round(lexical_score.get(i, 0.0), 6),
            )
            for i in fused.order
        ]
