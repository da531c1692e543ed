"""Exporting a reader to ONNX: the same answers as torch, a load check that catches a damaged file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from read.test_trained import DOCUMENT, hits_of, passages_of, save_tiny_model

from docqa.errors import ReaderNotFound
from docqa.read.trained import NeuralReader
from docqa.train import export
from docqa.train.card import CARD_MD, model_card, windows_seen
from docqa.train.model_folders import base_from_reader, onnx_weights

QUESTION = "How many proposals concerned roads in 1971?"
CARD = {
    "config": {"examples": 64, "batch_size": 32, "peak_lr": 1e-4, "warmup": 0.06, "weight_decay": 0.01,
               "bf16": True, "seed": 13, "max_length": 256, "stride": 128},
    "data": {"/data/squad.json.gz": {"train": 90, "validation": 10}},
    "negatives": 18, "windows": 128, "train_seconds": 600,
    "curve": [{"windows_seen": 32, "exact": 0.1, "f1": 0.2, "answerable_declined": 0.0, "unanswerable_declined": 0.5},
              {"windows_seen": 64, "exact": 0.3, "f1": 0.4, "answerable_declined": 0.1, "unanswerable_declined": 0.7}],
    "validation": {"exact": 0.3, "f1": 0.4, "answerable_declined": 0.1, "unanswerable_declined": 0.7,
                   "answerable": 10, "unanswerable": 5},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny-for-export"))


@pytest.fixture(scope="module", params=[False, True], ids=["fp32", "int8"])
def exported(request, tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    data = export.export_reader(Path(tiny), out, request.param, CARD, 0.42)
    return out, data


def test_the_export_answers_as_the_torch_model(tiny, exported):
    out, data = exported
    onnx, torch = NeuralReader(str(out)), NeuralReader(tiny)
    hits = hits_of(passages_of(DOCUMENT))
    a, b = onnx.read(QUESTION, hits), torch.read(QUESTION, hits)
    assert (a.text, a.start, a.end) == (b.text, b.start, b.end)
    tolerance = 1e-4 if data["format"] == "onnx-fp32" else 0.05
    assert a.confidence == pytest.approx(b.confidence, abs=tolerance)
    assert onnx.default_threshold == 0.42
    assert onnx.check_difference is not None and onnx.check_difference <= data["check"]["tolerance"]
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "model.onnx", "reader.json", "tokenizer.json"]


def test_the_exported_reader_loads_without_torch(exported):
    out, _ = exported
    code = (f"import sys; from docqa.read.trained import NeuralReader; r = NeuralReader({str(out)!r}); "
            "print('torch' in sys.modules, 'transformers' in sys.modules, r.default_threshold)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False 0.42"


def test_a_model_file_that_disagrees_with_its_check_is_refused(exported, tmp_path):
    out, data = exported
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    check = dict(data["check"], start_logits=[[v + 1.0 for v in data["check"]["start_logits"][0]]])
    (tmp_path / "reader.json").write_text(json.dumps({**data, "check": check}), encoding="utf-8")
    # 1 plus the graph's own difference from torch, which int8 kernels make machine-dependent (1.02 on AVX2)
    with pytest.raises(ReaderNotFound, match=r"gives logits 1(\.\d+)? away from the torch model .* reinstall docqa"):
        NeuralReader(str(tmp_path))
    (tmp_path / "reader.json").write_text("{half a card", encoding="utf-8")
    with pytest.raises(ReaderNotFound, match=r"its reader.json cannot be read"):
        NeuralReader(str(tmp_path))


def test_the_model_card_states_data_settings_and_validation(exported):
    out, data = exported
    card = (out / CARD_MD).read_text(encoding="utf-8")
    assert "| squad.json.gz | 90 | 10 |" in card
    assert "| generated negatives | 18 |  |" in card  # tables.markdown_table: an empty cell is "|  |"
    assert "windows seen: 64 of 128 (0.50 epoch), batch 32, peak learning rate 0.0001" in card
    assert "- exact match 0.3, F1 0.4 on 10 answerable questions" in card
    assert "| 32 | 0.1 | 0.2 | 0.0 | 0.5 |" in card
    assert f"tolerance {data['check']['tolerance']}" in card
    assert "continued the training" not in card


def test_the_model_card_names_the_run_it_continued():
    earlier = {"run": "reader-1", "windows": 64000, "peak_lr": 0.0001, "train_seconds": 6660, "validation": {"f1": 0.7107}}
    card = model_card({"format": "onnx-int8", "training": {"continued_from": [earlier]}})
    assert "(onnx-int8) with onnxruntime; its int8 weights are multiplied in float arithmetic" in card
    assert "multiplied in float" not in model_card({"format": "onnx-fp32", "training": {}})
    assert ("This run continued the training of the run `reader-1` (64000 windows at peak learning rate 0.0001, "
            "111 minutes; validation F1 0.7107), each from the weights the one before ended with") in card
    assert card.index("continued the training") < card.index("## Training data")
    nearer = {"run": "reader-2", "windows": 48000, "peak_lr": 5e-05, "train_seconds": 6652, "validation": {"f1": 0.7336}}
    card = model_card({"format": "onnx-int8", "training": {"continued_from": [nearer, earlier]}})
    assert ("This run continued the training of the run `reader-2` (48000 windows at peak learning rate 5e-05, "
            "111 minutes; validation F1 0.7336), which continued the run `reader-1` (64000 windows at peak "
            "learning rate 0.0001, 111 minutes; validation F1 0.7107), each from the weights") in card
    assert card.count("continued the training") == 1


def test_the_model_card_counts_the_kinds_of_generated_negatives():
    card = model_card({"format": "onnx-int8", "training": {"negative_kinds": {"other": 5, "retrieved": 2}}})
    assert ("- Generated unanswerable questions (this run's kinds): a question with another paragraph of its "
            "article (5); with the paragraph of another article that its words match best (BM25) and that "
            "lacks the answer (2).") in card
    older = model_card({"format": "onnx-int8", "training": {}})  # a card from before runs counted them
    assert ("kinds): a question with another paragraph of its article; with its own paragraph less the "
            "sentences that state the answer; with a name or number swapped") in older


def test_the_model_card_says_when_a_run_trained_on_question_groups():
    grouped = {"config": {"passages": 3}, "groups": 5587, "grouped_windows": 23004}
    card = model_card({"format": "onnx-int8", "training": grouped})
    assert ("- Multi-passage training: 5587 questions, each with its paragraph and up to 3 paragraphs that BM25 "
            "ranks first for it and that lack its answer, 23004 windows trained in one batch per question, their "
            "spans normalised together (shared normalisation, Clark & Gardner 2018) beside the own loss of the "
            "question's windows.") in card
    one_paragraph = model_card({"format": "onnx-int8", "training": {"config": {"passages": 0}}})
    assert "Multi-passage" not in one_paragraph


def test_the_model_card_says_when_a_run_wrote_questions_as_queries():
    typed = {"config": {"as_queries": 0.3}, "typed_queries": 3863}
    card = model_card({"format": "onnx-int8", "training": typed})
    assert ('- Questions written as search-box queries (lower case, no "?"): 3863 examples, about 30% of them, '
            "answerable and unanswerable alike.") in card
    assert "search-box" not in model_card({"format": "onnx-int8", "training": {"config": {"as_queries": 0.0}}})


def test_the_weights_of_an_exported_graph_are_the_torch_model_s(tiny, exported):
    from transformers import AutoModelForQuestionAnswering

    out, data = exported
    state = AutoModelForQuestionAnswering.from_pretrained(tiny).state_dict()
    weights = onnx_weights(out / "model.onnx")
    assert sorted(weights) == sorted(name for name in state if not name.endswith("position_ids"))
    # int8: every weight within half a quantization step of its own (scale <= max |w| / 127)
    tolerance = 0.0 if data["format"] == "onnx-fp32" else 0.5 / 127
    for name, array in weights.items():
        expected = state[name].numpy()
        assert array.shape == expected.shape, name
        assert abs(array - expected).max() <= tolerance * max(1e-9, abs(expected).max()) + 1e-7, name


def test_training_continues_from_an_exported_reader_s_recovered_weights(tiny, exported, tmp_path):
    out, data = exported
    folder = base_from_reader(out, tmp_path / "model", architecture=Path(tiny))
    hits = hits_of(passages_of(DOCUMENT))
    recovered, original = NeuralReader(str(folder)).read(QUESTION, hits), NeuralReader(tiny).read(QUESTION, hits)
    assert (recovered.text, recovered.start, recovered.end) == (original.text, original.start, original.end)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "model.onnx").write_bytes(b"\x00 half a graph")
    with pytest.raises(ReaderNotFound, match="not an ONNX graph"):
        onnx_weights(tmp_path / "empty" / "model.onnx")
    with pytest.raises(ReaderNotFound, match="does not hold a MiniLM reader"):
        base_from_reader(out, tmp_path / "other")  # the tiny graph is not the packaged MiniLM's shape


def test_the_model_card_says_where_the_run_trained():
    on_gpu = model_card({"format": "onnx-int8", "training": {"device": "cuda", "train_seconds": 300}})
    assert "fine-tuned by `docqa train-reader` on a CUDA GPU, and runs as an ONNX graph" in on_gpu
    assert "- training time: 5 minutes on a CUDA GPU" in on_gpu
    on_cpu = model_card({"format": "onnx-int8", "training": {"device": "cpu", "cpu_cores": 2, "train_seconds": 4629}})
    assert "- training time: 77 minutes on a 2-core CPU" in on_cpu
    before_cores = model_card({"format": "onnx-int8", "training": {"device": "cpu", "train_seconds": 4629}})
    assert "- training time: 77 minutes on a CPU" in before_cores
    unknown = model_card({"format": "onnx-int8", "training": {"train_seconds": 120}})  # a checkpoint's card
    assert "fine-tuned by `docqa train-reader`, and runs" in unknown and "- training time: 2 minutes\n" in unknown


def test_the_model_card_of_a_stopped_run_says_how_far_it_got():
    finished = {"config": {"examples": 32000, "batch_size": 32}, "windows": 137405}
    assert windows_seen(finished) == "32000 of 137405 (0.23 epoch)"
    stopped = {"config": {"examples": 200000, "batch_size": 32}, "steps_done": 4000}  # a checkpoint's card
    assert windows_seen(stopped) == "128000 (of a number of windows not recorded), stopped before the 200000 planned"
    card = model_card({"format": "onnx-int8", "training": stopped})
    assert "- windows seen: 128000 (of a number of windows not recorded), stopped before the 200000 planned, batch 32" in card
    assert "| generated negatives | not recorded |  |" in card
