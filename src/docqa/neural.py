"""Hits -> Answer with a Hugging Face extractive question-answering model (a SQuAD-style reader).

transformers 5 has no question-answering pipeline, so this module tokenizes the (question, passage)
pairs into strided windows, runs the model on CPU and decodes the start/end logits itself with the
SQuAD 2.0 null score. Decoding is a set of pure functions over literal arrays (`best_span`,
`null_score`, `choose`, `span_confidence`); `NeuralReader` only holds the loaded model.

Offsets: the tokenizer's offset mapping gives, for every context token, character offsets into the
passage text; an answer at passage characters [a, b) sits at document characters
[passage.start + a, passage.start + b), so `document_text[answer.start:answer.end] == answer.text`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answer import Answer
from .errors import BadSettings, ReaderNotFound
from .retrieve import Hit

from . import offline  # noqa: F401  (switches set before transformers loads)

import torch  # noqa: E402
from transformers import AutoModelForQuestionAnswering, AutoTokenizer  # noqa: E402

# Window and answer sizes of the reference SQuAD setup (Devlin et al. 2019, BERT `run_squad.py`:
# max_seq_length 384, doc_stride 128, max_query_length 64, max_answer_length 30).
MAX_LENGTH = 384
STRIDE = 128
MAX_QUESTION_TOKENS = 64
MAX_ANSWER_TOKENS = 30
BATCH_WINDOWS = 16
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


@dataclass(frozen=True)
class Choice:
    """The best span over all windows, the lowest null score over all windows, and the confidence."""

    passage: int
    span: Span
    null: float
    confidence: float


@dataclass(frozen=True)
class Window:
    """One model input: a stretch of passage `passage` after the question. `offsets` are character
    offsets into that passage's text for the tokens whose `sequence_ids` entry is 1."""

    passage: int
    sequence_ids: tuple[int | None, ...]
    offsets: tuple[tuple[int, int], ...]
    cls_index: int


@dataclass(frozen=True)
class Encoded:
    """The windows of one question over some passages, and the padded model inputs (one row per window)."""

    windows: tuple[Window, ...]
    inputs: dict[str, torch.Tensor]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) narrowed so that text[start:end] neither begins nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def answer_tokens(sequence_ids: Sequence[int | None], offsets: Sequence[tuple[int, int]], text: str) -> np.ndarray:
    """Boolean mask of the tokens that may begin or end an answer: context tokens (sequence id 1)
    that cover at least one non-whitespace character of `text`."""
    return np.array(
        [sid == 1 and end > start and not text[start:end].isspace() for sid, (start, end) in zip(sequence_ids, offsets)],
        dtype=bool,
    )


def best_span(
    start_logits: Sequence[float],
    end_logits: Sequence[float],
    sequence_ids: Sequence[int | None],
    offsets: Sequence[tuple[int, int]],
    text: str,
    max_answer_tokens: int = MAX_ANSWER_TOKENS,
) -> Span | None:
    """The span maximising start_logit[i] + end_logit[j] with i <= j, j - i + 1 <= max_answer_tokens,
    and both tokens inside the context (see `answer_tokens`); None when the window has no such token.

    Every pair is scored (exact, unlike the top-20 start/end shortlist of the SQuAD scripts; a window
    of 384 tokens is 147k pairs, about a millisecond). Ties go to the earliest start, then the
    earliest end. Character offsets index `text`, the context the offsets were computed on.
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
    if not usable.any():
        return None
    first, last = np.indices((n, n))
    allowed = usable[:, None] & usable[None, :] & (last >= first) & (last - first < max_answer_tokens)
    scores = np.where(allowed, start[:, None] + end[None, :], -np.inf)
    i, j = divmod(int(np.argmax(scores)), n)
    char_start, char_end = trim(text, offsets[i][0], offsets[j][1])
    return Span(i, j, char_start, char_end, float(scores[i, j]))


def null_score(start_logits: Sequence[float], end_logits: Sequence[float], cls_index: int = 0) -> float:
    """SQuAD 2.0 "no answer" score of a window: start_logit[CLS] + end_logit[CLS] (Devlin et al. 2019, §4.3)."""
    return float(start_logits[cls_index]) + float(end_logits[cls_index])


def span_confidence(span_score: float, null: float) -> float:
    """P(span) in a softmax over the two logits (null, span): 1 / (1 + exp(null - span_score)).

    0.5 is BERT's SQuAD 2.0 rule "answer when s_span > s_null" (Devlin et al. 2019, §4.3); a threshold t
    on this confidence is that rule with margin tau = ln(t / (1 - t)). Written with tanh, it cannot overflow.
    """
    return 0.5 * (1.0 + math.tanh((span_score - null) / 2.0))


def choose(results: Sequence[WindowResult]) -> Choice | None:
    """The highest-scoring span over all windows of all passages, against the lowest null score of all
    windows (as `run_squad.py` does across the windows of one example: a window that does not hold the
    answer has a high null score, so the lowest one speaks for the question). None when no window has
    a span. Ties go to the earlier window."""
    best: WindowResult | None = None
    span: Span | None = None
    for result in results:
        if result.span is not None and (span is None or result.span.score > span.score):
            best, span = result, result.span
    if best is None or span is None:
        return None
    null = min(r.null for r in results)
    return Choice(best.passage, span, null, span_confidence(span.score, null))


def window_limit(tokenizer_limit: int | None, position_limit: int | None) -> int | None:
    """The longest input the model takes: the smaller of the tokenizer's declared limit (ignored when it
    is the no-limit sentinel) and the model's position embeddings; None when neither is known."""
    limits = [
        limit for limit in (tokenizer_limit, position_limit) if limit is not None and 0 < limit < _NO_LIMIT
    ]
    return min(limits) if limits else None


def _load_reason(name: str, error: Exception) -> str:
    path = Path(name).expanduser()
    looks_like_path = path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name
    if looks_like_path and not path.exists():
        return f"no folder {name}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class NeuralReader:
    """A loaded extractive QA model on CPU, in eval mode. `read` may be called from several threads:
    the fast tokenizer changes its truncation state on every call, so tokenization holds a lock; the
    forward pass does not need one."""

    def __init__(
        self,
        name: str,
        max_length: int = MAX_LENGTH,
        stride: int = STRIDE,
        max_answer_tokens: int = MAX_ANSWER_TOKENS,
        max_question_tokens: int = MAX_QUESTION_TOKENS,
        batch_windows: int = BATCH_WINDOWS,
    ):
        if stride < 0 or max_answer_tokens < 1 or max_question_tokens < 1 or batch_windows < 1:
            raise BadSettings(
                "The reader needs stride >= 0, max_answer_tokens >= 1, max_question_tokens >= 1 and "
                f"batch_windows >= 1; got {stride}, {max_answer_tokens}, {max_question_tokens}, {batch_windows}."
            )
        self.name = name
        path = Path(name).expanduser()
        source = str(path) if path.is_dir() else name
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            model, info = AutoModelForQuestionAnswering.from_pretrained(
                source, dtype=torch.float32, output_loading_info=True
            )
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ReaderNotFound(name, _load_reason(name, error)) from error
        if not self.tokenizer.is_fast:
            raise ReaderNotFound(name, "its tokenizer is not a fast tokenizer, which character offsets need")
        missing = sorted(info.get("missing_keys", ()))
        if missing:
            # A base model loads with a freshly initialised span head: its answers would be noise.
            raise ReaderNotFound(
                name, f"it is not a trained question-answering model: {', '.join(missing[:4])} missing"
            )
        self.model = model.to("cpu").eval()
        limit = window_limit(self.tokenizer.model_max_length, getattr(model.config, "max_position_embeddings", None))
        self.max_length = max_length if limit is None else min(max_length, limit)
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.max_question_tokens = max_question_tokens
        self.batch_windows = batch_windows
        self.special_tokens = self.tokenizer.num_special_tokens_to_add(pair=True)
        if self.max_length - self.special_tokens - max_question_tokens < 1:
            raise BadSettings(
                f"The reader's window of {self.max_length} tokens leaves no room for a passage after "
                f"{max_question_tokens} question tokens; raise max_length or lower max_question_tokens."
            )
        self._lock = threading.Lock()

    def _clip_question(self, question: str) -> tuple[str, int]:
        """The question cut after `max_question_tokens` tokens, and its token count (lock held)."""
        encoded = self.tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
        offsets = encoded["offset_mapping"]
        if len(offsets) <= self.max_question_tokens:
            return question, len(offsets)
        return question[: offsets[self.max_question_tokens - 1][1]], self.max_question_tokens

    def encode(self, question: str, texts: Sequence[str]) -> Encoded:
        """Strided windows over each (question, text) pair, with the padded model inputs.

        Consecutive windows of one text share `stride` context tokens, lowered to half the room left
        after the question when the room is smaller, so that every window still moves forward.
        """
        with self._lock:
            question, question_tokens = self._clip_question(question)
            room = self.max_length - self.special_tokens - question_tokens
            encoding = self.tokenizer(
                [question] * len(texts),
                list(texts),
                truncation="only_second",
                max_length=self.max_length,
                stride=min(self.stride, room // 2),
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
                padding="longest",
                return_tensors="pt",
            )
        windows = []
        cls_id = self.tokenizer.cls_token_id
        for row, passage in enumerate(encoding["overflow_to_sample_mapping"].tolist()):
            ids = encoding["input_ids"][row].tolist()
            windows.append(
                Window(
                    passage=passage,
                    sequence_ids=tuple(encoding.sequence_ids(row)),
                    offsets=tuple((int(a), int(b)) for a, b in encoding["offset_mapping"][row].tolist()),
                    cls_index=ids.index(cls_id) if cls_id in ids else 0,
                )
            )
        inputs = {key: encoding[key] for key in self.tokenizer.model_input_names if key in encoding}
        return Encoded(tuple(windows), inputs)

    def logits(self, inputs: dict[str, torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits, float32 arrays of shape (windows, tokens)."""
        starts, ends = [], []
        rows = next(iter(inputs.values())).shape[0]
        with torch.inference_mode():
            for first in range(0, rows, self.batch_windows):
                batch = {key: value[first : first + self.batch_windows] for key, value in inputs.items()}
                output = self.model(**batch)
                starts.append(output.start_logits.float().numpy())
                ends.append(output.end_logits.float().numpy())
        return np.concatenate(starts), np.concatenate(ends)

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        """The best span over all windows of all hits' passages; confidence as in `span_confidence`.

        A follow-up's context is appended to the question, as QA models read one question string."""
        if context:
            question = f"{question} ({context})"
        passages = [hit.passage for hit in hits if hit.passage.text.strip()]
        if not passages:
            return None
        texts = [p.text for p in passages]
        encoded = self.encode(question, texts)
        start_logits, end_logits = self.logits(encoded.inputs)
        results = [
            WindowResult(
                passage=w.passage,
                span=best_span(start_logits[k], end_logits[k], w.sequence_ids, w.offsets, texts[w.passage],
                               self.max_answer_tokens),
                null=null_score(start_logits[k], end_logits[k], w.cls_index),
            )
            for k, w in enumerate(encoded.windows)
        ]
        choice = choose(results)
        if choice is None:
            return None
        p = passages[choice.passage]
        a, b = choice.span.char_start, choice.span.char_end
        return Answer(
            text=p.text[a:b],
            document=p.document,
            start=p.start + a,
            end=p.start + b,
            confidence=choice.confidence,
            quote=p.text,
            quote_start=p.start,
            quote_end=p.end,
            section=p.section,
            page=p.page,
        )
