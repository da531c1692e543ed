"""Answer strings -> exact match and F1, as the official SQuAD v2.0 script (evaluate-v2.0.py) scores them.

Lower case, ASCII punctuation and the articles a/an/the removed, whitespace collapsed; token-bag F1;
the best score over the gold answers. One deliberate difference: the script turns a null prediction
into "" and compares strings, so an answer made only of punctuation or articles would count as a
decline; here an unanswerable item scores 1 iff the prediction is null, because any shown answer is
an answer to the user. Also whether a passage holds an answer (retrieval hits) and percentiles.
Pure functions, no heavy imports: the evaluation, the report and the reader's training loop all
score with these.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalize_answer: lower case, ASCII punctuation and articles removed, whitespace collapsed."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def gold_answers(answers: Sequence[str]) -> list[str]:
    """The gold answers that count: as in the script, one that normalises to nothing does not."""
    return [a for a in answers if normalize_answer(a)]


def _token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    same = sum((Counter(predicted) & Counter(expected)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def contains_words(text: str, words: str) -> bool:
    """Whether `text` holds `words` as whole words, both normalised as answers are."""
    return f" {normalize_answer(words)} " in f" {normalize_answer(text)} "


# An answer to a sentence item is right when at least half of its words are the sentence's (so that a
# clause of it or the sentence with a short neighbour counts, a whole passage around it does not) and
# it holds the item's key words; without keys, when its token F1 with the sentence reaches a half.
SENTENCE_SHARE = 0.5


def sentence_match(prediction: str | None, answers: Sequence[str], keys: Sequence[str] = ()) -> float:
    """1.0 when the prediction answers with one of the gold sentences: it holds every key (whole words,
    normalised) and SENTENCE_SHARE of its words are that sentence's (token precision), or, without
    keys, its token F1 with the sentence is SENTENCE_SHARE or more; else 0.0. Unanswerable items as
    exact_match."""
    golds = gold_answers(answers)
    if not golds or prediction is None:
        return float(not golds and prediction is None)
    if not all(contains_words(prediction, key) for key in keys):
        return 0.0
    predicted = normalize_answer(prediction).split()
    for gold in golds:
        expected = normalize_answer(gold).split()
        same = sum((Counter(predicted) & Counter(expected)).values())
        if not predicted or not same:
            continue
        precision, recall = same / len(predicted), same / len(expected)
        score = precision if keys else 2 * precision * recall / (precision + recall)
        if score >= SENTENCE_SHARE:
            return 1.0
    return 0.0


def exact_match(prediction: str | None, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer, else 0.0. With no gold
    answers (unanswerable) 1.0 iff the prediction is None."""
    golds = gold_answers(answers)
    if not golds or prediction is None:
        return float(not golds and prediction is None)
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(g) for g in golds))


def f1_score(prediction: str | None, answers: Sequence[str]) -> float:
    """The best token F1 of the prediction over the gold answers; unanswerable items as exact_match."""
    golds = gold_answers(answers)
    if not golds or prediction is None:
        return float(not golds and prediction is None)
    return max(_token_f1(prediction, g) for g in golds)


# Typographic marks that PDFs and word processors give, folded to the ASCII ones that the SQuAD
# normalisation removes ("“Henderson’s" -> "hendersons"); a dash between words or numbers parts them
# ('"Royal Peculiar"—a church', "2006–2007"). For the hit test only: exact match and F1 stay those of
# the official script.
_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u201f": '"', "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u2012": " ", "\u2013": " ", "\u2014": " ",
    "\u2015": " ",
})
# A hyphen between two words of two letters or digits or more parts them ("Norwegian-led", "2006-2007");
# one after a single letter ("e-mail", "X-15") joins, as a slash always does ("9/11").
_COMPOUND = re.compile(r"(?<=\w\w)-(?=\w\w)")


def _forms(text: str) -> tuple[str, str]:
    """`text` as the hit test compares it, joined ("e-mail" -> "email") and with compounds parted."""
    folded = text.translate(_TYPOGRAPHIC)
    return normalize_answer(folded), normalize_answer(_COMPOUND.sub(" ", folded))


def contains_answer(passage: str, answers: Sequence[str]) -> bool:
    """Whether the passage holds a gold answer as whole words, both normalised alike: typographic
    quotes and dashes as ASCII ones, and either with every hyphen dropped, as SQuAD's normalisation
    does, or with the words of a compound parted."""
    joined, parted = (f" {form} " for form in _forms(passage))
    return any(f" {gold} " in text for g in gold_answers(answers)
               for gold, text in zip(_forms(g), (joined, parted)))


def first_hit(passages: Sequence[str], answers: Sequence[str]) -> int | None:
    """The 1-based rank of the first passage holding a gold answer; None when none does."""
    for rank, passage in enumerate(passages, start=1):
        if contains_answer(passage, answers):
            return rank
    return None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation between order statistics (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
