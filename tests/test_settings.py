"""Settings: validation messages, environment defaults, and the no-answer threshold's sources."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from docqa.errors import BadSettings, DocqaError
from docqa.settings import (
    DEFAULT_MODEL,
    Settings,
    SplitSettings,
    VectorSearch,
    read_calibrations,
    with_calibration,
)


@pytest.fixture(autouse=True)
def no_docqa_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCQA_CORPUS", raising=False)
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    monkeypatch.delenv("DOCQA_VECTOR_INDEX", raising=False)


def test_defaults() -> None:
    settings = Settings()
    assert (settings.corpus, settings.index, settings.model, settings.reader) == (
        Path("corpus"), Path("index"), DEFAULT_MODEL, None
    )
    assert (settings.top_k, settings.threshold) == (5, None)
    assert settings.split == SplitSettings(min_words=40, max_words=120, overlap_sentences=1)
    assert DEFAULT_MODEL == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"top_k": 0}, r"^--top-k must be at least 1, got 0\.$"),
        ({"top_k": -3}, r"^--top-k must be at least 1, got -3\.$"),
        ({"threshold": 1.5}, r"^--threshold must lie in \[0, 1\], got 1\.5\.$"),
        ({"threshold": -0.01}, r"^--threshold must lie in \[0, 1\], got -0\.01\.$"),
        ({"vector_search": "ivf"}, r"^--vector-index must be one of auto, flat, hnsw, got 'ivf'\.$"),
        ({"precision": "fp16"}, r"^--precision must be one of auto, fp32, bf16, got 'fp16'\.$"),
    ],
)
def test_invalid_settings(changes: dict, message: str) -> None:
    with pytest.raises(BadSettings, match=message):
        Settings(**changes)
    with pytest.raises(BadSettings, match=message):
        Settings().with_(**changes)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_words": 50, "max_words": 40}, r"^Need 1 <= min_words <= max_words, got 50 and 40\.$"),
        ({"min_words": 0}, r"^Need 1 <= min_words <= max_words, got 0 and 120\.$"),
        ({"overlap_sentences": -1}, r"^overlap_sentences must be >= 0, got -1\.$"),
    ],
)
def test_invalid_split_settings(values: dict, message: str) -> None:
    with pytest.raises(BadSettings, match=message):
        SplitSettings(**values)


def test_bad_settings_is_reported_like_every_docqa_error() -> None:
    assert issubclass(BadSettings, DocqaError)


def test_an_index_inside_the_corpus_or_a_file_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "notes.txt").parent.mkdir()
    (corpus / "notes.txt").write_text("Notes.", encoding="utf-8")
    for index in (corpus, corpus / "index"):
        with pytest.raises(BadSettings, match=r"lies inside the corpus .*: its files would be read as documents"):
            Settings(corpus=corpus, index=index)
    with pytest.raises(BadSettings, match=r"notes\.txt is a file, not a folder\. Pass the folder"):
        Settings(corpus=tmp_path / "other", index=corpus / "notes.txt")
    assert Settings(corpus=corpus, index=tmp_path / "index").index == tmp_path / "index"


def test_edge_values_are_valid() -> None:
    assert Settings(top_k=1, threshold=0.0).threshold == 0.0
    assert Settings(threshold=1.0).threshold == 1.0
    assert SplitSettings(min_words=7, max_words=7, overlap_sentences=0).max_words == 7


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().top_k = 3  # type: ignore[misc]


def test_from_env_without_environment() -> None:
    assert Settings.from_env() == Settings()
    assert Settings().vector_search is VectorSearch.AUTO


def test_the_vector_index_by_name_from_the_environment_or_an_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(vector_search="hnsw").vector_search is VectorSearch.HNSW
    monkeypatch.setenv("DOCQA_VECTOR_INDEX", "flat")
    assert Settings.from_env().vector_search is VectorSearch.FLAT
    assert Settings.from_env(vector_search="hnsw").vector_search is VectorSearch.HNSW


def test_from_env_reads_corpus_and_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCQA_CORPUS", str(tmp_path / "docs"))
    monkeypatch.setenv("DOCQA_INDEX", str(tmp_path / "built"))
    settings = Settings.from_env()
    assert (settings.corpus, settings.index) == (tmp_path / "docs", tmp_path / "built")
    # None means "not given": the environment stays.
    assert Settings.from_env(corpus=None, index=None, top_k=None).corpus == tmp_path / "docs"
    # Explicit values beat the environment; strings become paths.
    explicit = Settings.from_env(corpus=str(tmp_path / "other"), index=tmp_path / "idx")
    assert (explicit.corpus, explicit.index) == (tmp_path / "other", tmp_path / "idx")


def test_from_env_ignores_empty_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCQA_CORPUS", "")
    monkeypatch.setenv("DOCQA_INDEX", "")
    assert (Settings.from_env().corpus, Settings.from_env().index) == (Path("corpus"), Path("index"))


def test_from_env_keeps_zero_values() -> None:
    # A legitimate 0.0 is not "missing": it must not fall back to the calibrated threshold.
    assert Settings.from_env(threshold=0.0).threshold == 0.0
    with pytest.raises(BadSettings, match=r"--top-k must be at least 1, got 0\."):
        Settings.from_env(top_k=0)


def write_calibration(tmp_path: Path, content: str) -> Settings:
    (tmp_path / "evaluation").mkdir(exist_ok=True)
    (tmp_path / "evaluation" / "calibration.json").write_text(content, encoding="utf-8")
    return Settings(index=tmp_path / "index")


def test_calibration_path_sits_beside_the_index(tmp_path: Path) -> None:
    assert Settings(index=tmp_path / "index").calibration_path == tmp_path / "evaluation" / "calibration.json"


def test_effective_threshold_without_calibration(tmp_path: Path) -> None:
    assert Settings(index=tmp_path / "index").effective_threshold("trained", 0.31) == 0.31
    assert Settings(index=tmp_path / "index", threshold=0.55).effective_threshold("trained", 0.31) == 0.55
    assert Settings(index=tmp_path / "index", threshold=0.0).effective_threshold("trained", 0.31) == 0.0


def test_effective_threshold_from_calibration_of_the_same_reader_only(tmp_path: Path) -> None:
    settings = write_calibration(tmp_path, json.dumps({"threshold": 0.42, "f1": 0.61, "reader": "trained"}))
    assert settings.effective_threshold("trained", 0.31) == 0.42
    assert settings.effective_threshold("rules", 0.17) == 0.17  # another reader's calibration is not inherited
    assert settings.with_(threshold=0.7).effective_threshold("trained", 0.31) == 0.7
    zero = write_calibration(tmp_path, '{"threshold": 0.0, "reader": "trained"}')
    assert zero.effective_threshold("trained", 0.31) == 0.0


@pytest.mark.parametrize(
    "content",
    ['{"threshold": 1.7}', '{"threshold": -0.2}', "{not json", '{"f1": 0.5}', '{"threshold": null}',
     '{"threshold": "high"}', "[0.4]", ""],
)
def test_unusable_calibration_falls_back_to_the_default(tmp_path: Path, content: str) -> None:
    assert write_calibration(tmp_path, content).effective_threshold("trained", 0.31) == 0.31


def test_calibration_that_is_not_utf8_falls_back_to_the_default(tmp_path: Path) -> None:
    settings = write_calibration(tmp_path, "")
    settings.calibration_path.write_bytes(b'{"threshold": 0.4\xff}')
    assert settings.effective_threshold("trained", 0.31) == 0.31


def test_one_calibration_per_reader_and_model(tmp_path: Path) -> None:
    records = [{"threshold": 0.9, "reader": "trained", "model": "all-MiniLM-L6-v2"},
               {"threshold": 0.2, "reader": "rules", "model": "all-MiniLM-L6-v2"},
               {"threshold": 0.5, "reader": "trained", "model": "other-model"}]
    settings = write_calibration(tmp_path, json.dumps({"calibrations": records}))
    assert settings.effective_threshold("trained", 0.31) == 0.9
    assert settings.effective_threshold("rules", 0.17) == 0.2
    assert settings.with_(model="other-model").effective_threshold("trained", 0.31) == 0.5
    assert settings.with_(model="third").effective_threshold("trained", 0.31) == 0.31
    assert read_calibrations(settings.calibration_path) == records
    again = {"threshold": 0.8, "reader": "trained", "model": "all-MiniLM-L6-v2"}
    assert with_calibration(records, again) == {"calibrations": [records[1], records[2], again]}


def test_the_evaluation_folder_holds_the_dev_set_calibration_and_feedback(tmp_path: Path) -> None:
    settings = Settings(index=tmp_path / "index")
    assert settings.evaluation_folder == tmp_path / "evaluation"
    assert (settings.eval_file, settings.feedback_path) == (
        tmp_path / "evaluation" / "qa.jsonl", tmp_path / "evaluation" / "feedback.jsonl")
