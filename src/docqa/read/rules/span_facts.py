"""A candidate span -> what scoring asks of it that does not depend on the question (`SpanFacts`):
its content words and head, whether it cuts an entity, is a modifier, a coordination, a subject, a
place of the deed, a description of a name ... Kept with the parse, computed once per span.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from docqa.read.rules.candidates import Candidate, nominal
from docqa.read.rules.sentence_table import token_table
from docqa.read.rules.type_fits import AGENT_HEADS

_CURRENCY = {"$", "€", "£", "¥", "US$", "usd", "eur", "gbp", "dollars", "dollar", "euros", "euro", "pounds", "yen"}
_WHERE_PREPS = {"in", "at", "on", "near", "inside", "within", "across", "throughout", "during"}
_OPENING_QUOTES = {"‘", "“", '"', "'"}


@dataclass(frozen=True)
class SpanFacts:
    """What scoring asks of a candidate span that does not depend on the question."""

    words: tuple[int, ...]  # token indices of its content words
    root: int               # its syntactic head
    numeric: bool           # holds a number
    crosses: bool           # cuts one of the sentence's entities in two
    inside: bool            # is a strict piece of an entity
    modifier: bool          # is a modifier of a word outside it ("Serbian" of "Serbian authorities")
    coordination: bool      # holds a whole coordination ("Canada and Austria")
    bracketed: bool         # stands in brackets or quotes of its own
    money: bool             # names an amount of money
    verbal: bool            # is headed by a verb used as a verb
    located: bool           # is the object of a preposition of place or time ("in Serbia", "during 2006")
    acronym: bool           # ends with its name's acronym in brackets ("... Programme (IPP)")
    restates: bool          # is an apposition describing a name ("southern Serbia, an area of ...")
    narrowed: bool          # an adjective just before it narrows it ("Serbia" of "southern Serbia")
    named: bool             # a quoted title or a name follows it at once ("a workshop ‘Together ...’")
    subject: bool           # is the subject of its verb
    whose: bool             # only says whose people or body it is ("... the government of [Yugoslavia]")


def span_facts(sent: Doc, candidate: Candidate) -> SpanFacts:
    """The candidate's SpanFacts, kept with the parse (in `Doc.user_data`)."""
    cache = sent.user_data.setdefault("docqa.facts", {})
    key = (candidate.first, candidate.last)
    facts = cache.get(key)
    if facts is None:
        first, last = key
        table = token_table(sent)
        span = sent[first : last + 1]
        root = span.root
        facts = SpanFacts(
            words=tuple(i for i in range(first, last + 1) if table.content[i]),
            root=root.i,
            numeric=any(t.like_num for t in span),
            crosses=any(_crosses(candidate, a, b) for a, b in table.entities),
            inside=any(a <= first and last <= b and (a, b) != key for a, b in table.entities + table.technical),
            modifier=root.dep_ in ("amod", "compound", "poss", "nmod") and not first <= root.head.i <= last,
            coordination=any(t.dep_ == "conj" and t.head.i >= first for t in span),
            bracketed=_bracketed(sent, candidate),
            money=any(t.ent_type_ == "MONEY" or t.text in _CURRENCY or t.lower_ in _CURRENCY for t in span),
            verbal=root.pos_ == "VERB" and not nominal(root),
            located=root.dep_ == "pobj" and root.head.lower_ in _WHERE_PREPS,
            acronym=last - first >= 3 and sent[last].text == ")" and sent[last - 2].text == "("
            and sent[last - 1].text.isupper(),
            restates=_restates(sent, first, last, root),
            narrowed=first > 0 and sent[first - 1].dep_ == "amod" and sent[first - 1].pos_ == "ADJ"
            and first <= sent[first - 1].head.i <= last,
            named=last + 1 < len(sent) and root.pos_ == "NOUN" and (
                sent[last + 1].text in _OPENING_QUOTES
                or (sent[last + 1].dep_ == "appos" and sent[last + 1].head.i == root.i
                    and sent[last + 1].pos_ == "PROPN")),
            whose=root.dep_ == "pobj" and root.head.lower_ == "of" and root.head.head.pos_ == "NOUN"
            and root.head.head.lemma_.lower() in AGENT_HEADS and root.head.head.i < first,
            subject=root.dep_ in ("nsubj", "nsubjpass") or (
                root.dep_ == "conj" and root.head.dep_ in ("nsubj", "nsubjpass") and root.head.i < first),
        )
        cache[key] = facts
    return facts


def _restates(sent: Doc, first: int, last: int, root: Token) -> bool:
    """A common noun phrase in apposition to a name, describing it: "southern Serbia, an area of the
    country" (the parser may also attach it elsewhere, after the comma)."""
    if root.ent_type_ or root.pos_ == "PROPN":
        return False
    if root.dep_ == "appos" and not first <= root.head.i <= last:
        return root.head.pos_ == "PROPN" or bool(root.head.ent_type_)
    start = root.left_edge.i
    return root.dep_ == "npadvmod" and start >= 2 and sent[start - 1].text == "," and sent[start].pos_ == "DET" \
        and (sent[start - 2].pos_ == "PROPN" or bool(sent[start - 2].ent_type_))


def _crosses(candidate: Candidate, first: int, last: int) -> bool:
    """True when the candidate cuts an entity in two (starts or ends inside it, but not around it)."""
    inside_start = first < candidate.first <= last
    inside_end = first <= candidate.last < last
    return (inside_start and candidate.last > last) or (inside_end and candidate.first < first)


def _bracketed(sent: Doc, candidate: Candidate) -> bool:
    """The span stands in brackets or quotes of its own: "(Kumanovo Agreement)", "“PARP”"."""
    first, last = candidate.first, candidate.last
    if sent[first].text in "(“\"'" and sent[last].text in ")”\"'":
        return True
    return 0 < first and last + 1 < len(sent) and sent[first - 1].text in "(“\"'" and sent[last + 1].text in ")”\"'"
