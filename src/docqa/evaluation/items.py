"""Evaluation files: JSON lines of questions with their gold answers (`docqa eval`'s input, the
corpus's dev set evaluation/qa.jsonl), and the chat's feedback, appended in the same format.

One item per line: `question`, `answers` ([] when the documents do not answer), optional `id`,
`history` (the earlier questions of a conversation, oldest first), `answer_kind` ("span", the default,
or "sentence": the answers are the sentences that answer it, and an answer is right when it is or holds
one, see metrics.sentence_match), `keys` (a sentence item's key words, which a right answer must hold)
and any other field (`split`, `style`, `type`, `form`), kept for grouping figures. A malformed line is
skipped with its reason, or stops a --strict run.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType

from docqa.errors import BadEvalFile, BadFeedback, BadQuestion
from docqa.evaluation.metrics import contains_words, normalize_answer
from docqa.text import check_question


# ---- the evaluation file -------------------------------------------------------------------------
class AnswerKind(str, Enum):
    """What an item's answers are: spans, scored by exact match; or the sentences that answer it (a
    yes/no, how, why question), an answer being right when it is, or holds, one of them."""

    SPAN = "span"
    SENTENCE = "sentence"


@dataclass(frozen=True)
class EvalItem:
    """One question of an evaluation file. No `answers` means the documents do not answer it.
    `documents`: the question is asked within these documents only (all when empty). `kind`: what its
    answers are; `keys`: the words a right answer to a sentence item must hold. `extra` keeps the
    line's other fields (such as `style` and `type`) untouched; `line` is 1-based."""

    id: str
    question: str
    answers: tuple[str, ...]
    history: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    line: int = 0
    documents: tuple[str, ...] = ()
    kind: AnswerKind = AnswerKind.SPAN
    keys: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def label(self, name: str) -> str | None:
        """The item's value of an optional field such as `style`, as text; None when absent."""
        value = self.extra.get(name)
        return None if value is None else str(value)


@dataclass(frozen=True)
class Problem:
    """A malformed line of an evaluation file, skipped unless --strict."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class _Malformed(ValueError):
    """Why one line is not an evaluation item; the loader turns it into a Problem."""


_KNOWN = {"id", "question", "answers", "history", "documents", "answer_kind", "keys"}


def _question(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"`{name}` must be a string")
    try:
        return check_question(value)
    except BadQuestion as error:
        raise _Malformed(f"`{name}`: {error}") from None


def parse_item(text: str, line: int) -> EvalItem:
    """The item on one line of an evaluation file; raises _Malformed with the reason."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Malformed(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise _Malformed("not a JSON object")
    for key in data.keys() - _KNOWN:  # "document" ignored would have the question asked of every document
        if near := difflib.get_close_matches(key, sorted(_KNOWN), n=1, cutoff=0.75):
            raise _Malformed(f"`{key}` is no field of a question: did you mean `{near[0]}`?")
    if "question" not in data:
        raise _Malformed("`question` is missing")
    question = _question(data["question"], "question")
    if "answers" not in data:
        raise _Malformed("`answers` is missing (write [] for a question the documents do not answer)")
    answers = data["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise _Malformed("`answers` must be a list of strings")
    for answer in answers:
        if not normalize_answer(answer):
            raise _Malformed(f"answer {answer!r} is empty once case, punctuation and articles are removed")
    raw_id = data.get("id", line)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise _Malformed("`id` must be a non-empty string")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise _Malformed("`history` must be a list of the earlier questions, oldest first")
    earlier = tuple(_question(q, "history") for q in history if not (isinstance(q, str) and not q.strip()))
    documents = data.get("documents", [])
    if not isinstance(documents, list) or not all(isinstance(d, str) and d.strip() for d in documents):
        raise _Malformed("`documents` must be a list of document names (as `docqa documents list` shows them)")
    kind, keys = _kind(data, answers)
    extra = MappingProxyType({k: v for k, v in data.items() if k not in _KNOWN})
    return EvalItem(str(raw_id).strip(), question, tuple(answers), earlier, extra, line, tuple(documents), kind, keys)


def _kind(data: dict, answers: list[str]) -> tuple[AnswerKind, tuple[str, ...]]:
    """The item's answer kind and key words; raises _Malformed for an unknown kind, keys that are not
    a list of strings, keys of a span item, or a key that none of the answers holds."""
    raw = data.get("answer_kind", AnswerKind.SPAN.value)
    try:
        kind = AnswerKind(raw)
    except ValueError:
        choices = " or ".join(f'"{k.value}"' for k in AnswerKind)
        raise _Malformed(f"`answer_kind` must be {choices}, not {raw!r}") from None
    keys = data.get("keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and normalize_answer(k) for k in keys):
        raise _Malformed("`keys` must be a list of words or phrases")
    if keys and kind is not AnswerKind.SENTENCE:
        raise _Malformed('`keys` are the key words of a sentence answer: add "answer_kind": "sentence"')
    for key in keys:
        if not any(contains_words(answer, key) for answer in answers):
            raise _Malformed(f"key {key!r} is in none of the answers")
    return kind, tuple(keys)


def load_eval_file(path: Path, strict: bool = False) -> tuple[list[EvalItem], list[Problem]]:
    """The items of a JSON-lines evaluation file in file order, and the malformed lines skipped.
    Raises BadEvalFile when the file cannot be read, holds no usable item, or (strict) has a bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadEvalFile(
            f"No evaluation file at {path}. Pass the path of a JSON-lines file of questions and answers "
            "(one object per line with `question` and `answers`; see docs/commands.md, `docqa eval`)."
        ) from None
    except UnicodeDecodeError:
        raise BadEvalFile(f"{path} is not UTF-8 text. Save it as UTF-8 JSON lines and run again.") from None
    except OSError as error:
        raise BadEvalFile(f"Cannot read {path} ({error.strerror}). Pass a readable JSON-lines file.") from None
    if text.lstrip().startswith("["):
        raise BadEvalFile(f"{path} is one JSON array; docqa reads JSON lines: write each question's object on a "
                          "line of its own, without the brackets and the commas between them.")
    items: list[EvalItem] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    # Not splitlines(): it also breaks at U+2028 and friends, which JSON strings may hold raw.
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            item = parse_item(raw, number)
            if item.id in seen:
                raise _Malformed(f"id {item.id!r} is already used on line {seen[item.id]}")
        except _Malformed as error:
            if strict:
                raise BadEvalFile(
                    f"{path} line {number}: {error}. Fix the line, or run without --strict to skip it."
                ) from None
            problems.append(Problem(number, str(error)))
            continue
        seen[item.id] = number
        items.append(item)
    if not items:
        first = f" (first: {problems[0]})" if problems else ""
        raise BadEvalFile(
            f"{path} holds no usable question{first}. Write one JSON object per line with "
            "`question` and `answers`."
        )
    return items, problems


# ---- feedback from the chat -----------------------------------------------------------------------
def feedback_item(question: str, history: Sequence[str], answers: Sequence[str]) -> dict:
    """One line of an evaluation file from a user's mark: `answers` is [] when the documents do not
    answer. The id is a content hash, so the same mark twice has one id (the loader skips the copy)."""
    question = question.strip()
    earlier = [q.strip() for q in history if q.strip()]
    golds = [a.strip() for a in answers]
    if not question:
        raise BadFeedback("The question is empty, so there is nothing to record.")
    if any(not normalize_answer(a) for a in golds):
        raise BadFeedback(
            "The right answer is empty once punctuation and articles are removed. Type the answer as the "
            "documents write it, or mark the question as not answerable from the documents."
        )
    content = json.dumps([question, earlier, golds], ensure_ascii=False)
    return {
        "id": "feedback-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:12],
        "question": question,
        "answers": golds,
        "history": earlier,
    }


def append_feedback(path: Path, item: Mapping) -> None:
    """Append `item` (checked against the evaluation format) as one JSON line: one write to a file
    opened with O_APPEND, so marks from concurrent threads or processes land on separate lines, then
    fsync, so a crash loses at most the line being written. Raises BadFeedback for a malformed item."""
    line = json.dumps(dict(item), ensure_ascii=False)
    try:
        parse_item(line, 0)
    except _Malformed as error:
        raise BadFeedback(f"This mark cannot be recorded ({error}).") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        # A hand-edited file may lack its final newline; the new line must not join the last one.
        ends_open = os.fstat(descriptor).st_size > 0 and _last_byte(path) != b"\n"
        data = (("\n" if ends_open else "") + line + "\n").encode("utf-8")
        written = os.write(descriptor, data)
        while written < len(data):
            written += os.write(descriptor, data[written:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)
