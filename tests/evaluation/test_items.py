"""evaluation/items.py: evaluation files (malformed lines reported with their line and reason) and the
chat's feedback lines, which are evaluation items."""

from __future__ import annotations

from pathlib import Path

import pytest

from docqa.errors import BadEvalFile, BadFeedback
from docqa.evaluation.items import AnswerKind, append_feedback, feedback_item, load_eval_file


def test_malformed_lines_are_reported_with_their_line_and_reason(tmp_path):
    lines = [
        '{"id": "x1", "question": "When?", "answers": ["2006"], "style": "verbatim"}',
        '{bad json',
        '',
        '{"question": "Who?"}',
        '{"question": "Who?", "answers": "NATO"}',
        '{"question": "Who?", "answers": ["the"]}',
        '{"id": "x1", "question": "Again?", "answers": []}',
        '{"question": "What is \u2028 this?", "answers": ["x"], "history": ["", "Earlier?"]}',
        '[1, 2]',
        '{"question": "   ", "answers": []}',
        '{"question": "Who?", "answers": ["NATO"], "document": ["a.txt"]}',
        '{"questoin": "Who?", "answers": [], "style": "verbatim", "split": "dev"}',
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_file(path)
    assert [(i.id, i.line) for i in items] == [("x1", 1), ("8", 8)]
    assert items[0].answers == ("2006",) and items[0].label("style") == "verbatim"
    assert items[1].history == ("Earlier?",) and items[1].question == "What is  this?"
    assert [p.line for p in problems] == [2, 4, 5, 6, 7, 9, 10, 11, 12]
    reasons = dict((p.line, p.reason) for p in problems)
    assert reasons[2].startswith("not valid JSON")
    assert reasons[4] == "`answers` is missing (write [] for a question the documents do not answer)"
    assert reasons[5] == "`answers` must be a list of strings"
    assert reasons[6] == "answer 'the' is empty once case, punctuation and articles are removed"
    assert reasons[7] == "id 'x1' is already used on line 1"
    assert reasons[9] == "not a JSON object"
    assert reasons[10].startswith("`question`: The question is empty")
    # a misspelt field is refused: "document" ignored would have the question asked of every document
    assert reasons[11] == "`document` is no field of a question: did you mean `documents`?"
    assert reasons[12] == "`questoin` is no field of a question: did you mean `question`?"
    with pytest.raises(BadEvalFile, match=r"qa\.jsonl line 2: not valid JSON .*run without --strict"):
        load_eval_file(path, strict=True)


def test_unreadable_files_say_what_to_do(tmp_path):
    with pytest.raises(BadEvalFile, match="No evaluation file at .*Pass the path of a JSON-lines file"):
        load_eval_file(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"question": 1}\n', encoding="utf-8")
    with pytest.raises(BadEvalFile, match=r"holds no usable question \(first: line 1: `question` must be a string\)"):
        load_eval_file(empty)
    array = tmp_path / "qa.json"
    array.write_text('[\n  {"question": "When?", "answers": ["2006"]}\n]\n', encoding="utf-8")
    with pytest.raises(BadEvalFile, match=r"qa\.json is one JSON array; docqa reads JSON lines: write each question's"):
        load_eval_file(array)


def test_feedback_lines_are_evaluation_items(tmp_path):
    path = tmp_path / "evaluation" / "feedback.jsonl"
    right = feedback_item("When was it established? ", ["Which office opened?"], ["December 2006"])
    declined = feedback_item("What is the population of Serbia?", [], [])
    assert right == feedback_item("When was it established?", ["Which office opened?"], ["December 2006"])
    assert right["id"].startswith("feedback-") and right["id"] != declined["id"]
    append_feedback(path, right)
    with path.open("a", encoding="utf-8") as out:  # a hand edit that drops the final newline
        out.write('{"question": "Typed by hand?", "answers": ["yes"]}')
    append_feedback(path, declined)
    items, problems = load_eval_file(path)
    assert problems == []
    assert [(i.question, i.answers, i.history) for i in items] == [
        ("When was it established?", ("December 2006",), ("Which office opened?",)),
        ("Typed by hand?", ("yes",), ()),
        ("What is the population of Serbia?", (), ()),
    ]
    with pytest.raises(BadFeedback, match="Type the answer as the documents write it"):
        feedback_item("Who?", [], ["  "])
    with pytest.raises(BadFeedback, match="The question is empty"):
        feedback_item(" ", [], ["x"])
    with pytest.raises(BadFeedback, match="This mark cannot be recorded .`answers` is missing"):
        append_feedback(path, {"question": "Who?"})


def test_sentence_items_have_their_kind_and_key_words(tmp_path):
    lines = [
        '{"id": "s1", "question": "Can I?", "answers": ["You may not do it."], "answer_kind": "sentence", '
        '"keys": ["may not"], "form": "yes-no"}',
        '{"id": "s2", "question": "Can I?", "answers": ["You may."], "answer_kind": "clause"}',
        '{"id": "s3", "question": "Can I?", "answers": ["You may."], "answer_kind": "sentence", "keys": "may"}',
        '{"id": "s4", "question": "Can I?", "answers": ["You may."], "keys": ["may"]}',
        '{"id": "s5", "question": "Can I?", "answers": ["You may."], "answer_kind": "sentence", "keys": ["must"]}',
        '{"id": "s6", "question": "When?", "answers": ["2006"]}',
    ]
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_file(path)
    assert [(i.id, i.kind, i.keys, i.label("form")) for i in items] == [
        ("s1", AnswerKind.SENTENCE, ("may not",), "yes-no"), ("s6", AnswerKind.SPAN, (), None)]
    assert "answer_kind" not in items[0].extra and "keys" not in items[0].extra
    assert {p.line: p.reason for p in problems} == {
        2: "`answer_kind` must be \"span\" or \"sentence\", not 'clause'",
        3: "`keys` must be a list of words or phrases",
        4: '`keys` are the key words of a sentence answer: add "answer_kind": "sentence"',
        5: "key 'must' is in none of the answers",
    }
    with pytest.raises(BadEvalFile, match=r"line 2: `answer_kind` must be \"span\" or \"sentence\""):
        load_eval_file(path, strict=True)


def test_the_sentence_set_of_the_repository_loads_whole():
    items, problems = load_eval_file(Path(__file__).resolve().parents[2] / "evaluation" / "sentences" / "qa.jsonl")
    assert problems == [] and len(items) == 142
    assert {i.label("split") for i in items} == {"dev", "untuned", "fresh", "blind"}
    assert all(i.kind is AnswerKind.SENTENCE for i in items)
