"""Examples -> labelled windows -> padded batches.

`label_windows` cuts (question, context) pairs into strided windows whose start/end labels point at
the answer's tokens, or at [CLS] when the window does not hold it (the SQuAD 2.0 null target of
Devlin et al. 2019, §4.3); `batch_order` groups windows of similar length so that a batch pads little.
`load_tokenizers` reads the model folder's tokenizer that cuts them. A multi-passage run's windows carry
their question group (`Window.group`), and `batch_order` keeps each group whole inside one batch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docqa.errors import BadTrainingData
from docqa.read.decode import MAX_QUESTION_TOKENS, clip_question, padded
from docqa.train.data import BESIDE, Example

# Training windows: 256 tokens cover a median SQuAD paragraph and its question in one window; the stride
# (tokens shared by consecutive windows of one context) is BERT run_squad.py's doc_stride.
TRAIN_MAX_LENGTH = 256
TRAIN_STRIDE = 128
# The label of a window with no loss of its own: one that only stands beside a question's own paragraph
# in a multi-passage group, where it enters the group's shared normaliser alone (loop.shared_norm_loss).
NO_LABEL = -1


@dataclass(frozen=True)
class Window:
    """One training input: token ids of [CLS] question [SEP] context-stretch [SEP], and the label
    positions (both 0, the [CLS] token, when this stretch does not hold the answer; both NO_LABEL for a
    passage beside a question's own). `group` numbers the question group a multi-passage window belongs
    to, whose windows are normalised together; -1: none."""

    input_ids: tuple[int, ...]
    token_type_ids: tuple[int, ...]
    start: int
    end: int
    group: int = -1


def label_windows(
    encoding, example: Example, cls_index: int = 0, group: int = -1
) -> list[Window]:
    """The windows of one example from a fast tokenizer's encodings of it (with overflow and offsets):
    start/end are the first and last window tokens covering the answer, or cls_index twice when the
    window does not hold the whole answer or the example has none, NO_LABEL twice for an example that
    stands beside a question's own paragraph (source BESIDE)."""
    windows = []
    for row in encoding:
        sequence_ids = row.sequence_ids
        offsets = row.offsets
        start = end = NO_LABEL if example.source == BESIDE else cls_index
        if example.answerable:
            a = example.answer_start
            b = a + len(example.answer_text)
            context_tokens = [k for k, sid in enumerate(sequence_ids) if sid == 1]
            first, last = context_tokens[0], context_tokens[-1]
            if offsets[first][0] <= a and offsets[last][1] >= b:
                start = next(k for k in context_tokens if offsets[k][1] > a)
                end = next(k for k in reversed(context_tokens) if offsets[k][0] < b)
        windows.append(Window(tuple(row.ids), tuple(row.type_ids), start, end, group))
    return windows


def make_windows(
    tokenizer, examples: Sequence[Example], max_length: int = TRAIN_MAX_LENGTH, stride: int = TRAIN_STRIDE,
    groups: Sequence[int] | None = None,
) -> list[Window]:
    """Every example's windows, in order, from a `tokenizers.Tokenizer` (the fast tokenizer's backend).
    The question is cut to MAX_QUESTION_TOKENS; consecutive windows share `stride` context tokens.
    `groups`, one per example, numbers the question group each example's windows belong to."""
    windows: list[Window] = []
    for first in range(0, len(examples), 1000):
        chunk = examples[first : first + 1000]
        tokenizer.no_truncation()
        questions = [clip_question(tokenizer, e.question, MAX_QUESTION_TOKENS) for e in chunk]
        tokenizer.enable_truncation(max_length, stride=stride, strategy="only_second")
        encodings = tokenizer.encode_batch(list(zip(questions, [e.context for e in chunk])))
        for k, (example, encoding) in enumerate(zip(chunk, encodings)):
            group = -1 if groups is None else groups[first + k]
            windows.extend(label_windows([encoding, *encoding.overflowing], example, group=group))
    tokenizer.no_truncation()
    return windows


def batch_order(lengths: Sequence[int], batch_size: int, seed: int, pool: int = 50,
                groups: Sequence[int] | None = None) -> list[list[int]]:
    """Indices of windows in batches of at most `batch_size`: shuffled, then sorted by length inside
    pools of `pool` batches so that a batch pads little, then the batches shuffled. Deterministic for a
    seed. With `groups` (one per window, -1 for none), the windows of one group stay together: whole
    groups are shuffled, sorted by their longest window and packed into batches (a group larger than
    `batch_size` is a batch of its own); an ungrouped window is a group alone."""
    rng = random.Random(seed)
    units: dict[int, list[int]] = {}
    for k in range(len(lengths)):
        group = -1 if groups is None else groups[k]
        units.setdefault(group if group >= 0 else -1 - k, []).append(k)
    order = list(units.values())
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = batch_size * pool
    first = 0
    while first < len(order):
        chunk, size = [], 0
        while first < len(order) and size < span:
            chunk.append(order[first])
            size += len(order[first])
            first += 1
        chunk.sort(key=lambda unit: max(lengths[k] for k in unit))
        batch: list[int] = []
        for unit in chunk:
            if batch and len(batch) + len(unit) > batch_size:
                batches.append(batch)
                batch = []
            batch.extend(unit)
        if batch:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def pad(windows: Sequence[Window], pad_id: int) -> dict[str, np.ndarray]:
    """Dynamic padding to the longest window: int64 arrays input_ids, token_type_ids, attention_mask
    of shape (batch, longest), and start/end positions of shape (batch,); `groups` (batch,) too when
    a window belongs to a question group."""
    batch = {
        **padded([w.input_ids for w in windows], [w.token_type_ids for w in windows], pad_id),
        "start_positions": np.array([w.start for w in windows], dtype=np.int64),
        "end_positions": np.array([w.end for w in windows], dtype=np.int64),
    }
    if any(w.group >= 0 for w in windows):
        batch["groups"] = np.array([w.group for w in windows], dtype=np.int64)
    return batch


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
