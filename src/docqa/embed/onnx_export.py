"""A torch module -> an ONNX graph on disk, and how far the graph's outputs lie from torch's: the one
export-and-check scheme of docqa's two ONNX models, the embedder's (onnx_cache.py, made once in the
user's cache) and the reader's (docqa.train.export, shipped in the package).

Both graphs take token ids of any batch size and length, and both are compared with the torch module
on fixed inputs before they are used or shipped; each keeps torch's outputs on those inputs beside the
graph, so that a later load checks it again without importing torch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from docqa.atomic import replacing

# ONNX opset 17 holds LayerNormalization as one node (onnxruntime fuses it); TorchScript's exporter
# (dynamo=False) gives the graph whose weights docqa.train.model_folders.onnx_weights reads back.
OPSET = 17


def export_graph(module: object, inputs: dict[str, object], outputs: Sequence[str], path: Path) -> None:
    """`module` (a torch module called with the tensors of `inputs`, in their order) as an ONNX graph at
    `path`: inputs and outputs named as given, axes 0 and 1 (batch, tokens) of each dynamic. The file is
    written whole or not at all (docqa.atomic.replacing): another process never sees half a graph, and
    two processes exporting at once both end with a whole one."""
    import torch

    names = list(inputs)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in [*names, *outputs]}
    with replacing(path) as temporary, warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's and deprecation warnings are no news to a user
        torch.onnx.export(module, tuple(inputs.values()), str(temporary), input_names=names,
                          output_names=list(outputs), dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)


def largest_difference(graph: Sequence[np.ndarray], torch: Sequence[np.ndarray], mask: np.ndarray | None = None) -> float:
    """The largest absolute difference between each of the graph's outputs and torch's in the same place,
    over the positions where `mask` (broadcast against them: (batch, tokens, 1) leaves padding out of
    (batch, tokens, dim) states) is true; over every position when there is no mask."""
    return max(
        float(np.abs(ours - theirs if mask is None else np.where(mask, ours - theirs, 0)).max())
        for ours, theirs in zip(graph, torch, strict=True)
    )
