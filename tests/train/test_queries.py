"""Questions written as search-box queries for training (`--as-queries`): the text, which examples, groups
written alike, and the run's refusal of a share outside [0, 1]."""

from __future__ import annotations

from pathlib import Path

import pytest

from docqa.errors import BadTrainingData
from docqa.text import as_query, query_kind
from docqa.train.data import TrainingData
from docqa.train.loop import TrainConfig, train_reader
from docqa.train.queries import typed_as_queries
from train.test_training import example


@pytest.mark.parametrize("question, query", [
    ("Who won the first Nobel Prize in Physics?", "who won the first nobel prize in physics"),
    ("  When did Serbia join PfP ? ", "when did serbia join pfp"),
    ("who won jhalak dikhlaja 2017", "who won jhalak dikhlaja 2017"),
    ("Is it a 'yes'?!?", "is it a 'yes'?!"),
])
def test_a_question_as_typed_into_a_search_box(question: str, query: str) -> None:
    assert as_query(question) == query
    assert query_kind(query) == "keywords" or query.endswith("!")


QUESTIONS = ["Who won the first Nobel Prize in Physics?", "Who awards the prize?", "When was it first awarded?",
             "Where is the prize given?", "Why was the prize founded?", "What did Röntgen not give?"]


def examples() -> list:
    return [example(q, None) for q in QUESTIONS]


def test_about_the_share_of_questions_is_written_as_queries_for_a_seed() -> None:
    typed = typed_as_queries(examples(), 0.5, seed=3)  # random.Random(3) draws 0.238 0.544 0.370 0.604 0.626 0.066
    assert [e.question for e in typed] == [
        "who won the first nobel prize in physics", "Who awards the prize?", "when was it first awarded",
        "Where is the prize given?", "Why was the prize founded?", "what did röntgen not give"]
    assert [(e.id, e.context, e.answer_text, e.source) for e in typed] == [
        (e.id, e.context, e.answer_text, e.source) for e in examples()]
    assert typed == typed_as_queries(examples(), 0.5, seed=3)
    assert typed_as_queries(examples(), 0.0, seed=3) == examples()
    assert [e.question for e in typed_as_queries(examples(), 1.0, seed=3)] == [as_query(q) for q in QUESTIONS]


def test_the_examples_of_a_group_are_written_alike() -> None:
    groups = [0, 0, 0, 1, 1, -1]
    for seed in range(20):
        typed = typed_as_queries(examples(), 0.5, seed=seed, groups=groups)
        changed = [a.question != b.question for a, b in zip(examples(), typed)]
        assert len(set(changed[:3])) == 1 and len(set(changed[3:5])) == 1


def test_a_share_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\], not 1.5"):
        typed_as_queries(examples(), 1.5, seed=1)
    config = TrainConfig(base_model=str(tmp_path), examples=32, as_queries=-0.1)
    with pytest.raises(BadTrainingData, match=r"--as-queries is a share of the questions, from 0 to 1, not -0.1"):
        train_reader(TrainingData(), config, tmp_path / "run")
