"""benchmarks/device_train.py: a run's weights out as float16 parts and back into a run folder, as a
GPU machine's call returns them (its `train` step is `docqa train-reader`, tested in test_train.py)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from docqa.train.model_folders import model_from_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def device_train():
    spec = importlib.util.spec_from_file_location("device_train", ROOT / "benchmarks" / "device_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def finished_run(tmp_path) -> Path:
    """A run folder as `docqa train-reader` leaves it, with the tiny model as its weights; the shipped
    reader's recovered base stands beside it (its card only: nothing needs recovering again)."""
    from read.test_trained import save_tiny_model

    run = tmp_path / "runs" / "gpu-1"
    save_tiny_model(run / "model")
    (run / "shipped-reader").mkdir()
    (run / "shipped-reader" / "card.json").write_text(json.dumps({"run": "reader-7"}), encoding="utf-8")
    card = {"config": {"base_model": str(run / "shipped-reader" / "model"), "examples": 64, "batch_size": 32},
            "windows": 1000, "device": "cuda", "train_seconds": 61}
    (run / "card.json").write_text(json.dumps(card), encoding="utf-8")
    return run


def test_parts_unpack_into_the_same_weights_in_float16(device_train, finished_run, tmp_path, monkeypatch):
    monkeypatch.setattr(device_train, "PART_BYTES", 400_000)  # the tiny model in several parts
    out = tmp_path / "out"
    written = device_train.parts(finished_run, out)
    assert [p.name for p in written] == [f"weights-fp16.safetensors.{k}" for k in range(len(written))]
    assert len(written) > 2 and all(p.stat().st_size == 400_000 for p in written[:-1])
    assert json.loads((out / "card.json").read_text(encoding="utf-8"))["device"] == "cuda"

    kit = tmp_path / "kit"
    shutil.copytree(finished_run / "model", kit / "architecture", ignore=shutil.ignore_patterns("*.safetensors"))
    here = tmp_path / "here" / "gpu-1"
    device_train.unpack(out, here, kit)
    original, back = load_file(finished_run / "model" / "model.safetensors"), load_file(here / "model" / "model.safetensors")
    assert set(back) == set(original)
    for name, tensor in original.items():
        assert back[name].dtype == torch.float32
        assert torch.equal(back[name], tensor.to(torch.float16).float()), name
    folder, card = model_from_run(here)
    assert folder == here / "model" and card["device"] == "cuda" and card["train_seconds"] == 61


def test_unpack_names_a_missing_part_and_a_cut_one(device_train, finished_run, tmp_path, monkeypatch):
    monkeypatch.setattr(device_train, "PART_BYTES", 400_000)
    out = tmp_path / "out"
    written = device_train.parts(finished_run, out)
    kit = tmp_path / "kit"
    shutil.copytree(finished_run / "model", kit / "architecture", ignore=shutil.ignore_patterns("*.safetensors"))
    written[1].rename(tmp_path / "aside")
    with pytest.raises(SystemExit, match=r"weights-fp16.safetensors.1 is missing from .*: fetch it again"):
        device_train.unpack(out, tmp_path / "here", kit)
    (tmp_path / "aside").rename(written[1])
    written[-1].unlink()
    with pytest.raises(SystemExit, match=r"do not join into one weights file .*the last part is missing or cut"):
        device_train.unpack(out, tmp_path / "here", kit)
