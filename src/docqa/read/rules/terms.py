"""The question's words -> weighted `Term`s, and how well each matches each word of a sentence: by
letters (the same stem, a compound, a derivation) or, for common words, by meaning (word vectors).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from spacy.tokens import Doc

from docqa.embed.embedder import WordVectors
from docqa.index.lexical import stem
from docqa.read.rules.answer_type import QuestionInfo
from docqa.read.rules.sentence_table import content_tokens, softable, token_table

CONTEXT_WEIGHT = 0.8   # weight of a follow-up's context words against the question's own
# Soft word matching: a cosine of contextual word vectors (embed.encode_words) becomes a partial
# match, 0 at SOFT_FLOOR (unrelated words reach ~0.5) rising to at most SOFT_CAP, below a shared stem.
SOFT_FLOOR = 0.45
SOFT_SPAN = 0.4
SOFT_CAP = 0.8
STRONG_MATCH = 0.5  # a match this good (cosine >= 0.65 by meaning) means the question says that word


@dataclass(frozen=True)
class Term:
    """A content word of the question; `vector` is its contextual word vector when it may match
    softly (names and numbers must match by their letters)."""

    stem: str
    text: str
    weight: float
    focus: bool
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    name: bool = False  # a proper name or a number: the documents must hold it by its letters
    describes: bool = False  # modifies the focus ("earthquake-related research"): an answer may say it again


def question_terms(
    qdoc: Doc, info: QuestionInfo, idf: dict[str, float], context: Doc | None,
    vectors: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> list[Term]:
    """Weighted content words of the question (and, weaker, of the conversation context).
    `vectors` holds the word vectors of the question's and the context's tokens, if any."""
    terms: list[Term] = []
    seen: set[str] = set()
    focus = qdoc[info.focus_index] if info.focus_index is not None and info.focus_index < len(qdoc) else None
    describing = {t.i for t in focus.subtree if t.i < focus.i} if focus is not None else set()
    unseen = None  # a word the index never saw is as telling as its rarest word (found once, if needed)
    for source, factor, matrix in ((qdoc, 1.0, vectors[0]), (context, CONTEXT_WEIGHT, vectors[1])):
        if source is None:
            continue
        for token in content_tokens(source):
            if info.alias and token.lemma_.lower() == "stand" and source is qdoc:
                continue  # "What does SPS stand for?": the frame, not what the documents say
            key = stem(token.text)
            if key in seen:
                continue
            seen.add(key)
            is_focus = source is qdoc and info.focus_index is not None and token.i == info.focus_index
            known = idf.get(key)
            if known is None and unseen is None:
                unseen = max(idf.values(), default=1.0)
            weight = (known if known is not None else unseen) * factor
            vector = matrix[token.i] if matrix is not None and softable(token) else None
            terms.append(Term(key, token.lower_, weight * (0.5 if is_focus else 1.0), is_focus, vector,
                              token.pos_ == "PROPN" or token.like_num, source is qdoc and token.i in describing))
    return terms


def soft_match(cosine: np.ndarray) -> np.ndarray:
    """Cosines of word vectors -> partial matches: 0 up to SOFT_FLOOR, then rising, at most SOFT_CAP."""
    return np.clip((cosine - SOFT_FLOOR) / SOFT_SPAN, 0.0, SOFT_CAP)


def match_matrix(terms: list[Term], sent: Doc, vectors: np.ndarray | None) -> np.ndarray:
    """(terms x tokens) how well each question word matches each word of the sentence: 1 for the
    same stem, 0.8 for a compound or derivation, and a partial soft match by word vectors."""
    table = token_table(sent)
    matrix = np.array([[word_match(term.stem, term.text, word) for word in table.lower] for term in terms],
                      dtype=np.float32)
    matrix = matrix.reshape(len(terms), len(sent))
    rows = [i for i, term in enumerate(terms) if term.vector is not None]
    if vectors is not None and rows and len(sent):
        soft = soft_match(np.stack([terms[i].vector for i in rows]) @ vectors.T) * table.softable
        matrix[rows] = np.maximum(matrix[rows], soft)
    return matrix


def token_vectors(doc: Doc, words: WordVectors) -> np.ndarray:
    """One unit vector per spaCy token: the mean of the word pieces inside it (zero if none)."""
    vectors = np.zeros((len(doc), words.pieces.shape[1]), dtype=np.float32)
    if not len(doc) or not len(words.pieces):
        return vectors
    starts = np.array([token.idx for token in doc])
    owner = np.searchsorted(starts, words.offsets[:, 0], side="right") - 1
    np.add.at(vectors, np.clip(owner, 0, len(doc) - 1), words.pieces)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@lru_cache(maxsize=262144)
def word_match(term_stem: str, term_text: str, word: str) -> float:
    """A question word (its stem and lower-case text) against a lower-case word: 1 for the same
    stem, 0.8 for a compound or a derivation the stemmer keeps apart."""
    if stem(word) == term_stem:
        return 1.0
    a, b = term_text, word
    if min(len(a), len(b)) >= 4 and (a.endswith(b) or b.endswith(a)):
        return 0.8  # compounds: mines / landmines
    if a[:5] == b[:5] and min(len(a), len(b)) >= 5:  # cheap test first: most word pairs differ early
        shared = len(os.path.commonprefix([a, b]))
        if shared >= 0.8 * min(len(a), len(b)):
            return 0.8  # derivations the stemmer keeps apart: military / militarily
    if "-" in word and any(stem(part) == term_stem for part in word.split("-")):
        return 0.8
    return 0.0
