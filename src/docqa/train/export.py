"""A trained reader (Hugging Face weights) -> model.onnx + tokenizer.json + reader.json + MODEL_CARD.md:
the folder docqa ships and `NeuralReader` runs with onnxruntime, without torch.

reader.json carries the training run's card (data, settings, validation figures), the no-answer
threshold, and a load check: token ids of a fixed question and passage with the torch model's logits
for them, so that every load compares the ONNX graph's logits with torch's without importing torch.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from docqa.atomic import replacing
from docqa.embed.onnx_export import export_graph, largest_difference
from docqa.errors import ReaderNotFound
from docqa.read.trained import (
    CARD_FILE,
    ONNX_FILE,
    OnnxBackend,
    TorchBackend,
    check_feed,
)
from docqa.train.card import CARD_MD, model_card

CHECK_QUESTION = "When did the committee approve the new bridge over the river?"
CHECK_CONTEXT = (
    "The town council met in the old library in March 1998. After a long debate the committee approved "
    "the new bridge over the river on 4 June 1999, and building began the following spring."
)
TOKENIZER_FILES = ("tokenizer.json",)


def check_inputs(tokenizer_path: Path) -> dict[str, list[list[int]]]:
    """input_ids and token_type_ids (batch of one) of the check question and passage."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    encoding = tokenizer.encode(CHECK_QUESTION, CHECK_CONTEXT)
    return {"input_ids": [list(encoding.ids)], "token_type_ids": [list(encoding.type_ids)]}


def export_onnx(model: object, inputs: dict[str, list[list[int]]], path: Path) -> None:
    """The reader as an ONNX graph at `path` (docqa.embed.onnx_export: opset 17, batch and token axes
    dynamic, written whole or not at all): token ids, attention mask and token types in, start and end
    logits out."""
    import torch

    ids = torch.tensor(inputs["input_ids"])
    arguments = {"input_ids": ids, "attention_mask": torch.ones_like(ids),
                 "token_type_ids": torch.tensor(inputs["token_type_ids"])}
    export_graph(model, arguments, ("start_logits", "end_logits"), path)


def quantize(source: Path, target: Path, per_channel: bool = True) -> None:
    """Dynamic int8 quantization of the weights of MatMul layers (onnxruntime.quantization), with one
    scale per output channel unless `per_channel` is False (one per tensor)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel)


def tolerance_for(difference: float) -> float:
    """The load check's tolerance: twice the difference measured at export, at least 1e-3. A damaged
    or other model differs by whole units of logit."""
    return max(1e-3, round(2 * difference, 4))


def export_reader(model_folder: Path, out: Path, int8: bool, card: dict, threshold: float) -> dict:
    """Export `model_folder` into `out` (fp32 ONNX, or int8 when `int8`), with its tokenizer, reader.json
    and MODEL_CARD.md. Returns reader.json's data."""
    import torch
    from transformers import AutoModelForQuestionAnswering

    try:
        model = AutoModelForQuestionAnswering.from_pretrained(str(model_folder), dtype=torch.float32).eval()
    except (OSError, ValueError) as error:
        raise ReaderNotFound(str(model_folder), str(error).splitlines()[0]) from error
    out.mkdir(parents=True, exist_ok=True)
    inputs = check_inputs(model_folder / "tokenizer.json")
    feed = check_feed(inputs["input_ids"], inputs["token_type_ids"])
    start, end = TorchBackend(model)(feed)
    with replacing(out / ONNX_FILE) as graph:
        if int8:
            with tempfile.TemporaryDirectory(dir=out) as scratch:  # the fp32 graph, quantized into `graph`
                fp32 = Path(scratch) / "fp32.onnx"
                export_onnx(model, inputs, fp32)
                quantize(fp32, graph)
        else:
            export_onnx(model, inputs, graph)
        # onnxruntime runs the graph here, so that one it cannot load never replaces a working one
        difference = largest_difference(OnnxBackend(graph, None)(feed), (start, end))
    (out / ONNX_FILE).chmod(0o644)  # replacing's temporary file is private; it ships to every user of the package
    for name in TOKENIZER_FILES:
        shutil.copy(model_folder / name, out / name)
    data = {
        "format": "onnx-int8" if int8 else "onnx-fp32",
        "threshold": threshold,
        "max_position_embeddings": model.config.max_position_embeddings,
        "check": {
            "input_ids": inputs["input_ids"],
            "token_type_ids": inputs["token_type_ids"],
            "start_logits": np.round(start, 5).tolist(),
            "end_logits": np.round(end, 5).tolist(),
            "torch_difference": round(difference, 6),
            "tolerance": tolerance_for(difference),
        },
        "training": card,
    }
    (out / CARD_FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (out / CARD_MD).write_text(model_card(data), encoding="utf-8")
    return data
