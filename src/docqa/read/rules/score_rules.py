"""The named rules that score a candidate span, each a pure function of its `Evidence`:

    score = Σ SCORE_WEIGHTS × ScoreTerms (fit, anchor, novelty, role, excess length, coordination)

where `fit` starts from the span's type fit, is set by the FORM_RULES (the question asks for another
name, or for an action) and is then multiplied by the factor of each of the FIT_RULES that applies.
The weights and factors were set by hand, a rule at a time, against the evaluation sets and probe
questions (the reader's git history says which question each rule answers). Rules apply in table
order: the scores depend on it to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from docqa.read.rules.answer_type import AnswerType, QuestionInfo
from docqa.read.rules.span_facts import SpanFacts

TECHNICAL_KINDS = ("ADDRESS", "CODE")  # candidate kinds found by pattern: paths, addresses, function names


@dataclass(frozen=True)
class Evidence:
    """What the rules read of one candidate span for one question: plain values, gathered from the
    parse by scoring.evidence."""

    info: QuestionInfo
    kind: str             # the candidate's kind: an entity label, "NP", "CLAUSE", "QUOTE", "CODE" ...
    type_fit: float       # how well its kind fits the answer type (Candidate.type_fit)
    facts: SpanFacts
    tokens: int           # its length in tokens
    money_asked: bool     # "How much did it cost?": a number question about money
    focus_named: bool     # the question names the asked-for kind ("which agency")
    kind_in_sentence: bool  # the sentence names it too, by its letters or closely by meaning
    listed: bool          # the sentence lists the span as a member of that kind (roles.lists_focus)
    root_names_kind: bool  # the span's head is a word naming the asked-for kind
    head_names_kind: bool  # the word the span's head depends on names it
    root_conjunct: bool   # the span's head is a conjunct ("..., and to build ...")
    instance_fit: float   # how well the span is an instance of the asked-for kind (roles.focus_fit)
    short_name_share: float | None  # a short name of the question follows in brackets: its initials' share
    anchor: float         # see `anchor`
    novelty: float        # see `novelty`
    role: float           # see scoring.role_fit


# ---- rules that set the fit: the form the answer takes -------------------------------------------

def another_name_fit(e: Evidence, fit: float) -> float:
    """"What does SPS stand for?" asks for another name: what stands before the bracketed short
    name, the more of whose letters its words begin with the better; else a name in brackets or
    quotes of its own; any other span half counts."""
    if not e.info.alias:
        return fit
    if e.short_name_share is not None:
        return 0.5 + 0.5 * e.short_name_share  # "Science for Peace and Security (SPS)"
    if e.facts.bracketed or e.kind == "QUOTE":
        return 1.0  # "... Serbian Armed Forces (Kumanovo Agreement)": the other name
    return fit * 0.5


def action_fit(e: Evidence, fit: float) -> float:
    """"What does the deal let the troops do?" asks for what is done: a clause or a verb phrase
    ("pass through Serbian territory"); anything else is a poor answer."""
    if not e.info.action:
        return fit
    return 1.0 if e.kind == "CLAUSE" or e.facts.verbal else fit * 0.4


FORM_RULES: tuple[Callable[[Evidence, float], float], ...] = (another_name_fit, action_fit)


# ---- rules that scale the fit: each applies or not, and multiplies it by its factor ---------------

def money_not_named(e: Evidence) -> bool:
    """"How much did it cost?" asks for money, not "1.4 million" landmines."""
    return e.money_asked and not e.facts.money


_INSTANCE_TYPES = (AnswerType.THING, AnswerType.AGENT, AnswerType.PLACE, AnswerType.NUMBER, AnswerType.DATE)


def asks_an_instance(e: Evidence) -> bool:
    """"Which agency ...?" asks for an agency: the span counts as much as it is one (`instance_fit`),
    unless the sentence lists it as one ("Projects include A, B and C")."""
    return e.focus_named and not e.listed and e.info.answer_type in _INSTANCE_TYPES


def instance_fit(e: Evidence) -> float:
    """The factor of `asks_an_instance`: roles.focus_fit of the span."""
    return e.instance_fit


def kind_not_its_head(e: Evidence) -> bool:
    """"What kind of workshops?": an answer is headed by "workshops" ("counter-terrorism workshops")."""
    return e.info.sort and e.kind_in_sentence and not e.listed and not e.root_names_kind


def described_before_its_title(e: Evidence) -> bool:
    """"Which workshop?": the title after "a PfP trust fund workshop" names it, not the description."""
    return e.facts.named and e.focus_named and not e.info.sort and e.root_names_kind


def actor_asked_where(e: Evidence) -> bool:
    """"The Alliance and Serbia worked ... in southern Serbia": the subject of the deed is no place."""
    return e.facts.subject and e.info.answer_type == AnswerType.PLACE


def narrowed_in_text(e: Evidence) -> bool:
    """"Serbia" where the text says "southern Serbia": the narrowed name says more."""
    return e.facts.narrowed


def describes_a_name(e: Evidence) -> bool:
    """"southern Serbia, an area of the country": the name it describes is the answer, not the
    description (unless another name is asked for)."""
    return e.facts.restates and not e.info.alias


def whose_body_asked_who(e: Evidence) -> bool:
    """"the new democratic government of [the Federal Republic of Yugoslavia]": the government did it,
    the name only says whose it is."""
    return e.info.answer_type == AnswerType.AGENT and e.facts.whose


def place_asked_who(e: Evidence) -> bool:
    """"the project ... in Serbia": a place the deed happened in, not who did it."""
    return e.info.answer_type == AnswerType.AGENT and e.facts.located


def piece_of_a_name(e: Evidence) -> bool:
    """A piece of a name or a technical name ("2006" of "December 2006") is rarely the whole answer;
    a date found by pattern is whole, whatever the entity recogniser cut."""
    return e.kind != "DATE_PATTERN" and e.facts.inside


def later_purpose(e: Evidence) -> bool:
    """"to provide advice ..., and to build ...": the first purpose leads."""
    return e.kind == "CLAUSE" and e.root_conjunct


def count_with_its_noun(e: Evidence) -> bool:
    """"How many landmines?": "1.4 million", rather than "1.4 million ... landmines"."""
    return e.info.answer_type == AnswerType.NUMBER and e.root_names_kind


def modifier_only(e: Evidence) -> bool:
    """A modifier ("Serbian" of "Serbian authorities") is not a whole answer; but a path naming the
    asked-for kind ("the contrib/delphi directory") is, and so is the "78-day" of "a 78-day campaign"."""
    names_kind = e.kind in TECHNICAL_KINDS and e.head_names_kind
    return e.facts.modifier and not names_kind and not (e.info.answer_type == AnswerType.DURATION and e.facts.numeric)


Factor = float | Callable[[Evidence], float]

# rule -> the factor on the fit where it applies, in the order they apply.
FIT_RULES: tuple[tuple[Callable[[Evidence], bool], Factor], ...] = (
    (money_not_named, 0.3),
    (asks_an_instance, instance_fit),
    (kind_not_its_head, 0.6),
    (described_before_its_title, 0.6),
    (actor_asked_where, 0.7),
    (narrowed_in_text, 0.9),
    (describes_a_name, 0.5),
    (whose_body_asked_who, 0.8),
    (place_asked_who, 0.5),
    (piece_of_a_name, 0.6),
    (later_purpose, 0.9),
    (count_with_its_noun, 0.8),
    (modifier_only, 0.5),
)


def rule_fit(e: Evidence) -> float:
    """The span's fit: its type fit, set by the FORM_RULES, times the factor of each FIT_RULE that applies."""
    fit = e.type_fit
    for form in FORM_RULES:
        fit = form(e, fit)
    for rule, factor in FIT_RULES:
        if rule(e):
            fit *= factor(e) if callable(factor) else factor
    return fit


# ---- the other terms of the score ------------------------------------------------------------------

def anchor(near: float, total: float, answers_faq: bool, technical: bool, holds_match: bool) -> float:
    """How close the span's head sits in the parse to the question's words outside the span: `near`,
    their match strengths weighted by exp(-(edges - 1) / 3), over `total`, their strengths. With no
    such word, 0.5 for the answer of an FAQ's question (`answers_faq`), else 0. A technical name
    holding a word of the question (`holds_match`) is anchored at least 0.5."""
    # "Where's the documentation? It's in zlib.h.": an FAQ answer need not repeat the question
    value = near / total if total > 1e-12 else (0.5 if answers_faq else 0.0)
    if technical and holds_match:
        value = max(value, 0.5)  # "contrib/delphi" holds the question's "Delphi": it is anchored
    return value


def novelty(repeated: float, words: int, technical: bool) -> float:
    """1 for a span that says nothing of the question; each of its `words` content words that repeat
    the question (`repeated`, names counting half) costs twice its share. A technical name says more
    than the question word it holds ("contrib/delphi"): 1."""
    if technical:
        return 1.0
    return max(0.0, 1.0 - 2.0 * repeated / max(1, words))


# Answer lengths in tokens (the evaluation sets' usual ones): longer spans pay for each token beyond.
IDEAL_TOKENS = {AnswerType.REASON: 14, AnswerType.CONDITION: 14, AnswerType.MANNER: 8, AnswerType.THING: 6}
DEFAULT_IDEAL_TOKENS = 4


def excess_length(e: Evidence) -> int:
    """Tokens beyond the ideal length of the answer type (a name's bracketed acronym, "(IPP)", free);
    none for a list the text gives as the asked-for kind's members, answered whole however long."""
    if e.listed and e.facts.coordination:
        return 0
    length = e.tokens - (3 if e.facts.acronym else 0)
    return max(0, length - IDEAL_TOKENS.get(e.info.answer_type, DEFAULT_IDEAL_TOKENS))


@dataclass(frozen=True)
class ScoreTerms:
    """The terms of a candidate's score (see the module's docstring)."""

    fit: float
    anchor: float
    novelty: float
    role: float
    excess_length: float
    coordination: float  # 1 for a whole coordination: annotators name every conjunct ("Canada and Austria")


# term -> weight
SCORE_WEIGHTS = ScoreTerms(fit=0.4, anchor=0.25, novelty=0.2, role=0.2, excess_length=-0.015, coordination=0.05)
_TERMS = tuple(f.name for f in fields(ScoreTerms))


def score_terms(e: Evidence) -> ScoreTerms:
    """The terms of the span's score."""
    return ScoreTerms(fit=rule_fit(e), anchor=e.anchor, novelty=e.novelty, role=e.role,
                      excess_length=excess_length(e), coordination=1.0 if e.facts.coordination else 0.0)


def weighted_score(terms: ScoreTerms, weights: ScoreTerms = SCORE_WEIGHTS) -> float:
    """Σ weight × term, added in the table's order."""
    total = 0.0
    for name in _TERMS:
        total += getattr(weights, name) * getattr(terms, name)
    return total
