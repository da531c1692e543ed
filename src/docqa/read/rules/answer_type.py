"""Question -> the kind of answer it wants (`AnswerType`), its focus noun and its wh-slot.

Pure functions over a spaCy parse, for the rule-based reader only: the answer type decides which
candidate spans fit (a date for "when", a number for "how many", an organisation or person for "who" ...).
The question analysis the trained reader shares (names, numbers, acronyms) is read/question.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from spacy.tokens import Doc, Token


class AnswerType(str, Enum):
    """The kind of answer a question wants, which decides the candidate spans that fit."""

    DATE = "date"          # when, what year, which month
    NUMBER = "number"      # how many, how much, what number
    DURATION = "duration"  # how long
    AGENT = "agent"        # who, which organisation/country
    PLACE = "place"        # where, in which city
    REASON = "reason"      # why, for what purpose, what triggered
    MANNER = "manner"      # how (did/does/is)
    THING = "thing"        # what/which X, what did it do
    CONDITION = "condition"  # under what conditions, in what circumstances


WH_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how"}
# Focus nouns that say what kind of thing the answer is. Kinds of question, not items of a data set.
_DATE_NOUNS = {"year", "years", "date", "month", "day", "time", "period", "decade", "century"}
_PLACE_NOUNS = {"city", "town", "country", "place", "location", "region", "area", "capital", "territory", "site"}
_AGENT_NOUNS = {
    "organisation", "organization", "agency", "body", "group", "country", "countries", "nation", "government",
    "person", "people", "institution", "alliance", "ally", "allies", "party", "parties", "company", "authority",
    "authorities", "office", "council", "member", "members", "state", "states", "partner", "partners", "leader",
}
_REASON_NOUNS = {"purpose", "reason", "aim", "goal", "objective", "cause", "motive", "intention", "rationale"}
_CONDITION_NOUNS = {"condition", "circumstance", "proviso"}
_MANNER_NOUNS = {"way", "manner", "means", "method"}
_KIND_NOUNS = {"kind", "sort", "type", "form", "category", "variety", "nature"}
_NUMBER_NOUNS = {
    "number", "amount", "quantity", "total", "count", "percentage", "share", "proportion", "sum",
    "population", "cost", "budget", "size", "price", "value", "strength", "figure", "rate",
}
_DURATION_NOUNS = {"duration", "length"}
_ALIAS_VERBS = {"call", "know", "name", "abbreviate", "stand", "term", "dub", "nickname", "refer"}
CAUSE_VERBS = {"trigger", "cause", "prompt", "lead", "spark", "provoke", "motivate", "drive"}


@dataclass(frozen=True)
class QuestionInfo:
    """`focus` is the noun naming the asked-for kind ("agency" in "Which agency ..."), lemma form."""

    text: str
    wh: str
    answer_type: AnswerType
    focus: str | None
    focus_index: int | None  # token index of the focus noun in the question parse
    slot_head: str | None = None  # the word the wh-phrase depends on ("set" in "What does X set out?")
    slot: str = ""                # its role there: subj, obj, prep:<p>, adv
    action: bool = False  # "What does X do?": the answer is what is done, a verb phrase
    alias: bool = False   # "What is X also called?", "What does X stand for?": another name for X
    sort: bool = False    # "What kind of X ...?": the answer is an X with what sets it apart
    copula: bool = False  # "Who is the implementing agent?": the answer is the other side of an "is"


def _wh_token(doc: Doc) -> Token | None:
    """The question's first wh-word, if any."""
    for token in doc:
        if token.lower_ in WH_WORDS:
            return token
    return None


def _focus_noun(wh: Token) -> Token | None:
    """The noun a determiner wh-word modifies: "which agency" -> agency; "what kind of X" -> X kept via kind."""
    doc = wh.doc
    if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN"):
        return wh.head
    nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
    if nxt is not None and nxt.pos_ in ("NOUN", "PROPN") and nxt.lower_ not in ("does", "did", "is", "was"):
        # "What year did ..." is sometimes parsed with the noun as head of the wh-word.
        return nxt
    if nxt is not None and wh.lower_ == "which" and nxt.tag_ == "VBZ" and nxt.lower_.endswith("s") \
            and nxt.lemma_.lower() not in ("be", "do", "have"):
        return nxt  # "Which processes/VBZ ...", "Which releases/VBZ ...": plural nouns the tagger took for verbs
    return None


def _copular_focus(wh: Token) -> Token | None:
    """"What is the name of the force?" -> name; "What was the purpose of X?" -> purpose."""
    verb = wh.head
    if verb.lemma_ != "be" or wh.dep_ not in ("attr", "nsubj"):
        return None
    for token in verb.children:
        if token.i > wh.i and token.pos_ == "NOUN" and token.dep_ in ("nsubj", "attr"):
            return token
    return None


def _refine_kind(focus: Token) -> Token:
    """"kind/sort/type of relationship" -> relationship."""
    if focus.lemma_.lower() in _KIND_NOUNS:
        for child in focus.children:
            if child.dep_ == "prep" and child.lower_ == "of":
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return objects[0]
    return focus


_LIGHT_VERBS = {"be", "do", "have"}


def wh_slot(doc: Doc) -> tuple[str | None, str]:
    """The word the wh-phrase hangs on and its role: "Which agency executed X" -> (execute, subj)."""
    wh = _wh_token(doc)
    if wh is None:
        return None, ""
    phrase = wh.head if wh.dep_ in ("det", "advmod") and wh.head.pos_ in ("NOUN", "PROPN") else wh
    if wh.dep_ == "advmod" and wh.head.lower_ in ("many", "much") and wh.head.head.pos_ in ("NOUN", "PROPN"):
        phrase = wh.head.head
    if wh.lower_ in ("how",) and wh.head.lower_ in ("many", "much", "long"):
        phrase = wh.head.head if wh.head.head.pos_ in ("NOUN", "PROPN") else wh.head
    dep = phrase.dep_
    stranded = [t for t in doc if t.dep_ == "prep" and not any(c.dep_ == "pobj" for c in t.children)
                and t.i > phrase.i]
    if stranded and dep in ("dobj", "nsubj", "pobj", "attr"):
        # "Who does the office liaise with?": the wh-phrase is the object of the stranded preposition.
        return (stranded[0].head.lemma_.lower() or None), f"prep:{stranded[0].lower_}"
    if dep == "pobj":
        head = phrase.head.head
        slot = f"prep:{phrase.head.lower_}"
    elif dep in ("nsubj", "csubj"):
        head, slot = phrase.head, "subj"
    elif dep in ("dobj", "nsubjpass", "attr", "oprd", "dative"):
        head, slot = phrase.head, "obj"
    else:
        head, slot = phrase.head, "adv"
    if head.lemma_.lower() in _LIGHT_VERBS or head.i == phrase.i:
        return None, slot
    return head.lemma_.lower() or head.lower_, slot


def analyze(doc: Doc) -> QuestionInfo:
    """Answer type, focus and wh-slot of a parsed question."""
    info = _analyze_type(doc)
    head, slot = wh_slot(doc)
    wh = _wh_token(doc)
    action = wh is not None and wh.lower_ == "what" and wh.head.lemma_.lower() == "do" and wh.dep_ == "dobj"
    alias = (any(t.lemma_.lower() in _ALIAS_VERBS and t.pos_ in ("VERB", "AUX")
                 and (t.lemma_.lower() != "stand" or any(n.lower_ == "for" for n in doc[t.i + 1 : t.i + 3]))
                 for t in doc)  # "stand for", not "stand ready"
             or any(t.lower_ in ("acronym", "abbreviation", "alias", "nickname") for t in doc)) \
        and info.answer_type in (AnswerType.THING, AnswerType.REASON)
    kind = AnswerType.THING if alias else info.answer_type  # "stand for" asks for a name, not a reason
    sort = info.focus_index is not None and info.focus_index > 0 \
        and doc[info.focus_index].head.head.lemma_.lower() in _KIND_NOUNS and doc[info.focus_index].dep_ == "pobj"
    copula = wh is not None and head is None and not action and _copular(wh)
    return QuestionInfo(info.text, info.wh, kind, info.focus, info.focus_index, head, slot, action, alias, sort, copula)


def _copular(wh: Token) -> bool:
    """The wh-phrase is one side of a form of "be" whose other side is a noun phrase: "Who is the
    implementing agent?", "What was the name of the force?", "Which agency is responsible?"."""
    phrase = wh.head if wh.dep_ == "det" and wh.head.pos_ in ("NOUN", "PROPN") else wh
    verb = phrase.head
    if verb.lemma_.lower() != "be" or phrase.dep_ not in ("attr", "nsubj"):
        return False
    return any(c.dep_ in ("attr", "nsubj", "acomp") and c.i != phrase.i for c in verb.children)


def _analyze_type(doc: Doc) -> QuestionInfo:
    """The answer type and focus of a parsed question: from its wh-word, else (what, which) from the
    noun it asks about, else from its verb."""
    wh = _wh_token(doc)
    if wh is None:
        return QuestionInfo(doc.text, "", AnswerType.THING, None, None)
    by_word = _type_by_wh_word(doc, wh)
    if by_word is not None:
        return by_word
    focus = _focus_noun(wh)
    if focus is not None:
        return _type_by_focus(doc.text, wh.lower_, _refine_kind(focus))
    described = _copular_focus(wh)
    if described is not None:
        return _type_by_described(doc.text, wh.lower_, described)
    return _type_by_verb(doc.text, wh)


def _type_by_wh_word(doc: Doc, wh: Token) -> QuestionInfo | None:
    """The answer type that the wh-word alone says (when, where, why, who, how ...); None for what and which."""
    text, word = doc.text, wh.lower_
    nxt = doc[wh.i + 1].lower_ if wh.i + 1 < len(doc) else ""
    if word == "when" or text.lower().startswith("since when"):
        return QuestionInfo(text, word, AnswerType.DATE, None, None)
    if word == "where":
        return QuestionInfo(text, word, AnswerType.PLACE, None, None)
    if word == "why":
        return QuestionInfo(text, word, AnswerType.REASON, None, None)
    if word in ("who", "whom", "whose"):
        return QuestionInfo(text, word, AnswerType.AGENT, None, None)
    if word != "how":
        return None
    if nxt in ("many", "much"):
        counted = _counted_noun(doc, wh)
        return QuestionInfo(text, "how " + nxt, AnswerType.NUMBER,
                            counted.lemma_.lower() if counted is not None else None,
                            counted.i if counted is not None else None)
    if nxt == "long":
        return QuestionInfo(text, "how long", AnswerType.DURATION, None, None)
    if nxt in ("often", "old", "far", "big", "large"):
        return QuestionInfo(text, "how " + nxt, AnswerType.NUMBER, None, None)
    return QuestionInfo(text, "how", AnswerType.MANNER, None, None)


def _type_by_focus(text: str, word: str, focus: Token) -> QuestionInfo:
    """"Which agency ...", "What year ...": the answer type the wh-word's noun names."""
    lemma = focus.lemma_.lower()
    if lemma in _DATE_NOUNS or focus.lower_ in _DATE_NOUNS:
        return QuestionInfo(text, word, AnswerType.DATE, lemma, focus.i)
    if lemma in _REASON_NOUNS:
        return QuestionInfo(text, word, AnswerType.REASON, None, None)
    if lemma in _CONDITION_NOUNS:
        return QuestionInfo(text, word, AnswerType.CONDITION, None, None)
    if lemma in _NUMBER_NOUNS:
        return QuestionInfo(text, word, AnswerType.NUMBER, None, None)
    if lemma in _DURATION_NOUNS:
        return QuestionInfo(text, word, AnswerType.DURATION, None, None)
    if lemma in _MANNER_NOUNS:
        return QuestionInfo(text, word, AnswerType.MANNER, None, None)
    if lemma in _PLACE_NOUNS or focus.lower_ in _PLACE_NOUNS:
        kind = AnswerType.PLACE if lemma in ("city", "town", "place", "location", "site", "capital") else AnswerType.AGENT
        return QuestionInfo(text, word, kind, lemma, focus.i)
    if lemma in _AGENT_NOUNS or focus.lower_ in _AGENT_NOUNS:
        return QuestionInfo(text, word, AnswerType.AGENT, lemma, focus.i)
    return QuestionInfo(text, word, AnswerType.THING, lemma, focus.i)


def _type_by_described(text: str, word: str, described: Token) -> QuestionInfo:
    """"What was the purpose of X?", "What is the name of the force?": the answer type of the noun
    on the other side of "is"."""
    lemma = described.lemma_.lower()
    if lemma in _REASON_NOUNS:
        return QuestionInfo(text, word, AnswerType.REASON, None, None)
    if lemma in _NUMBER_NOUNS:
        return QuestionInfo(text, word, AnswerType.NUMBER, None, None)
    if lemma in _DATE_NOUNS:
        return QuestionInfo(text, word, AnswerType.DATE, None, None)
    return QuestionInfo(text, word, AnswerType.THING, None if lemma == "name" else lemma, described.i)


def _type_by_verb(text: str, wh: Token) -> QuestionInfo:
    """"What triggered X?", "What is it for?" ask for a reason; any other what or which for a thing."""
    word, lower = wh.lower_, text.lower()
    root = wh.head if wh.dep_ != "ROOT" else wh
    if wh.dep_ == "nsubj" and root.lemma_.lower() in CAUSE_VERBS:
        return QuestionInfo(text, word, AnswerType.REASON, None, None)
    if " for?" in lower or lower.rstrip("?").endswith(" for"):
        return QuestionInfo(text, word, AnswerType.REASON, None, None)
    return QuestionInfo(text, word, AnswerType.THING, None, None)


def _counted_noun(doc: Doc, wh: Token) -> Token | None:
    """"How many mines were cleared" -> mines."""
    for token in doc[wh.i + 2 : wh.i + 6]:
        if token.pos_ in ("NOUN", "PROPN"):
            # the head of a compound run: "how many surplus small arms" -> arms
            while token.dep_ in ("compound", "amod") and token.head.i > token.i and token.head.pos_ in ("NOUN", "PROPN"):
                token = token.head
            return token
        if token.pos_ in ("VERB", "AUX"):
            break
    return None

