"""Answerable examples -> generated unanswerable ones (SQuAD v1.1 and Natural Questions have none): the
near misses a reader must learn to decline, in six kinds (`NEGATIVE_KINDS`), each a pure function of
an example (and a seeded random generator) that returns None when it cannot make its kind."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence

from docqa.train.data import Example

_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][^\W\d_]+"
_SWAPPABLE = re.compile(rf"\b(?:\d[\d,.]*\d|\d|{_CAPITALISED}(?:\s+{_CAPITALISED})*)\b")


def swap_candidates(text: str) -> tuple[str, ...]:
    """Numbers and names (runs of capitalised words) in `text`, in order, without repeats. A word that
    `text` also holds in lower case ("The", "In" opening a sentence) is no name."""
    lower = set(re.findall(r"\b[a-zà-ÿ]+\b", text))
    seen: dict[str, None] = {}
    for match in _SWAPPABLE.finditer(text):
        name = match.group()
        if " " in name or name.lower() not in lower:
            seen.setdefault(name, None)
    return tuple(seen)


@functools.lru_cache(maxsize=1024)  # an article's names are asked for once per question made from it
def _article_candidates(article_text: str) -> tuple[str, ...]:
    return swap_candidates(article_text)


def _same_kind(a: str, b: str) -> bool:
    return a[0].isdigit() == b[0].isdigit()


def swapped_question(example: Example, article_text: str, rng: random.Random) -> Example | None:
    """The question with one of its names or numbers that the context contains replaced by another of
    the same kind from the article that the context never mentions: the context no longer answers it.
    None when the question has nothing to swap."""
    context = example.context
    # A question's first word is capitalised whatever it is.
    first_word = re.match(r"\s*\S+", example.question)
    skip = first_word.end() if first_word else 0
    inside = [c for c in swap_candidates(example.question[skip:]) if c in context and len(c) > 1]
    others = [c for c in _article_candidates(article_text) if c not in context and c not in example.question]
    rng.shuffle(inside)
    for old in inside:
        pool = [c for c in others if _same_kind(c, old) and c.count(" ") == old.count(" ")]
        if pool:
            new = rng.choice(pool)
            question = example.question[:skip] + example.question[skip:].replace(old, new, 1)
            return Example(example.id + ":swap", question, context, None, None, example.group, "swap")
    return None


_CONTRACTED = {
    "did": "didn't", "does": "doesn't", "do": "don't", "is": "isn't", "was": "wasn't", "are": "aren't",
    "were": "weren't", "has": "hasn't", "have": "haven't", "had": "hadn't", "can": "can't",
    "could": "couldn't", "will": "won't", "would": "wouldn't", "should": "shouldn't",
}
_AUXILIARY = re.compile(r"\b(" + "|".join(_CONTRACTED) + r")\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|never|no|nor|neither|none|without)\b|n't\b", re.IGNORECASE)


def _replaced(text: str, found: re.Match, new: str) -> str:
    """`text` with the word `found` replaced by `new`, capitalised where the old word was."""
    if found.group()[0].isupper():
        new = new[0].upper() + new[1:]
    return text[: found.start()] + new + text[found.end():]


def negated_question(example: Example) -> Example | None:
    """The question with its first auxiliary verb negated ("When did he win?" -> "When didn't he win?"),
    asked of a context without any negation: the context states what happened, never what did not, so
    it no longer answers. None when the question has no auxiliary, is negated already, or the context
    holds a negation (it might answer the negated question)."""
    if _NEGATION.search(example.question) or _NEGATION.search(example.context):
        return None
    found = _AUXILIARY.search(example.question)
    if found is None:
        return None
    question = _replaced(example.question, found, _CONTRACTED[found.group().lower()])
    return Example(example.id + ":negated", question, example.context, None, None, example.group, "negated")


# Word pairs that turn a question into one its paragraph does not answer ("When did the war begin?"
# asked of a paragraph that says when it began, turned into "When did the war end?"): the antonym,
# a fifth of SQuAD 2.0's unanswerable questions, as many as swapped names (Rajpurkar et al., 2018).
# No pair of one event seen from its two sides (won/lost, bought/sold, imported/exported): "Who
# bought it?" is answered by "sold to George III". No word of several senses ("left", "lower").
_OPPOSITE_PAIRS = (
    ("first", "last"), ("largest", "smallest"), ("biggest", "smallest"), ("highest", "lowest"),
    ("most", "least"), ("earliest", "latest"), ("oldest", "newest"), ("longest", "shortest"),
    ("before", "after"), ("began", "ended"), ("begin", "end"), ("begins", "ends"), ("start", "end"),
    ("started", "finished"), ("opened", "closed"),
    ("increase", "decrease"), ("increased", "decreased"), ("rise", "fall"), ("rose", "fell"),
    ("maximum", "minimum"), ("above", "below"), ("more", "less"), ("best", "worst"),
    ("strongest", "weakest"), ("accepted", "rejected"), ("supported", "opposed"), ("support", "oppose"),
    ("legal", "illegal"), ("private", "public"), ("ancient", "modern"),
    ("male", "female"), ("men", "women"), ("northern", "southern"), ("eastern", "western"),
    ("summer", "winter"), ("created", "destroyed"), ("arrived", "departed"), ("entered", "exited"),
)
# Both ways; of two pairs with one word, the first wins ("smallest" -> "largest", "end" -> "begin").
_OPPOSITE = {b: a for a, b in reversed(_OPPOSITE_PAIRS)} | {a: b for a, b in _OPPOSITE_PAIRS}
# Not in an idiom ("at least two"), a contraction ("won't") or a verb "last" ("how long did it last?").
_OPPOSABLE = re.compile(r"(?<!\bat )\b(" + "|".join(sorted(_OPPOSITE, key=len, reverse=True)) + r")\b(?!['’]t)",
                        re.IGNORECASE)
_VERB_LAST = re.compile(r"\b(?:do|does|did|to|will|would|can|could|may|might|should)\s+last\b", re.IGNORECASE)
# "When did it open?" -> "When will it open?": a paragraph that tells the past, and nothing of plans
# or expectations, does not answer the question about the future.
_PAST_AUXILIARY = re.compile(r"\b(did)\b", re.IGNORECASE)
_FUTURE_WORDS = re.compile(r"\b(will|shall|won't|going to|plans?|planned|expects?|expected|future|"
                           r"scheduled|due|intends?|intended)\b|'ll\b", re.IGNORECASE)


# Forms of one word (and of its synonyms), so that a context saying "began" counts as answering "When
# did it start?", and one saying "largest" as answering "the biggest".
_FORMS = (
    ("first", "earliest"), ("last", "final", "latest"), ("largest", "biggest"),
    ("begin", "begins", "began", "begun", "beginning", "start", "starts", "started", "starting"),
    ("end", "ends", "ended", "ending", "finish", "finishes", "finished", "finishing"),
    ("open", "opens", "opened", "opening"), ("close", "closes", "closed", "closing"),
    ("rise", "rises", "rose", "risen", "rising"), ("fall", "falls", "fell", "fallen", "falling"),
    ("increase", "increases", "increased", "increasing"), ("decrease", "decreases", "decreased", "decreasing"),
    ("support", "supports", "supported", "supporting"), ("oppose", "opposes", "opposed", "opposing"),
    ("accept", "accepts", "accepted", "accepting"), ("reject", "rejects", "rejected", "rejecting"),
    ("create", "creates", "created", "creating"), ("destroy", "destroys", "destroyed", "destroying"),
    ("arrive", "arrives", "arrived", "arriving"), ("depart", "departs", "departed", "departing"),
    ("enter", "enters", "entered", "entering"), ("exit", "exits", "exited", "exiting"),
    ("man", "men"), ("woman", "women"),
)
_FAMILY = {form: forms for forms in _FORMS for form in forms}


def _mentions(text: str, word: str) -> bool:
    """Whether `text` holds `word` in any of its forms (`_FORMS`, else a plain -s or -es), case-insensitively."""
    forms = _FAMILY.get(word, (word, word + "s", word + "es"))
    return re.search(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b", text, re.IGNORECASE) is not None


def opposite_question(example: Example, rng: random.Random) -> Example | None:
    """The question with one word turned into its opposite: an antonym ("first" -> "last", "began" ->
    "ended") that neither the context nor the question uses in any form, or else (a change of tense,
    not an antonym) a past "did" into "will" when the context speaks of no plan or future. The context
    states the original, not the opposite, so it no longer answers. None when the question has no such
    word, or the context might answer the changed question."""
    options = []
    for found in _OPPOSABLE.finditer(example.question):
        new = _OPPOSITE[found.group().lower()]
        verb_last = found.group().lower() == "last" and _VERB_LAST.search(example.question)
        # "more or less" turned either way still asks the same question
        if not verb_last and not _mentions(example.context, new) and not _mentions(example.question, new):
            options.append((found, new))
    if not options and not _FUTURE_WORDS.search(example.context):
        options = [(found, "will") for found in _PAST_AUXILIARY.finditer(example.question)]
    if not options:
        return None
    found, new = rng.choice(options)
    question = _replaced(example.question, found, new)
    article = re.search(r"\ban?(?= $)", question[: found.start()], re.IGNORECASE)
    if article:  # "an increase" -> "a decrease"
        question = _replaced(question, article, "an" if new[0].lower() in "aeiou" else "a")
    return Example(example.id + ":opposite", question, example.context, None, None, example.group, "opposite")


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def cut_answer(example: Example, shortest: int = 100) -> Example | None:
    """The question with its context less the sentences that hold the answer: the paragraph still
    speaks of the question's subject (the near miss a reader must decline), but no longer states the
    answer. None when too little text is left (under `shortest` characters) or the answer appears in
    what is left."""
    a = example.answer_start
    b = a + len(example.answer_text)
    kept, first = [], 0
    for match in [*_SENTENCE_BREAK.finditer(example.context), None]:
        end = match.start() if match else len(example.context)
        if end <= a or first >= b:
            kept.append(example.context[first:end])
        first = match.end() if match else first
    context = " ".join(kept)
    if len(context) < shortest or example.answer_text.lower() in context.lower():
        return None
    return Example(example.id + ":cut", example.question, context, None, None, example.group, "cut")


def paragraphs_by_article(examples: Sequence[Example]) -> dict[str, list[str]]:
    """Each article's (group's) paragraphs, in order: the contexts of its examples, a context that
    several consecutive questions share counted once."""
    by_group: dict[str, list[str]] = {}
    for example in examples:
        contexts = by_group.setdefault(example.group, [])
        if not contexts or contexts[-1] != example.context:
            contexts.append(example.context)
    return by_group


class ParagraphSearch:
    """BM25 over every article's paragraphs, to find the paragraph of *another* article that a
    question's words point at most: what a retriever hands the reader in a corpus of many documents."""

    def __init__(self, by_group: dict[str, list[str]]):
        # bm25s and PyStemmer load only when negatives are made
        from docqa.index.lexical import LexicalIndex

        self.paragraphs = [(group, text) for group, texts in by_group.items() for text in texts]
        self.lowered = [text.lower() for _, text in self.paragraphs]
        self.lexical = LexicalIndex.build([text for _, text in self.paragraphs])

    def elsewhere(self, example: Example, k: int = 20) -> str | None:
        """The best-ranked paragraph (BM25, the question's words) outside the example's article that
        does not hold its answer (case-insensitively); None when none of the first `k` qualifies."""
        found = self.ranked(example, k, other_articles=True)
        return found[0] if found else None

    def ranked(self, example: Example, k: int = 20, other_articles: bool = False) -> list[str]:
        """The paragraphs among BM25's first `k` for the question's words, best first, less its own
        paragraph and any that holds its answer (case-insensitively); only other articles' when asked."""
        answer = (example.answer_text or "").lower()
        kept = []
        for position, _ in self.lexical.search(example.question, k):
            group, text = self.paragraphs[position]
            if text == example.context or (answer and answer in self.lowered[position]):
                continue
            if not (other_articles and group == example.group):
                kept.append(text)
        return kept


def retrieved_question(example: Example, search: ParagraphSearch) -> Example | None:
    """The question with the paragraph of another article that shares most of its words (BM25) and
    does not hold its answer: the near miss of a corpus of many documents, where a passage about
    something else ("The match was won by Matt Hardy") matches "who won the first contested race for
    president". None when no such paragraph is found."""
    context = search.elsewhere(example)
    if context is None:
        return None
    return Example(example.id + ":retrieved", example.question, context, None, None, example.group, "retrieved")


NEGATIVE_KINDS = ("swap", "cut", "negated", "opposite", "retrieved", "other")


def negatives(examples: Sequence[Example], fraction: float, seed: int) -> list[Example]:
    """About `fraction` x len(examples) unanswerable examples, a sixth of each kind where possible
    (`NEGATIVE_KINDS`): the question with a name or number swapped (`swapped_question`), the question
    with its paragraph less the answer's sentences (`cut_answer`), the question negated
    (`negated_question`), the question with a word turned into its opposite (`opposite_question`), the
    question with the paragraph of another article its words match best (`retrieved_question`), and
    the question with another paragraph of its article that does not hold its answer (also the
    fallback of the first five). Deterministic for a seed."""
    rng = random.Random(seed)
    by_group = paragraphs_by_article(examples)
    article_text = {group: "\n".join(contexts) for group, contexts in by_group.items()}
    answerable = [e for e in examples if e.answerable]
    chosen = rng.sample(answerable, min(len(answerable), round(fraction * len(examples))))
    search = ParagraphSearch(by_group) if len(by_group) > 1 else None  # no other article: no retrieved kind
    made = []
    for k, example in enumerate(chosen):
        near_miss = None
        kind = NEGATIVE_KINDS[k % len(NEGATIVE_KINDS)]
        if kind == "swap":
            near_miss = swapped_question(example, article_text[example.group], rng)
        elif kind == "cut":
            near_miss = cut_answer(example)
        elif kind == "negated":
            near_miss = negated_question(example)
        elif kind == "opposite":
            near_miss = opposite_question(example, rng)
        elif kind == "retrieved" and search is not None:
            near_miss = retrieved_question(example, search)
        if near_miss is not None:
            made.append(near_miss)
            continue
        others = [c for c in by_group[example.group] if c != example.context and example.answer_text not in c]
        if others:
            made.append(
                Example(example.id + ":other", example.question, rng.choice(others), None, None, example.group, "other")
            )
    return made
