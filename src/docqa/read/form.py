"""Question -> its form: what kind of answer it asks for (`question_form`), the term a definition question
asks about (`defined_term`) and whether a text defines it (`defines`). Pure functions over the words,
without a model.

A factoid ("When did Serbia join the PfP?") is answered with a span, as always; the other forms
with the sentence that says it (read/sentences.py): a yes/no question ("Can I ...?", "Is ...
allowed?"), how ("How do I ...?"), why, what happens ("What happens if ...?"), a definition ("What
is meant by ...?", "Who counts as ...?") and a list ("Which formats ...?", "List the ...").

Each rule is one regular expression of the question's own wording, tried in the order of `RULES`: the
first that matches names the form. The rules were written from the kinds of question (the wordings
of the issue that asked for them and of grammar books' question types), never from the items of an
evaluation set; each has its test in tests/read/test_form.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from docqa.index.lexical import stem


class Form(str, Enum):
    """What a question asks for. Only FACTOID is answered with a span of at most 30 tokens."""

    FACTOID = "factoid"
    YES_NO = "yes-no"
    HOW = "how"
    WHY = "why"
    WHAT_HAPPENS = "what-happens"
    DEFINITION = "definition"
    LIST = "list"


# "How many", "how long", "how old" ... ask for a quantity, a span: a factoid, not a way of doing.
_QUANTITY = r"(?:many|much|long|old|far|often|big|large|small|tall|high|deep|wide|heavy|fast|soon|late|early|frequently)"
_AUX = (r"(?:is|are|am|was|were|do|does|did|can|could|may|might|must|shall|should|will|would|has|have|had"
        r"|isn't|aren't|wasn't|weren't|don't|doesn't|didn't|can't|cannot|couldn't|mustn't|shouldn't|won't"
        r"|wouldn't|hasn't|haven't|hadn't)")

# Why: "Why ...?", "How come ...?", "For what reason ...?", "What is the reason ...?"
WHY = re.compile(r"^\s*(?:why\b|how come\b)|\bfor what reasons?\b|\bwhat (?:is|was|are|were) the reasons? (?:why|for)\b"
                 r"|\bwhat (?:is|was) the (?:purpose|point) of\b", re.IGNORECASE)
# What happens: a consequence, "What happens if ...?", "What will happen to ...?", "What are the
# consequences of ...?"
WHAT_HAPPENS = re.compile(r"\bwhat (?:happens|will happen|would happen|happened|could happen|can happen|occurs)\b"
                          r"|\bwhat (?:is|are|would be|will be) the (?:consequences?|effects?|results?|outcome)\b"
                          r"|\bwhat (?:must|should|do|does) (?:i|we|you|one|they|the \w+) (?:have to |need to )?do\b.*\b(?:if|when|after|before)\b",
                          re.IGNORECASE)
# A definition: what a term means, or who or what counts as one. "What is a/an X?" and "Who is the X?"
# only where X is the whole question or is followed by the text it is defined in ("under the MPL", "in
# the GPL"): "What is a key subject in NATO's dialogue with Serbia?" asks for a thing, not a meaning.
_DOCUMENT = (r"(?i:according to|under|as (?:used|defined) (?:in|by)|in the context of|for the purposes? of) .+"
             r"|(?i:in) (?:(?i:the|this|that) )?(?:[\w'-]+ ){0,3}?(?:(?i:licen[cs]e|agreement|contract|document|terms|policy"
             r"|act|law|standard|paper|manual|faq|readme)|[A-Z]{2,}[\w.-]*)(?:'s (?:\w+ )?(?i:section|part|terms|text))?")
# Case matters only where a capital marks a defined term ("Who is the Licensor?", not "Who is the
# project supposed to help?"); every word of the question is matched in either case.
DEFINITION = re.compile(
    r"(?i:\bwhat (?:does|do|did) (?P<a>.+?) (?:mean|signify)\b"
    r"|\bwhat is meant by (?P<b>.+)"
    r"|\bwhat (?:is|are) the (?:meaning|definition)s? of (?P<c>.+)"
    r"|^\s*define (?P<d>.+)"
    r"|\b(?:who|what|which \w+(?: \w+)?) (?:counts?|qualif(?:y|ies)|is considered|are considered|is regarded"
    r"|are regarded|is treated|are treated) as (?P<e>.+)"
    r"|\bhow (?:is|are) (?P<f>.+?) defined\b)"
    rf"|^\s*(?i:what|who) (?i:is|are) (?:(?i:an?) (?P<g>[\w'-]+(?: [\w'-]+){{0,3}}?)"
    rf"|(?i:the) (?P<h>[A-Z][\w'-]*(?: [A-Z][\w'-]*){{0,3}})|(?P<i>[\"“'‘][^\"”'’]+[\"”'’]))"
    rf"(?: (?:{_DOCUMENT}))?\s*\?*\s*$"
    rf"|^\s*(?i:what) (?i:are) (?P<k>[A-Z][\w'-]*(?: [A-Z][\w'-]*){{0,3}}s)(?: (?:{_DOCUMENT}))?\s*\?*\s*$"
    rf"|^\s*(?i:what) (?i:is|are) (?P<j>[\w'-]+(?: [\w'-]+){{0,3}}?) (?i:according to|under|as (?:used|defined) (?:in|by)) .+$")
# How: a way of doing ("How do I ...?", "How can ...?", "How is it done?"), not a quantity ("how many").
HOW = re.compile(rf"^\s*how (?!{_QUANTITY}\b)(?:{_AUX}|to)\b|\bin what way\b|\bwhat (?:steps|procedure)\b"
                 r"|^\s*what (?:must|should|do|does) (?:i|we|you|one|they) (?:have to |need to )?do\b"
                 r"|^\s*what (?:must (?:i|we|you|one|they)|(?:do|does) (?:i|we|you|one|they) (?:have|need) to) \w+",
                 re.IGNORECASE)
# A list: "List ...", "Name the ...", "What are the conditions ...?", "What kinds of ...?", or a plural
# after which/what and before its verb ("Which formats are ...?", "Which processes does it ...?").
LIST = re.compile(rf"^\s*(?:list|enumerate|name (?:the|all|every|each))\b"
                  r"|^\s*(?:which|what) (?:kinds|types|sorts|forms|[\w-]{3,}s(?<!ss)(?<!us)(?<!is)) of\b"
                  r"|^\s*(?:which|what) (?:are|were) (?:the|all the|all) (?:[\w-]+ ){0,2}?[\w-]{3,}s(?<!ss)(?<!us)(?<!is)\b"
                  rf"|^\s*(?:which|what) (?!{_AUX}\b|(?:kind|type|sort|form|name|number|amount) of\b)(?:[\w-]+ ){{0,2}}?[\w-]{{3,}}s(?<!ss)(?<!us)(?<!is) {_AUX}\b",
                  re.IGNORECASE)
# Yes or no: the question opens with an auxiliary or a modal ("Can I ...?", "Is it allowed ...?"), and
# does not offer a choice: "Is it A or B?" (at most three words after its last "or") and "Does slow or
# rapid growth ...?" (an "or" among the first words, in the subject) ask for A or B.
YES_NO = re.compile(rf"^\s*{_AUX}\b(?!.*\bor\b(?! not\b)(?:\s+[^\s?]+){{1,3}}\s*\?\s*$)"
                    r"(?!(?:\s+[^\s?]+){1,2}\s+or\b(?! not\b))", re.IGNORECASE)


# A condition before the question ("If I fork it, can I ...?", "Once the licence ends, may I ...?"): set
# aside, so that the question after its comma has its own form.
_LEADING = re.compile(r"^\s*(?:if|when|once|after|before|unless|while|since|suppose|assuming|given that|in case)\b"
                      r"[^,?]{1,150},\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """A named rule: the form it gives and whether a question's wording fits it."""

    name: str
    form: Form
    fits: Callable[[str], bool]


def _pattern(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda question: pattern.search(question) is not None


# In this order: "Why is it allowed?" is a why, not a yes/no; "What happens if ...?" is no definition;
# "Which licences count as secondary?" is a definition before it is a list.
RULES: tuple[Rule, ...] = (
    Rule("why", Form.WHY, _pattern(WHY)),
    Rule("what happens", Form.WHAT_HAPPENS, _pattern(WHAT_HAPPENS)),
    Rule("definition", Form.DEFINITION, _pattern(DEFINITION)),
    Rule("how", Form.HOW, _pattern(HOW)),
    Rule("list", Form.LIST, _pattern(LIST)),
    Rule("yes or no", Form.YES_NO, _pattern(YES_NO)),
)


def question_form(question: str) -> Form:
    """The form of the first rule of RULES that the question fits; FACTOID when none does."""
    question = _LEADING.sub("", " ".join(question.replace("’", "'").split()))
    return next((rule.form for rule in RULES if rule.fits(question)), Form.FACTOID)


# Words that end a term: "What does X mean in the GPL?", "Who counts as a contributor under the MPL?"
_TERM_END = re.compile(r"\s+(?:according to|under|in|within|for|as used|as defined|of this|for the purposes?)\b.*$"
                       r"|[?.!]+\s*$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
_QUOTES = "\"'“”‘’"
# Stand-ins that name no term: "What does it mean?", "Who counts as one?"
_NO_TERM = frozenset("it this that they them one these those he she".split())
_MAX_TERM_WORDS = 5


def defined_term(question: str) -> str | None:
    """The term a definition question asks about ("What is meant by a Larger Work?" -> "Larger
    Work", "Who counts as a Contributor under the MPL?" -> "Contributor"); None for another form, or
    when the term is a pronoun or longer than a few words."""
    question = " ".join(question.replace("’", "'").split())
    if question_form(question) is not Form.DEFINITION:
        return None
    found = DEFINITION.search(question)
    if found is None:
        return None
    raw = next(value for value in found.groupdict().values() if value is not None)
    # "What does it mean to convey a work?": the term is the verb after "mean to". "What does the LGPL
    # mean by a library?": the term is what follows "mean by", whoever means it.
    after = re.search(r"\bmean (?:to|by) (.+)", question, re.IGNORECASE)
    if after is not None and (raw.lower() in _NO_TERM or re.search(r"\bmean by ", question, re.IGNORECASE)):
        raw = after.group(1)
    term = _TERM_END.sub("", raw).strip(" ,;:")
    term = _ARTICLE.sub("", term).strip(_QUOTES + " ")
    # "a work" after "to convey": the term is the verb.
    term = re.sub(r"\s+(?:a|an|the)\s+\w+$", "", term) if after is not None and raw == after.group(1) else term
    words = term.split()
    if not words or term.lower() in _NO_TERM or len(words) > _MAX_TERM_WORDS:
        return None
    return term


# Where a text defines a term: the term in quotes before "means", "shall mean", "refers to", "is" or
# "includes" ('1.1. "Contributor" means', '"Licensor" shall mean', 'To "convey" a work means', 'A
# "contributor" is'), or after "is called" ('is called "Opaque"'); a line that opens with the term
# before "means" ("Larger Work means"); a word before ", meaning" ("JPEG is lossy, meaning that").
_QUOTED = "\"“”'‘’"
_DEFINITIONS = (
    re.compile(rf"[{_QUOTED}]([^{_QUOTED}\n]{{1,60}})[{_QUOTED}](?:\s*\([^)\n]{{0,40}}\))?"
               r"(?:\s+(?:(?:a|an|the|of|to)\s+)?[\w-]+){0,3}?\s+(?:means|shall mean|refers to|is defined as)\b"),
    re.compile(rf"[{_QUOTED}]([^{_QUOTED}\n]{{1,60}})[{_QUOTED}]\s+(?:is|are|includes?|has the meaning)\b"),
    re.compile(rf"\b(?:is|are)\s+(?:called|termed|referred to as|known as)\s+(?:(?:a|an|the)\s+)?[{_QUOTED}]([^{_QUOTED}\n]{{1,60}})[{_QUOTED}]"),
    re.compile(r"^\s*(?:[\d.]+\s+)?([A-Z][\w -]{1,50}?)\s+(?:means|shall mean)\b", re.MULTILINE),
    re.compile(r"\b([\w-]+), meaning\b"),
)


@lru_cache(maxsize=4096)
def _stems(phrase: str) -> tuple[str, ...]:
    # British and American spellings meet ("licence", "license"); the stem drops plurals.
    return tuple(fold(stem(word)) for word in re.findall(r"[^\W_]+", phrase))


def fold(word_stem: str) -> str:
    """A stem with British and American spellings made one: "licenc" (licence) -> "licens" (license),
    "defenc" -> "defens"."""
    return re.sub(r"nc$", "ns", word_stem)


def defines(text: str, term: str) -> bool:
    """Whether `text` defines `term` (see _DEFINITIONS): the defined words are the term's, compared by
    their stems ("Secondary Licences" is defined by '"Secondary License" means'), or its first words
    where the text states the rest ("opaque copy" by 'A copy that is not "Transparent" is called "Opaque"')."""
    wanted = _stems(term)
    if not wanted:
        return False
    stated: frozenset[str] | None = None
    for pattern in _DEFINITIONS:
        for found in pattern.finditer(text):
            defined = _stems(found.group(1))
            if defined == wanted:
                return True
            if defined and defined == wanted[:len(defined)]:
                stated = frozenset(_stems(text)) if stated is None else stated
                if stated.issuperset(wanted[len(defined):]):
                    return True
    return False


@dataclass(frozen=True)
class Definition:
    """A question's defined term, as retrieval searches for it (index.search.Definition): its words, and
    whether a text defines it (`defines`)."""

    term: str

    def __call__(self, text: str) -> bool:
        return defines(text, self.term)


def asked_definition(question: str) -> Definition | None:
    """The Definition a question asks for (`defined_term`), None when it asks no term's meaning."""
    term = defined_term(question)
    return None if term is None else Definition(term)
