"""Follow-up questions -> self-contained questions, using the earlier questions of the conversation.

A question that leans on the conversation ("When was it established?", "Which countries led it?")
has its pronoun replaced by the topic of the previous question, so that retrieval and the reader
see a self-contained question; the answer is still copied from the documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|there|this|that|these|those|he|she|him|his|her)\b(?!\s+(?:is|was)\s+\w+ing)",
    re.IGNORECASE,
)
_LEADING_WH = re.compile(
    r"^\s*(?:(?:in|on|at|under|through|for|from|within|since|by|with)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how)(?:\s+(?:many|much|long|often|kind of|sort of|type of))?"
    r"\s+(?:\w+\s+)??(?:is|are|was|were|did|does|do|has|have|had|will|would|can|could)\s+",
    re.IGNORECASE,
)
_DEMONSTRATIVE_NP = re.compile(r"\b(?:that|this|these|those)\s+(\w+)\b", re.IGNORECASE)


def topic_of(question: str) -> str:
    """The previous question's subject matter: the question without its wh-word and auxiliary."""
    text = question.strip().rstrip("?").strip()
    stripped = _LEADING_WH.sub("", text, count=1)
    return stripped if stripped else text


_DEFINITE_NP = re.compile(r"\bthe\s+(\w{3,})\b", re.IGNORECASE)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w-]*")


# Words ending in "s" that are no plural noun: "their" cannot refer back to them.
_NOT_PLURAL = frozenset("""
    does is was has this thus its his hers ours yours theirs always sometimes perhaps less unless across
    whereas besides towards afterwards news analysis basis series status process access business
""".split())
_PLURALS = frozenset("people children men women staff police".split())
_SINGULAR_NP = re.compile(r"\b(?:the|a|an)\s+(?:\w+\s+)?(\w+)\b", re.IGNORECASE)


def _own_antecedent(question: str, pronoun: re.Match[str]) -> bool:
    """Whether a possessive of the question refers to a noun the question itself names before it: "Who
    gives new engineers a laptop on their first day?" (a plural for "their"), "What does the company pay
    for its staff's lunches?" (a singular after "the" for "its"). "How many members does its council
    have?" refers back: "its" is no plural's; so does one after "of" ("What is the population of its
    capital?": the population is not the capital's owner)."""
    before = question[:pronoun.start()]
    word = pronoun.group(1).lower()
    if re.search(r"\bof\s*$", before, re.IGNORECASE):
        return False
    if word == "their":
        return any((w.endswith("s") and len(w) > 3 and w not in _NOT_PLURAL) or w in _PLURALS
                   for w in (m.lower() for m in re.findall(r"[^\W\d_]+", before)[1:]))
    if word == "its":
        return any(not noun.lower().endswith("s") for noun in _SINGULAR_NP.findall(before))
    return False


def needs_context(question: str, previous: str | None = None) -> bool:
    """True when the question refers back rather than naming its topic: a pronoun ("it", "that
    summit") that refers to nothing the question names before it (`_own_antecedent`), nothing but a
    wh-word and words that name nothing ("At what time?", `elliptical`), or, with no name of its own,
    "the project" when the previous question spoke of a project."""
    if any(not _own_antecedent(question, m) for m in _PRONOUN.finditer(question)):
        return True
    if previous is not None and elliptical(question):
        return True
    if previous is None or _NAME.search(question.strip()):
        return False
    earlier = {w.lower() for w in re.findall(r"\w+", previous)}
    return any(noun.lower() in earlier for noun in _DEFINITE_NP.findall(question))


_PERSONAL = re.compile(r"\b(they|them|their|he|she|him|his|her)\b", re.IGNORECASE)
_FIRST_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)


# A question of these words alone asks about what was being asked before ("At what time?", "Where
# exactly?", "How much?", "And why?", "What year?"): it names nothing of its own.
_ELLIPTICAL_WORDS = frozenset("""
    what which who whom whose when where why how at in on by for from to of and or but so then exactly else
    about roughly approximately much many long often time times year years date day days place
    is are was were did does do will would can could should not the a an
""".split())


def elliptical(question: str) -> bool:
    """Whether the question is only words of _ELLIPTICAL_WORDS, with a wh-word ("At what time?")."""
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", question)]
    return bool(words) and _FIRST_WH.search(question) is not None and all(w in _ELLIPTICAL_WORDS for w in words)


def may_mean_answer(question: str, previous: str) -> bool:
    """Whether a pronoun of the question may stand for the previous question's answer rather than
    its topic: after "What/Which ...?" the answer is a thing ("What has been a vehicle for reform?"
    -> "When was it set up?"); after "Who ...?" only "they", "he", "she" ... stand for people."""
    wh = _FIRST_WH.search(previous)
    if wh is None:
        return False
    word = wh.group(1).lower()
    if word in ("what", "which"):
        return True
    return word in ("who", "whom") and bool(_PERSONAL.search(question))


@dataclass(frozen=True)
class Query:
    """A question with the conversation context it leans on ("" when it stands alone)."""

    text: str
    context: str = ""

    @property
    def search_text(self) -> str:
        """What retrieval sees: the question, then the referent from the conversation."""
        return f"{self.text} ({self.context})" if self.context else self.text


def resolve_followup(question: str, history: Sequence[str]) -> Query:
    """The question with, when it refers back, the latest earlier question's topic as context.

    The pronoun stays in the question; retrieval reads question and context together, and the
    reader weighs the context's words less than the question's own.
    """
    if not history or not needs_context(question, history[-1]):
        return Query(question)
    topic = topic_of(history[-1])
    if set(re.findall(r"\w+", topic.lower())) <= set(re.findall(r"\w+", question.lower())):
        return Query(question)  # it states the whole topic itself: asked again, or asked of it more fully
    return Query(question, topic)
