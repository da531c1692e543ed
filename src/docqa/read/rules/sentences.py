"""Retrieved passages -> their sentences, ranked by how much of the question each covers (stems,
compounds, soft matches by meaning, the sentence before it) together with its similarity of meaning.

The cheap ranking by letters (`sentence_coverage`) picks the few sentences worth embedding
(`shortlist`); those are ranked again with soft matches and their own vectors (`rank_sentence`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from docqa.index.lexical import stem
from docqa.ingest.split import split_sentences
from docqa.read.rules.terms import Term, word_match
from docqa.types import Hit

MAX_SENTENCES = 40     # sentences scored per question
COVERAGE_WEIGHT = 0.55  # share of word coverage (vs dense similarity) in a sentence's score
# For "is a telling word missing?", a fair soft match counts as present: word vectors of a paraphrase
# ("cleared" ~ "removed") reach a cosine of 0.55-0.65, a match of only 0.25-0.5 on the soft scale.
PRESENT_GAIN = 2.5
_WORDS = re.compile(r"\w[\w’'-]*")


@dataclass(frozen=True)
class RetrievedSentence:
    """A sentence of a retrieved passage: `text` starts at offset `start` of the hit's passage text."""

    hit: Hit
    start: int
    text: str


@dataclass(frozen=True)
class RankedSentence:
    """A shortlisted sentence (`position` in the retrieved sentences) with its evidence."""

    score: float       # COVERAGE_WEIGHT x coverage + the rest x similarity
    coverage: float    # weighted share of the question's words in the sentence (or the one before)
    similarity: float  # cosine of the question's and the sentence's vectors
    position: int
    matrix: np.ndarray  # match_matrix(terms, the sentence's parse, its word vectors)
    missing_word: float  # `missing(..., names=False)`
    missing_name: float  # `missing(..., names=True)`


def retrieved_sentences(hits: list[Hit], limit: int = MAX_SENTENCES) -> list[RetrievedSentence]:
    """The sentences of the hits in rank order, each place of a document once, at most `limit`."""
    seen: set[tuple[str, int]] = set()
    result = []
    for hit in hits:
        for sentence in sentences_of(hit.passage.text):
            key = (hit.passage.document, hit.passage.start + sentence.start)
            if key in seen:
                continue
            seen.add(key)
            result.append(RetrievedSentence(hit, sentence.start, sentence.text))
            if len(result) >= limit:
                return result
    return result


def sentences_before(sentences: list[RetrievedSentence]) -> list[str | None]:
    """For each sentence, the retrieved sentence that ends just before it in its document, if any."""
    ends = {(s.hit.passage.document, s.hit.passage.start + s.start + len(s.text)): s.text for s in sentences}
    return [_sentence_before(ends, s.hit.passage.document, s.hit.passage.start + s.start) for s in sentences]


def shortlist(sentences: list[RetrievedSentence], coverages: list[float], size: int) -> list[int]:
    """The positions of the `size` sentences best by word coverage and their passage's dense similarity."""
    # Embedding every sentence is the slow part; the passage's own similarity stands in for its
    # sentences' to pick the few worth embedding.
    return sorted(
        range(len(sentences)),
        key=lambda i: -(COVERAGE_WEIGHT * coverages[i] + (1 - COVERAGE_WEIGHT) * max(0.0, sentences[i].hit.dense)),
    )[:size]


def rank_sentence(terms: list[Term], position: int, matrix: np.ndarray, previous: str | None,
                  similarity: float) -> RankedSentence:
    """The shortlisted sentence at `position` ranked: `matrix` is `match_matrix` of the question's terms
    and the sentence, `previous` the sentence before it (`sentences_before`)."""
    here = matrix.max(axis=1) if matrix.shape[1] else np.zeros(len(terms))
    share = before_share(previous)
    before = lexical_matches(terms, previous)
    covered = coverage(terms, list(here), before, share)
    best = [min(1.0, PRESENT_GAIN * max(float(h), share * b)) for h, b in zip(here, before)]
    return RankedSentence(
        COVERAGE_WEIGHT * covered + (1 - COVERAGE_WEIGHT) * max(0.0, similarity), covered, similarity, position,
        matrix, missing(terms, best, names=False), missing(terms, best, names=True),
    )


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    """The text's distinct lower-case words, in order."""
    return tuple(dict.fromkeys(_WORDS.findall(text.lower())))


def lexical_matches(terms: list[Term], text: str | None) -> list[float]:
    """For each question word, its best match by letters (stem, compound) among the text's words."""
    return [_best_match(term.stem, term.text, text) if text else 0.0 for term in terms]


@lru_cache(maxsize=262144)
def _best_match(term_stem: str, term_text: str, text: str) -> float:
    """The best `word_match` of a question word (its stem and lower-case text) among the text's words."""
    if term_stem in _word_stems(text):
        return 1.0
    # the other ways `word_match` can match (compounds, derivations, hyphenated words), tested cheaply first
    a, head, short = term_text, term_text[:5], len(term_text) >= 4
    return max((word_match(term_stem, term_text, w) for w in _words(text)
                if "-" in w or w[:5] == head or short and len(w) >= 4 and (a.endswith(w) or w.endswith(a))),
               default=0.0)


@lru_cache(maxsize=16384)
def _word_stems(text: str) -> frozenset[str]:
    """The Snowball stems of the text's words."""
    return frozenset(stem(w) for w in _words(text))


def coverage(terms: list[Term], here: list[float], before: list[float], before_share: float = 0.5) -> float:
    """Weighted share of the question's words found in the sentence (`here`: each word's best match);
    words found only in the sentence before count `before_share`, since sentences refer back ("this office")."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return sum(t.weight * max(h, before_share * b) for t, h, b in zip(terms, here, before)) / total


def is_question(text: str | None) -> bool:
    """A sentence of a document that asks (an FAQ's entry): its answer follows it."""
    return bool(text) and text.rstrip().endswith("?")


def before_share(previous: str | None) -> float:
    """How much the sentence before speaks for this one: fully after an FAQ's question, else half."""
    return 1.0 if is_question(previous) else 0.5


def missing(terms: list[Term], best: list[float], names: bool) -> float:
    """The weight share of the question's most telling word the sentence lacks (1 - its best match),
    among names and numbers or among common words: an unanswerable question usually asks about
    something the closest sentence does not mention ("president", "cost", "independence")."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    return max((t.weight / total * (1.0 - b) for t, b in zip(terms, best) if t.name == names and not t.focus),
               default=0.0)


def sentence_coverage(terms: list[Term], text: str, previous: str | None = None) -> float:
    """`coverage` with matches by letters only: the cheap first ranking of every sentence."""
    return coverage(terms, lexical_matches(terms, text), lexical_matches(terms, previous), before_share(previous))


@lru_cache(maxsize=4096)
def sentences_of(text: str) -> tuple:
    """`split_sentences` of a passage's text, kept for the passages read again."""
    return tuple(split_sentences(text))


def _sentence_before(ends: dict[tuple[str, int], str], document: str, start: int) -> str | None:
    """The retrieved sentence that ends just before `start` in the same document, if any
    ("This office ..." leans on it); sentences are separated by at most a few spaces or newlines."""
    for gap in range(1, 4):
        text = ends.get((document, start - gap))
        if text is not None:
            return text
    return None
