"""The web chat: a thin Gradio shell over the Engine. It asks, formats replies as HTML, records
feedback, hands uploads to the engine and triggers rebuilds; models, the index and the corpus files
stay in the engine. Its example questions come from the corpus's own evaluation file.

Every piece of text that comes from a document, a file name or a user is HTML-escaped here before it
reaches the page; the only real markup is our own (<p>, <b>, <i>, <mark>, <blockquote>, <details>). The
Chatbot renders the reply as HTML (no Markdown, no LaTeX) and Gradio's sanitiser runs on top of that
as a second line of defence, not the first.
"""

from __future__ import annotations

import html
import ipaddress
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from docqa.engine import Engine, Freshness, Reply, Status, quoted_list
from docqa.errors import AuthRequired, BadEvalFile, BadFeedback, BadSettings, DocqaError
from docqa.evaluation.items import append_feedback, feedback_item, load_eval_file
from docqa.index.manifest import BuildReport
from docqa.ingest.formats import ACCEPTED_SUFFIXES
from docqa.ingest.uploads import MAX_UPLOAD_BYTES, Upload
from docqa.settings import Settings
from docqa.text import display_name
from docqa.types import Hit

log = logging.getLogger("docqa")

MAX_EXAMPLES = 4
DECLINED = "The documents do not answer this question."
GENERIC_ERROR = "Something went wrong while answering. The problem was logged; please try again."
# The engine answers from several threads at once (see engine.py); 8 keeps 2 cores busy without
# queueing a crowd behind one slow question.
CONCURRENCY = 8
_SHOWN_QUESTION_CHARS = 500
# The chat renders our HTML without Gradio's prose styles; give quotes and passages a little shape.
CSS = """
.docqa-chat blockquote { border-left: 3px solid var(--border-color-accent); margin: 0.4em 0; padding-left: 0.8em; }
.docqa-chat details { margin-top: 0.4em; }
.docqa-chat mark { padding: 0 0.15em; }
"""


@dataclass(frozen=True)
class Turn:
    """One question of a conversation as the chat shows it and as feedback records it.

    `answer` is the answer text given, None when docqa declined; `ok` is False when the question
    could not be asked at all (an error reply), which feedback then ignores.
    """

    question: str
    history: tuple[str, ...]
    html: str
    answer: str | None
    ok: bool


# ---- formatting (pure) ------------------------------------------------------------------------
def _text(value: str) -> str:
    """Document or user text as inert HTML; line breaks kept visible."""
    return html.escape(value, quote=True).replace("\n", "<br>")


def mark_quote(quote: str, start: int, end: int) -> str:
    """The quote as HTML with quote[start:end] inside <mark>; every character escaped."""
    return f"{_text(quote[:start])}<mark>{_text(quote[start:end])}</mark>{_text(quote[end:])}"


def format_source(document: str, section: str | None, page: int | None, start: int, end: int) -> str:
    """'doc · section · p. 3 · characters 10–20', escaped; section and page only when known."""
    parts = [_text(display_name(document))]
    if section:
        parts.append(_text(section))
    if page is not None:
        parts.append(f"p. {page}")
    parts.append(f"characters {start}–{end}")
    return " · ".join(parts)


def format_passages(hits: Sequence[Hit], summary: str) -> str:
    """The passages in a collapsible <details>, rank order, each with its source and score."""
    if not hits:
        return ""
    items = "".join(
        f"<li><p>{format_source(h.passage.document, h.passage.section, h.passage.page, h.passage.start, h.passage.end)}"
        f" · score {h.score:.2f}</p><blockquote>{_text(h.passage.text)}</blockquote></li>"
        for h in hits
    )
    return f"<details><summary>{summary} ({len(hits)})</summary><ol>{items}</ol></details>"


def _resolved_note(reply: Reply) -> list[str]:
    if reply.resolved == reply.question:
        return []
    return [f"<p><i>Read as a follow-up: {_text(reply.resolved)}</i></p>"]


def format_reply(reply: Reply) -> str:
    """The chat reply for an engine Reply, as HTML: answer in bold, confidence, the quote with the
    answer marked, the source with offsets, then the other passages; or the declined reply with the
    closest passages. A notice that the index is behind the corpus comes last."""
    notice = f"<p><i>{_text(reply.notice)}</i></p>" if reply.notice else ""
    return _format_answer(reply) + notice


def _format_answer(reply: Reply) -> str:
    answer = reply.answer
    if answer is None:
        lines = [f"<p><b>{DECLINED}</b></p>", *_resolved_note(reply)]
        if reply.unstated:
            lines.append(f"<p>The passage of the best guess does not mention {_text(quoted_list(reply.unstated))}.</p>")
        elif reply.candidate is not None:
            lines.append(f"<p>Best guess confidence {reply.confidence:.2f}, below the {reply.threshold:.2f} "
                         "needed to answer.</p>")
        if not reply.hits:
            lines.append("<p>No passage of the documents matched the question.</p>")
            return "".join(lines)
        shown = reply.shown_hits()
        best, rest = shown[0], shown[1:]
        p = best.passage
        label = "Passage of the best guess" if reply.unstated else "Closest passage"
        lines.append(f"<p>{label}: {format_source(p.document, p.section, p.page, p.start, p.end)}</p>")
        lines.append(f"<blockquote>{_text(p.text)}</blockquote>")
        lines.append(format_passages(rest, "Other close passages"))
        return "".join(lines)
    a, b = answer.quote_offsets
    quoted = (answer.document, answer.quote_start, answer.quote_end)
    others = [h for h in reply.hits if (h.passage.document, h.passage.start, h.passage.end) != quoted]
    lines = [
        f"<p><b>{_text(answer.text)}</b></p>",
        *_resolved_note(reply),
        f"<p>Confidence {reply.confidence:.2f}</p>",
        f"<blockquote>{mark_quote(answer.quote, a, b)}</blockquote>",
        f"<p>Source: {format_source(answer.document, answer.section, answer.page, answer.start, answer.end)}</p>",
        format_passages(others, "Other retrieved passages"),
    ]
    return "".join(lines)


def format_error(error: DocqaError) -> str:
    return f"<p>{_text(str(error))}</p>"


def format_user(question: str) -> str:
    """The user's own message as shown in the chat: escaped, very long ones shortened."""
    if not question.strip():
        return "<i>(empty question)</i>"
    if len(question) > _SHOWN_QUESTION_CHARS:
        question = question[:_SHOWN_QUESTION_CHARS] + f"… ({len(question):,} characters)"
    return _text(question)


def format_status(status: Status) -> str:
    """'1 document · 15 passages indexed · built … · current' (or stale with the reason, and whether a
    rebuild is under way)."""
    documents = f"{status.documents} document{'s' if status.documents != 1 else ''}"
    if status.stale is None:
        state = "current"
    elif status.rebuilding is not None:
        state = f"stale ({_text(status.stale)}) — a rebuild is under way ({_text(status.rebuilding)})"
    else:
        state = f"stale ({_text(status.stale)}) — press Rebuild index"
    return (f"<p>{documents} · {status.passages} passages indexed · built {_text(status.built_at)} · "
            f"model {_text(status.model)} · {state}</p>")


def format_build(report: BuildReport) -> str:
    lines = [
        f"<p>Index {'built' if report.full else 'updated'}: {report.passages} passages from {report.documents} "
        f"({len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
        f"{len(report.unchanged)} unchanged) in {report.seconds:.1f} s.</p>"
    ]
    lines += [f"<p>Skipped {_text(reason)}</p>" for reason in report.skipped]
    lines += [f"<p>Warning: {_text(warning)}</p>" for warning in report.warnings]
    return "\n".join(lines)


def log_line(when: datetime, milliseconds: float, outcome: str, top: str | None) -> str:
    """The one log line per question: time, latency, outcome, top source. Nothing about the user."""
    return (f"question at {when.isoformat(timespec='seconds')}: {outcome} in {milliseconds:.0f} ms, "
            f"top source {top if top is not None else '-'}")


# ---- asking --------------------------------------------------------------------------------------
def refresh(engine: Engine) -> bool:
    """Switch to an index rebuilt by another process (`docqa index`); True when it switched."""
    try:
        return engine.reload_if_changed()
    except DocqaError as error:
        log.warning("Keeping the current index: %s", error)
        return False


def ask(engine: Engine, question: str, history: Sequence[str] = ()) -> Turn:
    """Ask `question` after the earlier questions `history` (oldest first). Never raises: errors
    become a friendly reply, and one line per question goes to the "docqa" log."""
    started = time.perf_counter()
    when = datetime.now(timezone.utc)
    try:
        reply = engine.ask(question, history=list(history))
    except DocqaError as error:
        log.info(log_line(when, (time.perf_counter() - started) * 1000, f"refused ({type(error).__name__})", None))
        return Turn(question, tuple(history), format_error(error), None, ok=False)
    except Exception:
        log.exception(log_line(when, (time.perf_counter() - started) * 1000, "failed", None))
        return Turn(question, tuple(history), f"<p>{GENERIC_ERROR}</p>", None, ok=False)
    top = reply.hits[0].passage.document if reply.hits else None
    outcome = "answered" if reply.answer is not None else "declined"
    log.info(log_line(when, (time.perf_counter() - started) * 1000, outcome, top))
    return Turn(question, tuple(history), format_reply(reply), reply.answer.text if reply.answer else None, ok=True)


def chat(engine: Engine, question: str, history: Sequence[str] = ()) -> str:
    """The HTML reply text to `question`, on the newest index; what the /chat endpoint returns."""
    refresh(engine)
    return ask(engine, question, history).html


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


# ---- uploads and examples --------------------------------------------------------------------------
def format_uploads(uploads: Sequence[Upload]) -> str:
    """Say, as HTML, which uploaded files were added (and under what name) and which were refused and why."""
    lines = []
    for upload in uploads:
        if upload.refused is not None:
            lines.append(f"<p>Refused: {_text(upload.refused)}</p>")
        elif upload.name != upload.original:
            lines.append(f"<p>Added {_text(upload.original)} (as {_text(upload.name)}).</p>")
        else:
            lines.append(f"<p>Added {_text(upload.original)}.</p>")
    if any(upload.refused is None for upload in uploads):
        lines.append("<p>Press <b>Rebuild index</b> to make the new documents searchable.</p>")
    return "\n".join(lines)


def remove_uploaded(paths: Sequence[Path], cache: Path) -> None:
    """Delete Gradio's temporary copies of uploaded files in its folder `cache` (and the folder of its
    own that each one has there, once empty): a file is kept in the corpus or refused, never left in
    the temporary folder. A path outside `cache` is left alone."""
    root = cache.resolve()
    for path in paths:
        where = path.resolve()
        if not where.is_relative_to(root) or where == root:
            continue
        try:
            where.unlink(missing_ok=True)
            if where.parent != root:
                where.parent.rmdir()
        except OSError:
            pass  # a folder still holding another upload stays


def example_questions(path: Path, count: int = MAX_EXAMPLES) -> list[str]:
    """The first `count` distinct answerable standalone questions (with answers, without history) of
    the evaluation file `path`, to offer as examples; [] when it is missing or unreadable."""
    try:
        items, _ = load_eval_file(path)
    except BadEvalFile:
        return []
    questions = dict.fromkeys(item.question for item in items if item.answerable and not item.history)
    return list(questions)[:count]


# ---- safe serving --------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_credentials(text: str, origin: str) -> list[tuple[str, str]]:
    """'user:password' lines (blank lines and # comments ignored) -> [(user, password), ...]."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon or not user or not password:
            raise BadSettings(f"{origin} must hold user:password (one pair per line).")
        pairs.append((user, password))
    if not pairs:
        raise BadSettings(f"{origin} holds no user:password pair.")
    return pairs


def resolve_auth(
    host: str, no_auth: bool, auth_file: Path | None, auth_env: str | None,
) -> list[tuple[str, str]] | None:
    """The credentials to require, or None for an open server.

    Credentials come from `auth_file`, else from the DOCQA_AUTH value `auth_env`. A loopback host
    needs none; any other host needs some unless `no_auth` is given explicitly.
    """
    if auth_file is not None:
        try:
            return parse_credentials(auth_file.read_text(encoding="utf-8"), f"The auth file {auth_file}")
        except OSError as error:
            raise BadSettings(f"Cannot read the auth file {auth_file}: {error.strerror}.") from error
    if auth_env:
        return parse_credentials(auth_env, "DOCQA_AUTH")
    if is_loopback(host) or no_auth:
        return None
    raise AuthRequired(
        f"Refusing to serve on {host} without credentials: anyone who can reach it could read your "
        "documents. Set DOCQA_AUTH=user:password or pass --auth-file FILE, or pass --no-auth if the "
        "network is trusted."
    )


# ---- the app -------------------------------------------------------------------------------------
def _status_html(engine: Engine) -> str:
    return format_status(engine.status())


def rebuild(engine: Engine) -> str:
    """Bring the index up to date with the corpus and say, as HTML, what changed. Never raises: on a
    failure the previous index stays in use."""
    try:
        return format_build(engine.rebuild())
    except DocqaError as error:
        return format_error(error)
    except Exception:
        log.exception("Rebuild failed")
        return "<p>The rebuild failed; the previous index is still in use. The problem was logged.</p>"


class Events:
    """The page's event handlers over one engine: each takes the values of the page's components and
    returns their new values (gr.skip() for one left as it is)."""

    def __init__(self, engine: Engine, feedback: Path):
        self.engine = engine
        self.feedback = feedback

    def status(self) -> str:
        return _status_html(self.engine)

    def respond(self, question: str, messages: list, turns: list[Turn]):
        switched = refresh(self.engine)
        turn = ask(self.engine, question, [t.question for t in turns if t.ok])
        status = self.status() if switched else gr.skip()
        messages = [*messages, {"role": "user", "content": format_user(question)},
                    {"role": "assistant", "content": turn.html}]
        return "", messages, [*turns, turn], status

    def mark(self, turns: list[Turn], data: gr.LikeData):
        if data.liked not in (True, False):  # a mark taken back: nothing to record
            return gr.skip(), gr.skip(), gr.skip()
        hidden = gr.update(visible=False)
        turn = turn_of(turns, data.index)
        if turn is None or not turn.ok:
            return "<p>Only answers and declines can be marked, not error messages.</p>", hidden, None
        if data.liked:
            try:
                record_feedback(self.feedback, turn, confirmed_answers(turn))
            except BadFeedback as error:
                return format_error(error), hidden, None
            return "<p>Thanks, saved as right.</p>", hidden, None
        return ("<p>What is the right answer? Type it as it is written in the documents, or tick "
                "“not answerable from the documents”.</p>"), gr.update(visible=True), data.index // 2

    def correct(self, turns: list[Turn], pending: int | None, text: str, unanswerable: bool):
        if pending is None or pending >= len(turns):
            return "<p>Mark a reply as wrong first.</p>", gr.skip(), pending, text, unanswerable
        try:
            record_feedback(self.feedback, turns[pending], corrected_answers(text, unanswerable))
        except BadFeedback as error:
            return format_error(error), gr.skip(), pending, text, unanswerable
        return "<p>Thanks, your correction was saved.</p>", gr.update(visible=False), None, "", False

    def upload(self, paths: list[str] | None):
        uploaded = [Path(path) for path in paths or []]
        try:
            note = format_uploads(self.engine.add_documents(uploaded))
        finally:
            remove_uploaded(uploaded, Path(get_upload_folder()))
        return None, note, self.status()

    def rebuild(self):
        return rebuild(self.engine), self.status()

    def api_chat(self, question: str, history: list[str] | None = None) -> str:
        """Answer a question from the documents, as a follow-up to the earlier questions `history`
        (oldest first) when given; returns the reply as HTML text."""
        return chat(self.engine, question, history if history is not None else ())


def build_app(engine: Engine, settings: Settings) -> gr.Blocks:
    """The Blocks app over `engine`. Its one API endpoint, /chat, takes a question (and optionally the
    earlier questions) and returns the reply text; the page's own events are private."""
    events = Events(engine, settings.feedback_path)
    examples = example_questions(settings.eval_file)
    intro = "Ask a question, or pick an example below." if examples else "Ask a question."
    with gr.Blocks(title="docqa") as app:
        gr.Markdown("# docqa\nAsk about the documents in the corpus. Every answer is copied from them, "
                    "quoted and cited; when they do not hold the answer, docqa says so.")
        status = gr.HTML(events.status())
        chatbot = gr.Chatbot(
            label="docqa", elem_classes="docqa-chat", height=560, buttons=["copy"],
            render_markdown=False, latex_delimiters=[], sanitize_html=True,
            feedback_options=("Like", "Dislike"),
            placeholder=f"{intro} Mark each reply right or wrong with the thumbs under it.",
        )
        turns = gr.State([])
        pending = gr.State(None)
        with gr.Row():
            question = gr.Textbox(show_label=False, placeholder="Ask a question about your documents",
                                  scale=8, autofocus=True)
            send = gr.Button("Ask", variant="primary", scale=1)
        if examples:
            gr.Examples(examples, inputs=question, label="Examples")
        feedback_note = gr.HTML()
        with gr.Group(visible=False) as correction:
            right_answer = gr.Textbox(label="The right answer, as written in the documents")
            unanswerable = gr.Checkbox(label="Not answerable from the documents")
            save = gr.Button("Save correction")
        with gr.Accordion("Add documents and rebuild the index", open=False):
            files = gr.File(
                file_count="multiple", file_types=list(ACCEPTED_SUFFIXES),
                label=f"Upload {', '.join(ACCEPTED_SUFFIXES)} (at most {MAX_UPLOAD_BYTES // 2**20} MB each)",
            )
            upload_note = gr.HTML()
            rebuild_button = gr.Button("Rebuild index")
            rebuild_note = gr.HTML()

        private = {"api_visibility": "private"}
        for trigger in (question.submit, send.click):
            trigger(events.respond, [question, chatbot, turns], [question, chatbot, turns, status], **private)
        chatbot.like(events.mark, [turns], [feedback_note, correction, pending], **private)
        chatbot.clear(lambda: ([], None, gr.update(visible=False)), None, [turns, pending, correction], **private)
        save.click(events.correct, [turns, pending, right_answer, unanswerable],
                   [feedback_note, correction, pending, right_answer, unanswerable], **private)
        files.upload(events.upload, [files], [files, upload_note, status], **private)
        rebuild_button.click(events.rebuild, None, [rebuild_note, status], concurrency_limit=1, **private)
        app.load(events.status, None, [status], **private)
        gr.api(events.api_chat, api_name="chat")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app


def launch(app: gr.Blocks, host: str, port: int, auth: list[tuple[str, str]] | None,
           prevent_thread_lock: bool = False) -> str:
    """Start serving `app`; returns the local URL (blocks unless `prevent_thread_lock`)."""
    _, url, _ = app.launch(
        server_name=host, server_port=port, share=False, auth=auth,
        auth_message="docqa: sign in with the credentials set by DOCQA_AUTH or --auth-file." if auth else None,
        max_file_size=MAX_UPLOAD_BYTES, show_error=False, quiet=True, ssr_mode=False, css=CSS,
        prevent_thread_lock=True,
    )
    if not prevent_thread_lock:
        print(f"docqa: chat at {url} (listening on {host}:{port}; Ctrl-C to stop)", flush=True)
        app.block_thread()
    return url


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, no_auth: bool = False,
          auth_file: Path | None = None) -> int:
    """Check the credentials, build the engine (building a missing index), print the URL and serve
    until interrupted."""
    auth = resolve_auth(host, no_auth, auth_file, os.environ.get("DOCQA_AUTH"))
    if not is_loopback(host) and auth is None:
        print(f"docqa: warning: serving on {host} without credentials (--no-auth).", file=sys.stderr)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    # A stale index answers at once while the new one is built beside it; a missing one is built first.
    engine = Engine(settings, warm=True, freshness=Freshness.BACKGROUND)
    launch(build_app(engine, settings), host, port, auth)
    return 0
