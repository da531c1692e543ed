"""A conversation as turns: what the chat shows of each question, what the browser keeps of it across
reloads (plain JSON), what feedback records and what the Markdown export writes (pure functions); and
the asking itself, with the one log line per question that the chat and the API both write."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from docqa.engine import NOT_ENGLISH, Engine, Reply, off_topic_text, quoted_list
from docqa.errors import BadFeedback, DocqaError
from docqa.evaluation.items import append_feedback, feedback_item
from docqa.names import display_name
from docqa.text import confidence_text, threshold_text

DECLINED = "The documents do not answer this question."
log = logging.getLogger("docqa")
# What the browser keeps: the last turns of a conversation (each holds its reply's HTML).
MAX_KEPT_TURNS = 200


@dataclass(frozen=True)
class Turn:
    """One question of a conversation as the chat shows it, keeps, exports and records feedback of.

    `answer` is the answer text given, None when docqa declined; `ok` is False when the question
    could not be asked at all (an error reply), which feedback then ignores. `quote` and `source`: the
    passage quoted and where it is (document, section, page, characters), of the answer or, for a
    decline, of the closest passage; `documents`: what the question was limited to (() for all).
    """

    question: str
    history: tuple[str, ...]
    html: str
    answer: str | None
    ok: bool
    confidence: float | None = None
    quote: str | None = None
    source: str | None = None
    documents: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the reply said beside it: why it declined, read by OCR

    def to_json(self) -> dict:
        return {"question": self.question, "history": list(self.history), "html": self.html,
                "answer": self.answer, "ok": self.ok, "confidence": self.confidence, "quote": self.quote,
                "source": self.source, "documents": list(self.documents), "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: object) -> "Turn | None":
        """The turn a browser kept, or None when `data` is not one (an old or damaged entry)."""
        if not isinstance(data, dict) or not isinstance(data.get("question"), str) or not isinstance(data.get("html"), str):
            return None
        texts = lambda key: tuple(v for v in data.get(key) or () if isinstance(v, str))  # noqa: E731
        text = lambda key: data[key] if isinstance(data.get(key), str) else None  # noqa: E731
        confidence = data.get("confidence")
        return cls(data["question"], texts("history"), data["html"], text("answer"), data.get("ok") is True,
                   float(confidence) if isinstance(confidence, (int, float)) else None, text("quote"),
                   text("source"), texts("documents"), texts("notes"))


def declined_notes(reply: Reply) -> list[str]:
    """Why docqa declined, as plain sentences: the chat shows them under the decline, the export writes
    them (the passage of the best guess not stating the question's names, a search-box query no passage
    comes near, or the best guess's confidence under the threshold; a question not in English)."""
    notes = []
    if reply.unstated:
        notes.append(f"The passage of the best guess does not mention {quoted_list(reply.unstated)}.")
        notes += [reply.meant_text] if reply.meant_text else []
    elif reply.off_topic is not None:
        reason = off_topic_text(reply.off_topic)
        notes.append(f"{reason[0].upper() + reason[1:]}.")
    elif reply.candidate is not None:
        notes.append(f"Best guess confidence {confidence_text(reply.confidence, reply.threshold)}, below the "
                     f"{threshold_text(reply.threshold)} needed to answer.")
    if not reply.english:
        notes.append(NOT_ENGLISH)
    return notes


# What an answer read from a scanned page adds (the chat, in italics; the export).
OCR_NOTE = "Read by OCR from a scanned page: check its words against the page."


def source_line(document: str, section: str | None, page: int | None, start: int, end: int) -> str:
    """'doc · section · p. 3 · characters 10–20' as plain text (the page escapes it for HTML)."""
    parts = [display_name(document), *([section] if section else []), *([f"p. {page}"] if page is not None else [])]
    return " · ".join([*parts, f"characters {start}–{end}"])


def turn_of_reply(question: str, history: Sequence[str], html: str, reply: Reply) -> Turn:
    """The turn of an answered or declined question; its notes are what the chat said beside the answer
    (words respelt, read as a follow-up, read by OCR, another version, why it declined, the index behind
    the corpus)."""
    answer = reply.answer
    read_as = ([reply.spelling_text] if reply.spelling_text else []) + (
        [f"Read as a follow-up: {reply.followup}"] if reply.followup else [])
    behind = [reply.notice] if reply.notice else []
    if answer is not None:
        beside = [reply.columns_text, OCR_NOTE if reply.read_by_ocr else None, reply.other_version_text,
                  reply.passed_over_text]
        return Turn(question, tuple(history), html, answer.text, True, reply.confidence, answer.quote,
                    source_line(answer.document, answer.section, answer.page, answer.start, answer.end), reply.documents,
                    tuple(read_as + [note for note in beside if note] + behind))
    shown = reply.shown_hits()
    closest = shown[0].passage if shown else None
    return Turn(question, tuple(history), html, None, True, reply.confidence,
                closest.text if closest else None,
                source_line(closest.document, closest.section, closest.page, closest.start, closest.end)
                if closest else None, reply.documents, tuple(read_as + declined_notes(reply) + behind))


def kept(turns: Sequence[Turn]) -> list[dict]:
    """What the browser stores of a conversation: its last MAX_KEPT_TURNS turns as JSON."""
    return [turn.to_json() for turn in turns[-MAX_KEPT_TURNS:]]


def restored(data: object) -> list[Turn]:
    """The turns a browser kept; what is not a turn is left out."""
    if not isinstance(data, list):
        return []
    return [turn for turn in (Turn.from_json(entry) for entry in data) if turn is not None]


def literal(text: str) -> str:
    """`text` as Markdown shows it, letter for letter: its "<", "&" and "\\" escaped, so that no viewer
    reads markup from a document or a question ("<script>" in a quote stays text)."""
    return re.sub(r"([\\<&])", r"\\\1", text)


def _quoted(text: str) -> list[str]:
    return [f"> {literal(line)}" if line else ">" for line in text.splitlines()]


def export_markdown(turns: Sequence[Turn], title: str = "docqa conversation") -> str:
    """The conversation as Markdown: every question, then its answer (or that the documents do not
    answer it, or why it could not be asked), its confidence, what the reply said beside it (why it
    declined, read by OCR, read as a follow-up), the quoted passage and its source. Every text from a
    document or a question is written `literal`."""
    lines = [f"# {title}", ""]
    for number, turn in enumerate(turns, start=1):
        lines += [f"## {number}. {literal(turn.question)}", ""]
        if turn.documents:
            lines += [f"Asked within: {literal(', '.join(display_name(d) for d in turn.documents))}", ""]
        if not turn.ok:
            lines += [literal(turn.notes[0]) if turn.notes else "The question could not be asked.", ""]
            continue
        if turn.answer is not None:
            lines.append(f"**Answer:** {literal(turn.answer)}")
        else:
            lines.append(f"**{DECLINED}**")
        if turn.confidence is not None:
            lines.append(f"Confidence: {confidence_text(turn.confidence, 0.999)}")  # 3 decimals rounded down, as the chat
        lines += [*map(literal, turn.notes), ""]
        if turn.quote:
            lines += _quoted(turn.quote) + [""]
        if turn.source:
            lines += [f"{'Source' if turn.answer is not None else 'Closest passage'}: {literal(turn.source)}", ""]
    return "\n".join(lines)


# ---- feedback ------------------------------------------------------------------------------------
def confirmed_answers(turn: Turn) -> list[str]:
    """The gold answers when a user marks `turn` right: the answer given, or none for a decline."""
    return [turn.answer] if turn.answer is not None else []


def corrected_answers(text: str, unanswerable: bool) -> list[str]:
    """The gold answers of a correction: the typed answer, or none when not answerable."""
    if unanswerable:
        return []
    if not text.strip():
        raise BadFeedback("Type the right answer, or tick “not answerable from the documents”.")
    return [text.strip()]


def turn_of(turns: Sequence[Turn], message_index: int) -> Turn | None:
    """The turn whose reply is chat message `message_index`; every turn adds a question and a reply."""
    position, is_reply = divmod(message_index, 2)
    return turns[position] if is_reply and position < len(turns) else None


def record_feedback(path: Path, turn: Turn, answers: Sequence[str]) -> dict:
    """Append a user's mark of `turn` to the evaluation file `path` and return the item written;
    raises BadFeedback when it cannot be an evaluation item. Only the question, the earlier
    questions and the answers are stored, nothing about the user."""
    item = feedback_item(turn.question, turn.history, answers)
    append_feedback(path, item)
    return item


def log_line(when: datetime, milliseconds: float, outcome: str, top: str | None) -> str:
    """The one log line per question: time, latency, outcome, top source. Nothing about the user."""
    return (f"question at {when.isoformat(timespec='seconds')}: {outcome} in {milliseconds:.0f} ms, "
            f"top source {top if top is not None else '-'}")


def ask_logged(engine: Engine, question: str, history: Sequence[str] = (), documents: Sequence[str] = ()) -> Reply:
    """`engine.ask`, and one line to the "docqa" log: answered or declined, refused (a DocqaError, raised
    on) or failed (any other error, logged with its traceback and raised on)."""
    started = time.perf_counter()
    when = datetime.now(timezone.utc)
    try:
        reply = engine.ask(question, history=list(history), documents=documents)
    except DocqaError as error:
        log.info(log_line(when, (time.perf_counter() - started) * 1000, f"refused ({type(error).__name__})", None))
        raise
    except Exception:
        log.exception(log_line(when, (time.perf_counter() - started) * 1000, "failed", None))
        raise
    top = reply.hits[0].passage.document if reply.hits else None
    log.info(log_line(when, (time.perf_counter() - started) * 1000,
                      "answered" if reply.answer is not None else "declined", top))
    return reply
