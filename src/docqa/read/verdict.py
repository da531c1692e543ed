"""A yes/no question and the sentence that answers it -> "yes", "no" or None: only where the sentence
says it in words. Pure functions over the two texts, without a model.

The question asks whether something is permitted ("Can I ...?", "Am I allowed to ...?"), required
("Do I need to ...?", "Must I ...?") or forbidden ("Is it forbidden to ...?"); the sentence grants
("may", "is permitted", "have permission to"), denies ("may not", "is not allowed", "must not"),
requires ("must", "is required to") or waives ("not required", "need not"), or opens with "Yes." or
"No." as an FAQ's answers do. A verdict is given only where a statement's kind answers the question's
kind and the clause speaks of the question's action, by its verb or by half of its words ("You may
not impose a license fee, royalty, or other charge" answers "Can I charge a licence fee?"; "you may
offer support for a fee" does not): a "may" about something else says nothing of it. A
negated question ("Can't I ...?") gets none: "no" to it is ambiguous in English.
"""

from __future__ import annotations

import math
import re
from enum import Enum

from docqa.read.question import key_terms
from docqa.read.sentences import content_stems

YES = "yes"
NO = "no"


class Asks(str, Enum):
    """What a yes/no question asks of its action."""

    PERMITTED = "permitted"
    REQUIRED = "required"
    FORBIDDEN = "forbidden"


class Says(str, Enum):
    """What a sentence states of an action."""

    GRANTS = "grants"
    DENIES = "denies"
    REQUIRES = "requires"
    WAIVES = "waives"


_SUBJECT = r"(?:i|we|you|one|they|people|users?|licensees?|recipients?|anyone|someone|somebody|it)"
_QUESTION = (
    # "Is it forbidden to ...?", "Am I prohibited from ...?": first, as "allowed" is no part of them.
    (Asks.FORBIDDEN, re.compile(r"\b(?:forbidden|prohibited|banned|illegal|not allowed|not permitted)\b", re.I)),
    (Asks.REQUIRED, re.compile(
        rf"^\s*(?:must|shall) {_SUBJECT}\b|^\s*(?:do|does|did|will|would) {_SUBJECT} (?:\w+ )?(?:need|have|has) to\b"
        r"|\b(?:required|obliged|obligated|necessary|mandatory|compulsory|responsible|liable)\b", re.I)),
    (Asks.PERMITTED, re.compile(
        rf"^\s*(?:can|could|may|might) {_SUBJECT}\b|\b(?:allowed|permitted|possible|permissible|legal|ok|okay)\b"
        r"|\b(?:let|lets|allow|allows|permit|permits) (?:me|us|you|one|them|people|users|anyone)\b"
        r"|\b(?:give|gives|grant|grants) (?:me |us |you |them )?(?:any |the )?(?:rights?|permission|licen[cs]e)\b"
        r"|\bhave the right\b", re.I)),
)
# A question that is itself negated: "Can't I ...?", "Is it not allowed ...?"
_NEGATED_QUESTION = re.compile(r"^\s*\w+(?:n't|not)\b|^\s*\w+ \w+ not\b|^\s*cannot\b", re.I)

# What a sentence says, most specific first: "not required" before "required", "may not" before "may".
_STATEMENTS = (
    (Says.WAIVES, re.compile(
        r"\b(?:not|never) (?:required|obliged|obligated|necessary|mandatory|responsible|liable)\b|\bneed not\b"
        r"|\bneedn't\b|\b(?:do|does|did)(?: not|n't) (?:need|have|require) to\b|\bno (?:obligation|requirement|need) to\b"
        r"|\bis optional\b", re.I)),
    (Says.DENIES, re.compile(
        r"\b(?:may|must|shall|can|will) not\b|\bcannot\b|\bcan't\b|\bmustn't\b|\bshan't\b|\bwon't\b"
        r"|\b(?:is|are|be)(?: not|n't) (?:allowed|permitted|authori[sz]ed|granted)\b|\bnot (?:allowed|permitted)\b"
        r"|\b(?:do|does)(?: not|n't)(?: by this \w+)? (?:grant|give|allow|permit)(?: (?:you |any )?(?:permission|rights?|licen[cs]es?)\b)?"
        r"|\bnot granted\b"
        r"|\b(?:prohibited|forbidden|prohibits|forbids)\b|\bno (?:right|permission|license|licence) (?:to|is)\b", re.I)),
    (Says.REQUIRES, re.compile(
        r"\b(?:must|shall)\b|\b(?:is|are) (?:required|obliged|obligated|responsible)\b|\bneeds? to\b|\b(?:has|have) to\b"
        r"|\brequires? (?:that|you|the)\b", re.I)),
    (Says.GRANTS, re.compile(
        r"\b(?:may|can)\b|\b(?:is|are) (?:allowed|permitted|free|welcome)\b|\bpermission (?:is granted )?to\b"
        r"|\b(?:have|has|get|gets) (?:the )?(?:right|permission)\b|\bhereby grants?\b|\b(?:we|they) (?:specifically )?permit\b"
        r"|\bpermits?\b", re.I)),
)
# Which statement answers which question, and how.
_ANSWERS = {
    (Asks.PERMITTED, Says.GRANTS): YES,
    (Asks.PERMITTED, Says.DENIES): NO,
    (Asks.REQUIRED, Says.REQUIRES): YES,
    (Asks.REQUIRED, Says.WAIVES): NO,
    (Asks.FORBIDDEN, Says.DENIES): YES,
    (Asks.FORBIDDEN, Says.GRANTS): NO,
}
# An FAQ's answer opens with its verdict: "Yes.", "No, sorry.", "Not by itself, no."
_OPENS = re.compile(r"^\W*(yes|no)\b[.,!;:]|^\W*not [^.;]*?, (no)\b", re.I)
# A clause whose subject is a negation ("Neither the name of the University nor ... may be used", "No one
# may sell ...", "Nobody is required to ...") states the opposite of its modal: a "may" there denies.
# "No later than ...", "No matter how ...", "No more than three copies" open no such subject.
_NEGATIVE_SUBJECT = re.compile(r"^\W*(?:(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s+)?(?:neither|no one|nobody|none|nothing"
                               r"|no(?!\s+(?:later|sooner|longer|more|less|fewer|matter|doubt)\b))\b(?!,)", re.I)
_OPPOSITE = {Says.GRANTS: Says.DENIES, Says.REQUIRES: Says.WAIVES}
# A denial with an exception after it ("you may not use this file except in compliance with the License",
# "..., unless you ...") is no plain "no": it gives none. "except that" opens a carve-out for another act
# ("You may not remove the notices, except that You may alter them to remedy inaccuracies"): the denial stands.
_EXCEPTION_WORDS = r"(?:except(?!\s+that\b)|unless|other than|save as|so long as|as long as|only if)\b"
_EXCEPTION = re.compile(r"\b" + _EXCEPTION_WORDS, re.I)
# An exception that opens the text right after a clause belongs to it (", unless you ...").
_EXCEPTION_NEXT = re.compile(r"^\W*" + _EXCEPTION_WORDS, re.I)
# A statement speaks of the action in its own clause: "You may A, and you may not B" grants A, denies B.
_CLAUSE_END = re.compile(r"[;.!?](?=\s|$)|,\s+(?:and|but|or)\s+(?=(?:you|we|they|he|she|it|one|no one|nobody)\b)"
                         r"|,\s+(?:unless|provided|except)\b|\bhowever\b", re.I)


def asks(question: str) -> Asks | None:
    """What a yes/no question asks of its action: permitted, required or forbidden; None for any other
    question (a fact: "Is zlib thread-safe?") and for a negated one ("Can't I ...?")."""
    if _NEGATED_QUESTION.search(question):
        return None
    return next((kind for kind, pattern in _QUESTION if pattern.search(question)), None)


def statements(sentence: str) -> list[tuple[Says, int, int]]:
    """What the sentence states, each (kind, start, end) of its words, in order; a "may not" is one
    denial, not a grant as well."""
    found: list[tuple[Says, int, int]] = []
    for kind, pattern in _STATEMENTS:
        for m in pattern.finditer(sentence):
            if not any(a < m.end() and m.start() < b for _, a, b in found):
                found.append((kind, m.start(), m.end()))
    return sorted(found, key=lambda item: item[1])


def clauses(sentence: str) -> list[str]:
    """The sentence cut at semicolons, full stops, the commas before "unless", "provided" and "except",
    and those before "and", "but" or "or" that open a new subject ("..., and you may not ..."; not the
    commas of a list, "a license fee, royalty, or other charge"): each clause speaks of its own action."""
    return [part for part in _CLAUSE_END.split(sentence) if part.strip()]


def action(question: str) -> frozenset[str]:
    """The stems of what a yes/no question asks about: its content words less its names, which say
    where it asks ("the GPL", "Apache") rather than what ("Can I sell copies under the GPL?": sell, copi)."""
    names = content_stems(" ".join(" ".join(name) for name in key_terms(question).names))
    return content_stems(question) - names


# The verb of the action a yes/no question asks about: after its modal and subject ("Can I strip ...?",
# "Do I need to agree ...?"), after "allowed to" ("Am I allowed to strip ...?", "Is it possible to
# ...?"), after "let me" ("Does the licence let me use ...?").
_VERBS = (
    re.compile(rf"^\s*(?:can|could|may|might|must|shall|should|will|would|do|does|did) {_SUBJECT}"
               r"(?: (?:also|still|ever|just|really|even))? (?:(?:need|have|want|got) to )?(\w+)", re.I),
    re.compile(rf"\b(?:am|are|is) {_SUBJECT} (?:\w+ )?(?:allowed|permitted|required|obliged|obligated|able|free"
               r"|responsible|entitled) (?:to|for) (\w+)", re.I),
    re.compile(r"\bis it (?:\w+ )?(?:allowed|permitted|possible|ok|okay|legal|forbidden|prohibited|required"
               r"|necessary) to (\w+)", re.I),
    re.compile(r"\b(?:let|lets|allow|allows|permit|permits|require|requires) (?:me|us|you|one|them|people|anyone)"
               r" (?:to )?(\w+)", re.I),
)


def verbs(question: str) -> frozenset[str]:
    """The stems of the verbs of the question's action (see _VERBS): "Can I strip the notices?" -> strip."""
    return frozenset(stem for pattern in _VERBS for found in pattern.finditer(question)
                     for stem in content_stems(found.group(1)))


def speaks_of(question: str, clause: str) -> bool:
    """Whether a clause speaks of the question's action: it holds the action's verb, or half of its
    stems (`action`): "You may include the notice in a LICENSE file" shares "notice" and "file" with
    "Am I allowed to strip the copyright notices out of the source files?" and speaks of another act."""
    said = content_stems(clause)
    topic = action(question)
    return bool(verbs(question) & said) or len(topic & said) >= max(1, math.ceil(len(topic) / 2))


def said(clause: str, rest: str = "") -> list[Says]:
    """What a clause states (`statements`), a negated subject (no comma between it and the statement)
    turning a grant into a denial and a requirement into a waiver; a denial that an exception follows,
    in the clause or opening `rest` (the sentence after it), states nothing."""
    subject = _NEGATIVE_SUBJECT.search(clause)
    excepted = _EXCEPTION_NEXT.search(rest) is not None
    out = []
    for says, start, end in statements(clause):
        if subject is not None and "," not in clause[subject.end():start]:
            if says not in _OPPOSITE:
                continue  # "No one may not ...": a double negation says nothing plainly
            says = _OPPOSITE[says]
        if says is Says.DENIES and (excepted or _EXCEPTION.search(clause[end:])):
            continue
        out.append(says)
    return out


def verdict(question: str, sentence: str) -> str | None:
    """"yes" or "no" where the sentence states it in words for this question (see the module's
    docstring); None where it does not, or where its statements disagree."""
    opening = _OPENS.search(sentence)
    if opening is not None:
        return (opening.group(1) or opening.group(2)).lower()
    kind = asks(question)
    if kind is None:
        return None
    found = set()
    cursor = 0
    for clause in clauses(sentence):
        at = sentence.find(clause, cursor)
        cursor = at + len(clause) if at >= 0 else cursor
        if speaks_of(question, clause):
            found |= {_ANSWERS[(kind, says)] for says in said(clause, sentence[cursor:]) if (kind, says) in _ANSWERS}
    return found.pop() if len(found) == 1 else None
