"""Passages -> the sentences that can answer a question whose form is not a factoid (read/form.py), and
the one the reader's own evidence and the question's words point to. Pure functions over literal text
and arrays (no model here).

A unit is a whole sentence of a passage, or a whole enumeration (the line that introduces it and its
items), past the 30-token cap of a span. Its evidence is the reader's: the share of the start and of
the end probabilities that falls inside it, against the window's "no answer" score, the way a span's
score stands against it (decode.span_confidence); and how many of the question's words it states.

Offsets: a unit's [start, end) indexes its passage's text, so that `passage.text[start:end]` is the
answer and `passage.start + start` its place in the document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from docqa.index.lexical import QUESTION_WORDS, stem
from docqa.read.decode import Window, on_scale, sentence_ends, span_confidence

# A sentence is scored by the reader's evidence (its mass), plus MATCH_WEIGHT times the share of the
# question's words it states, plus FORM_BONUS where its words state the form's answer (a yes/no
# verdict, the definition asked for); it answers where that score reaches SENTENCE_BAR, whatever the
# reader's threshold: its confidence is the score's margin over the bar put on the scale of that
# threshold (decode.on_scale), so that one no-answer threshold serves spans and sentences alike.
# Measured 2026-12-07 on the five span sets read as sentence questions (324 questions, a sentence right
# when it holds a gold span) and the dev split of evaluation/sentences (40): weights 0 to 8 moved the
# right choices by 2 questions at most, 2 to 4 best; the bonus lifted right yes/no and definition
# sentences of the dev split from scores 2.2-2.4 to 4.2-5.4. The bar 2.5 (set with reader-7, whose
# threshold was 0.99) is above the best sentence of every unanswerable dev question (1.4 at most) and
# of the span sets' one unanswerable question that is no factoid (papers z-006, 2.2). Not the span
# reader's own rate: to decline its 82% of the span sets' unanswerable questions (swapped names) a
# sentence would need 7.5, which declines most right answers of the dev split.
MATCH_WEIGHT = 3.0
FORM_BONUS = 3.0
SENTENCE_BAR = 2.5
# An enumeration chosen whole for a question that asks for no list gives way to the item inside it that
# holds at least half of its evidence (its mass within log 2 of the whole's): "(2) If only executable
# code is distributed, ..." answers what to do when shipping binaries, not the line that introduces
# the conditions and all three of them.
NARROW_MARGIN = math.log(2.0)
# Retrieval's order is evidence too: among units of like score, the one of the passage ranked higher
# answers more often. Each rank down costs RANK_COST in the choice (not in the confidence). Fitted
# 2026-12-07 on the sentence-form questions of the held-out SQuAD articles the reader never trained on
# (benchmarks/sentence_corpus.py --from-held-out, 200 questions that reached this choice): right
# choices 151 at 0, 155 at 0.25, 157 at 0.5 and 0.75, 159 at 1, 157 at 1.5; the middle of the plateau.
RANK_COST = 0.75


@dataclass(frozen=True)
class Unit:
    """A candidate answer inside a passage's text: characters [start, end), a sentence or an enumeration."""

    start: int
    end: int


@dataclass(frozen=True)
class Evidence:
    """A unit of passage `passage` as one window read it: `mass` is log P(start inside) + log P(end
    inside) - log P(no answer), the unit's log-odds against the window's null score (a span's margin
    is the same quantity for one start and one end token)."""

    passage: int
    unit: Unit
    mass: float


@dataclass(frozen=True)
class SentenceChoice:
    """The unit chosen to answer, its evidence, how much of the question it states, and its confidence."""

    passage: int
    unit: Unit
    mass: float
    match: float
    confidence: float


# ---- units ------------------------------------------------------------------------------------------
# A question ends in "?" (an FAQ's own question is never its answer); a sentence also ends at "!" or "?".
_OTHER_ENDS = re.compile(r"[!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# An item of an enumeration: "(a)", "a)", "(ii)", "(1)", "1)", "-", "*", "•" before its text. Numbered
# sections ("1.2.", "5.") are not items: the definitions of a licence are entries, not one list.
_ITEM = re.compile(r"\s*(?:\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)|(?:[a-z]|\d{1,2})\)|[-*•])\s")
# An item written on its sentence's line ("... documentation. (2) If only executable code ...", "these
# conditions: (1) If any part ..."): a sentence ends before it.
_INLINE_ITEM = re.compile(r"(?<=[.;:])\s+(?=\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)\s)")
# The mark of a bulleted item, which a sentence answer leaves out ("* By default, ..." answers "By default, ...").
_BULLET = re.compile(r"[-*•]\s+")
# A unit this short ("Yes.", "No, sorry.", "6. Trademarks.") says nothing alone: it joins the next.
_SHORT_WORDS = 4
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_LETTERED = re.compile(r"[^\W\d_]{2,}")
# A line that ends without a full stop introduces what follows it ('"Modifications" means', "the
# following conditions:").
_INTRODUCES = re.compile(r"(?::|[^\W\d_])\s*$")


def _lines(text: str) -> list[tuple[int, int]]:
    """[start, end) of each non-blank line of `text`, spaces trimmed."""
    lines = []
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            lines.append((start, end))
    return lines


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence of `text`: lines, each cut at a sentence's end (decode.sentence_ends:
    a full stop after a word that is no abbreviation, then a capital; or "!" or "?"; or before an item
    of an enumeration written on the same line, "(2)"), spaces trimmed."""
    ends = sorted(set(sentence_ends(text)) | {m.end() for m in _OTHER_ENDS.finditer(text)}
                  | {m.start() for m in _INLINE_ITEM.finditer(text)})
    out = []
    for start, end in _lines(text):
        cuts = [start, *(e for e in ends if start < e < end), end]
        for a, b in zip(cuts, cuts[1:]):
            while a < b and text[a].isspace():
                a += 1
            if b > a:
                out.append((a, b))
    return out


def question_lines(text: str) -> list[tuple[int, int]]:
    """[start, end) of each line of `text` that asks a question (ends with "?"): an FAQ's own questions,
    which answer nothing."""
    return [(start, end) for start, end in _lines(text) if text[start:end].rstrip("\"'”’)] ").endswith("?")]


def words(text: str) -> int:
    """How many words `text` has (runs of letters or digits)."""
    return len(_WORD.findall(text))


def units(text: str) -> list[Unit]:
    """The candidate answers of a passage, in order: its sentences, a short one joined to the next of its
    line, an introducing line joined to the enumeration or line it introduces; an item's bullet left
    out. A line that ends with "?"
    (a question) and a fragment without two words (a passage's cut "1.9.") are none."""
    lines = _lines(text)
    line_of = {}
    for number, (start, end) in enumerate(lines):
        line_of[start] = number
    out: list[Unit] = []
    pending: tuple[int, int] | None = None
    line_number = -1
    for start, end in sentences(text):
        while line_number + 1 < len(lines) and lines[line_number + 1][0] <= start:
            line_number += 1
        line_start, line_end = lines[line_number]
        if text[line_start:line_end].rstrip("\"'”’)] ").endswith("?"):
            pending = None
            continue
        if pending is not None:
            start = pending[0]
            pending = None
        if words(text[start:end]) < _SHORT_WORDS and end < line_end:
            pending = (start, end)
            continue
        if end == line_end:
            end = _introduced_end(text, lines, line_number)
        if bullet := _BULLET.match(text, start, end):
            start = bullet.end()
        if len(_LETTERED.findall(text[start:end])) >= 2:
            out.append(Unit(start, end))
    return out


def _introduced_end(text: str, lines: list[tuple[int, int]], number: int) -> int:
    """Where what line `number` introduces ends: the last of the item lines that follow it, or, after a
    colon, the next line ("After the above, then:" / "make install"); its own end when it introduces
    nothing (it is an item itself, or the next line is no item and it ends without a colon)."""
    start, end = lines[number]
    if number + 1 == len(lines) or _ITEM.match(text, start) is not None or not _INTRODUCES.search(text[start:end]):
        return end
    following = lines[number + 1:]
    items = 0
    while items < len(following) and _ITEM.match(text, following[items][0]) is not None:
        items += 1
    if items:
        return following[items - 1][1]
    return following[0][1] if text[start:end].rstrip().endswith(":") else end


def enumeration(text: str, unit: Unit) -> Unit:
    """The whole enumeration a unit belongs to: an item widened to its introducing line and all its
    sibling items (or, for items written on one line, its introducing sentence and the items of its
    line); any other unit as it is."""
    lines = _lines(text)
    here = next((k for k, (start, end) in enumerate(lines) if start <= unit.start < end), None)
    inline = unit if here is None else _inline_enumeration(text, unit, lines[here])
    if inline != unit or here is None or _ITEM.match(text, lines[here][0]) is None:
        return inline
    first = last = here
    while first > 0 and _ITEM.match(text, lines[first - 1][0]) is not None:
        first -= 1
    while last + 1 < len(lines) and _ITEM.match(text, lines[last + 1][0]) is not None:
        last += 1
    if first > 0 and _INTRODUCES.search(text[lines[first - 1][0]:lines[first - 1][1]]):
        first -= 1
        # The introducing line's last sentence only: "... provided that You meet the following conditions:"
        starts = [a for a, _ in sentences(text) if lines[first][0] <= a < lines[first][1]]
        return Unit(starts[-1] if starts else lines[first][0], lines[last][1])
    return Unit(lines[first][0], lines[last][1])


def _inline_enumeration(text: str, unit: Unit, line: tuple[int, int]) -> Unit:
    """The enumeration of items written on one line that `unit` (a sentence of that line) belongs to:
    the run of its line's sentences that open with an item ("(1)", "(b)"), with the sentence before them
    where it introduces them (ends with ":"); the unit as it is when it neither opens an item nor
    introduces one."""
    parts = [(a, b) for a, b in sentences(text) if line[0] <= a < line[1]]
    opens = [text[a] == "(" and _ITEM.match(text, a) is not None for a, _ in parts]
    here = next((k for k, (a, b) in enumerate(parts) if a <= unit.start < b), None)
    if here is None:
        return unit
    introduces = [text[a:b].rstrip().endswith(":") for a, b in parts]
    if not opens[here] and not (introduces[here] and here + 1 < len(parts) and opens[here + 1]):
        return unit
    first, last = here, here
    while first > 0 and opens[first]:
        first -= 1
    if not opens[first] and not introduces[first]:
        first += 1  # the sentence before the items introduces nothing: the items start the enumeration
    while last + 1 < len(parts) and opens[last + 1]:
        last += 1
    return Unit(parts[first][0], parts[last][1])


# ---- the reader's evidence --------------------------------------------------------------------------
def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


def unit_evidence(window: Window, start_logits: np.ndarray, end_logits: np.ndarray,
                  candidates: Sequence[Unit]) -> list[Evidence]:
    """The evidence of each candidate unit of the window's passage that the window holds whole: the
    log-sum-exp of the start logits of its tokens plus that of its end logits, less the window's null
    score (start_logit[CLS] + end_logit[CLS]). Logits may be right-padded past the window's tokens."""
    n = len(window.ids)
    start, end = np.asarray(start_logits[:n], dtype=np.float64), np.asarray(end_logits[:n], dtype=np.float64)
    context = np.array([sid == 1 for sid in window.sequence_ids], dtype=bool)
    bounds = np.array(window.offsets, dtype=np.int64).reshape(-1, 2)
    context &= bounds[:, 1] > bounds[:, 0]
    if not context.any():
        return []
    first, last = int(bounds[context, 0].min()), int(bounds[context, 1].max())
    null = float(start[window.cls_index] + end[window.cls_index])
    out = []
    for unit in candidates:
        if unit.start < first or unit.end > last:
            continue  # the unit runs past this window: another window holds it whole
        inside = context & (bounds[:, 0] >= unit.start) & (bounds[:, 1] <= unit.end)
        if inside.any():
            out.append(Evidence(window.passage, unit, _logsumexp(start[inside]) + _logsumexp(end[inside]) - null))
    return out


# ---- the question's words ---------------------------------------------------------------------------
# Words that say what form a question has, not what it is about.
_FORM_WORDS = frozenset("""
    mean means meant meaning define defined definition happen happens happened count counts counted
    reason reasons way ways considered regarded treated qualify qualifies allowed permitted able possible
    need needs required require requires ok okay exactly also just really actually
    any some all every each other own only out from up about
""".split())


@lru_cache(maxsize=65536)
def _word_stem(word: str) -> str:
    # British and American spellings meet: "licence" and "license", "defence" and "defense".
    return re.sub(r"nc$", "ns", stem(word))


def content_stems(text: str) -> frozenset[str]:
    """The stems of the words of `text` that carry its topic: no question frame words ("what", "does"),
    no words of a question's form ("mean", "happens"), no single letters."""
    return frozenset(_word_stem(w) for w in (m.lower() for m in _WORD.findall(text))
                     if len(w) > 1 and w not in QUESTION_WORDS and w not in _FORM_WORDS)


def match(question: frozenset[str], text: str, context: str = "") -> float:
    """The share of the question's content stems that `text` (or its `context`: the passage's section
    heading and document name) states, in [0, 1]; 0 for a question without any."""
    if not question:
        return 0.0
    return len(question & (content_stems(text) | content_stems(context))) / len(question)


# ---- the choice -------------------------------------------------------------------------------------
def sentence_confidence(score: float, bar: float, threshold: float) -> float:
    """The confidence of a unit of `score`: span_confidence of its margin over `bar`, put on the scale of
    the reader's `threshold` (decode.on_scale), so that the score `bar` lands on it; the margin's own
    span_confidence where that threshold is 0 or 1."""
    if not 0.0 < threshold < 1.0:
        return span_confidence(score, bar)
    return on_scale(score - bar, 0.5, threshold)


def best_units(evidence: Sequence[Evidence]) -> dict[tuple[int, Unit], float]:
    """Each (passage, unit)'s highest mass over the windows that read it whole."""
    best: dict[tuple[int, Unit], float] = {}
    for item in evidence:
        key = (item.passage, item.unit)
        if key not in best or item.mass > best[key]:
            best[key] = item.mass
    return best


def choose_sentence(evidence: Sequence[Evidence], texts: Sequence[str], contexts: Sequence[str],
                    topic: frozenset[str], stated: Sequence[bool] | None = None,
                    required: Callable[[str], bool] | None = None, says: Callable[[str], bool] | None = None,
                    match_weight: float = MATCH_WEIGHT, bonus: float = FORM_BONUS,
                    bar: float = SENTENCE_BAR, threshold: float = 0.5, narrow: bool = False,
                    rank_cost: float = RANK_COST) -> SentenceChoice | None:
    """The unit of highest score: its mass, plus match_weight times the share of the question's content
    stems `topic` it states (`match`, with `contexts[passage]`: its section heading and document name),
    plus `bonus` where `says` finds the form's answer stated in its words (a verdict, a definition).
    Its confidence is `sentence_confidence(score, bar, threshold)`: at the reader's `threshold` exactly
    where the score reaches `bar`. Only units that `required` accepts (the definition
    of the term asked about) are candidates where any is, then only those of passages that state the
    question's names (`stated[passage]`) where any does: a sentence about another Alfonso answers
    another question. Units are compared on their score less `rank_cost` times their passage's rank
    (passages come in retrieval's order); the confidence is the score's. With `narrow`, a unit that
    holds others (an enumeration with its introducing line) gives way to the best of them that holds
    half its evidence (NARROW_MARGIN). None without evidence. Ties go to the earlier passage, then the
    earlier unit."""
    found = sorted(best_units(evidence).items(), key=lambda item: (item[0][0], item[0][1].start))
    if required is not None and any(required(texts[p][u.start:u.end]) for (p, u), _ in found):
        found = [((p, u), mass) for (p, u), mass in found if required(texts[p][u.start:u.end])]
    if stated is not None and any(stated[p] for (p, _), _ in found):
        found = [((p, u), mass) for (p, u), mass in found if stated[p]]

    def scored(passage: int, unit: Unit, mass: float) -> tuple[float, SentenceChoice]:
        text = texts[passage][unit.start:unit.end]
        share = match(topic, text, contexts[passage])
        score = mass + match_weight * share + (bonus if says is not None and says(text) else 0.0)
        return score, SentenceChoice(passage, unit, mass, share, sentence_confidence(score, bar, threshold))

    best: tuple[float, SentenceChoice] | None = None
    for (passage, unit), mass in found:
        score, choice = scored(passage, unit, mass)
        if best is None or score - rank_cost * passage > best[0]:
            best = (score - rank_cost * passage, choice)
    if best is None:
        return None
    chosen = best[1]
    if narrow:
        inside = [scored(p, u, mass) for (p, u), mass in found
                  if p == chosen.passage and u != chosen.unit and chosen.unit.start <= u.start and u.end <= chosen.unit.end
                  and mass >= chosen.mass - NARROW_MARGIN]
        if inside:
            chosen = max(inside, key=lambda item: item[0])[1]
    return chosen
