"""The int8 reader run with float arithmetic (read/float_graph.py): a quantized product rewritten as a
float MatMul by the dequantized weight, exact to float rounding; the shipped reader rewritten whole;
the rewrite kept in the cache folder, and made again when that copy is damaged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from docqa.read import float_graph as fg
from docqa.read.trained import OnnxBackend

SHIPPED = Path(fg.__file__).resolve().parents[1] / "models" / "reader" / "model.onnx"


def run(graph: Path | bytes, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(graph if isinstance(graph, bytes) else str(graph),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.fixture
def quantized(tmp_path) -> tuple[Path, np.ndarray]:
    """A graph y = x @ W + b quantized to int8 as export-reader does (per output channel), and W."""
    rng = np.random.default_rng(7)
    weight = rng.normal(size=(16, 8)).astype(np.float32)
    bias = rng.normal(size=8).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 8])],
        [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, tmp_path / "fp32.onnx")
    quantize_dynamic(str(tmp_path / "fp32.onnx"), str(tmp_path / "int8.onnx"), weight_type=QuantType.QInt8,
                     per_channel=True)
    return tmp_path / "int8.onnx", weight


def test_a_quantized_product_becomes_a_float_matmul_by_the_dequantized_weight(quantized):
    path, weight = quantized
    int8 = onnx.load(path)
    assert [n.op_type for n in int8.graph.node] == ["DynamicQuantizeLinear", "Mul", "MatMulInteger", "Cast", "Mul", "Add"]
    rewritten = onnx.load_from_string(fg.float_matmuls(path.read_bytes()))
    assert [n.op_type for n in rewritten.graph.node] == ["MatMul", "Add"]
    inits = {t.name: numpy_helper.to_array(t) for t in int8.graph.initializer}
    dequantized = (inits["W_quantized"].astype(np.float32) - inits["W_zero_point"]) * inits["W_scale"]
    x = np.random.default_rng(8).normal(size=(3, 16)).astype(np.float32)
    got = run(rewritten.SerializeToString(), x)
    np.testing.assert_allclose(got, x @ dequantized + inits["b"], rtol=1e-5, atol=1e-5)
    # the weights are the int8 file's: within a step of int8 of the float weights
    assert np.abs(dequantized - weight).max() <= inits["W_scale"].max() / 2 + 1e-7


def test_a_graph_without_int8_products_is_left_as_it_is(quantized, tmp_path):
    data = (tmp_path / "fp32.onnx").read_bytes()
    assert fg.float_matmuls(data) is data
    assert fg.float_graph(tmp_path / "fp32.onnx", tmp_path / "cache") == tmp_path / "fp32.onnx"
    assert not (tmp_path / "cache").exists()


def test_the_shipped_reader_has_no_integer_product_left():
    nodes = onnx.load_from_string(fg.float_matmuls(SHIPPED.read_bytes())).graph.node
    kinds = [n.op_type for n in nodes]
    assert (kinds.count("MatMulInteger"), kinds.count("DynamicQuantizeLinear"), kinds.count("MatMul")) == (0, 0, 49)


def test_the_rewrite_is_kept_in_the_cache_and_made_again_when_damaged(quantized, tmp_path, monkeypatch):
    path, _ = quantized
    cache = tmp_path / "cache"
    first = fg.float_graph(path, cache)
    assert isinstance(first, Path) and first.parent == cache and first.name.startswith("reader-float-")
    with monkeypatch.context() as patched:  # the next start reads the cached copy, rewriting nothing
        patched.setattr(fg, "float_matmuls", lambda data: pytest.fail("rewritten again"))
        assert fg.float_graph(path, cache) == first

    monkeypatch.setenv("DOCQA_CACHE", str(cache))
    first.write_bytes(b"not a graph")  # a damaged copy: the backend makes it again
    backend = OnnxBackend(path, None, threads=1)
    assert onnx.load(first).graph.node[0].op_type == "MatMul"
    x = np.ones((1, 16), np.float32)
    assert backend.session.run(None, {"x": x})[0].shape == (1, 8)


def test_a_cache_that_cannot_be_written_still_gives_the_float_graph(quantized, tmp_path):
    path, _ = quantized
    (tmp_path / "file").write_text("a file where the cache folder would be")
    graph = fg.float_graph(path, tmp_path / "file")
    assert isinstance(graph, bytes) and onnx.load_from_string(graph).graph.node[0].op_type == "MatMul"
