"""One typed, validated settings object. The CLI and UI build it; nothing reads globals deep inside."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from docqa.errors import BadSettings

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# The project's evaluation folder sits beside the index folder (in the folder holding corpus/ and index/):
# evaluation/qa.jsonl (the dev set), calibration.json (`docqa eval --calibrate`), feedback.jsonl (the chat).
EVALUATION_FOLDER = "evaluation"
CALIBRATION_FILE = "calibration.json"
FEEDBACK_FILE = "feedback.jsonl"
EVAL_FILE = "qa.jsonl"
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class SplitSettings:
    """How documents become passages. Part of the index manifest: changing it forces a rebuild.
    `max_words` bounds every passage; `min_words` no longer changes the packing (split._pack: the
    maximum wins) and stays so that every index's manifest still matches."""

    min_words: int = 40
    max_words: int = 120
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.min_words <= self.max_words:
            raise BadSettings(f"Need 1 <= min_words <= max_words, got {self.min_words} and {self.max_words}.")
        if self.overlap_sentences < 0:
            raise BadSettings(f"overlap_sentences must be >= 0, got {self.overlap_sentences}.")


@dataclass(frozen=True)
class ReadLimits:
    """What reading one corpus file may cost: a file over any limit is skipped with a message naming the
    limit and its variable, and the build goes on. Each is set by the environment variable in LIMIT_VARIABLES.

    Measured against the hostile corpus of benchmarks/hostile_corpus.py (a 1 GB .docx zip bomb, a 50 MB
    text without a space, a link to /etc/passwd): every default keeps `docqa index` under 1.5 GB."""

    file_mb: int = 64  # bytes of one file on disk
    upload_mb: int = 20  # one file added through the chat or the API (`docqa documents add` takes file_mb)
    unzipped_mb: int = 64  # what a .docx's parts decompress to, as its zip directory declares them
    zip_ratio: int = 100  # how many times a part may expand (a zip bomb expands thousands of times)
    zip_parts: int = 10_000  # parts in one .docx
    pages: int = 5_000  # pages of one PDF
    text_chars: int = 20_000_000  # characters of one document's text (about 3 million words)
    seconds: float = 180.0  # time to read and clean one file
    memory_mb: int = 1_024  # address space of the process that reads the files

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise BadSettings(f"{LIMIT_VARIABLES[name]} must be a positive number, got {value!r}.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ReadLimits":
        """The defaults, each replaced by its variable of LIMIT_VARIABLES where `environ` sets it."""
        values: dict[str, float] = {}
        for name, variable in LIMIT_VARIABLES.items():
            text = environ.get(variable, "").strip()
            if text:
                try:
                    values[name] = float(text) if name == "seconds" else int(text.replace("_", ""))
                except ValueError:
                    raise BadSettings(f"{variable} must be a number, got {text!r}.") from None
        return cls(**values)  # type: ignore[arg-type]

    def named(self, name: str) -> str:
        """How a message names a limit: its value and the variable that changes it."""
        unit = {"file_mb": " MB", "upload_mb": " MB", "unzipped_mb": " MB", "memory_mb": " MB", "seconds": " s"}.get(name, "")
        value = getattr(self, name)
        shown = f"{value:,g}" if isinstance(value, float) else f"{value:,}"
        return f"{shown}{unit} ({LIMIT_VARIABLES[name]})"


# One variable per limit, named in every message that a limit was hit.
LIMIT_VARIABLES = {
    "file_mb": "DOCQA_MAX_FILE_MB",
    "upload_mb": "DOCQA_MAX_UPLOAD_MB",
    "unzipped_mb": "DOCQA_MAX_UNZIPPED_MB",
    "zip_ratio": "DOCQA_MAX_ZIP_RATIO",
    "zip_parts": "DOCQA_MAX_ZIP_PARTS",
    "pages": "DOCQA_MAX_PAGES",
    "text_chars": "DOCQA_MAX_TEXT_CHARS",
    "seconds": "DOCQA_READ_SECONDS",
    "memory_mb": "DOCQA_READ_MEMORY_MB",
}


# Exact search reads every vector for every question (384 floats, 1.5 KB each) on one core, so its time
# grows in step with the corpus: about 0.3 us per vector here (288 ms per question over a million vectors
# on a quiet machine; 24, 40 and 72 ms at 50k, 100k and 200k while a training job shared both cores;
# faiss IndexFlatIP, one query). Up to 100,000 passages docqa pays those tens of milliseconds for the
# true nearest passages and no graph to build; past it an HNSW graph (index/store.py) searches in
# milliseconds at recall@10 >= 0.95. `docqa bench --search-vectors` measures both.
EXACT_SEARCH_LIMIT = 100_000


class VectorSearch(str, Enum):
    """How a build indexes the vectors: exact (`flat`), approximate (`hnsw`), or `auto`: exact up to
    EXACT_SEARCH_LIMIT passages, approximate past it (index.vector_index_spec)."""

    AUTO = "auto"
    FLAT = "flat"
    HNSW = "hnsw"


# Loading torch and the model for a bf16 build costs 4.6-4.8 s (three fresh processes here), which bf16
# wins back after about 570 passages (63.5 against the export's 41.7 passages/s, embed_speed.py), so
# `auto` leaves builds of fewer passages to the export.
BF16_MIN_TEXTS = 512


class Precision(str, Enum):
    """The number format a build embeds passages in: `fp32` (the ONNX export), `bf16` (torch's bfloat16
    autocast: vectors within cosine 0.99997 of fp32's, about 1.5 times the export's speed where the CPU
    multiplies bf16 natively, far slower where it does not) or `auto`: bf16 on a CPU with AVX512-BF16
    or AMX, for builds of BF16_MIN_TEXTS passages or more; fp32 otherwise. Questions are always
    embedded in fp32."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"


def _member(kind: type[Enum], value: object, flag: str) -> Enum:
    """`value` as a member of `kind`: a name ("hnsw") becomes its member; anything else is refused."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise BadSettings(f"{flag} must be one of {choices}, got {value!r}.") from None


@dataclass(frozen=True)
class Settings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    model: str = DEFAULT_MODEL
    reader: str | None = None
    top_k: int = 5
    threshold: float | None = None
    split: SplitSettings = field(default_factory=SplitSettings)
    vector_search: VectorSearch = VectorSearch.AUTO
    precision: Precision = Precision.AUTO
    # How many shards a build splits the index into (build.shard_count): None keeps the index's own
    # (1 for a new index built in process).
    shards: int | None = None
    limits: ReadLimits = field(default_factory=ReadLimits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vector_search", _member(VectorSearch, self.vector_search, "--vector-index"))
        object.__setattr__(self, "precision", _member(Precision, self.precision, "--precision"))
        if self.top_k < 1:
            raise BadSettings(f"--top-k must be at least 1, got {self.top_k}.")
        if self.shards is not None and self.shards < 1:
            raise BadSettings(f"--shards must be at least 1, got {self.shards}.")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise BadSettings(f"--threshold must lie in [0, 1], got {self.threshold}.")
        if self.index.is_file():
            raise BadSettings(f"The index {self.index} is a file, not a folder. Pass the folder the index is kept in "
                              "as --index DIR (it is made if missing).")
        corpus, index = self.corpus.resolve(), self.index.resolve()
        if index == corpus or corpus in index.parents:
            raise BadSettings(f"The index folder {self.index} lies inside the corpus {self.corpus}: its files would be "
                              "read as documents. Pass an --index folder outside the corpus (by default index/ "
                              "beside corpus/).")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults, then DOCQA_CORPUS / DOCQA_INDEX / DOCQA_VECTOR_INDEX and the reading limits'
        variables (LIMIT_VARIABLES), then explicit overrides that are not None."""
        values: dict[str, object] = {"limits": ReadLimits.from_env(os.environ)}
        if os.environ.get("DOCQA_CORPUS"):
            values["corpus"] = Path(os.environ["DOCQA_CORPUS"])
        if os.environ.get("DOCQA_INDEX"):
            values["index"] = Path(os.environ["DOCQA_INDEX"])
        if os.environ.get("DOCQA_VECTOR_INDEX"):
            values["vector_search"] = os.environ["DOCQA_VECTOR_INDEX"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus", "index"):
            if key in values:
                values[key] = Path(values[key])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def evaluation_folder(self) -> Path:
        """evaluation/ next to the index folder: the dev set, reports, calibration and feedback live there."""
        return self.index.resolve().parent / EVALUATION_FOLDER

    @property
    def calibration_path(self) -> Path:
        return self.evaluation_folder / CALIBRATION_FILE

    @property
    def feedback_path(self) -> Path:
        """Where the chat appends the answers users confirm or correct (an evaluation file)."""
        return self.evaluation_folder / FEEDBACK_FILE

    @property
    def eval_file(self) -> Path:
        """The corpus's own evaluation file: the default of `docqa eval`, and the chat's example questions."""
        return self.evaluation_folder / EVAL_FILE

    def effective_threshold(self, reader: str, default: float) -> float:
        """The explicit threshold, else the one calibrated for this reader and embedding model (each
        calibration names the reader and model it was measured with), else the reader's own default."""
        if self.threshold is not None:
            return self.threshold
        for record in read_calibrations(self.calibration_path):
            if record.get("reader") == reader and record.get("model", self.model) == self.model:
                try:
                    value = float(record["threshold"])
                except (ValueError, KeyError, TypeError):
                    return default
                return value if 0.0 <= value <= 1.0 else default
        return default


def read_calibrations(path: Path) -> list[dict]:
    """The calibrations stored in `path`, one per reader and model: `{"calibrations": [...]}`, or the
    single record of files written before readers were told apart. [] when absent or unreadable (a
    damaged file falls back to each reader's default, never to an error on every question)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if isinstance(data, dict) and isinstance(data.get("calibrations"), list):
        return [r for r in data["calibrations"] if isinstance(r, dict)]
    return [data] if isinstance(data, dict) else []


def with_calibration(records: list[dict], record: dict) -> dict:
    """The calibration file's content once `record` replaces the one for its reader and model."""
    kept = [r for r in records if (r.get("reader"), r.get("model")) != (record.get("reader"), record.get("model"))]
    return {"calibrations": [*kept, record]}
