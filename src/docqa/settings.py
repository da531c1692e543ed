"""One typed, validated settings object. The CLI and UI build it; nothing reads globals deep inside."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import BadSettings

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Where `docqa eval --calibrate` stores the chosen no-answer threshold, relative to the index folder's
# parent project (the folder holding corpus/ and index/): `evaluation/calibration.json`.
CALIBRATION_FILE = Path("evaluation") / "calibration.json"
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class SplitSettings:
    """How documents become passages. Part of the index manifest: changing it forces a rebuild."""

    min_words: int = 40
    max_words: int = 120
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.min_words <= self.max_words:
            raise BadSettings(f"Need 1 <= min_words <= max_words, got {self.min_words} and {self.max_words}.")
        if self.overlap_sentences < 0:
            raise BadSettings(f"overlap_sentences must be >= 0, got {self.overlap_sentences}.")


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model: str = DEFAULT_MODEL
    reader: str | None = None
    top_k: int = 5
    threshold: float | None = None
    split: SplitSettings = field(default_factory=SplitSettings)

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise BadSettings(f"--top-k must be at least 1, got {self.top_k}.")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise BadSettings(f"--threshold must lie in [0, 1], got {self.threshold}.")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then DOCQA_CORPUS / DOCQA_INDEX, then explicit overrides that are not None."""
        values: dict[str, object] = {}
        if os.environ.get("DOCQA_CORPUS"):
            values["corpus"] = Path(os.environ["DOCQA_CORPUS"])
        if os.environ.get("DOCQA_INDEX"):
            values["index"] = Path(os.environ["DOCQA_INDEX"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus", "index"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def calibration_path(self) -> Path:
        return self.index.resolve().parent / CALIBRATION_FILE

    def effective_threshold(self, reader: str, default: float) -> float:
        """The explicit threshold, else the one calibrated for this reader (the calibration file names
        the reader it was measured with), else the reader's own default."""
        if self.threshold is not None:
            return self.threshold
        path = self.calibration_path
        if path.is_file():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                value = float(record["threshold"])
            except (ValueError, KeyError, TypeError):
                return default
            if record.get("reader") == reader and 0.0 <= value <= 1.0:
                return value
        return default
