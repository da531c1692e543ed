"""A candidate span and the question -> how the span stands to what is asked: an instance of the
asked-for kind (`focus_fit`), the filler of the wh-phrase's role (`slot_fit`), the other side of the
question's "is" (`copula_fit`), a member the text lists of the asked-for kind (`lists_focus`), the
name a short name spells out (`initials_share`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from spacy.tokens import Doc, Span, Token

from docqa.read.rules.answer_type import AnswerType, QuestionInfo
from docqa.read.rules.terms import Term

# The entity labels that name an instance of an asked-for kind ("which country" -> a GPE).
_FOCUS_ENTITIES = {
    "country": {"GPE", "NORP"}, "countries": {"GPE", "NORP"}, "nation": {"GPE", "NORP"}, "state": {"GPE"},
    "city": {"GPE"}, "town": {"GPE"}, "capital": {"GPE"}, "place": {"GPE", "LOC", "FAC"},
    "organisation": {"ORG"}, "organization": {"ORG"}, "agency": {"ORG"}, "body": {"ORG"},
    "council": {"ORG"}, "office": {"ORG", "FAC"}, "government": {"ORG", "GPE"}, "group": {"ORG", "NORP"},
    "alliance": {"ORG"}, "company": {"ORG"}, "institution": {"ORG"}, "person": {"PERSON"},
    "people": {"PERSON", "NORP"}, "year": {"DATE"}, "month": {"DATE"}, "date": {"DATE"},
    "summit": {"EVENT", "DATE"}, "event": {"EVENT"}, "programme": {"ORG", "LAW", "EVENT"},
    "program": {"ORG", "LAW", "EVENT"}, "law": {"LAW"}, "treaty": {"LAW"}, "agreement": {"LAW"},
    "resolution": {"LAW"}, "language": {"LANGUAGE"}, "product": {"PRODUCT"},
    "court": {"ORG"}, "tribunal": {"ORG"}, "ministry": {"ORG"}, "department": {"ORG"}, "committee": {"ORG"},
    "commission": {"ORG"}, "party": {"ORG", "NORP"}, "union": {"ORG"}, "force": {"ORG"}, "bank": {"ORG"},
    "university": {"ORG"}, "document": {"WORK_OF_ART", "LAW"}, "book": {"WORK_OF_ART"}, "report": {"WORK_OF_ART"},
    "region": {"LOC", "GPE"}, "area": {"LOC", "GPE"}, "river": {"LOC"}, "sea": {"LOC"},
}
# Asked-for kinds that technical text names by form rather than by entity type (candidate kinds).
_FOCUS_FORMS = {
    "function": "CODE", "routine": "CODE", "method": "CODE", "call": "CODE", "macro": "CODE",
    "file": "ADDRESS", "header": "ADDRESS", "directory": "ADDRESS", "folder": "ADDRESS", "path": "ADDRESS",
    "address": "ADDRESS", "site": "ADDRESS", "website": "ADDRESS", "url": "ADDRESS", "email": "ADDRESS",
    "page": "RANGE", "section": "RANGE", "chapter": "RANGE",  # "On which pages?" -> "pp. 30-44"
}
_SLOT_DEPS = {
    "subj": {"nsubj", "csubj"},
    "obj": {"dobj", "nsubjpass", "attr", "oprd", "xcomp", "ccomp", "dative", "acomp"},
    "adv": {"advmod", "npadvmod", "advcl", "prep", "pobj"},
}
_LISTING_VERBS = {"include", "comprise", "contain", "involve", "cover"}


def _under_preposition(token: Token, root: Token) -> bool:
    """The token hangs from `root` through a preposition ("Resolution" in "the basis of Resolution 1244")."""
    while token.i != root.i and token.head.i != token.i:
        if token.dep_ == "prep":
            return True
        token = token.head
    return False


def focus_fit(span: Span, focus_terms: list[Term], info: QuestionInfo, focus_tokens: list[Token],
              distance: np.ndarray, kind: str = "") -> float:
    """How well a span is an instance of the asked-for kind ("which agency" -> an agency).
    `focus_tokens`: the sentence's words that match a focus term; `distance`: the sentence's `distances`;
    `kind`: the candidate's kind ("CODE" for "gzprintf()", an entity label ...)."""
    if not focus_terms:
        return 1.0
    if kind and kind in (_FOCUS_FORMS.get(focus_terms[0].stem), _FOCUS_FORMS.get(info.focus or "")):
        return 1.0  # "Which function ...?" -> "gzprintf()"
    inside = [t for t in focus_tokens if span.start <= t.i < span.end]
    if inside:
        root = span.root
        if root.pos_ == "NOUN" and all(_under_preposition(t, root) for t in inside):
            return 0.7  # "the basis of Resolution 1244" is a basis; "Resolution 1244" is the resolution
        return 1.0
    # "Kosovo is a key subject ...": the focus noun stands next to the candidate in the sentence.
    if info.answer_type == AnswerType.NUMBER and any(span.root.head.i == t.i for t in focus_tokens):
        return 1.0  # "1.4 million" counting the asked-for "landmines"
    # ... but "the basis of Resolution 1244" only governs the asked-for "resolution": no instance of it
    if any(distance[span.root.i, t.i] <= 2 and not span.root.is_ancestor(t) for t in focus_tokens):
        return 0.85
    labels = _FOCUS_ENTITIES.get(focus_terms[0].text, set()) | _FOCUS_ENTITIES.get(info.focus or "", set())
    if labels and any(token.ent_type_ in labels for token in span):
        return 0.9
    if info.answer_type == AnswerType.NUMBER:
        # "How many troops": a number that counts something else is a poor answer.
        return 0.4
    return 0.35


def slot_fit(span: Span, info: QuestionInfo, slot_tokens: list[Token]) -> float:
    """1 when the candidate fills, for the sentence's counterpart of the question's verb, the role
    the wh-phrase has in the question (subject, object, a prepositional phrase ...)."""
    if not slot_tokens:
        return 0.0
    root = span.root
    if info.answer_type == AnswerType.NUMBER and root.dep_ == "nummod" and not span.start <= root.head.i < span.end:
        root = root.head  # "removed 1.4 million landmines": the count fills the role of what it counts
    best = 0.0
    for verb in slot_tokens:
        if root.head.i == verb.i and root.i != verb.i:
            if info.slot.startswith("prep:"):
                ok = root.dep_ == "prep" and root.lower_ == info.slot[5:]
            elif info.slot == "subj" and root.dep_ == "agent":
                ok = True
            else:
                ok = root.dep_ in _SLOT_DEPS.get(info.slot, set())
            best = max(best, 1.0 if ok else 0.6)
        elif root.dep_ == "pobj" and root.head.head.i == verb.i:
            prep = root.head
            ok = (info.slot.startswith("prep:") and prep.lower_ == info.slot[5:]) or (
                info.slot == "subj" and prep.dep_ == "agent") or info.slot == "adv"
            best = max(best, 1.0 if ok else 0.6)
        elif verb.i in {a.i for a in root.ancestors}:
            best = max(best, 0.3)
    return best


def initials_share(short: str, words: Iterable[str]) -> float:
    """Share of a short name's letters that the words' initials give in order: 1.0 for "SPS" and
    "science for peace and security", 0.5 for "KFOR" and "kosovo peacekeeping force"."""
    letters = [ch for ch in short.lower() if ch.isalpha()]
    if not letters:
        return 0.0
    found = 0
    for word in words:
        for part in word.split("-"):
            if found < len(letters) and part[:1] == letters[found]:
                found += 1
    return found / len(letters)


def lists_focus(sent: Doc, root: int, focus: set[int]) -> bool:
    """The candidate is what a word of the asked-for kind includes: "Projects include A, B and C",
    "projects such as A and B" (`focus`: indices of the sentence's words naming that kind)."""
    token = sent[root]
    head = token.head
    if token.dep_ in ("dobj", "attr") and head.lemma_.lower() in _LISTING_VERBS:
        return any(c.dep_ in ("nsubj", "nsubjpass") and c.i in focus for c in head.children)
    if token.dep_ == "pobj" and head.lower_ == "as" and head.i > 0 and sent[head.i - 1].lower_ == "such":
        return head.head.i in focus or sent[head.i - 1].head.i in focus
    return False


def copula_fit(sent: Doc, root: int, matched: np.ndarray, first: int, last: int) -> float:
    """For "Who/What is the X?": 1 when the candidate is one side of a form of "be" whose other
    side holds words of the question ("The implementing agent ... is the IOM")."""
    token = sent[root]
    verb = token.head
    if token.dep_ not in ("nsubj", "attr", "nsubjpass") or verb.lemma_.lower() != "be" or verb.i == token.i:
        return 0.0
    others = [c for c in verb.children if c.dep_ in ("nsubj", "attr", "acomp", "nsubjpass") and c.i != token.i]
    spans = [(c.left_edge.i, c.right_edge.i) for c in others]
    return 1.0 if any(a <= m <= b and not first <= m <= last for a, b in spans for m in matched) else 0.0
