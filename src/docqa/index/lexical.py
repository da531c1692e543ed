"""Passages -> BM25 (bm25s scores, Snowball stems), stored in the index folder and memory-mapped, and a
question's BM25 ranking read from it.

On disk, in the build folder's `bm25/`: the BM25 score of every (passage, word) pair as a sparse
matrix in compressed-column form, one column per stemmed word:
    words.json      {"passages": how many, "words": the stemmed words in column order}
    starts.npy      int64, len(words) + 1: column w is rows starts[w]:starts[w + 1] of the two arrays below
    passages.npy    int32, the passage position of each entry
    scores.npy      float32, its BM25 score (bm25s's "lucene" variant, k1 = 1.5, b = 0.75)
A question reads the columns of its own words only: its work grows with how many passages hold
them, never with the size of the corpus.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

FOLDER = "bm25"
WORDS = "words.json"
STARTS = "starts.npy"
PASSAGES = "passages.npy"
SCORES = "scores.npy"
FILES = (WORDS, STARTS, PASSAGES, SCORES)

# bm25s logs "Building index from tokens" at INFO on every build; our own log says what matters.
logging.getLogger("bm25s").setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem BM25 indexes a word under; the reader matches words with the same one."""
    return _stemmer().stemWord(word.lower())


# bm25s's English list has 33 words and none of a question's frame: "how", "does", "where", "should"
# would otherwise count as evidence and pull up passages that ask questions themselves (FAQ entries).
QUESTION_WORDS = frozenset(STOPWORDS_EN) | frozenset("""
    what which who whom whose when where why how
    do does did doing can could should would shall may might must have has had were been being am
    i me my we our us you your he him his she her its them
    much many
""".split())


def lexical_tokens(texts: list[str], stopwords: Iterable[str] = STOPWORDS_EN) -> list[list[str]]:
    """Lower-cased, stop words removed, Snowball-stemmed word tokens, as BM25 sees them."""
    return bm25s.tokenize(texts, stopwords=list(stopwords), stemmer=_stemmer(), show_progress=False,
                          return_ids=False)


# British and American spellings of a word ("licence" and "license", "colour" and "color", "organise"
# and "organize", "analyse" and "analyze", "centre" and "center"): a question written in one finds a text
# written in the other. A variant is looked up only for a word of the question that no passage holds,
# and counts only where some passage holds it.
_SPELLINGS = tuple((re.compile(a), b) for a, b in (
    (r"ence(s?)$", r"ense\1"), (r"ense(s?)$", r"ence\1"), (r"our(s?)$", r"or\1"), (r"or(s?)$", r"our\1"),
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"iz(e|es|ed|ing|ation|ations)$", r"is\1"),
    (r"ys(e|es|ed|ing)$", r"yz\1"), (r"yz(e|es|ed|ing)$", r"ys\1"), (r"tre(s?)$", r"ter\1"), (r"ter(s?)$", r"tre\1"),
))


def spellings(word: str) -> list[str]:
    """The other spellings of a lower-cased word (British or American), most likely first; [] for none."""
    return [pattern.sub(other, word) for pattern, other in _SPELLINGS if pattern.search(word)]


def query_stems(question: str, known: Callable[[str], bool]) -> list[str]:
    """The stems BM25 looks up for a question: its words' (lexical_tokens, without QUESTION_WORDS), and for
    a word whose stem `known` rejects, the first of its other spellings' stems that it accepts."""
    stems = lexical_tokens([question], QUESTION_WORDS)[0]
    words = bm25s.tokenize([question], stopwords=list(QUESTION_WORDS), stemmer=None, show_progress=False,
                           return_ids=False)[0]
    if len(words) != len(stems):
        return stems
    out = []
    for word, stemmed in zip(words, stems):
        if not known(stemmed):
            stemmed = next((stem(v) for v in spellings(word) if known(stem(v))), stemmed)
        out.append(stemmed)
    return out


IDF_FLOOR = 0.1


def idf(document_frequency: int, passages: int) -> float:
    """BM25's idf, log(1 + (N - df + 0.5) / (df + 0.5)), floored so that a word found everywhere
    still counts a little."""
    return max(IDF_FLOOR, math.log(1.0 + (passages - document_frequency + 0.5) / (document_frequency + 0.5)))


class DamagedLexicalIndex(ValueError):
    """The files of bm25/ do not fit together; the index module turns it into CorruptIndex."""


class LexicalIndex:
    """BM25 over the passages' search texts. Read-only once made, so threads may search it together."""

    def __init__(self, words: Sequence[str], starts: np.ndarray, passages: np.ndarray, scores: np.ndarray,
                 size: int):
        """`size`: the number of passages. Raises DamagedLexicalIndex when the arrays do not fit."""
        if (starts.ndim != 1 or len(starts) != len(words) + 1 or passages.shape != scores.shape
                or passages.ndim != 1 or int(starts[0]) != 0 or int(starts[-1]) != len(passages)):
            raise DamagedLexicalIndex(
                f"{len(words)} words, {len(starts)} column starts ending at "
                f"{int(starts[-1]) if len(starts) else None}, {len(passages)} passage numbers, {len(scores)} scores")
        self.words = list(words)
        self.column = {word: n for n, word in enumerate(self.words)}
        self.starts = starts
        self.passages = passages
        self.scores = scores
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        """BM25 over `texts` (passage search texts, in index order), scored by bm25s."""
        tokens = lexical_tokens(texts) if texts else []
        if not any(tokens):
            return cls([], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), len(texts))
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        matrix = bm25.scores
        starts = np.asarray(matrix["indptr"], dtype=np.int64)
        # bm25s adds an empty word after the last column, for questions without a known word: not a column.
        words = sorted((w for w, n in bm25.vocab_dict.items() if n < len(starts) - 1), key=bm25.vocab_dict.get)
        return cls(words, starts, np.asarray(matrix["indices"], dtype=np.int32),
                   np.asarray(matrix["data"], dtype=np.float32), len(texts))

    def save(self, folder: Path) -> list[Path]:
        """Write the four files into folder/bm25/; returns their paths."""
        target = folder / FOLDER
        target.mkdir()
        (target / WORDS).write_text(json.dumps({"passages": self.size, "words": self.words}, ensure_ascii=False),
                                    encoding="utf-8")
        for name, array in ((STARTS, self.starts), (PASSAGES, self.passages), (SCORES, self.scores)):
            np.save(target / name, np.ascontiguousarray(array), allow_pickle=False)
        return [target / name for name in FILES]

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        """The BM25 of folder/bm25/, its arrays memory-mapped. Raises FileNotFoundError when it is
        missing, DamagedLexicalIndex when it is damaged."""
        source = folder / FOLDER
        try:
            header = json.loads((source / WORDS).read_text(encoding="utf-8"))
            arrays = [np.load(source / name, mmap_mode="r", allow_pickle=False) for name in (STARTS, PASSAGES, SCORES)]
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
            raise DamagedLexicalIndex(str(error)) from error
        words = header.get("words") if isinstance(header, dict) else None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise DamagedLexicalIndex(f"{WORDS} holds no list of words")
        if header.get("passages") != size:
            raise DamagedLexicalIndex(f"built over {header.get('passages')} passages, the index holds {size}")
        starts, passages, scores = arrays
        if (starts.dtype, passages.dtype, scores.dtype) != (np.int64, np.int32, np.float32):
            raise DamagedLexicalIndex(f"arrays of {starts.dtype}, {passages.dtype}, {scores.dtype}")
        return cls(words, starts, passages, scores, size)

    def search(self, question: str, k: int, allowed: Callable[[np.ndarray], np.ndarray] | None = None
               ) -> list[tuple[int, float]]:
        """(passage position, BM25 score) of the k best passages holding a word of the question, best
        first; equal scores in passage order. `allowed` (positions -> boolean mask) keeps only the passages
        a question is limited to, before the k best are taken. The scores keep the idf of all passages.
        Raises DamagedLexicalIndex on a passage number past the end."""
        columns = [self.column[t] for t in query_stems(question, self.column.__contains__) if t in self.column]
        if not columns or k < 1:
            return []
        spans = [(int(self.starts[c]), int(self.starts[c + 1])) for c in columns]
        found = np.concatenate([self.passages[a:b] for a, b in spans])
        positions, slot = np.unique(found, return_inverse=True)
        if len(positions) and (positions[0] < 0 or positions[-1] >= self.size):
            raise DamagedLexicalIndex(f"passage {int(positions[-1])} of {self.size}")
        # Column by column in the question's word order, in float32: bm25s's own sums, to the last bit.
        totals = np.zeros(len(positions), dtype=np.float32)
        done = 0
        for a, b in spans:
            np.add.at(totals, slot[done : done + b - a], self.scores[a:b])
            done += b - a
        if allowed is not None:
            inside = allowed(positions)
            positions, totals = positions[inside], totals[inside]
        keep = np.arange(len(totals))
        if len(totals) > k:
            kth = np.partition(totals, len(totals) - k)[len(totals) - k]
            keep = np.flatnonzero(totals >= kth)
        ranked = keep[np.lexsort((positions[keep], -totals[keep]))][:k]
        return [(int(positions[i]), float(totals[i])) for i in ranked if totals[i] > 0]

    @cached_property
    def idf(self) -> dict[str, float]:
        """Stemmed word -> its idf over these passages (computed on first use: only the rule-based reader asks)."""
        frequencies = np.diff(self.starts).tolist()
        return {word: idf(df, self.size) for word, df in zip(self.words, frequencies)}
