"""The embedder's transformer exported once to ONNX and run with onnxruntime.

On a short question the ONNX graph runs about three times faster than the torch module on these
2-core machines (benchmarks/latency.py), and gives the same numbers (largest difference ~1e-5).
The export is made from the local weights on first use, checked against the torch forward pass,
and kept in the cache folder under a name that depends on the weights, the torch version and the
layers exported. Beside it, `<name>.check.npz` keeps torch's states on CHECK_TEXTS, so a later start
(`load_cached`) checks the export against torch's numbers without importing torch at all. When
onnxruntime is missing, the export fails or its numbers differ, `load` says why in the log and
returns None: the embedder keeps using torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from docqa.atomic import replacing
from docqa.embed.onnx_export import export_graph, largest_difference

log = logging.getLogger("docqa")

EXPORT_VERSION = 1           # bump when the exported graph changes shape
AGREEMENT = 1e-3             # largest difference from the torch states accepted on the check text
CHECK_TEXTS = ["When did Serbia join the Partnership for Peace?", "A second, longer text to pad the first one."]


def cache_dir() -> Path:
    """DOCQA_CACHE, else $XDG_CACHE_HOME/docqa, else ~/.cache/docqa."""
    if os.environ.get("DOCQA_CACHE"):
        return Path(os.environ["DOCQA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "docqa"


def torch_version() -> str:
    """The installed torch's version, read from its metadata (importing torch costs seconds)."""
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"


def export_name(model_path: str, layer: int, torch_version: str) -> str:
    """File name of the export for these weights: any change of a model file (size or time), of
    torch or of the layer gives another name, so a stale export is never loaded."""
    digest = hashlib.sha256(f"{EXPORT_VERSION}|{layer}|{torch_version}".encode())
    root = Path(model_path)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"|{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return f"encoder-{digest.hexdigest()[:16]}.onnx"


class OnnxEncoder:
    """The exported graph: token ids and attention mask in; the last layer's states and those of
    layer `layer` out, each (batch, tokens, dim) float32."""

    def __init__(self, session: object, path: Path) -> None:
        self.session = session
        self.path = path

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        last, layer = self.session.run(  # type: ignore[attr-defined]
            None, {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)})
        return last, layer


def load(transformer: object, model_path: str, layer: int, cache: Path | None = None) -> OnnxEncoder | None:
    """The ONNX encoder for a sentence-transformers Transformer module, exported if not cached yet;
    None (and a log line saying why) when it cannot be used."""
    try:
        import onnxruntime  # noqa: F401  (only whether it is there: cpu_session uses it)
    except ImportError as error:
        log.info("onnxruntime is not installed (%s); the embedder runs with torch.", error)
        return None
    folder = cache if cache is not None else cache_dir()
    model = getattr(transformer, "auto_model", None)
    tokenizer = getattr(transformer, "tokenizer", None)
    if model is None or tokenizer is None:
        log.info("The embedding model's first module is no Hugging Face transformer; it runs with torch.")
        return None
    path = folder / export_name(model_path, layer, torch_version())
    cached = path.exists()
    try:
        if not cached:
            _export(model, tokenizer, layer, path)
        session = cpu_session(path)
    except Exception as error:
        if not cached:  # a fresh export that failed would fail again
            return _without_onnx(error, folder)
        # an unreadable export left by an earlier run is made again, once
        log.warning("The ONNX export %s could not be used (%s); making it again.", path, _first_line(error))
        try:
            path.unlink(missing_ok=True)
            _export(model, tokenizer, layer, path)
            session = cpu_session(path)
        except Exception as again:
            return _without_onnx(again, folder)
    encoder = OnnxEncoder(session, path)
    reference = _torch_states(model, tokenizer, layer)
    difference = _disagreement(encoder, reference)
    if difference > AGREEMENT:
        log.warning("The ONNX export %s differs from the torch model by %.2g; the embedder runs with "
                    "torch. Delete the file to make it again.", path, difference)
        return None
    _write_reference(check_path(path), reference)
    return encoder


def check_path(export: Path) -> Path:
    """Where torch's states on CHECK_TEXTS are kept for an export."""
    return export.with_name(export.stem + ".check.npz")


def load_cached(model_path: str, layer: int, cache: Path | None = None) -> OnnxEncoder | None:
    """The cached export for these weights, checked against the torch states stored beside it, without
    importing torch; None when there is none yet (the first start makes it) or it cannot be used."""
    folder = cache if cache is not None else cache_dir()
    path = folder / export_name(model_path, layer, torch_version())
    reference_file = check_path(path)
    if not (path.is_file() and reference_file.is_file()):
        return None
    try:
        with np.load(reference_file, allow_pickle=False) as stored:
            reference = {key: stored[key] for key in stored.files}
        encoder = OnnxEncoder(cpu_session(path), path)
        difference = _disagreement(encoder, reference)
    except Exception as error:  # onnxruntime and numpy raise their own types for a damaged file
        log.warning("The ONNX export %s could not be used (%s); checking it against torch.", path, _first_line(error))
        return None
    if difference > AGREEMENT:
        log.warning("The ONNX export %s differs from the torch states stored with it by %.2g; checking "
                    "it against torch.", path, difference)
        return None
    return encoder


def _without_onnx(error: Exception, folder: Path) -> None:
    log.warning("No ONNX encoder (%s); the embedder runs with torch, about three times slower "
                "per question. Check that %s is writable.", _first_line(error), folder)
    return None


def cpu_session(graph: Path | bytes, threads: int | None = None) -> object:
    """An onnxruntime session on the CPU for the graph in a file or serialized, with every graph
    optimisation, `threads` intra-op threads (default: one per core, the share of the machine torch takes).

    Its threads sleep as soon as a run ends instead of spinning for the next one: a question runs
    the embedder's session and then the reader's, and on two cores the first one's spinning threads
    took the cores from the second (median question 97 -> 66 ms on a quiet machine, benchmarks/latency.py)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads if threads is not None else (os.cpu_count() or 1)
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = graph if isinstance(graph, bytes) else str(graph)
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _states_module(model: object, layer: int) -> object:
    """The module exported: the model's last layer and layer `layer`, from ids and mask."""
    import torch

    class States(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask,
                             output_hidden_states=True, return_dict=True)
            return out.last_hidden_state, out.hidden_states[layer]

    return States().eval()


def _export(model: object, tokenizer: object, layer: int, path: Path) -> None:
    """Write the export of `_states_module` to `path` (docqa.embed.onnx_export), traced on CHECK_TEXTS."""
    log.info("Exporting the embedding model to ONNX, once: %s", path)
    encoded = tokenizer(CHECK_TEXTS, padding=True, return_tensors="pt")  # type: ignore[operator]
    inputs = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    export_graph(_states_module(model, layer), inputs, ("last", "layer"), path)


def _torch_states(model: object, tokenizer: object, layer: int) -> dict[str, np.ndarray]:
    """The torch model's inputs and states on CHECK_TEXTS: input_ids, attention_mask, last, layer."""
    import torch

    encoded = tokenizer(CHECK_TEXTS, padding=True, return_tensors="pt")  # type: ignore[operator]
    with torch.inference_mode():
        out = model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"],  # type: ignore[operator]
                    output_hidden_states=True, return_dict=True)
    return {"input_ids": encoded["input_ids"].numpy(), "attention_mask": encoded["attention_mask"].numpy(),
            "last": out.last_hidden_state.numpy(), "layer": out.hidden_states[layer].numpy()}


def _disagreement(encoder: OnnxEncoder, reference: dict[str, np.ndarray]) -> float:
    """Largest absolute difference between the ONNX states and the reference states on its inputs,
    padding excluded."""
    states = encoder(reference["input_ids"], reference["attention_mask"])
    mask = reference["attention_mask"][..., None].astype(bool)
    return largest_difference(states, (reference["last"], reference["layer"]), mask)


def _write_reference(path: Path, reference: dict[str, np.ndarray]) -> None:
    """Store the reference states beside the export, whole or not at all."""
    try:
        with replacing(path, suffix=".npz") as temporary:  # savez adds .npz to a name without it
            np.savez(temporary, **reference)
    except OSError as error:
        log.warning("Cannot store %s (%s); the next start checks the export against torch again.", path, error)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
