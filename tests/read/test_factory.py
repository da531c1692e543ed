"""Readers made by name, and the trained reader that ships inside docqa answering the default document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docqa.engine import Engine
from docqa.errors import ReaderNotFound
from docqa.read.factory import TRAINED, TRAINED_FOLDER, make_reader
from docqa.read.trained import NeuralReader
from docqa.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_trained_reader_ships_with_its_card_and_passes_its_load_check():
    names = sorted(p.name for p in TRAINED_FOLDER.iterdir())
    assert names == ["MODEL_CARD.md", "model.onnx", "reader.json", "tokenizer.json"]
    assert (TRAINED_FOLDER / "model.onnx").stat().st_size < 100 * 1024 * 1024
    card = json.loads((TRAINED_FOLDER / "reader.json").read_text(encoding="utf-8"))
    # per-channel int8 cost 0.8 F1 points on held-out SQuAD (at most 1 allowed), and reads about twice as fast
    assert card["format"] == "onnx-int8" and 0.0 < card["threshold"] < 1.0
    reader = make_reader(None, embedder=None, idf=dict)
    assert isinstance(reader, NeuralReader) and reader.label == TRAINED
    assert reader.default_threshold == card["threshold"]
    assert reader.check_difference is not None and reader.check_difference <= card["check"]["tolerance"]


def test_readers_are_made_by_name():
    assert make_reader(TRAINED, embedder=None, idf=dict).label == TRAINED
    with pytest.raises(ReaderNotFound, match=r"Cannot load the reader '/no/such/reader' \(no folder /no/such/reader\)"):
        make_reader("/no/such/reader", embedder=None, idf=dict)


def test_asking_with_the_trained_reader_imports_neither_torch_nor_spacy(tmp_path):
    code = ("import sys; from docqa.read.factory import make_reader; "
            "make_reader(None, None, dict); print(sorted(m for m in ('torch', 'spacy', 'transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("default-document")
    (root / "corpus").mkdir()
    source = ROOT / "corpus" / "nato-relations-with-serbia.txt"
    (root / "corpus" / source.name).write_bytes(source.read_bytes())
    return Engine(Settings(corpus=root / "corpus", index=root / "index"))


# Questions about the default document, in words of our own; the shipped model must answer exactly.
EXACT = [
    ("When did Serbia join the Partnership for Peace?", (), "December 2006"),
    ("What does NAMSA stand for?", (), "NATO Maintenance and Supply Agency"),
    # the model reads "Allied Powers Europe"; the name spelled out before "(SHAPE)" is taken whole
    ("What does SHAPE stand for?", (), "Supreme Headquarters Allied Powers Europe"),
    ("What is SPS short for?", (), "Science for Peace and Security"),
    ("Who led the landmine project?", (), "Canada and Austria"),
    ("When did the project for destroying landmines end?", (), "June 2007"),
    ("When did it end?", ("Which agency executed the landmine project?",), "June 2007"),
]


@pytest.mark.parametrize(("question", "history", "expected"), EXACT)
def test_the_shipped_reader_answers_the_default_document_exactly(engine, question, history, expected):
    reply = engine.ask(question, history)
    assert reply.answer is not None and reply.answer.text == expected
    text = (engine.settings.corpus / "nato-relations-with-serbia.txt").read_text(encoding="utf-8")
    assert reply.answer.quote[slice(*reply.answer.quote_offsets)] == expected
    assert expected in text


def test_a_question_without_words_is_declined_without_reading(engine):
    reply = engine.ask("🤝🤝🤝")
    assert (reply.answer, reply.candidate, reply.confidence) == (None, None, 0.0)


def test_the_shipped_reader_reads_a_passage_as_it_would_alone(engine):
    """The int8 graph quantizes activations with one scale per run: read one window per run, a passage's
    logits are the same whatever passages are read beside it (in one batch they depended on them)."""
    question = "When did Serbia join the Partnership for Peace?"
    texts = [hit.passage.text for hit in engine.retrieve(question)]
    assert len(texts) > 1
    together, alone = engine.reader.encode(question, texts), engine.reader.encode(question, texts[:1])
    start_all, end_all = engine.reader.logits(together.inputs)
    start_one, end_one = engine.reader.logits(alone.inputs)
    width = start_one.shape[1]
    assert (start_all[0, :width] == start_one[0]).all() and (end_all[0, :width] == end_one[0]).all()
