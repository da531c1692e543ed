"""Scored candidates of the ranked sentences -> `RankedSpan`s, the possible answers best first, and how
sure the best one is (`confidence`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from spacy.tokens import Doc

from docqa.read.rules.scoring import Scored
from docqa.read.rules.sentence_table import token_table
from docqa.read.rules.sentences import RankedSentence, RetrievedSentence
from docqa.read.rules.type_fits import MONTH, YEAR, date_specificity
from docqa.types import Hit

SENTENCE_WEIGHT = 0.45  # share of the sentence's score in a candidate's score
SPECIFIC_DATE_MARGIN = 0.15
MISSING_WEIGHT = 2.0  # each share of a missing telling word costs twice its size in confidence


@dataclass(frozen=True)
class RankedSpan:
    """A candidate answer with its evidence; `start`/`end` are offsets in its sentence."""

    score: float
    text: str
    start: int
    end: int
    hit: Hit
    sentence_start: int  # offset of the sentence in the passage
    coverage: float      # weighted share of the question's words in the sentence
    similarity: float    # dense cosine of question and sentence
    scored: Scored
    missing_word: float = 0.0  # `missing(..., names=False)` for the sentence
    missing_name: float = 0.0  # `missing(..., names=True)`

    @property
    def text_key(self) -> str:
        """The text that tells two spans apart: two spans of the same words are one answer."""
        return self.text.lower()


def ranked_spans(sentence: RetrievedSentence, ranked: RankedSentence, sent: Doc, scored: list[Scored]) -> list[RankedSpan]:
    """The scored candidates of one sentence (`sent` its parse) as RankedSpans, in their order: a
    span's score is SENTENCE_WEIGHT x its sentence's score + the rest x its own."""
    table = token_table(sent)
    spans = []
    for one in scored:
        first, end = table.starts[one.candidate.first], table.ends[one.candidate.last]
        spans.append(RankedSpan(
            score=SENTENCE_WEIGHT * ranked.score + (1 - SENTENCE_WEIGHT) * one.score,
            text=sentence.text[first:end], start=first, end=end, hit=sentence.hit, sentence_start=sentence.start,
            coverage=ranked.coverage, similarity=ranked.similarity, scored=one,
            missing_word=ranked.missing_word, missing_name=ranked.missing_name,
        ))
    return spans


def prefer_specific_date(spans: list[RankedSpan]) -> list[RankedSpan]:
    """A bare year or month ("2006", "September") that another retrieved sentence dates more precisely
    ("December 2006", "September 2007") yields to that date when its score is close: two sentences
    agree, one says more."""
    if not spans:
        return spans
    top = spans[0]
    bare = YEAR.fullmatch(top.text.strip()) or MONTH.fullmatch(top.text.strip().lower())
    if bare is None:
        return spans
    for span in spans[1:]:
        if span.score < top.score - SPECIFIC_DATE_MARGIN:
            break
        if bare.group() in span.text.lower() and date_specificity(span.text) > date_specificity(top.text) \
                and len(span.text.split()) <= 4:
            return [span] + [c for c in spans if c is not span]
    return spans


def confidence(best: RankedSpan, runner_up: float) -> float:
    """How likely the best choice is right, in [0, 1]. Geometric means, so that any one weak
    piece of evidence pulls it down: the sentence must both share the question's words and mean
    the same, and the span must have the asked-for type; a clear lead over the next different span
    adds a little. Then the question's most telling word that the sentence lacks ("president",
    "cost", a name) takes its toll: that is how an unanswerable question usually shows."""
    sentence = math.sqrt(max(0.0, best.coverage) * max(0.0, best.similarity))
    value = math.sqrt(sentence * max(0.0, best.scored.fit)) + min(0.05, max(0.0, best.score - runner_up))
    for lack in (best.missing_word, best.missing_name):
        value *= max(0.0, 1.0 - MISSING_WEIGHT * lack)
    return float(min(1.0, max(0.0, value)))
