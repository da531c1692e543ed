"""The web chat: a thin Gradio shell over the Engine. It asks (within chosen documents when the user
picks some), keeps the conversation in the browser, exports it as Markdown, records feedback, and
manages the corpus's documents (add, replace after a confirmation, remove after a confirmation), each
change followed by the engine's incremental rebuild; models, the index and the corpus files stay in
the engine. Its example questions come from the corpus's own evaluation file. HTML comes from
web/format.py, which escapes every text of a document, a file name or a user.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from docqa.engine import Engine
from docqa.errors import BadEvalFile, BadFeedback, DocqaError
from docqa.evaluation.items import load_eval_file
from docqa.ingest.formats import ACCEPTED_SUFFIXES
from docqa.ingest.uploads import MAX_UPLOAD_BYTES
from docqa.settings import Settings
from docqa.web.format import (
    format_build,
    format_documents,
    format_error,
    format_removals,
    format_reply,
    format_status,
    format_uploads,
    format_user,
)
from docqa.web.turns import (
    Turn,
    confirmed_answers,
    corrected_answers,
    export_markdown,
    kept,
    record_feedback,
    restored,
    turn_of,
    turn_of_reply,
)

log = logging.getLogger("docqa")

MAX_EXAMPLES = 4
GENERIC_ERROR = "Something went wrong while answering. The problem was logged; please try again."
# The engine answers from several threads at once (see engine.py); 8 keeps 2 cores busy without
# queueing a crowd behind one slow question.
CONCURRENCY = 8
# The chat renders our HTML without Gradio's prose styles; give quotes and passages a little shape.
CSS = """
.docqa-chat blockquote { border-left: 3px solid var(--border-color-accent); margin: 0.4em 0; padding-left: 0.8em; }
.docqa-chat details { margin-top: 0.4em; }
.docqa-chat mark { padding: 0 0.15em; }
"""


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


def ask(engine: Engine, question: str, history: Sequence[str] = (), documents: Sequence[str] = ()) -> Turn:
    """Ask `question` after the earlier questions `history` (oldest first), within `documents` (all
    when empty). Never raises: errors become a friendly reply, and one line per question goes to the
    "docqa" log."""
    started = time.perf_counter()
    when = datetime.now(timezone.utc)
    try:
        reply = engine.ask(question, history=list(history), documents=documents)
    except DocqaError as error:
        log.info(log_line(when, (time.perf_counter() - started) * 1000, f"refused ({type(error).__name__})", None))
        return Turn(question, tuple(history), format_error(error), None, ok=False, documents=tuple(documents))
    except Exception:
        log.exception(log_line(when, (time.perf_counter() - started) * 1000, "failed", None))
        return Turn(question, tuple(history), f"<p>{GENERIC_ERROR}</p>", None, ok=False, documents=tuple(documents))
    top = reply.hits[0].passage.document if reply.hits else None
    outcome = "answered" if reply.answer is not None else "declined"
    log.info(log_line(when, (time.perf_counter() - started) * 1000, outcome, top))
    return turn_of_reply(question, history, format_reply(reply), reply)


def chat(engine: Engine, question: str, history: Sequence[str] = (), documents: Sequence[str] = ()) -> str:
    """The HTML reply text to `question`, on the newest index; what the /chat endpoint returns."""
    refresh(engine)
    return ask(engine, question, history, documents).html


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


def messages_of(turns: Sequence[Turn]) -> list[dict]:
    """The Chatbot's messages for these turns: the question as the user wrote it, then the reply."""
    return [message for turn in turns for message in (
        {"role": "user", "content": format_user(turn.question)}, {"role": "assistant", "content": turn.html})]


def export_file(turns: Sequence[Turn], folder: Path) -> Path:
    """The conversation as Markdown in a new file under `folder` (the download's temporary copy)."""
    target = Path(tempfile.mkdtemp(prefix="docqa-export-", dir=folder)) / "docqa-conversation.md"
    target.write_text(export_markdown(turns), encoding="utf-8")
    return target


class Events:
    """The page's event handlers over one engine: each takes the values of the page's components and
    returns their new values (gr.skip() for one left as it is). The conversation is kept in the
    browser as JSON (turns.kept), so each handler gets it back as a list of dicts."""

    def __init__(self, engine: Engine, feedback: Path):
        self.engine = engine
        self.feedback = feedback
        self._changing = threading.Lock()  # one change of the corpus at a time

    def status(self) -> str:
        return _status_html(self.engine)

    def documents(self, chosen: list[str] | None = None):
        """The documents panel, the remove picker and the ask-within picker (keeping the `chosen`
        documents that are still indexed), up to date."""
        infos = self.engine.documents()
        indexed = [d.name for d in infos if d.state in ("indexed", "changed")]
        present = [d.name for d in infos if d.state not in ("removed", "skipped")]
        return (format_documents(infos), gr.update(choices=present, value=[]),
                gr.update(choices=indexed, value=[name for name in chosen or [] if name in indexed]))

    def load(self, kept_turns: list | None):
        """The page opens (or reloads): the conversation the browser kept, the status, the documents."""
        turns = restored(kept_turns)
        return (messages_of(turns), self.status(), *self.documents())

    def respond(self, question: str, messages: list, kept_turns: list | None, within: list[str] | None):
        turns = restored(kept_turns)
        switched = refresh(self.engine)
        turn = ask(self.engine, question, [t.question for t in turns if t.ok], within or ())
        status = self.status() if switched else gr.skip()
        messages = [*messages, {"role": "user", "content": format_user(question)},
                    {"role": "assistant", "content": turn.html}]
        return "", messages, kept([*turns, turn]), status

    def new_conversation(self):
        return [], [], None, gr.update(visible=False)

    def export(self, kept_turns: list | None):
        turns = restored(kept_turns)
        if not turns:
            return gr.update(value=None, visible=False), "<p>Nothing to export yet: ask a question first.</p>"
        return gr.update(value=str(export_file(turns, Path(get_upload_folder()))), visible=True), ""

    def mark(self, kept_turns: list | None, data: gr.LikeData):
        if data.liked not in (True, False):  # a mark taken back: nothing to record
            return gr.skip(), gr.skip(), gr.skip()
        hidden = gr.update(visible=False)
        turn = turn_of(restored(kept_turns), data.index)
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

    def correct(self, kept_turns: list | None, pending: int | None, text: str, unanswerable: bool):
        turns = restored(kept_turns)
        if pending is None or pending >= len(turns):
            return "<p>Mark a reply as wrong first.</p>", gr.skip(), pending, text, unanswerable
        try:
            record_feedback(self.feedback, turns[pending], corrected_answers(text, unanswerable))
        except BadFeedback as error:
            return format_error(error), gr.skip(), pending, text, unanswerable
        return "<p>Thanks, your correction was saved.</p>", gr.update(visible=False), None, "", False

    def _changed(self, note: str, changed: bool, chosen: list[str] | None) -> tuple:
        """After a change of the corpus: the note, the rebuild's report when something changed, and
        the status and documents that follow."""
        if changed:
            note += "\n" + rebuild(self.engine)
        return (note, self.status(), *self.documents(chosen))

    def upload(self, paths: list[str] | None, held: list[str] | None, chosen: list[str] | None):
        """Add the uploaded files; those whose name is taken wait (in `held`, a private copy) for the
        user to confirm their replacement."""
        uploaded = [Path(path) for path in paths or []]
        _discard(held)
        try:
            with self._changing:
                done = self.engine.add_documents(uploaded)
            waiting = [_hold(path) for path, upload in zip(uploaded, done) if upload.conflict]
        finally:
            remove_uploaded(uploaded, Path(get_upload_folder()))
        changed = any(u.name is not None for u in done)
        return (None, waiting, gr.update(visible=bool(waiting)), *self._changed(format_uploads(done), changed, chosen))

    def replace(self, held: list[str] | None, chosen: list[str] | None):
        """The user confirmed: the held files replace the documents of their names."""
        paths = [Path(path) for path in held or []]
        try:
            with self._changing:
                done = self.engine.add_documents(paths, replace=True, names=[_held_name(p) for p in paths])
        finally:
            _discard(held)
        return ([], gr.update(visible=False),
                *self._changed(format_uploads(done), any(u.name is not None for u in done), chosen))

    def keep(self, held: list[str] | None):
        _discard(held)
        return [], gr.update(visible=False), "<p>Kept the documents as they were.</p>"

    def remove(self, names: list[str] | None, chosen: list[str] | None):
        """Remove the chosen documents (the page asked the user to confirm first; None when they did not)."""
        if not names:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        with self._changing:
            done = self.engine.remove_documents(names)
        return self._changed(format_removals(done), any(r.removed for r in done), chosen)

    def rebuild(self, chosen: list[str] | None):
        return (rebuild(self.engine), self.status(), *self.documents(chosen))

    def api_chat(self, question: str, history: list[str] | None = None) -> str:
        """Answer a question from the documents, as a follow-up to the earlier questions `history`
        (oldest first) when given; returns the reply as HTML text."""
        return chat(self.engine, question, history if history is not None else ())


def _hold(path: Path) -> str:
    """A private copy of an upload that waits for the user to confirm a replacement (Gradio's own
    copy is removed at once); its folder keeps the upload's name."""
    folder = Path(tempfile.mkdtemp(prefix="docqa-held-"))
    target = folder / path.name
    shutil.copyfile(path, target)
    return str(target)


def _held_name(path: Path) -> str:
    return path.name


def _discard(held: list[str] | None) -> None:
    for name in held or []:
        shutil.rmtree(Path(name).parent, ignore_errors=True)


# Asked in the browser before a removal: the names come back only when the user confirms.
# (The function returns the inputs' values, in order: the names to remove, or null, and the ask-within picker's.)
CONFIRM_REMOVE = """(names, chosen) => {
  if (!names || names.length === 0) { return [null, chosen]; }
  const sure = window.confirm("Remove " + names.join(", ") + " from the corpus? The files are deleted.");
  return [sure ? names : null, chosen];
}"""


def build_app(engine: Engine, settings: Settings, secret: str | None = None) -> gr.Blocks:
    """The Blocks app over `engine`. Its one Gradio API endpoint, /chat, takes a question (and
    optionally the earlier questions) and returns the reply text; the page's own events are private.
    `secret` encrypts the conversation the browser keeps (one per server, so a restart keeps it too)."""
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
        turns = gr.BrowserState([], storage_key="docqa-conversation", secret=secret)
        pending = gr.State(None)
        held = gr.State([])
        with gr.Row():
            question = gr.Textbox(show_label=False, placeholder="Ask a question about your documents",
                                  scale=8, autofocus=True)
            send = gr.Button("Ask", variant="primary", scale=1)
        within = gr.Dropdown([], value=[], multiselect=True, label="Ask within (all documents when none is chosen)")
        with gr.Row():
            new = gr.Button("New conversation", size="sm")
            export = gr.Button("Export conversation", size="sm")
            download = gr.File(label="Conversation (Markdown)", interactive=False, visible=False)
        export_note = gr.HTML()
        if examples:
            gr.Examples(examples, inputs=question, label="Examples")
        feedback_note = gr.HTML()
        with gr.Group(visible=False) as correction:
            right_answer = gr.Textbox(label="The right answer, as written in the documents")
            unanswerable = gr.Checkbox(label="Not answerable from the documents")
            save = gr.Button("Save correction")
        with gr.Accordion("Documents", open=False):
            table = gr.HTML()
            files = gr.File(
                file_count="multiple", file_types=list(ACCEPTED_SUFFIXES),
                label=f"Add {', '.join(ACCEPTED_SUFFIXES)} (at most {MAX_UPLOAD_BYTES // 2**20} MB each)",
            )
            with gr.Group(visible=False) as confirm_replace:
                with gr.Row():
                    replace = gr.Button("Replace", variant="stop")
                    keep = gr.Button("Keep the old one")
            with gr.Row():
                doomed = gr.Dropdown([], value=[], multiselect=True, label="Documents to remove", scale=4)
                remove = gr.Button("Remove", variant="stop", scale=1)
            rebuild_button = gr.Button("Rebuild index")
            change_note = gr.HTML()

        private = {"api_visibility": "private"}
        panel = [table, doomed, within]
        for trigger in (question.submit, send.click):
            trigger(events.respond, [question, chatbot, turns, within], [question, chatbot, turns, status], **private)
        chatbot.like(events.mark, [turns], [feedback_note, correction, pending], **private)
        chatbot.clear(events.new_conversation, None, [turns, chatbot, pending, correction], **private)
        new.click(events.new_conversation, None, [turns, chatbot, pending, correction], **private)
        export.click(events.export, [turns], [download, export_note], **private)
        save.click(events.correct, [turns, pending, right_answer, unanswerable],
                   [feedback_note, correction, pending, right_answer, unanswerable], **private)
        changes = {"concurrency_limit": 1, "concurrency_id": "corpus", **private}
        files.upload(events.upload, [files, held, within], [files, held, confirm_replace, change_note, status, *panel],
                     **changes)
        replace.click(events.replace, [held, within], [held, confirm_replace, change_note, status, *panel], **changes)
        keep.click(events.keep, [held], [held, confirm_replace, change_note], **private)
        remove.click(events.remove, [doomed, within], [change_note, status, *panel], js=CONFIRM_REMOVE, **changes)
        rebuild_button.click(events.rebuild, [within], [change_note, status, *panel], **changes)
        app.load(events.load, [turns], [chatbot, status, *panel], **private)
        gr.api(events.api_chat, api_name="chat")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app
