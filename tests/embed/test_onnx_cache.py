"""The ONNX export of the embedding model: same numbers as torch, a stale or broken export never used."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from docqa.embed import onnx_cache as runtime
from docqa.embed.embedder import WORD_LAYER, Embedder, resolve_model
from docqa.settings import DEFAULT_MODEL

TEXTS = [
    "When did Serbia join the Partnership for Peace?",
    "NATO stands ready to further develop an ambitious and substantive relationship with Serbia.",
    "Yes",
]


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(fast=False)


def test_cache_dir_prefers_docqa_cache_then_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DOCQA_CACHE", str(tmp_path / "mine"))
    assert runtime.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("DOCQA_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.cache_dir() == tmp_path / "xdg" / "docqa"


def test_export_name_changes_with_the_weights_the_layer_and_torch(tmp_path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"1234")
    (tmp_path / "config.json").write_text("{}")
    name = runtime.export_name(str(tmp_path), 4, "2.13.0")
    assert name == runtime.export_name(str(tmp_path), 4, "2.13.0")
    assert name.startswith("encoder-") and name.endswith(".onnx") and len(name) == len("encoder-") + 16 + 5
    assert runtime.export_name(str(tmp_path), 5, "2.13.0") != name
    assert runtime.export_name(str(tmp_path), 4, "2.14.1") != name
    (tmp_path / "model.safetensors").write_bytes(b"12345")
    assert runtime.export_name(str(tmp_path), 4, "2.13.0") != name


def test_the_onnx_encoder_gives_the_torch_vectors_and_offsets(torch_embedder) -> None:
    fast = Embedder()
    assert fast.onnx is not None
    onnx_words = fast._forward(TEXTS)
    torch_words = torch_embedder._forward(TEXTS)
    for text in TEXTS:
        assert onnx_words[text].offsets.tolist() == torch_words[text].offsets.tolist()
        assert np.abs(onnx_words[text].sentence - torch_words[text].sentence).max() < 1e-5
        assert np.abs(onnx_words[text].pieces - torch_words[text].pieces).max() < 1e-5
    # a single text's vector is the model's own sentence vector, as the index was built with
    expected = torch_embedder.model.encode(TEXTS[:1], normalize_embeddings=True)
    assert np.abs(fast.encode(TEXTS[:1]) - expected).max() < 1e-5


def test_a_broken_export_is_made_again(tmp_path, caplog, torch_embedder) -> None:
    path = tmp_path / runtime.export_name(resolve_model(DEFAULT_MODEL), WORD_LAYER, _torch_version())
    path.write_bytes(b"not an onnx graph")
    with caplog.at_level(logging.WARNING, logger="docqa"):
        encoder = runtime.load(torch_embedder.model[0], resolve_model(DEFAULT_MODEL), WORD_LAYER, cache=tmp_path)
    assert encoder is not None and encoder.path == path
    assert "could not be used" in caplog.text and "making it again" in caplog.text
    assert path.stat().st_size > 1_000_000
    # no temporary file left behind: the export and torch's states on the check texts
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, runtime.check_path(path).name])


def test_an_unwritable_cache_falls_back_to_torch_and_says_so(tmp_path, caplog, torch_embedder) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="docqa"):
        encoder = runtime.load(torch_embedder.model[0], resolve_model(DEFAULT_MODEL), WORD_LAYER, cache=blocked)
    assert encoder is None
    assert "the embedder runs with torch" in caplog.text and f"Check that {blocked} is writable" in caplog.text
    assert blocked.read_text() == "a file where the cache folder should be"


def test_an_export_that_disagrees_with_torch_is_not_used(caplog, monkeypatch, torch_embedder) -> None:
    monkeypatch.setattr(runtime, "AGREEMENT", -1.0)  # any difference, even 0, counts as disagreement
    with caplog.at_level(logging.WARNING, logger="docqa"):
        encoder = runtime.load(torch_embedder.model[0], resolve_model(DEFAULT_MODEL), WORD_LAYER)
    assert encoder is None
    assert "differs from the torch model" in caplog.text and "Delete the file to make it again" in caplog.text


def _torch_version() -> str:
    import torch

    return torch.__version__


def test_a_module_that_is_no_transformer_runs_with_torch(tmp_path) -> None:
    assert runtime.load(object(), resolve_model(DEFAULT_MODEL), WORD_LAYER, cache=tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_a_cached_export_loads_without_torch_and_is_checked_against_the_stored_states(tmp_path, torch_embedder) -> None:
    model_path = resolve_model(DEFAULT_MODEL)
    made = runtime.load(torch_embedder.model[0], model_path, WORD_LAYER, cache=tmp_path)
    cached = runtime.load_cached(model_path, WORD_LAYER, cache=tmp_path)
    assert made is not None and cached is not None and cached.path == made.path
    ids = np.array([[101, 2043, 2106, 102]])
    assert np.abs(cached(ids, np.ones_like(ids))[0] - made(ids, np.ones_like(ids))[0]).max() == 0.0
    # stored states that do not match the export: not used
    check = runtime.check_path(made.path)
    with np.load(check) as stored:
        states = {key: stored[key] for key in stored.files}
    states["last"] = states["last"] + 0.01
    np.savez(check, **states)
    assert runtime.load_cached(model_path, WORD_LAYER, cache=tmp_path) is None
    check.unlink()
    assert runtime.load_cached(model_path, WORD_LAYER, cache=tmp_path) is None


def test_asking_and_indexing_need_no_torch_once_the_export_is_cached(tmp_path) -> None:
    code = ("import sys; from docqa.embed.embedder import Embedder; e = Embedder(); v = e.encode(['When did Serbia join?']); "
            "w = e.encode(['Serbia joined the Partnership for Peace.', 'NATO opened an office in Belgrade.', 'Why?']); "
            "print('torch' in sys.modules, v.shape, w.shape)")
    env = {**os.environ, "DOCQA_CACHE": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.strip() == "True (1, 384) (3, 384)"  # the first start makes the export with torch
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert second.stdout.strip() == "False (1, 384) (3, 384)"  # passages too: indexing needs no torch


def test_a_cpu_session_has_the_threads_asked_for_and_does_not_spin() -> None:
    # the shipped reader's graph: any ONNX file will do, the options are the session's own
    from docqa.read.factory import TRAINED_FOLDER

    session = runtime.cpu_session(TRAINED_FOLDER / "model.onnx", threads=1)
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert runtime.cpu_session(TRAINED_FOLDER / "model.onnx").get_session_options().intra_op_num_threads == (
        os.cpu_count() or 1)
