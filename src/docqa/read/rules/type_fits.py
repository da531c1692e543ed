"""A span of a sentence -> how well it fits each answer type, whatever the question: a DATE entity
fits "when", a noun phrase headed by "authorities" fits "who", a clause opened by "because" fits "why".
Candidates (candidates.py) carry these fits; the question's own words are weighed later (roles.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Span, Token

from docqa.read.rules.answer_type import AnswerType

Fit = Callable[[AnswerType], float]  # a span's fit for each answer type, in [0, 1]

_DATE_WORDS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december", "spring", "summer", "autumn", "winter", "year", "month"}
_DURATION_UNITS = re.compile(r"\b(day|days|week|weeks|month|months|year|years|decade|decades|hour|hours)\b|\d+-day")
_REASON_MARKS = {"because", "since", "as", "so", "unless", "for"}
_CONDITION_MARKS = {"unless", "if", "provided", "providing", "once", "until", "when", "whenever"}
TIME_PREPS = {"in", "on", "at", "since", "during", "before", "after", "until", "by", "from", "between", "around"}
PLACE_PREPS = {"in", "at", "on", "near", "through", "across", "into", "to", "within", "inside"}
_ENTITY_TYPES = {
    AnswerType.DATE: {"DATE": 1.0, "TIME": 0.8, "EVENT": 0.3},
    AnswerType.NUMBER: {"CARDINAL": 1.0, "QUANTITY": 1.0, "MONEY": 1.0, "PERCENT": 1.0},
    AnswerType.DURATION: {"DATE": 0.6, "TIME": 0.6, "QUANTITY": 0.5, "CARDINAL": 0.3},
    AnswerType.AGENT: {"PERSON": 1.0, "ORG": 1.0, "NORP": 0.9, "GPE": 0.9},
    AnswerType.PLACE: {"GPE": 1.0, "LOC": 1.0, "FAC": 1.0, "ORG": 0.6},
}
_DATE_FILLERS = {"early", "late", "mid", "the", "of", "between", "and", "to", "from", "in", "on", "by", "end",
                 "beginning", "middle", "start", "since", "until", "around", "about"}
MONTH = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b")
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# Common nouns that name people or bodies: answers to "who" as good as a name.
AGENT_HEADS = {
    "authority", "official", "government", "force", "troop", "member", "people", "person", "staff", "personnel",
    "officer", "expert", "country", "state", "ally", "partner", "leader", "ministry", "agency", "organisation",
    "organization", "company", "committee", "council", "team", "group", "body", "institution", "community",
    "citizen", "soldier", "worker", "employee", "volunteer", "user", "developer", "author", "contributor",
    "licensor", "licensee", "owner", "maintainer", "vendor", "manufacturer", "parliament", "president", "minister",
    "nation", "army", "police", "court", "tribunal", "union", "alliance", "board", "department", "administration",
    "representative", "delegation", "commission", "secretariat", "civilian", "individual", "entity", "party",
}
_NOT_NAMES = {"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"}
# Technical text found by pattern: a web or mail address or a file name says where; a function name what.
ADDRESS_FITS = {AnswerType.PLACE: 1.0, AnswerType.THING: 0.7, AnswerType.MANNER: 0.5, AnswerType.AGENT: 0.3}
CODE_FITS = {AnswerType.THING: 0.8, AnswerType.MANNER: 0.7, AnswerType.PLACE: 0.4}


def date_specificity(text: str) -> float:
    """Month and year beat a bare year, which beats a bare month or a relative date ("that year")."""
    lower = text.lower()
    month, year = bool(MONTH.search(lower)), bool(YEAR.search(lower))
    if month and year:
        return 1.0
    if year:
        return 0.85
    if month:
        return 0.75
    return 0.5


def entity_fit(label: str, kind: AnswerType, text: str) -> float:
    """How well an entity (its label and text) answers a question of this kind: by its label, dates
    by how precise they are and whether they are dates at all, durations by their units."""
    fit = _ENTITY_TYPES.get(kind, {}).get(label, 0.0)
    if label in ("PERSON", "ORG", "GPE", "NORP") and any(ch.isdigit() for ch in text):
        fit *= 0.2  # the small model's "2nd ed" PERSON: names rarely hold digits
    if kind == AnswerType.DATE and label == "DATE":
        fit = date_specificity(text)
        if any(not (w.lower() in _DATE_WORDS or w.lower() in _DATE_FILLERS or w[:1].isdigit()) for w in text.split()):
            fit *= 0.5  # "November 2006 Riga Summit": the model ran the date into a name
    if kind == AnswerType.DATE and label == "DATE" and _DURATION_UNITS.search(text.lower()) \
            and not any(ch.isdigit() for ch in text):
        fit = 0.3  # "many years" answers "how long", not "when"
    if kind == AnswerType.DURATION and label == "DATE":
        # "78-day", "many years" answer "how long"; "2000 and 2001" does not.
        fit = 1.0 if _DURATION_UNITS.search(text.lower()) else 0.2
    return fit


def phrase_fit(head: Token, span: Span, kind: AnswerType) -> float:
    """How well the phrase `span`, headed by `head`, answers a question of this kind."""
    text = span.text.lower()
    if kind == AnswerType.NUMBER:
        if any(t.ent_type_ in ("DATE", "TIME") for t in span if t.like_num):
            return 0.1  # "2005" in "2005 Serbia hosts ..." is a year, not a count
        if head.like_num:
            return 1.0
        # "1.4 million landmines": the count with its noun is a fair answer, the count alone a better one
        return 0.9 if any(t.like_num and t.head == head for t in span) else 0.0
    if kind == AnswerType.DATE:
        if head.ent_type_ != "DATE" and head.lower_ not in _DATE_WORDS and not head.like_num:
            if any(t.ent_type_ == "DATE" or t.lower_ in _DATE_WORDS for t in span):
                return 0.3  # "the November 2006 Riga Summit" names a summit, not a date
            return 0.0      # "a liaison office" is no answer to "when"
        has_year = any(t.like_num and len(t.text) == 4 for t in span)
        return 0.9 if has_year and len(span) <= 4 else (0.4 if any(w in text.split() for w in _DATE_WORDS) else 0.0)
    if kind == AnswerType.DURATION:
        if _DURATION_UNITS.search(head.lower_):
            return 0.9  # "78 days", "three years"
        # "a 78-day air campaign" names a campaign; its "78-day" is the answer
        return 0.4 if _DURATION_UNITS.search(text) else 0.0
    if kind in (AnswerType.AGENT, AnswerType.PLACE) and head.ent_type_ in _NOT_NAMES:
        return 0.05  # "December 2006" is a date, whatever its part of speech
    if kind == AnswerType.AGENT:
        if head.pos_ == "PROPN" or head.ent_type_ in ("ORG", "PERSON", "NORP", "GPE"):
            return 0.8
        if head.pos_ == "NOUN" and (head.lemma_.lower() in AGENT_HEADS or head.lower_.endswith(("ist", "ists", "ian", "ians"))):
            return 0.8  # "the Serbian military authorities", "former members", "scientists"
        return 0.6 if head.pos_ == "NOUN" else 0.1
    if kind == AnswerType.PLACE:
        return 0.8 if head.ent_type_ in ("GPE", "LOC", "FAC", "ORG") else (0.4 if head.pos_ in ("NOUN", "PROPN") else 0.0)
    if kind == AnswerType.REASON:
        return 0.4 if head.pos_ in ("NOUN", "PROPN") else 0.2
    if kind == AnswerType.MANNER:
        return 0.5 if head.pos_ in ("ADJ", "ADV") else 0.3
    if kind == AnswerType.CONDITION:
        return 0.1  # a condition is a clause ("unless the Council decides otherwise")
    return 0.7 if head.pos_ in ("NOUN", "PROPN") else (0.5 if head.pos_ in ("VERB", "ADJ") else 0.3)


def pp_fit(prep: Token, obj: Token, kind: AnswerType) -> float:
    """How well a prepositional phrase (`prep` and its object `obj`) says when or where."""
    sub = list(obj.subtree)
    if kind == AnswerType.DATE and prep.lower_ in TIME_PREPS:
        if any(t.ent_type_ == "DATE" for t in sub):
            return 0.6
        return 0.5 if obj.pos_ == "NOUN" and prep.lower_ in ("at", "since", "during", "after", "before") else 0.0
    if kind == AnswerType.PLACE and prep.lower_ in PLACE_PREPS:
        if any(t.ent_type_ in ("DATE", "TIME") or t.like_num for t in sub):
            return 0.0  # "in 2000 and 2001" says when, not where
        return 0.7
    return 0.0


def clause_fit(verb: Token, mark: str | None) -> Fit:
    """A subordinate clause: a reason when "because"/"since"... opens it, a manner when it is a gerund."""
    def fit(kind: AnswerType) -> float:
        if kind == AnswerType.CONDITION:
            return 1.0 if mark in _CONDITION_MARKS else 0.1
        if verb.tag_ == "VBG" and kind == AnswerType.MANNER:
            return 1.0
        if kind == AnswerType.REASON and mark in _REASON_MARKS:
            return 1.0
        return 0.6 if kind in (AnswerType.REASON, AnswerType.MANNER, AnswerType.THING) else 0.1
    return fit


def to_clause_fit(kind: AnswerType) -> float:
    """"to pass through Serbian territory" says why or what is done, never when or how many."""
    return 1.0 if kind == AnswerType.REASON else (0.5 if kind in (AnswerType.THING, AnswerType.MANNER) else 0.05)
