"""A parsed sentence -> its candidate answer spans for every answer type at once (`candidates_by_type`).

Spans are proposed by what finds them, in this order: named entities (with the adjective that narrows
them, and their coordinations); each word's phrase (noun phrases with shorter variants, adverbs,
prepositional phrases, infinitive and subordinate clauses); dates, ranges, reasons, technical names and
quoted titles found by pattern. Each proposal is trimmed to whole words (`answer_tokens`); a span
proposed twice keeps the better fit for each type, and the first label among equals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

from spacy.tokens import Doc, Token

from docqa.read.rules.answer_type import CAUSE_VERBS, AnswerType, QuestionInfo
from docqa.read.rules.sentence_table import technical_matches
from docqa.read.rules.type_fits import (
    ADDRESS_FITS,
    CODE_FITS,
    PLACE_PREPS,
    TIME_PREPS,
    YEAR,
    Fit,
    clause_fit,
    entity_fit,
    phrase_fit,
    pp_fit,
    to_clause_fit,
)

MAX_SPAN_TOKENS = 30
_TYPES = tuple(AnswerType)
# A bare number gives no reason, manner, agent or place.
_NOT_NUMERIC = {AnswerType.REASON, AnswerType.MANNER, AnswerType.AGENT, AnswerType.PLACE, AnswerType.CONDITION}
_LOOSE_MODIFIERS = {"prep", "relcl", "acl", "appos", "punct", "conj", "cc", "advcl", "npadvmod", "advmod"}
_NOMINAL_DEPS = {"dobj", "pobj", "nsubj", "nsubjpass", "attr", "appos", "dative", "oprd"}
DATE_TEXT = re.compile(
    r"\b(?:(?:early|mid|late|mid-)\s*)?(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)(?:\s+\d{1,2},?)?\s+(?:1[5-9]\d\d|20\d\d)\b"
    r"|\b\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(?:1[5-9]\d\d|20\d\d)\b")
RANGE_PATTERN = re.compile(r"(?:\b(?:pp?\.|[Ss]ections?|[Cc]hapters?|[Pp]ages?)\s*)?(?<![\d.])\b\d+(?:\.\d+)?\s*(?:-|–|to|through)\s*\d+(?:\.\d+)?\b")
_REASON_NOUNS_IN_TEXT = {"reason", "purpose", "sake", "benefit", "need", "lack", "fear", "concern", "cause"}
_QUOTED = re.compile(r"[‘“\"']([^‘’“”\"]{3,120})[’”\"']")
_ENUMERATOR = re.compile(r"\(?\d{1,3}[.)]")


@dataclass(frozen=True)
class Candidate:
    """A span of one sentence: token range [first, last] of the sentence parse."""

    first: int
    last: int
    kind: str            # what found it: an entity label, "NP", "PP", "CLAUSE", "QUOTE", "CODE" ... (`Proposal.label`)
    type_fit: float


@dataclass(frozen=True)
class Proposal:
    """A span [first, last] of the sentence's tokens proposed as an answer, before `answer_tokens`
    trims it; `fit` gives its fit for each answer type of `kinds`."""

    first: int
    last: int
    label: str  # entity label, "NP", "PP", "CLAUSE", "QUOTE", "ADDRESS", "CODE", "RANGE", "DATE_PATTERN" ...
    fit: Fit
    kinds: tuple[AnswerType, ...] = _TYPES


def generate_candidates(sent: Doc, info: QuestionInfo) -> list[Candidate]:
    """Constituent spans of a parsed sentence that could answer a question of this type."""
    return candidates_by_type(sent)[info.answer_type]


def candidates_by_type(sent: Doc) -> dict[AnswerType, list[Candidate]]:
    """Constituent spans of a parsed sentence that could answer a question, for every answer type
    at once: finding the spans is the costly part and does not depend on the question, so a
    sentence's candidates can be prepared before any question is asked (`SpanReader.warm`)."""
    return collect(sent, chain(
        entity_proposals(sent), word_proposals(sent), pattern_proposals(sent), reason_proposals(sent),
        technical_proposals(sent), quote_proposals(sent),
    ))


def collect(sent: Doc, proposals: Iterable[Proposal]) -> dict[AnswerType, list[Candidate]]:
    """The proposals as candidates of each answer type, trimmed by `answer_tokens`, in the order first
    proposed; a span proposed again is kept with the higher fit (with the first label among equals)."""
    spans: dict[AnswerType, dict[tuple[int, int], Candidate]] = {kind: {} for kind in _TYPES}
    for proposal in proposals:
        trimmed = answer_tokens(sent, proposal.first, proposal.last)
        if trimmed is None:
            continue
        numeric = all(t.like_num or t.is_punct for t in sent[trimmed[0] : trimmed[1] + 1])
        for kind in proposal.kinds:
            value = proposal.fit(kind)
            if numeric and kind in _NOT_NUMERIC:
                value = min(value, 0.05)
            old = spans[kind].get(trimmed)
            if old is None or old.type_fit < value:
                spans[kind][trimmed] = Candidate(trimmed[0], trimmed[1], proposal.label, value)
    return {kind: list(found.values()) for kind, found in spans.items()}


def answer_tokens(sent: Doc, first: int, last: int) -> tuple[int, int] | None:
    """[first, last] made an answer: `trim_tokens`, then `whole_words`; None when nothing is left, when
    it is longer than MAX_SPAN_TOKENS, numbers a list ("7.") or is the "order" of "in order to"."""
    trimmed = trim_tokens(sent, first, last)
    if trimmed is not None:
        trimmed = whole_words(sent, *trimmed)
    if trimmed is None or trimmed[1] - trimmed[0] + 1 > MAX_SPAN_TOKENS or is_enumerator(sent, *trimmed):
        return None
    if trimmed[0] == trimmed[1] and sent[trimmed[0]].lower_ == "order" and trimmed[0] > 0 \
            and sent[trimmed[0] - 1].lower_ == "in":
        return None  # "in order to" names nothing
    return trimmed


def _const(value: float) -> Fit:
    """The same fit for every answer type."""
    return lambda kind: value


def _entity_fits(label: str, text: str) -> Fit:
    """`entity_fit` of an entity's label and text, for every answer type."""
    return lambda kind: entity_fit(label, kind, text)


def entity_proposals(sent: Doc) -> Iterator[Proposal]:
    """Each named entity; with the adjectives that narrow it ("southern Serbia"); and with the entities
    it is coordinated with ("Canada and Austria", "KFOR and the Serbian Armed Forces")."""
    for ent in sent.ents:
        fit = _entity_fits(ent.label_, ent.text)
        yield Proposal(ent.start, ent.end - 1, ent.label_, fit)
        start = ent.start
        while start > 0 and sent[start - 1].dep_ == "amod" and sent[start - 1].pos_ == "ADJ" \
                and ent.start <= sent[start - 1].head.i < ent.end:
            start -= 1
        if start < ent.start:  # "southern Serbia", "former Yugoslavia": the name with what narrows it
            yield Proposal(start, ent.end - 1, ent.label_, fit)
        # "Canada and Austria": coordinated entities form one answer.
        for other in sent.ents:
            between = sent[ent.end : other.start]
            same_kind = other.label_ == ent.label_  # "KFOR and the Serbian Armed Forces"
            if other.start > ent.end and other.start - ent.end <= 2 + same_kind and any(t.dep_ == "cc" for t in between) \
                    and all(t.dep_ == "cc" or t.is_punct or same_kind and t.dep_ == "det" for t in between):
                yield Proposal(ent.start, other.end - 1, ent.label_, fit)


def word_proposals(sent: Doc) -> Iterator[Proposal]:
    """For each word in turn: the phrase it heads and its variants, an adverb of manner, the
    prepositional phrase of time or place it opens, and the infinitive or subordinate clause it heads."""
    for token in sent:
        if token.pos_ in ("NOUN", "PROPN", "NUM", "ADJ", "VERB") or token.like_num:
            yield from phrase_proposals(sent, token)
        if token.pos_ == "ADV" and token.dep_ == "advmod" and token.head.pos_ == "VERB":
            # "How is the programme agreed?" -> "jointly"
            yield Proposal(token.i, token.i, "ADV", _const(0.9 if token.lower_.endswith("ly") else 0.4),
                           (AnswerType.MANNER,))
        if token.dep_ == "prep" and token.lower_ in (TIME_PREPS | PLACE_PREPS):
            objects = [c for c in token.children if c.dep_ == "pobj"]
            if objects:
                # The bare noun phrase inside usually makes the better answer ("NATO Headquarters").
                pp_fits = {kind: 0.8 * pp_fit(token, objects[0], kind) for kind in _TYPES}
                yield Proposal(token.i, token.right_edge.i, "PP", pp_fits.__getitem__)
        yield from to_clause_proposals(sent, token)
        if token.dep_ in ("advcl", "ccomp", "xcomp", "acl", "relcl", "pcomp"):
            marks = [c for c in token.children if c.dep_ == "mark"]
            first = marks[0].i if marks else token.left_edge.i
            yield Proposal(first, token.right_edge.i, "CLAUSE", clause_fit(token, marks[0].lower_ if marks else None))


def phrase_fits(sent: Doc, token: Token, first: int, last: int, noun: bool) -> Fit:
    """The fits of the phrase sent[first : last + 1] that `token` heads (`noun`: a noun, `nominal`):
    `phrase_fit`, a cause's for "why" (`causes`), and a name's where it is coordinated with names."""
    fits = {kind: phrase_fit(token, sent[first : last + 1], kind) for kind in _TYPES}
    if noun and causes(token):
        fits[AnswerType.REASON] = 1.0  # "triggered by ethnic repression": the cause itself
    if token.ent_type_ and any(c.dep_ == "conj" and (c.ent_type_ or c.pos_ == "PROPN") for c in token.children):
        # "KFOR and Serbian Armed Forces": a coordination of names is a name as much as its first one
        fits = {kind: max(fit, entity_fit(token.ent_type_, kind, token.text)) for kind, fit in fits.items()}
    return fits.__getitem__


def phrase_proposals(sent: Doc, token: Token) -> Iterator[Proposal]:
    """The phrase the word heads and, for a noun phrase, shorter ones: without its possessor, cut
    before each loose right-hand modifier, its left part alone, and the bare noun."""
    noun = nominal(token)
    subtree = list(token.subtree)
    first, last = subtree[0].i, subtree[-1].i
    fit = phrase_fits(sent, token, first, last, noun)
    yield Proposal(first, last, "NP" if noun else token.pos_, fit)
    # Shorter variants: drop right-hand modifiers one at a time ("the project, which ended ..." -> "the project").
    # Only noun phrases lose their right-hand modifiers; a clause cut after its verb
    # ("Allied forces serving") is no answer.
    right = [c for c in token.rights] if (noun or token.pos_ == "NUM") else []
    # and the possessor ("NATO’s public diplomacy activities" -> "public diplomacy activities")
    lefts = list(token.lefts)
    starts = [first]
    if noun and lefts and lefts[0].dep_ == "poss" and lefts[0].pos_ != "PRON" \
            and lefts[0].right_edge.i + 1 < token.i:
        starts.append(lefts[0].right_edge.i + 1)
        yield Proposal(starts[1], last, "NP", fit)
    for cut in range(len(right), 0, -1):
        child = right[cut - 1]
        if child.dep_ not in _LOOSE_MODIFIERS or _name_internal(token, child):
            continue
        end = child.left_edge.i - 1
        if end >= token.i:
            for start in starts:
                yield Proposal(start, end, "NP", fit)
    left_kept = [c for c in token.lefts if c.dep_ not in ("nsubj", "nsubjpass", "aux", "auxpass", "mark", "advmod", "punct")]
    if left_kept and noun and not any(_name_internal(token, c) for c in right):
        yield Proposal(left_kept[0].left_edge.i if left_kept else token.i, token.i, "NP", fit)
    if noun and not any(
            c.dep_ in ("compound", "nummod", "amod") for c in token.children):
        yield Proposal(token.i, token.i, "NP", fit)


def to_clause_proposals(sent: Doc, token: Token) -> Iterator[Proposal]:
    """The infinitive clause the verb heads ("in order to X", "to X"), without its "to", and cut before
    its first coordination ("to provide advice ..., and to build ...")."""
    if token.pos_ not in ("VERB", "AUX") or not any(c.lower_ == "to" and c.dep_ == "aux" for c in token.children):
        return
    to = min(c.i for c in token.children if c.lower_ == "to" and c.dep_ == "aux")
    start = to
    if to >= 2 and sent[to - 2].lower_ == "in" and sent[to - 1].lower_ == "order":
        start = to - 2
    # "to pass through Serbian territory" says why or what is done, never when or how many
    yield Proposal(start, token.right_edge.i, "CLAUSE", to_clause_fit)
    yield Proposal(to + 1, token.right_edge.i, "CLAUSE", to_clause_fit)
    # the clause's own right-hand modifiers trimmed ("to provide advice ..., and to build ...")
    for child in token.rights:
        if child.dep_ in ("conj", "cc", "punct"):
            yield Proposal(start, child.left_edge.i - 1, "CLAUSE", to_clause_fit)
            break


def _by_characters(sent: Doc, start: int, end: int, label: str, fit: Fit) -> Iterator[Proposal]:
    """A span found by pattern in the sentence's text, [start, end) widened to whole tokens."""
    inner = sent.char_span(start, end, alignment_mode="expand")
    if inner is not None:
        yield Proposal(inner.start, inner.end - 1, label, fit)


def pattern_proposals(sent: Doc) -> Iterator[Proposal]:
    """Dates ("5 May 2001") and ranges ("1991-2020", "pp. 30-44") found by pattern in the text."""
    for match in DATE_TEXT.finditer(sent.text):
        # The small NER model's dates can swallow a neighbour ("2.0, January 2004"); the pattern's cannot.
        yield from _by_characters(sent, match.start(), match.end(), "DATE_PATTERN", _entity_fits("DATE", match.group()))
    for match in RANGE_PATTERN.finditer(sent.text):
        # "1991-2020", "pp. 30-44", "Sections 1 through 9": a range is one answer
        years = all(YEAR.fullmatch(n) for n in re.findall(r"\d+(?:\.\d+)?", match.group()))
        range_fits = {AnswerType.NUMBER: 0.9, AnswerType.DATE: 0.9 if years else 0.0,
                      AnswerType.DURATION: 0.5 if years else 0.0, AnswerType.THING: 0.6}
        yield from _by_characters(sent, match.start(), match.end(), "RANGE",
                                  lambda kind, fits=range_fits: fits.get(kind, 0.0))


def reason_proposals(sent: Doc) -> Iterator[Proposal]:
    """Phrases that give a reason: "due to the cost", "because of the war", "for performance reasons"."""
    for token in sent:
        pair = f"{token.lower_} {token.nbor().lower_}" if token.i + 1 < len(sent) else ""
        if pair in ("due to", "because of", "owing to", "thanks to"):
            yield Proposal(token.i, token.nbor().right_edge.i, "PP", _const(1.0), (AnswerType.REASON,))
        elif token.lower_ == "for":
            objects = [c for c in token.children if c.dep_ == "pobj"]
            if objects and objects[0].lemma_.lower() in _REASON_NOUNS_IN_TEXT:
                yield Proposal(token.i, token.right_edge.i, "PP", _const(1.0), (AnswerType.REASON,))


def technical_proposals(sent: Doc) -> Iterator[Proposal]:
    """Web and mail addresses, paths and file names ("ADDRESS"), function names ("CODE")."""
    for start, end in technical_matches(sent.text):
        code = sent.text[start:end].endswith("()")
        fits = CODE_FITS if code else ADDRESS_FITS
        yield from _by_characters(sent, start, end, "CODE" if code else "ADDRESS",
                                  lambda kind, fits=fits: fits.get(kind, 0.2))


def quote_proposals(sent: Doc) -> Iterator[Proposal]:
    """What stands in quotes: a title ("a workshop ‘Together reducing ...’") names a thing."""
    for match in _QUOTED.finditer(sent.text):
        yield from _by_characters(sent, match.start(1), match.end(1), "QUOTE",
                                  lambda kind: 0.9 if kind == AnswerType.THING else 0.3)


def trim_tokens(doc: Doc, first: int, last: int) -> tuple[int, int] | None:
    """Drop punctuation, conjunctions and stray determiners at the edges; keep balanced brackets."""
    while first <= last and (doc[first].is_punct and doc[first].text not in "(‘“\"" or doc[first].dep_ == "cc"
                             or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct and doc[last].text not in ")’”\"" or doc[last].dep_ == "cc"
                             or doc[last].is_space or doc[last].pos_ in ("ADP", "DET", "CCONJ")):
        last -= 1
    if first > last:
        return None
    text = doc[first : last + 1].text
    if text.count("(") > text.count(")") and last + 1 < len(doc) and doc[last + 1].text == ")":
        last += 1
    elif text.count(")") > text.count("("):
        if doc[last].text == ")":
            last -= 1
        else:
            return None
    if text.count("(") > text.count(")") and doc[last].text != ")":
        return None
    return (first, last) if first <= last else None


def whole_words(sent: Doc, first: int, last: int) -> tuple[int, int]:
    """Extend a span over letters and digits glued to its edges: "8" of "8K", "59.95" of "US$59.95"."""
    while first > 0 and not sent[first - 1].whitespace_ and (sent[first - 1].text[-1:].isalnum()
                                                            or sent[first - 1].text[-1:] in "$€£") \
            and (sent[first].text[:1].isalnum() or sent[first].text[:1] in "$€£"):
        first -= 1
    while last + 1 < len(sent) and not sent[last].whitespace_ and sent[last + 1].text[:1].isalnum() \
            and sent[last].text[-1:].isalnum():
        last += 1
    # a hyphenated word is one word: "Jean" of "Jean-loup"
    while last + 2 < len(sent) and sent[last + 1].text == "-" and not sent[last].whitespace_ \
            and not sent[last + 1].whitespace_ and sent[last].text[-1:].isalnum() and sent[last + 2].text[:1].isalnum():
        last += 2
    while first >= 2 and sent[first - 1].text == "-" and not sent[first - 2].whitespace_ \
            and not sent[first - 1].whitespace_ and sent[first].text[:1].isalnum() and sent[first - 2].text[-1:].isalnum():
        first -= 2
    return first, last


def is_enumerator(sent: Doc, first: int, last: int) -> bool:
    """"7." or "(2)" opening a sentence numbers a list entry; it answers nothing."""
    if first != 0 or last > 2:
        return False
    return bool(_ENUMERATOR.fullmatch("".join(t.text for t in sent[: last + 2])))


def nominal(token: Token) -> bool:
    """A noun, or a word the tagger called a verb that the parser uses as a noun and that has no
    subject, auxiliary or object of its own ("removed 1.4 million landmines" with landmines/VERB)."""
    if token.pos_ in ("NOUN", "PROPN"):
        return True
    return token.pos_ == "VERB" and token.dep_ in _NOMINAL_DEPS and not any(
        c.dep_ in ("nsubj", "nsubjpass", "aux", "auxpass", "dobj") for c in token.children)


def _name_internal(head: Token, child: Token) -> bool:
    """"Tribunal for the former Yugoslavia", "government of the Federal Republic": a phrase that
    completes a name, so a candidate is not cut before it."""
    if child.dep_ != "prep" or not any(t.pos_ == "PROPN" for t in child.subtree):
        return False
    return child.lower_ == "of" or (child.lower_ == "for" and head.text[:1].isupper())


def causes(token: Token) -> bool:
    """The noun names a cause: "X triggered Y", "Y was triggered by X", "X led to Y"."""
    if token.dep_ == "nsubj" and token.head.lemma_.lower() in CAUSE_VERBS:
        return token.head.lemma_.lower() != "lead" or any(c.lower_ == "to" for c in token.head.children)
    return token.dep_ == "pobj" and token.head.dep_ == "agent" and token.head.head.lemma_.lower() in CAUSE_VERBS
