"""Reader names -> loaded readers: the one factory the engine asks for a reader.

- "trained" (the default): docqa's own extractive model, shipped in docqa/models/reader as an ONNX graph
  and run with onnxruntime (see its MODEL_CARD.md);
- "rules": the rule-based span reader (spaCy parses, question kinds, word vectors);
- anything else: a local folder holding a Hugging Face extractive QA model, or an exported one.
Heavy imports happen only for the reader asked for: the trained reader loads neither torch nor spaCy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time read/factory.py imports nothing of docqa, so that ingest/clean.py may use TRAINED_FOLDER
    from docqa.types import Reader

TRAINED = "trained"
RULES = "rules"
TRAINED_FOLDER = Path(__file__).resolve().parents[1] / "models" / "reader"  # docqa/models/reader


def make_reader(name: str | None, embedder: object, idf: Callable[[], dict]) -> Reader:
    """The reader called `name` (None means "trained"). `embedder` and `idf` feed the rule-based reader."""
    if name == RULES:
        from docqa.read.rules.reader import SpanReader

        return SpanReader(embedder, idf=idf)  # type: ignore[arg-type]
    from docqa.read.trained import NeuralReader

    if name is None or name == TRAINED:
        return NeuralReader(str(TRAINED_FOLDER), label=TRAINED)
    return NeuralReader(name)
