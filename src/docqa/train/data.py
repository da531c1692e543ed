"""QA files -> `Example`s: SQuAD JSON, Natural Questions (QED) lines and docqa's own evaluation files,
and the split that keeps whole articles apart for validation (`gather`).

Offsets: `Example.answer_start` is a character offset into `Example.context`;
`context[answer_start:answer_start + len(answer_text)] == answer_text` holds for every answerable example.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docqa.errors import BadTrainingData
from docqa.read.decode import trim


# The source of an example that only stands beside a question's own paragraph in a multi-passage group
# (train/groups.py): its windows have no label of their own (`windows.NO_LABEL`).
BESIDE = "beside"


@dataclass(frozen=True)
class Example:
    """A question about `context`; `answer_text` sits at `answer_start` in it, or both are None when the
    context does not answer the question. `group` names the article, so validation keeps whole
    articles apart; `source` says where the example came from (squad, nq, docqa, a negative's kind)."""

    id: str
    question: str
    context: str
    answer_text: str | None
    answer_start: int | None
    group: str
    source: str

    @property
    def answerable(self) -> bool:
        return self.answer_text is not None


def _check_answer(context: str, text: str, start: int, where: str) -> None:
    if context[start : start + len(text)] != text:
        raise BadTrainingData(
            f"{where}: the answer {text!r} is not at character {start} of its context. Fix the "
            "answer_start, or drop the question."
        )


def _open_text(path: Path):
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rt", encoding="utf-8")
        return path.open(encoding="utf-8")
    except OSError as error:
        raise BadTrainingData(f"Cannot open {path} ({error.strerror}). Check the path.") from error


def load_squad(path: Path, skip_guessed: bool = False) -> list[Example]:
    """SQuAD-format JSON (v1.1 or v2.0, gzip or plain) -> examples, the first gold answer of each
    question; v2.0's `is_impossible` questions become unanswerable examples. `skip_guessed` drops the
    questions whose offset was recomputed and marked `answer_start_guessed`."""
    try:
        with _open_text(path) as handle:
            data = json.load(handle)
        articles = data["data"]
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, KeyError, TypeError) as error:
        raise BadTrainingData(
            f"{path} is not SQuAD-format JSON ({type(error).__name__}: {error}). Expected "
            '{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}.'
        ) from error
    examples = []
    for article in articles:
        title = article.get("title", "")
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                if skip_guessed and qa.get("answer_start_guessed"):
                    continue
                if qa.get("is_impossible") or not qa.get("answers"):
                    examples.append(Example(str(qa["id"]), qa["question"], context, None, None, title, "squad"))
                    continue
                answer = qa["answers"][0]
                _check_answer(context, answer["text"], answer["answer_start"], f"{path} question {qa['id']}")
                examples.append(
                    Example(str(qa["id"]), qa["question"], context, answer["text"], answer["answer_start"], title, "squad")
                )
    return examples


# Natural Questions text is tokenised with spaces around punctuation ("Röntgen , of Germany"). These
# tokens attach to the word before them, those to the word after.
_ATTACH_LEFT = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m"})
_ATTACH_RIGHT = frozenset({"(", "[", "{", "$", "#"})


def detokenize(text: str) -> tuple[str, list[int]]:
    """Space-tokenised text -> natural text and, for every character position of the input (and its
    end), the corresponding position in the output. Tokens keep their characters; only spaces go, and
    a position among spaces maps to the end of the token before them."""
    out: list[str] = []
    mapping = [0] * (len(text) + 1)
    length = 0
    previous = None
    last_end = 0
    for match in re.finditer(r"\S+", text):
        token = match.group()
        for k in range(last_end, match.start()):
            mapping[k] = length
        if previous is not None and token not in _ATTACH_LEFT and previous not in _ATTACH_RIGHT:
            out.append(" ")
            length += 1
        for k in range(match.start(), match.end()):
            mapping[k] = length + (k - match.start())
        length += len(token)
        out.append(token)
        previous = token
        last_end = match.end()
    for k in range(last_end, len(text) + 1):
        mapping[k] = length
    return "".join(out), mapping


def _json_lines(path: Path, what: str, fields: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each non-blank line of a JSON-lines file (gzip or plain); a line that
    is no JSON object with `fields` raises BadTrainingData naming it."""
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                record, reason = None, str(error)
            else:
                missing = [name for name in fields if name not in record] if isinstance(record, dict) else fields
                reason = f"no {', '.join(missing)}"
            if record is None or missing:
                raise BadTrainingData(
                    f"{path} line {number} is not {what} ({reason}). Write one JSON object per line with "
                    f"{', '.join(fields)}."
                )
            yield number, record


def load_nq(path: Path) -> list[Example]:
    """Natural Questions (QED) JSON lines -> examples with natural spacing; the first answer span whose
    offsets hold its answer_text is kept, and an example whose spans all disagree is skipped."""
    examples = []
    for number, record in _json_lines(path, "a Natural Questions record",
                                      ("question_text", "paragraph_text", "answer_spans")):
        paragraph, spans = record["paragraph_text"], record["answer_spans"]
        question, title = record["question_text"], record.get("title_text", "")
        texts = record.get("answer_text") or []
        context, mapping = detokenize(paragraph)
        for k, (start, end) in enumerate(spans):
            if not 0 <= start < end <= len(paragraph) or not paragraph[start:end].strip():
                continue
            if k < len(texts) and paragraph[start:end].strip() != texts[k].strip():
                continue  # a span that disagrees with its own answer text
            a, b = mapping[start], mapping[end]
            # The span's own detokenised text must agree with the context's characters there.
            if detokenize(paragraph[start:end])[0] != context[a:b].strip():
                continue
            a, b = trim(context, a, b)
            examples.append(
                Example(f"nq:{record.get('example_id', number)}", question, context, context[a:b], a, title, "nq")
            )
            break
    return examples


def locate(answers: Sequence[str], passages: Sequence[str], question: str) -> tuple[int, int, str] | None:
    """For docqa's own evaluation items: (passage index, character offset, answer) of the gold answer
    in the passage that shares most words with the question; None when no passage holds an answer."""
    words = set(re.findall(r"\w+", question.lower()))
    best: tuple[int, int, int, str] | None = None
    for index, passage in enumerate(passages):
        for answer in answers:
            offset = passage.find(answer) if answer else -1
            if offset < 0:
                continue
            overlap = len(words & set(re.findall(r"\w+", passage.lower())))
            if best is None or overlap > best[0]:
                best = (overlap, index, offset, answer)
    return None if best is None else (best[1], best[2], best[3])


def load_docqa(path: Path, passages: Sequence[str], group: str) -> tuple[list[Example], int]:
    """docqa evaluation or feedback lines (question + answers) -> examples whose context is the corpus
    passage holding the answer (`locate`); unanswerable items (answers []) pair with the passage that
    shares most words with the question. Returns the examples and how many items no passage held."""
    examples, missing = [], 0
    for number, record in _json_lines(path, "a docqa evaluation item", ("question",)):
        question, answers = record["question"], list(record.get("answers") or [])
        ident = f"docqa:{path.name}:{number}"
        if not answers:
            words = set(re.findall(r"\w+", question.lower()))
            scores = [len(words & set(re.findall(r"\w+", p.lower()))) for p in passages]
            if scores:
                best = passages[int(np.argmax(scores))]
                examples.append(Example(ident, question, best, None, None, group, "docqa"))
            continue
        found = locate(answers, passages, question)
        if found is None:
            missing += 1
            continue
        index, offset, answer = found
        examples.append(Example(ident, question, passages[index], answer, offset, group, "docqa"))
    return examples, missing


def split_by_group(examples: Sequence[Example], held_out: int) -> tuple[list[Example], list[Example]]:
    """(training, validation): the last `held_out` groups (articles) in order of appearance validate."""
    order = list(dict.fromkeys(e.group for e in examples))
    kept = set(order[-held_out:]) if held_out > 0 else set()
    return [e for e in examples if e.group not in kept], [e for e in examples if e.group in kept]


@dataclass(frozen=True)
class TrainingData:
    """Where a run's examples come from: SQuAD-format files, Natural Questions lines, and docqa
    evaluation files with the corpus passages their answers are located in."""

    squad: tuple[Path, ...] = ()
    nq: tuple[Path, ...] = ()
    docqa: tuple[Path, ...] = ()
    passages: tuple[str, ...] = ()
    held_out_articles: int = 20
    held_out_nq_titles: int = 150
    nq_weight: int = 1  # each Natural Questions training example counted this many times


def gather(data: TrainingData, log: Callable[[str], None]) -> tuple[list[Example], list[Example], dict]:
    """(training examples, validation examples, counts). SQuAD validates on its last
    `held_out_articles` articles, Natural Questions on its last `held_out_nq_titles` titles; docqa's
    own files only train. Natural Questions' training examples count `nq_weight` times each (real
    search queries are a twelfth of the questions otherwise); validation takes each once."""
    if data.nq_weight < 1:
        raise BadTrainingData(f"--nq-weight must be 1 or more, not {data.nq_weight}.")
    train, validation, counts = [], [], {}
    sources = [(path, load_squad, data.held_out_articles, 1) for path in data.squad]
    sources += [(path, load_nq, data.held_out_nq_titles, data.nq_weight) for path in data.nq]
    for path, load, held_out, weight in sources:
        kept, held = split_by_group(load(path), held_out)
        train += [example for example in kept for _ in range(weight)]  # repeats side by side: one paragraph
        validation += held
        counts[str(path)] = {"train": len(kept), "validation": len(held)}
        if weight > 1:
            counts[str(path)]["weight"] = weight
    for path in data.docqa:
        examples, missing = load_docqa(path, data.passages, group=f"docqa:{path.name}")
        train += examples
        counts[str(path)] = {"train": len(examples), "not_found_in_corpus": missing}
        if missing:
            log(f"{path}: {missing} answers are in no corpus passage; those questions are left out.")
    if not train:
        raise BadTrainingData("No training examples: pass --squad, --nq or --docqa with at least one question.")
    return train, validation, counts
