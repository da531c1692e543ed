"""A parsed sentence, the question and the sentence's candidates -> each candidate scored.

The question's words are first located in the sentence once (`sentence_match`); each candidate's
`Evidence` is then read from the parse (`evidence`), and the named rules of score_rules.py score it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, Token

from docqa.index.lexical import stem
from docqa.read.rules.answer_type import AnswerType, QuestionInfo
from docqa.read.rules.candidates import Candidate
from docqa.read.rules.roles import (
    copula_fit,
    focus_fit,
    initials_share,
    lists_focus,
    slot_fit,
)
from docqa.read.rules.score_rules import (
    TECHNICAL_KINDS,
    Evidence,
    anchor,
    novelty,
    score_terms,
    weighted_score,
)
from docqa.read.rules.sentence_table import token_table
from docqa.read.rules.span_facts import SpanFacts, span_facts
from docqa.read.rules.terms import STRONG_MATCH, Term, word_match

_MONEY_STEMS = {stem(w) for w in ("cost", "money", "spend", "price", "pay", "paid", "budget", "worth", "fee",
                                   "funding", "dollars", "euros", "pounds", "expensive", "cheap")}


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the terms of it that confidence and tests read."""

    candidate: Candidate
    score: float
    fit: float
    anchor: float
    novelty: float


@dataclass(frozen=True)
class SentenceMatch:
    """Where one question's words lie in one parsed sentence, gathered once for all its candidates.
    Token indices are the sentence's; plain lists, as numpy's per-element access is slow in the
    loop over candidates."""

    info: QuestionInfo
    answers_faq: bool        # the sentence follows a document's own question, whose words it answers
    positions: list[int]     # the tokens matching a question word that is not its focus, in order
    running: list[float]     # running sums of their match strengths, from 0
    near_running: list[list[float]]  # per token, running sums of its nearness to each of them
    echoed: frozenset[int]   # tokens that say a word of the question again (a close match)
    kind_echoed: frozenset[int]  # ... a word of the asked-for kind or of what describes it
    proper: list[bool]       # per token: a proper noun
    focus_terms: list[Term]  # the question's words naming the asked-for kind
    focus_tokens: list[Token]  # the sentence's words naming it, by their letters or closely by meaning
    focus_at: frozenset[int]   # their indices
    slot_tokens: list[Token]   # the sentence's counterparts of the word the wh-phrase depends on
    asked: frozenset[str]    # the question's words, lower case
    said: np.ndarray         # what the other side of an "is" must hold (copula_fit)
    money_asked: bool


def sentence_match(sent: Doc, info: QuestionInfo, terms: list[Term], matrix: np.ndarray,
                   answers_faq: bool = False) -> SentenceMatch:
    """`matrix` is `match_matrix(terms, sent, ...)`: how well each question word matches each token."""
    table = token_table(sent)
    weights = np.array([0.0 if term.focus else term.weight for term in terms])
    strength = (matrix * weights[:, None]).max(axis=0) if len(terms) else np.zeros(len(sent))
    matched = np.flatnonzero((strength > 0) & ~table.punct)
    # A word "in the question" for novelty: the same word, or a close match by meaning.
    echoes = matrix >= STRONG_MATCH
    focus_rows = [i for i, term in enumerate(terms) if term.focus]
    # the asked-for kind and its modifiers may be said again by an answer ("seismic ... studies")
    kind_rows = [i for i, term in enumerate(terms) if term.focus or term.describes]
    echoes_focus = echoes[kind_rows].any(axis=0) if kind_rows else np.zeros(len(sent), dtype=bool)
    focus_terms = [t for t in terms if t.focus]
    # the asked-for kind named in the sentence, by its letters or closely by meaning ("research" ~ "studies")
    focus_tokens = [sent[i] for i, word in enumerate(table.lower)
                    if any(word_match(term.stem, term.text, word) > 0 for term in focus_terms)
                    or any(matrix[row, i] >= STRONG_MATCH for row in focus_rows)]
    # what the other side of an "is" must say: the asked-for kind if the question names one
    # ("What has been a vehicle for reform?" -> "A vehicle for this has been X"), else the question's words
    said = np.array([t.i for t in focus_tokens] if focus_terms else matched, dtype=int)
    # how close each token is to the matched words: exp(-(edges - 1) / 3), one column per match
    nearness = np.exp(-(table.distance[:, matched] - 1) / 3.0) * strength[matched]
    # Sums over the matched words outside a candidate = all of them minus those inside, read
    # from running sums.
    return SentenceMatch(
        info=info, answers_faq=answers_faq, positions=matched.tolist(),
        running=np.concatenate([[0.0], np.cumsum(strength[matched])]).tolist(),
        near_running=np.concatenate([np.zeros((len(sent), 1)), np.cumsum(nearness, axis=1)], axis=1).tolist(),
        echoed=frozenset(np.flatnonzero(echoes.any(axis=0)).tolist()),
        kind_echoed=frozenset(np.flatnonzero(echoes_focus).tolist()),
        proper=table.proper.tolist(), focus_terms=focus_terms, focus_tokens=focus_tokens,
        focus_at=frozenset(t.i for t in focus_tokens), slot_tokens=_slot_tokens(sent, info, terms, matrix),
        asked=frozenset(term.text for term in terms), said=said,
        money_asked=info.answer_type == AnswerType.NUMBER and any(t.stem in _MONEY_STEMS for t in terms),
    )


def _slot_tokens(sent: Doc, info: QuestionInfo, terms: list[Term], matrix: np.ndarray) -> list[Token]:
    """The sentence's words that stand for the one the question's wh-phrase depends on ("executed" for
    "Which agency executed X?"), by their letters or closely by meaning."""
    if not info.slot_head:
        return []
    table = token_table(sent)
    slot_stem = stem(info.slot_head)
    slot_rows = [i for i, term in enumerate(terms) if term.stem == slot_stem]
    return [sent[i] for i, word in enumerate(table.lower)
            if word_match(slot_stem, info.slot_head, word) > 0
            or any(matrix[row, i] >= STRONG_MATCH for row in slot_rows)]


def score_candidates(sent: Doc, info: QuestionInfo, terms: list[Term], matrix: np.ndarray,
                     candidates: list[Candidate], answers_faq: bool = False) -> list[Scored]:
    """The candidates of the sentence (of the question's answer type) that may answer, scored, in
    their order; `matrix` and `answers_faq` as for `sentence_match`."""
    match = sentence_match(sent, info, terms, matrix, answers_faq)
    scored = []
    for candidate in candidates:
        found = evidence(sent, match, candidate)
        if found is None:
            continue
        terms_of = score_terms(found)
        scored.append(Scored(candidate, weighted_score(terms_of), terms_of.fit, terms_of.anchor, terms_of.novelty))
    return scored


def evidence(sent: Doc, match: SentenceMatch, candidate: Candidate) -> Evidence | None:
    """What the score rules read of the candidate; None for a span that cannot answer: one without
    content words or numbers, one that cuts an entity, one made of the question's own words."""
    first, last = candidate.first, candidate.last
    facts = span_facts(sent, candidate)
    words = facts.words
    if not words and not facts.numeric:
        return None
    by_pattern = candidate.kind == "DATE_PATTERN"  # a well-formed date beats the model's boundaries
    if not by_pattern and facts.crosses:
        return None
    in_question = [i for i in words if i in match.echoed]
    if len(in_question) == len(words) and words:
        return None  # the question's own words are not its answer
    technical = candidate.kind in TECHNICAL_KINDS
    # A name may hold the question's words ("What has been a vehicle for defence reforms?" ->
    # "the Defence Reform Group"): its words count half.
    repeated = sum(0.5 if match.proper[i] else 1.0 for i in in_question if i not in match.kind_echoed)
    low, high = bisect_left(match.positions, first), bisect_right(match.positions, last)
    total = match.running[-1] - (match.running[high] - match.running[low])
    row = match.near_running[facts.root]
    span = sent[first : last + 1]
    # "What kinds of projects?" -> "Projects include A, B and C": the listed ones are instances
    listed = bool(match.focus_at) and lists_focus(sent, facts.root, match.focus_at)
    return Evidence(
        info=match.info, kind=candidate.kind, type_fit=candidate.type_fit, facts=facts, tokens=last - first + 1,
        money_asked=match.money_asked, focus_named=bool(match.focus_terms), kind_in_sentence=bool(match.focus_tokens),
        listed=listed, root_names_kind=facts.root in match.focus_at,
        head_names_kind=sent[facts.root].head.i in match.focus_at, root_conjunct=sent[facts.root].dep_ == "conj",
        instance_fit=focus_fit(span, match.focus_terms, match.info, match.focus_tokens, token_table(sent).distance,
                               candidate.kind),
        short_name_share=_short_name_share(sent, match, first, last),
        anchor=anchor(row[-1] - (row[high] - row[low]), total, match.answers_faq, technical, high > low),
        novelty=novelty(repeated, len(words), technical),
        role=role_fit(sent, match, facts, span, listed),
    )


def _short_name_share(sent: Doc, match: SentenceMatch, first: int, last: int) -> float | None:
    """Where a short name of the question follows the span in brackets ("Science for Peace and
    Security (SPS)"), the share of its letters that the span's initials give; else None."""
    table = token_table(sent)
    if last + 3 < len(sent) and sent[last + 1].text == "(" and sent[last + 3].text == ")" \
            and table.lower[last + 2] in match.asked:
        return initials_share(sent[last + 2].text, table.lower[first : last + 1])
    return None


def role_fit(sent: Doc, match: SentenceMatch, facts: SpanFacts, span: Doc, listed: bool) -> float:
    """How well the span plays the wh-phrase's part: 1 for a listed member of the asked-for kind;
    else its `slot_fit` where the sentence has the word the wh-phrase depends on; else, for "Who is
    the X?", its `copula_fit`; else 0."""
    if listed:
        return 1.0
    if match.slot_tokens:
        return slot_fit(span, match.info, match.slot_tokens)
    return copula_fit(sent, facts.root, match.said, span.start, span.end - 1) if match.info.copula else 0.0
