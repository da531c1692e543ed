"""Question + passages -> windows of tokens -> start/end logits -> the best answer span (no torch here).

Windowing follows BERT's run_squad.py: [CLS] question [SEP] stretch-of-passage [SEP], consecutive
stretches sharing `stride` tokens (Devlin et al. 2019). Decoding is a set of pure functions over
literal arrays (`best_span`, `null_score`, `choose`, `span_confidence`) with the SQuAD 2.0 null score.
Every reader model (ONNX at question time, torch while training) is decoded by these.

Offsets: a window's `offsets` are character offsets into its passage's text for the tokens whose
`sequence_ids` entry is 1, so a span's [char_start, char_end) indexes that text.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from docqa.read.question import MONTH_FORMS

# Window and answer sizes of the reference SQuAD setup (Devlin et al. 2019, BERT `run_squad.py`:
# max_seq_length 384, doc_stride 128, max_query_length 64, max_answer_length 30).
MAX_LENGTH = 384
STRIDE = 128
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30
# How many of a window's best spans `best_span` tries against a question's expected form (the n-best
# size of the SQuAD scripts).
FITTING_CANDIDATES = 20
# Tokenizers that declare no limit report a huge sentinel (transformers' VERY_LARGE_INTEGER).
_NO_LIMIT = 1_000_000


@dataclass(frozen=True)
class Span:
    """An answer span inside one window: tokens `start_token..end_token` (inclusive) and characters
    [char_start, char_end) of the context text, whitespace stripped at both edges.
    `score` is start_logit[start_token] + end_logit[end_token]."""

    start_token: int
    end_token: int
    char_start: int
    char_end: int
    score: float


@dataclass(frozen=True)
class WindowResult:
    """The decoding of one window: its best span (None when it has none) and its null score."""

    passage: int
    span: Span | None
    null: float
    prior: float = 0.0  # added to the span's margin when windows are compared, not to its confidence


@dataclass(frozen=True)
class Choice:
    """The best span over all windows, the null score of its window, and the confidence."""

    passage: int
    span: Span
    null: float
    confidence: float


@dataclass(frozen=True)
class Window:
    """One model input: a stretch of passage `passage` after the question. `offsets` are character
    offsets into that passage's text for the tokens whose `sequence_ids` entry is 1."""

    passage: int
    ids: tuple[int, ...]
    type_ids: tuple[int, ...]
    sequence_ids: tuple[int | None, ...]
    offsets: tuple[tuple[int, int], ...]
    cls_index: int


def clip_question(tokenizer, question: str, max_tokens: int = MAX_QUESTION_TOKENS) -> str:
    """The question cut after `max_tokens` tokens of a `tokenizers.Tokenizer` that does not truncate."""
    offsets = tokenizer.encode(question, add_special_tokens=False).offsets
    if len(offsets) <= max_tokens:
        return question
    return question[: offsets[max_tokens - 1][1]]


def windows(pair_tokenizer, question: str, texts: Sequence[str], cls_id: int) -> list[Window]:
    """Strided windows over each (question, text) pair from a `tokenizers.Tokenizer` whose truncation
    is set to ("only_second", max_length, stride); the question should be clipped first."""
    out = []
    encodings = pair_tokenizer.encode_batch([(question, text) for text in texts])
    for passage, encoding in enumerate(encodings):
        for row in (encoding, *encoding.overflowing):
            ids = tuple(row.ids)
            out.append(
                Window(
                    passage=passage,
                    ids=ids,
                    type_ids=tuple(row.type_ids),
                    sequence_ids=tuple(row.sequence_ids),
                    offsets=tuple(tuple(o) for o in row.offsets),
                    cls_index=ids.index(cls_id) if cls_id in ids else 0,
                )
            )
    return out


def padded(id_rows: Sequence[Sequence[int]], type_rows: Sequence[Sequence[int]], pad_id: int) -> dict[str, np.ndarray]:
    """int64 input_ids, token_type_ids and attention_mask of shape (rows, longest), right-padded."""
    longest = max(len(row) for row in id_rows)
    ids = np.full((len(id_rows), longest), pad_id, dtype=np.int64)
    types = np.zeros((len(id_rows), longest), dtype=np.int64)
    mask = np.zeros((len(id_rows), longest), dtype=np.int64)
    for k, (row, type_row) in enumerate(zip(id_rows, type_rows)):
        ids[k, : len(row)] = row
        types[k, : len(row)] = type_row
        mask[k, : len(row)] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def model_inputs(rows: Sequence[Window], pad_id: int) -> dict[str, np.ndarray]:
    """The padded model inputs of these windows, one row each (see `padded`)."""
    return padded([w.ids for w in rows], [w.type_ids for w in rows], pad_id)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) narrowed so that text[start:end] neither begins nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def balance(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened by one character on a side where it closes a bracket the span leaves open:
    "fifty percent (50%" -> "fifty percent (50%)", "IOM)" -> "(IOM)"."""
    for opening, closing in ("()", "[]"):
        inside = text[start:end]
        if inside.count(opening) > inside.count(closing) and end < len(text) and text[end] == closing:
            end += 1
        elif inside.count(closing) > inside.count(opening) and start > 0 and text[start - 1] == opening:
            start -= 1
    return start, end


# A citation closing a span: author and year in brackets ("(Sánchez-Espigares and Ocaña 2009)",
# "(Bates et al. 2015a)") or reference numbers in square brackets ("[5]", "[5, 7]", "[5–7]").
_CITATION = re.compile(r"\s*(?:\((?=[^()]*\b[A-Z][\w'’-]+)[^()]*\b(?:1[5-9]|20)\d\d[a-z]?\)"
                       r"|\[\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\])$")


_DOTTED_TAIL = re.compile(r"(?:[._]\w+)+")
_DOTTED_HEAD = re.compile(r"(?:\w+[._])+$")


def dotted(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened over a name or number whose parts a dot or an underscore joins, where the span
    cuts it there: "influence" of "influence.ME", "total" of "strm.total_in", "1" of "1.1.3"."""
    if end < len(text) and text[end] in "._" and end > start and text[end - 1].isalnum():
        tail = _DOTTED_TAIL.match(text, end)
        if tail is not None:
            end = tail.end()
    if start > 0 and text[start - 1] in "._" and start < end and text[start].isalnum():
        head = _DOTTED_HEAD.search(text, max(0, start - 200), start)  # a name, not a whole line
        if head is not None:
            start = head.start()
    return start, end


# What may stand before the hyphens that begin a word: its start, a space, an opening bracket or quote.
_BEFORE_DASHES = " \t\n([{\"'“‘`"


def dashed(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened over the one or two hyphens that begin its first word, where the span leaves
    them out: a command's option ("include-whitespace" of "--include-whitespace", "S" of "-S") or a
    negative number ("40" of "-40"). A hyphen after a letter ("known" of "well-known") or a dash set
    apart ("a - b") is not taken."""
    if start == end or not text[start].isalnum():
        return start, end
    at = start
    while at > 0 and start - at < 2 and text[at - 1] == "-":
        at -= 1
    if at < start and (at == 0 or text[at - 1] in _BEFORE_DASHES):
        return at, end
    return start, end


def uncited(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) less a citation at its end (see _CITATION), when words come before it:
    "merBoot (Sánchez-Espigares and Ocaña 2009)" -> "merBoot", "BERT [5]" -> "BERT". Papers cite after
    the names they give; answers do not take the citation (7 of SQuAD's 87,599 training answers end
    with a bracketed name and year, none of them a citation; none ends with a bracketed number)."""
    found = _CITATION.search(text, start, end)
    if found is None or found.start() == start or not text[start:found.start()].strip(" ,;"):
        return start, end
    return start, len(text[start:found.start()].rstrip(" ,;")) + start


def answer_tokens(sequence_ids: Sequence[int | None], offsets: Sequence[tuple[int, int]], text: str) -> np.ndarray:
    """Boolean mask of the tokens that may begin or end an answer: context tokens (sequence id 1)
    that cover at least one non-whitespace character of `text`."""
    return np.array(
        [sid == 1 and end > start and not text[start:end].isspace() for sid, (start, end) in zip(sequence_ids, offsets)],
        dtype=bool,
    )


# A whitespace-delimited run that is a web address or an e-mail address: an answer takes it whole.
_ADDRESS = re.compile(r"(?:[a-z][a-z+.-]*://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# Characters that end a sentence or close a bracket after an address, not part of it.
_ADDRESS_TAIL = ".,;:!?)]}>\"'”’"


def _may_hold_address(text: str) -> bool:
    return "@" in text or "://" in text or "www." in text.lower()


def address_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of each web or e-mail address in `text`, trailing punctuation left out."""
    if not _may_hold_address(text):
        return []
    runs = []
    for match in re.finditer(r"\S+", text):
        token = match.group()
        if not _may_hold_address(token):
            continue
        found = _ADDRESS.search(token)
        if found is None:
            continue
        start, end = match.start() + found.start(), match.start() + found.end()
        while end > start and text[end - 1] in _ADDRESS_TAIL:
            end -= 1
        runs.append((start, end))
    return runs


# A command's option with its value ("--leak-check=yes", "-Dfoo=bar"): one thing, as an address is.
_OPTION = re.compile(r"(?<!\S)[\"'`‘“(]?(--?[A-Za-z][\w.-]*=\S+)")


def option_runs(text: str) -> list[tuple[int, int]]:
    """[start, end) of each option given a value in `text` ("--leak-check=yes"), trailing punctuation
    left out: an answer takes it whole or not at all, never "--leak-check" of it."""
    runs = []
    for match in _OPTION.finditer(text) if "=" in text else ():
        start, end = match.span(1)
        while end > start and text[end - 1] in _ADDRESS_TAIL:
            end -= 1
        runs.append((start, end))
    return runs


_SPACELESS = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


# A sentence's end inside a passage: a word of two letters or digits, a full stop, a closing quote or
# bracket maybe, then a space and a capital. Not after an abbreviation ("Mrs. Brown", "St. Louis",
# "Bates et al. Their"), nor after initials ("U.S. Army", "J. Smith": one letter before the stop).
# A month's short form ends no sentence ("Dec. 5"); a weekday's may ("He sat.").
_ABBREVIATIONS = frozenset("""
    mr mrs ms dr st jr sr mt ft capt adm gen col lt maj sgt cmdr prof rev gov sen rep pres hon
    no nos vs etc inc ltd co corp bros al fig figs eq eqs vol vols ed eds pp ch sec approx ca cf
""".split()).union(MONTH_FORMS)
_SENTENCE_END = re.compile(r"(\w+)[\"'”’)\]]*\.[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z])")


def sentence_ends(text: str) -> list[int]:
    """Positions just past each sentence's closing full stop (and its closing quote or bracket) in
    `text`, as `span_edges` keeps answers within one sentence."""
    return [m.end() for m in _SENTENCE_END.finditer(text)
            if len(m.group(1)) > 1 and m.group(1).lower() not in _ABBREVIATIONS]


@functools.lru_cache(maxsize=64)
def _marks(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What `span_edges` needs of a passage, once for all its windows: word[k + 1] says whether
    character k is a letter or digit (word[0] and word[-1] stand for the edges), the addresses'
    [start, end) rows and the options' given a value ("--leak-check=yes"), and where the newlines and
    the sentences' ends are."""
    word = np.zeros(len(text) + 2, dtype=bool)
    # A combining accent belongs to the letter before it ("e" + U+0301 in text that is not NFC); Chinese,
    # Japanese and Korean characters join no words (their text has no spaces to find words by).
    word[1:-1] = np.fromiter(((char.isalnum() and not _SPACELESS.match(char)) or unicodedata.combining(char) > 0
                              for char in text), dtype=bool, count=len(text))
    runs = np.array(address_runs(text) + option_runs(text), dtype=np.int64).reshape(-1, 2)
    breaks = np.array(sorted([m.start() for m in re.finditer("\n", text)] + sentence_ends(text)), dtype=np.int64)
    return word, runs, breaks


def span_edges(offsets: Sequence[tuple[int, int]], text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which tokens may begin an answer, which may end one, and the line (or sentence) each token is on.

    An answer never cuts a word in two (a letter or digit on both sides of its edge: WordPiece can
    split "1875" into "1" and "##875"; 0.45% of SQuAD's gold answers do so, crowd slips such as
    "[large]st"), never cuts a web or e-mail address or an option with its value ("--leak-check=yes"),
    and never runs across a line break: cleaned
    text (docqa.clean) keeps a newline only between paragraphs, headings and list items, where an
    answer ending "...downsized\n\n2006 Serbia joins" has crossed into a heading (no SQuAD answer does),
    and never across the end of a sentence (`sentence_ends`): "Madison Square Garden in New York City.
    Since 2006, they have been held at Nashville's Bridgestone Arena" (81 of SQuAD's 87,599 training
    answers hold a full stop, a space and a capital; most of those are abbreviations, "Mrs. Brown")."""
    # Question tokens' offsets index the question, not `text`: clipped, they can never be chosen anyway.
    bounds = np.clip(np.array(offsets, dtype=np.int64).reshape(-1, 2), 0, len(text))
    starts, ends = bounds[:, 0], bounds[:, 1]
    word, runs, breaks = _marks(text)

    def cuts(at: np.ndarray) -> np.ndarray:  # a letter or digit on both sides of position `at`
        return word[at] & word[at + 1]

    def in_address(at: np.ndarray) -> np.ndarray:  # strictly inside an address
        return ((runs[None, :, 0] < at[:, None]) & (at[:, None] < runs[None, :, 1])).any(axis=1)

    line = np.searchsorted(breaks, starts, side="right")
    return ~cuts(starts) & ~in_address(starts), ~cuts(ends) & ~in_address(ends), line


def best_span(
    start_logits: Sequence[float],
    end_logits: Sequence[float],
    sequence_ids: Sequence[int | None],
    offsets: Sequence[tuple[int, int]],
    text: str,
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
    fits: Callable[[str], bool] | None = None,
    within: Sequence[tuple[int, int]] | None = None,
) -> Span | None:
    """The span maximising start_logit[i] + end_logit[j] with i <= j, j - i + 1 <= max_answer_tokens,
    both tokens inside the context (see `answer_tokens`), whole words and addresses on one line (see
    `span_edges`); None when the window has no such span.

    A chosen span is then trimmed of spaces, closes a bracket it leaves open (`balance`), takes the
    whole of a dotted name it cuts (`dotted`) and the hyphens that begin it (`dashed`), and drops a
    citation closing it (`uncited`).

    Every pair is scored (exact, unlike the top-20 start/end shortlist of the SQuAD scripts; a window
    of 384 tokens is 147k pairs, about a millisecond). Ties go to the earliest start, then the
    earliest end. Character offsets index `text`, the context the offsets were computed on.

    `fits`, when given, says which answer texts the question can take (a number for "how many"): the
    best span among the FITTING_CANDIDATES highest-scoring ones whose text fits, None when none does.
    `within`, when given, the character ranges of `text` an answer must lie in, one of them whole (a table
    row's cells, not the names the reader reads them by: read/table_view.py).
    """
    start = np.asarray(start_logits, dtype=np.float64)
    end = np.asarray(end_logits, dtype=np.float64)
    n = len(sequence_ids)
    if not (start.shape == end.shape == (n,) and len(offsets) == n):
        raise ValueError(
            f"logits, sequence ids and offsets must have one entry per token: got {start.shape}, "
            f"{end.shape}, {n} and {len(offsets)}"
        )
    if max_answer_tokens < 1:
        raise ValueError(f"max_answer_tokens must be at least 1, got {max_answer_tokens}")
    usable = answer_tokens(sequence_ids, offsets, text)
    can_start, can_end, line = span_edges(offsets, text)
    if within is not None:  # a token's range, -1 outside all; an answer starts and ends in one range
        bounds = np.array(offsets, dtype=np.int64).reshape(-1, 2)
        ranges = np.array(within, dtype=np.int64).reshape(-1, 2)
        inside = (ranges[None, :, 0] <= bounds[:, None, 0]) & (bounds[:, None, 1] <= ranges[None, :, 1])
        usable &= inside.any(axis=1)
        line = np.where(inside.any(axis=1), inside.argmax(axis=1), -1) * (int(line.max(initial=0)) + 1) + line
    if not usable.any():
        return None
    first, last = np.indices((n, n))
    allowed = ((usable & can_start)[:, None] & (usable & can_end)[None, :] & (line[:, None] == line[None, :])
               & (last >= first) & (last - first < max_answer_tokens))
    if not allowed.any():
        return None
    scores = np.where(allowed, start[:, None] + end[None, :], -np.inf).ravel()
    if fits is None:
        ranked = [int(np.argmax(scores))]
    else:
        count = min(FITTING_CANDIDATES, int(allowed.sum()))
        shortlist = np.argpartition(-scores, count - 1)[:count]
        ranked = sorted(shortlist.tolist(), key=lambda flat: (-scores[flat], flat))  # ties: earliest start, end
    for flat in ranked:
        i, j = divmod(flat, n)
        char_start, char_end = offsets[i][0], offsets[j][1]
        for step in (trim, balance, dotted, dashed, uncited):
            char_start, char_end = step(text, char_start, char_end)
        if fits is None or fits(text[char_start:char_end]):
            return Span(i, j, char_start, char_end, float(scores[flat]))
    return None


def null_score(start_logits: Sequence[float], end_logits: Sequence[float], cls_index: int = 0) -> float:
    """SQuAD 2.0 "no answer" score of a window: start_logit[CLS] + end_logit[CLS] (Devlin et al. 2019, §4.3)."""
    return float(start_logits[cls_index]) + float(end_logits[cls_index])


def span_confidence(span_score: float, null: float) -> float:
    """P(span) in a softmax over the two logits (null, span): 1 / (1 + exp(null - span_score)).

    0.5 is BERT's SQuAD 2.0 rule "answer when s_span > s_null" (Devlin et al. 2019, §4.3); a threshold t
    on this confidence is that rule with margin tau = ln(t / (1 - t)). Written with tanh, it cannot overflow.
    """
    return 0.5 * (1.0 + math.tanh((span_score - null) / 2.0))


def on_scale(margin: float, bar: float, threshold: float) -> float:
    """The confidence of a span whose score beats its null by `margin`, moved so that the margin where
    `span_confidence` equals `bar` lands on `threshold`: span_confidence(margin + logit(threshold) -
    logit(bar)). Both must lie strictly between 0 and 1. A bar fitted for one reading of a question is so
    put on the scale of the reader's threshold, and one threshold still decides."""
    if not (0.0 < bar < 1.0 and 0.0 < threshold < 1.0):
        raise ValueError(f"on_scale needs a bar and a threshold strictly between 0 and 1; got {bar} and {threshold}")
    return span_confidence(margin + math.log(threshold / (1.0 - threshold)) - math.log(bar / (1.0 - bar)), 0.0)


def window_result(window: Window, start_logits: np.ndarray, end_logits: np.ndarray, text: str,
                  max_answer_tokens: int = MAX_ANSWER_TOKENS, fits: Callable[[str], bool] | None = None) -> WindowResult:
    """The decoding of one window from its row of (possibly right-padded) logits; `fits` as in `best_span`."""
    n = len(window.ids)
    start, end = start_logits[:n], end_logits[:n]
    return WindowResult(
        window.passage,
        best_span(start, end, window.sequence_ids, window.offsets, text, max_answer_tokens, fits),
        null_score(start, end, window.cls_index),
    )


def cell_result(window: Window, start_logits: np.ndarray, end_logits: np.ndarray, text: str,
                cells: Sequence[tuple[int, int]], priors: Sequence[float],
                max_answer_tokens: int = MAX_ANSWER_TOKENS, fits: Callable[[str], bool] | None = None) -> WindowResult:
    """The decoding of a table row's window (read/table_view.py): of the best span of each cell, the one
    whose score plus its cell's prior is highest, that prior kept for `choose`. (The best span of all
    cells stands for every cell without a prior: only those with one are decoded alone.)"""
    n = len(window.ids)
    start, end = start_logits[:n], end_logits[:n]

    def best_in(ranges: Sequence[tuple[int, int]]) -> Span | None:
        return best_span(start, end, window.sequence_ids, window.offsets, text, max_answer_tokens, fits, ranges)

    def prior_of(span: Span) -> float:
        return next((prior for (a, b), prior in zip(cells, priors) if a <= span.char_start and span.char_end <= b), 0.0)

    found = [(span, prior_of(span)) for span in [best_in(cells), *(best_in([cell]) for cell, prior in zip(cells, priors)
                                                                   if prior)] if span is not None]
    null = null_score(start, end, window.cls_index)
    if not found:
        return WindowResult(window.passage, None, null)
    span, prior = max(found, key=lambda item: item[0].score + item[1])
    return WindowResult(window.passage, span, null, prior)


def choose(results: Sequence[WindowResult]) -> Choice | None:
    """The span the reader is surest of over all windows of all passages: the highest margin of a
    window's best span over that window's own null score, which is also the highest confidence. None
    when no window has a span. Ties go to the earlier window.

    Not the highest span score alone: a passage that invites an answer to anything raises every span
    score in it, its null score with them ("In 2003, Belgrade applied to join the PfP ... joined in
    December of that same year" gives "2003" a span score of 9.6 but a margin of 9.2, beside
    "December 2006" at 11.7 and 13.3). Chosen on half of the held-out SQuAD corpus (400 questions, half
    unanswerable) and half of 150 Natural Questions, where it tied with the span score less 0.75 per
    place in the retrieval (0.627 against 0.634 EM, within a few questions) and needs no weight: EM on
    the other halves 0.703 -> 0.705 (SQuAD) and 0.280 -> 0.373 (NQ); qa 0.791 -> 0.814, extra 0.446 ->
    0.464, heldout unchanged (answers read from the dumped logits, 2026-11-30).

    The null is the window's own, not the lowest of all windows as `run_squad.py` takes over the
    windows of one paragraph: over several retrieved passages, any passage that seems to answer
    something would lower it (800 held-out SQuAD questions, half swapped: F1 0.592 -> 0.617).
    A window's `prior` (a table row's cell named by the question's words) counts in the comparison only."""
    best: WindowResult | None = None
    span: Span | None = None
    for result in results:
        if result.span is not None and (span is None or result.span.score - result.null + result.prior
                                        > span.score - best.null + best.prior):
            best, span = result, result.span
    if best is None or span is None:
        return None
    return Choice(best.passage, span, best.null, span_confidence(span.score, best.null))


def passage_runs(windows: Sequence[Window], owners: Sequence[int] | None = None) -> list[range]:
    """The rows of `windows` in runs of one passage each, in order: the windows of a long passage are
    consecutive, as `windows` makes them. `owners`, when given, the passage each text read belongs to
    (a table's rows are read apart, read/table_view.py): the run is the owner's."""
    def owner(row: int) -> int:
        text = windows[row].passage
        return text if owners is None else owners[text]

    runs: list[range] = []
    first = 0
    for row in range(1, len(windows) + 1):
        if row == len(windows) or owner(row) != owner(first):
            runs.append(range(first, row))
            first = row
    return runs


def window_limit(tokenizer_limit: int | None, position_limit: int | None) -> int | None:
    """The longest input the model takes: the smaller of the tokenizer's declared limit (ignored when it
    is the no-limit sentinel) and the model's position embeddings; None when neither is known."""
    limits = [
        limit for limit in (tokenizer_limit, position_limit) if limit is not None and 0 < limit < _NO_LIMIT
    ]
    return min(limits) if limits else None


