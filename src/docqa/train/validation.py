"""A model -> its validation figures with the paragraph given: EM and F1 on held-out answerable
questions, and the share of generated unanswerable ones it declines."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from docqa.evaluation.metrics import exact_match, f1_score
from docqa.read import decode as span
from docqa.read.trained import TorchBackend
from docqa.train.data import Example
from docqa.train.unanswerable import negatives
from docqa.train.windows import load_tokenizers

# The loop's validation: (model, step) -> figures, as a dict for the learning curve.
Validate = Callable[[object, int], dict]


def mean(values: Iterable[float]) -> float:
    """The arithmetic mean; NaN for no values."""
    values = list(values)
    return sum(values) / len(values) if values else math.nan


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


def torch_predictor(model, question_tokenizer, pair_tokenizer):
    """examples -> (best span text or None, confidence) with a torch QA model, decoded by docqa.read.decode."""
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


def validator(question_tokenizer, folder: Path, limit: int, validation: Sequence[Example], size: tuple[int, int],
              seed: int) -> Validate | None:
    """The loop's validation: a model's figures on a fixed sample of `validation` (`size`: how many answerable
    questions and generated unanswerable ones), read in windows as the reader reads them (at most `limit`
    tokens, the model's longest input). None when there is no validation example."""
    _, pair_tokenizer = load_tokenizers(folder, min(span.MAX_LENGTH, limit), min(span.STRIDE, limit // 2))
    sample = validation_sample(validation, *size, seed=seed) if validation else []
    if not sample:
        return None

    def validate(model, step: int) -> dict:
        return asdict(validate_examples(torch_predictor(model, question_tokenizer, pair_tokenizer), sample))

    return validate
