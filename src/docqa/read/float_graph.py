"""The shipped int8 reader run with float arithmetic, so that it answers the same on every CPU.

`docqa export-reader` quantizes the reader's weights to int8 (onnxruntime's dynamic quantization: 23 MB
instead of 90). Run as exported, each layer also quantizes its input to uint8 and multiplies integers,
and onnxruntime does that with other kernels on other CPUs: with AVX-512 VNNI the products are exact,
with AVX2 alone they saturate at 16 bits. The same question then got other answers on other machines
("When did Serbia join the Partnership for Peace?": "December 2006" on an AVX2 machine, "2003" at
confidence 0.99990 on a VNNI one), and calibrations and tests held on one kind of CPU only.

`float_matmuls` rewrites each quantized product (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul)
as a float MatMul by the weights the int8 file holds, dequantized once at load: the weights stay those
that were shipped, the arithmetic is float, and every CPU gives the same logits to float rounding.
`float_matmuls` is pure (a serialized graph in, one out); `float_graph` keeps its result in docqa's cache
folder, under the int8 file's hash, so that a later start loads it without importing onnx (about a
second) or rewriting anything.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from docqa.atomic import replacing
from docqa.embed.onnx_cache import cache_dir

log = logging.getLogger("docqa")

VERSION = 1  # bump when float_matmuls writes another graph


def float_graph(path: Path, cache: Path | None = None) -> Path | bytes:
    """The graph to run for the reader graph at `path`: `path` itself when it has no int8 products,
    else its `float_matmuls` rewrite, from the cache folder (DOCQA_CACHE, ~/.cache/docqa) where an
    earlier start left it, or made now and left there (in memory only when the folder cannot be written)."""
    data = path.read_bytes()
    if b"MatMulInteger" not in data:  # an op's type is stored as its name: an fp32 graph is not parsed at all
        return path
    digest = hashlib.sha256(f"{VERSION}|".encode() + data).hexdigest()[:16]
    cached = (cache or cache_dir()) / f"reader-float-{digest}.onnx"
    if cached.is_file():
        return cached
    rewritten = float_matmuls(data)
    if rewritten is data:
        return path
    try:
        with replacing(cached) as temporary:
            temporary.write_bytes(rewritten)
    except OSError as error:
        log.warning("Cannot keep the reader's float graph in %s (%s); the next start makes it again.", cached.parent, error)
        return rewritten
    return cached


def float_matmuls(graph: bytes) -> bytes:
    """The ONNX graph `graph` with each MatMulInteger over an int8 weight turned into a float MatMul
    by the dequantized weight ((w - zero point) x scale, per output channel or per tensor); the nodes
    and initializers that only fed the integer products are dropped. A graph without them is
    returned as it is."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(graph)
    nodes = model.graph.node
    if not any(node.op_type == "MatMulInteger" for node in nodes):
        return graph
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    producer = {output: node for node in nodes for output in node.output}
    consumers: dict[str, list] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    replaced, dropped, dequantized = {}, set(), []
    for node in nodes:
        if node.op_type != "MatMulInteger" or node.input[1] not in weights:
            continue
        quantize = producer[node.input[0]]  # DynamicQuantizeLinear of the float input
        [cast] = consumers[node.output[0]]
        [rescale] = consumers[cast.output[0]]  # the integer product times (input scale x weight scale)
        [weight_scale] = [name for name in producer[rescale.input[1]].input if name in weights]
        array = lambda name: numpy_helper.to_array(weights[name]).astype(np.float32)  # noqa: E731
        weight = (array(node.input[1]) - array(node.input[3])) * array(weight_scale)
        name = f"{node.input[1]}_float"
        dequantized.append(numpy_helper.from_array(weight, name))
        replaced[id(node)] = helper.make_node("MatMul", [quantize.input[0], name], [rescale.output[0]], name=f"{node.name}_float")
        dropped |= {id(cast), id(rescale)}

    kept = [replaced.get(id(node), node) for node in nodes if id(node) not in dropped]
    outputs = {output.name for output in model.graph.output}
    while True:  # the quantizations and scale products nothing reads any more
        read = {name for node in kept for name in node.input} | outputs
        still = [node for node in kept if any(output in read for output in node.output)]
        if len(still) == len(kept):
            break
        kept = still
    read = {name for node in kept for name in node.input}
    initializers = [tensor for tensor in model.graph.initializer if tensor.name in read] + dequantized
    del model.graph.node[:]
    model.graph.node.extend(kept)
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    return model.SerializeToString()
