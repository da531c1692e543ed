"""The web chat: a thin Gradio shell over the Engine. It asks (within chosen documents when the user
picks some), keeps the conversation in the browser, exports it as Markdown, records feedback, and
manages the corpus's documents (add, replace after a confirmation, remove after a confirmation), each
change followed by the engine's incremental rebuild; models, the index and the corpus files stay in
the engine. Its example questions come from the corpus's own evaluation file. HTML comes from
web/format.py, which escapes every text of a document, a file name or a user.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import shutil
import tempfile
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder
from PIL import Image

from docqa.engine import Engine, Reply
from docqa.errors import BadEvalFile, BadFeedback, BadQuestion, DocqaError
from docqa.evaluation.items import load_eval_file
from docqa.ingest.corpus import removable
from docqa.ingest.formats import ACCEPTED_SUFFIXES
from docqa.settings import Settings
from docqa.text import check_question
from docqa.web.format import (
    format_build,
    format_context,
    format_documents,
    format_error,
    format_page_caption,
    format_removals,
    format_reply,
    format_status,
    format_uploads,
    format_user,
)
from docqa.web.turns import (
    MAX_KEPT_TURNS,
    Turn,
    ask_logged,
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
.docqa-where .docqa-around { color: var(--body-text-color-subdued); }
"""


# ---- asking --------------------------------------------------------------------------------------
def refresh(engine: Engine) -> bool:
    """Switch to an index rebuilt by another process (`docqa index`); True when it switched."""
    try:
        return engine.reload_if_changed()
    except DocqaError as error:
        log.warning("Keeping the current index: %s", error)
        return False


def asked(engine: Engine, question: str, history: Sequence[str] = (), documents: Sequence[str] = (),
          ) -> tuple[Turn, Reply | None]:
    """Ask `question` after the earlier questions `history` (oldest first), within `documents` (all
    when empty): the turn, and the engine's reply (None when the question could not be asked). Never
    raises: errors become a friendly reply; one line per question goes to the "docqa" log (`ask_logged`)."""
    try:
        reply = ask_logged(engine, question, history, documents)
    except DocqaError as error:
        return Turn(question, tuple(history), format_error(error), None, ok=False, documents=tuple(documents),
                    notes=(str(error),)), None
    except Exception:
        return Turn(question, tuple(history), f"<p>{GENERIC_ERROR}</p>", None, ok=False, documents=tuple(documents)), None
    return turn_of_reply(question, history, format_reply(reply), reply), reply


def ask(engine: Engine, question: str, history: Sequence[str] = (), documents: Sequence[str] = ()) -> Turn:
    """The turn of `asked`."""
    return asked(engine, question, history, documents)[0]


# Where the page links an original file: the API's route, which serves a PDF to open in the browser (Gradio's
# own file route makes every PDF a download, and would keep a copy after the document is removed).
FILES_ROUTE = "api/files/"


def where(engine: Engine, reply: Reply | None) -> tuple[Image.Image | None, str]:
    """Where the answer stands, for the panel beside the chat: its page drawn with the answer marked and a
    caption with the link that opens the original file there (an answer from a PDF or an image), or its
    passage in the text around it (other formats); (None, "") when docqa declined. Never raises: a page
    that cannot be drawn says why."""
    if reply is None or reply.answer is None:
        return None, ""
    answer = reply.answer
    try:
        view = engine.page_view(answer)
        if view is None:
            return None, format_context(engine.context(answer), answer)
        link = f"{FILES_ROUTE}{urllib.parse.quote(answer.document)}{view.fragment}"
        return Image.open(io.BytesIO(view.image)), format_page_caption(view, link)
    except DocqaError as error:
        return None, format_error(error)
    except Exception:
        log.exception("Drawing the page of %s failed", answer.document)
        return None, "<p>The page could not be drawn; the problem was logged.</p>"


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


def rebuild(engine: Engine, progress: Callable[[str], None] | None = None) -> str:
    """Bring the index up to date with the corpus and say, as HTML, what changed; `progress` hears how
    a long build goes (each page of a scan read by OCR). Never raises: on a failure the previous index
    stays in use."""
    try:
        return format_build(engine.rebuild(progress=progress))
    except DocqaError as error:
        return format_error(error)
    except Exception:
        log.exception("Rebuild failed")
        return "<p>The rebuild failed; the previous index is still in use. The problem was logged.</p>"


def shown(progress: Callable[..., None]) -> Callable[[str], None]:
    """A build's progress messages for Gradio's progress display over the documents panel (`progress` a
    gr.Progress). Gradio shows a message only beside a bar, so a message that counts ("OCR of page 3
    (3 of 300 without a text layer)", formats._read_scanned) moves the bar; the others are counted."""
    told = itertools.count(1)

    def tell(message: str) -> None:
        counted = _COUNTED.search(message)
        if counted is not None:
            progress((int(counted[1]), int(counted[2])), desc=message, unit="pages")
        else:
            progress((next(told), None), desc=message)

    return tell


_COUNTED = re.compile(r"\((\d+) of (\d+)\b")


def messages_of(turns: Sequence[Turn]) -> list[dict]:
    """The Chatbot's messages for these turns: the question as the user wrote it, then the reply."""
    return [message for turn in turns for message in (
        {"role": "user", "content": format_user(turn.question)}, {"role": "assistant", "content": turn.html})]


# An export is a file for one download: Gradio copies it to serve it, so ours goes after a few minutes.
EXPORT_MINUTES = 10


def export_file(turns: Sequence[Turn], folder: Path) -> Path:
    """The conversation as Markdown in a new file under `folder`, the exports of more than
    EXPORT_MINUTES ago deleted from it."""
    cutoff = time.time() - EXPORT_MINUTES * 60
    for old in folder.glob("docqa-export-*"):
        if old.is_dir() and not old.is_symlink() and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)
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
        self._exports: Path | None = None  # conversations written for a download, made on the first

    @property
    def exports(self) -> Path:
        """The folder of this page's exported conversations: made on the first export, removed with the
        page's handlers (at the latest when the server stops), so that no empty folder is left behind."""
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="docqa-exports-"))
            weakref.finalize(self, shutil.rmtree, self._exports, True)
        return self._exports

    def status(self) -> str:
        return _status_html(self.engine)

    def documents(self, chosen: list[str] | None = None):
        """The documents panel, the remove picker and the ask-within picker (keeping the `chosen`
        documents that are still indexed), up to date; the reason instead when the corpus cannot be read."""
        try:
            infos = self.engine.documents()
        except DocqaError as error:  # the corpus folder went away: the page still opens, and says so
            return format_error(error), gr.update(choices=[], value=[]), gr.update(choices=[], value=[])
        indexed = [d.name for d in infos if d.state in ("indexed", "changed")]
        present = [d.name for d in infos if removable(d)]
        return (format_documents(infos), gr.update(choices=present, value=[]),
                gr.update(choices=indexed, value=[name for name in chosen or [] if name in indexed]))

    def load(self, kept_turns: list | None):
        """The page opens (or reloads): the conversation the browser kept, the status, the documents."""
        turns = restored(kept_turns)
        return (messages_of(turns), self.status(), *self.documents())

    def respond(self, question: str, kept_turns: list | None, within: list[str] | None):
        # An empty question (Enter on an empty box) adds nothing; one over the length limit stays in the
        # box to be shortened, and a notice says why. Neither becomes a turn of the conversation.
        try:
            check_question(question)
        except BadQuestion as error:
            if question.strip():
                gr.Warning(str(error))
            return question if question.strip() else "", *(gr.skip(),) * 5
        turns = restored(kept_turns)
        switched = refresh(self.engine)
        turn, reply = asked(self.engine, question, [t.question for t in turns if t.ok], within or ())
        # The status line follows what the reply learnt: a switch to a new index, or the index behind the corpus.
        status = self.status() if switched or (reply is not None and reply.notice) else gr.skip()
        # The page shows what the browser keeps, so that a mark on a reply is a mark on its own turn.
        turns = [*turns, turn][-MAX_KEPT_TURNS:]
        image, caption = where(self.engine, reply)
        return "", messages_of(turns), kept(turns), status, gr.update(value=image, visible=image is not None), caption

    def new_conversation(self, decision: str | None = "clear"):
        if decision != "clear":  # the user kept the conversation (CONFIRM_NEW)
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return [], [], None, gr.update(visible=False)

    def export(self, kept_turns: list | None):
        turns = restored(kept_turns)
        if not turns:
            return gr.update(value=None, visible=False), "<p>Nothing to export yet: ask a question first.</p>"
        return gr.update(value=str(export_file(turns, self.exports)), visible=True), ""

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

    def _changed(self, note: str, changed: bool, chosen: list[str] | None, progress: gr.Progress) -> tuple:
        """After a change of the corpus: the note, the rebuild's report when something changed, and
        the status and documents that follow."""
        if changed:
            note += "\n" + rebuild(self.engine, shown(progress))
        return (note, self.status(), *self.documents(chosen))

    def upload(self, paths: list[str] | None, held: list[str] | None, chosen: list[str] | None,
               progress: gr.Progress = gr.Progress()):
        """Add the uploaded files; those whose name is taken wait (in `held`, a private copy) for the
        user to confirm their replacement."""
        uploaded = [Path(path) for path in paths or []]
        _discard(held)
        try:
            with self._changing:
                done = self.engine.add_documents(uploaded)
            waiting = [_hold(path) for path, upload in zip(uploaded, done) if upload.conflict]
        except (DocqaError, OSError) as error:
            return (None, [], gr.update(visible=False), *self._failed(error, chosen))
        finally:
            remove_uploaded(uploaded, Path(get_upload_folder()))
        changed = any(u.name is not None for u in done)
        return (None, waiting, gr.update(visible=bool(waiting)),
                *self._changed(format_uploads(done), changed, chosen, progress))

    def _failed(self, error: Exception, chosen: list[str] | None) -> tuple:
        """A change of the corpus that could not be made: why, and the status and documents as they are."""
        if isinstance(error, DocqaError):
            note = format_error(error)
        else:
            log.error("Changing the documents failed", exc_info=error)
            note = "<p>The documents could not be changed; nothing was lost, and the problem was logged.</p>"
        return (note, self.status(), *self.documents(chosen))

    def replace(self, held: list[str] | None, chosen: list[str] | None, progress: gr.Progress = gr.Progress()):
        """The user confirmed: the held files replace the documents of their names."""
        paths = [Path(path) for path in held or []]
        try:
            with self._changing:
                done = self.engine.add_documents(paths, replace=True, names=[p.name for p in paths])
        except (DocqaError, OSError) as error:
            return ([], gr.update(visible=False), *self._failed(error, chosen))
        finally:
            _discard(held)
        return ([], gr.update(visible=False),
                *self._changed(format_uploads(done), any(u.name is not None for u in done), chosen, progress))

    def keep(self, held: list[str] | None):
        _discard(held)
        return [], gr.update(visible=False), "<p>Kept the documents as they were.</p>"

    def remove(self, names: list[str] | None, chosen: list[str] | None, progress: gr.Progress = gr.Progress()):
        """Remove the chosen documents (the page asked the user to confirm first; None when they did not)."""
        if not names:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        try:
            with self._changing:
                done = self.engine.remove_documents(names)
        except (DocqaError, OSError) as error:
            return self._failed(error, chosen)
        return self._changed(format_removals(done), any(r.removed for r in done), chosen, progress)

    def rebuild(self, chosen: list[str] | None, progress: gr.Progress = gr.Progress()):
        return (rebuild(self.engine, shown(progress)), self.status(), *self.documents(chosen))

    def api_chat(self, question: str, history: list[str] | None = None) -> str:
        """Answer a question from the documents, as a follow-up to the earlier questions `history`
        (oldest first) when given; returns the reply as HTML text."""
        return chat(self.engine, question, history if history is not None else ())


# Held uploads older than this are from sessions long gone (a server stopped while one waited).
HELD_HOURS = 24
HELD_PREFIX = "docqa-held-"


def _sweep_held(hours: float) -> None:
    """Delete held uploads (`_hold`) older than `hours` from the temporary folder."""
    cutoff = time.time() - hours * 3600
    for folder in Path(tempfile.gettempdir()).glob(f"{HELD_PREFIX}*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _hold(path: Path) -> str:
    """A private copy of an upload that waits for the user to confirm a replacement (Gradio's own
    copy is removed at once); its folder keeps the upload's name."""
    folder = Path(tempfile.mkdtemp(prefix=HELD_PREFIX))
    target = folder / path.name
    shutil.copyfile(path, target)
    return str(target)


def _discard(held: list[str] | None) -> None:
    for name in held or []:
        shutil.rmtree(Path(name).parent, ignore_errors=True)


# Asked in the browser before the conversation is cleared: "clear" comes back only when the user confirms
# (or the chat shows no reply, nothing to lose).
CONFIRM_NEW = """(decision) => {
  const shown = document.querySelector('.docqa-chat [data-testid="bot"]') !== null;
  const sure = !shown || window.confirm("Start a new conversation? This one is cleared; export it first to keep it.");
  return [sure ? "clear" : "keep"];
}"""


# Asked in the browser before a removal: the names come back only when the user confirms.
# (The function returns the inputs' values, in order: the names to remove, or null, and the ask-within picker's.)
CONFIRM_REMOVE = """(names, chosen) => {
  if (!names || names.length === 0) { return [null, chosen]; }
  const sure = window.confirm("Remove " + names.join(", ") + " from the corpus? The files are deleted.");
  return [sure ? names : null, chosen];
}"""


def _documents_panel(events: Events, settings: Settings, within: gr.Dropdown, status: gr.HTML) -> tuple[gr.HTML, gr.Dropdown]:
    """The documents panel, laid out and wired (inside build_app's Blocks): the table of documents, adding
    files (a name already there asks to replace it), removing (the browser asks first), rebuilding.
    Returns the table and the remove picker, which the page fills when it opens."""
    private = {"api_visibility": "private"}
    # One change of the corpus at a time, queued: a second upload waits for the first one's rebuild.
    changes = {"concurrency_limit": 1, "concurrency_id": "corpus", **private}
    # Uploads waiting for a confirmation are private copies: gone with the session if never confirmed.
    held = gr.State([], delete_callback=_discard)
    with gr.Accordion("Documents", open=False):
        table = gr.HTML()
        # Any file is taken in: a type docqa does not read is refused below with what to do (Gradio's own
        # check only flashed "Invalid file type" and left the box showing "Error").
        files = gr.File(file_count="multiple",
                        label=f"Add {', '.join(ACCEPTED_SUFFIXES)} (at most {settings.limits.upload_mb} MB each)")
        note = gr.HTML()  # right under the files, above "Replace" / "Keep the old one", which it asks about
        with gr.Group(visible=False) as confirm_replace, gr.Row():
            replace = gr.Button("Replace", variant="stop")
            keep = gr.Button("Keep the old one")
        with gr.Row():
            doomed = gr.Dropdown([], value=[], multiselect=True, label="Documents to remove", scale=4)
            remove = gr.Button("Remove", variant="stop", scale=1)
        rebuild_button = gr.Button("Rebuild index")
    after = [note, status, table, doomed, within]
    files.upload(events.upload, [files, held, within], [files, held, confirm_replace, *after], **changes)
    replace.click(events.replace, [held, within], [held, confirm_replace, *after], **changes)
    keep.click(events.keep, [held], [held, confirm_replace, note], **private)
    remove.click(events.remove, [doomed, within], after, js=CONFIRM_REMOVE, **changes)
    rebuild_button.click(events.rebuild, [within], after, **changes)
    return table, doomed


def build_app(engine: Engine, settings: Settings, secret: str | None = None) -> gr.Blocks:
    """The Blocks app over `engine`. Its one Gradio API endpoint, /chat, takes a question (and
    optionally the earlier questions) and returns the reply text; the page's own events are private.
    `secret` encrypts the conversation the browser keeps (one per server, so a restart keeps it too).
    One function over 60 lines: the page's layout is the nesting of its `with` blocks, read top to
    bottom as the page shows it (the documents panel is apart, in `_documents_panel`)."""
    events = Events(engine, settings.feedback_path)
    examples = example_questions(settings.eval_file)
    intro = "Ask a question, or pick an example below." if examples else "Ask a question."
    _sweep_held(HELD_HOURS)
    # Gradio's copies (uploads already stored, exports, pages drawn) are deleted an hour after they were made.
    with gr.Blocks(title="docqa", delete_cache=(3600, 3600)) as app:
        gr.Markdown("# docqa\nAsk about the documents in the corpus. Every answer is copied from them, "
                    "quoted and cited; when they do not hold the answer, docqa says so.")
        status = gr.HTML(events.status())
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chatbot = gr.Chatbot(
                    label="docqa", elem_classes="docqa-chat", height=560, buttons=["copy"],
                    render_markdown=False, latex_delimiters=[], sanitize_html=True,
                    feedback_options=("Like", "Dislike"),
                    placeholder=f"{intro} Mark each reply right or wrong with the thumbs under it.",
                )
            # Beside the chat on a wide screen, below it on a narrow one, and it folds away.
            with gr.Column(scale=2, min_width=320), gr.Accordion("Where the answer stands", open=True):
                page_image = gr.Image(label="The answer on its page", type="pil", interactive=False, visible=False,
                                      buttons=["fullscreen"], elem_classes="docqa-page")
                page_caption = gr.HTML(elem_classes="docqa-where")
        turns = gr.BrowserState([], storage_key="docqa-conversation", secret=secret)
        pending = gr.State(None)
        with gr.Row():
            question = gr.Textbox(show_label=False, placeholder="Ask a question about your documents",
                                  scale=8, autofocus=True)
            send = gr.Button("Ask", variant="primary", scale=1)
        within = gr.Dropdown([], value=[], multiselect=True, label="Ask within (all documents when none is chosen)")
        with gr.Row():
            new = gr.Button("New conversation", size="sm")
            decision = gr.Textbox(visible=False)  # what CONFIRM_NEW's question got: "clear" or "keep"
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
        table, doomed = _documents_panel(events, settings, within, status)

        private = {"api_visibility": "private"}
        panel = [table, doomed, within]
        for trigger in (question.submit, send.click):
            trigger(events.respond, [question, turns, within],
                    [question, chatbot, turns, status, page_image, page_caption], **private)
        chatbot.like(events.mark, [turns], [feedback_note, correction, pending], **private)
        chatbot.clear(events.new_conversation, None, [turns, chatbot, pending, correction], **private)
        new.click(events.new_conversation, [decision], [turns, chatbot, pending, correction], js=CONFIRM_NEW, **private)
        export.click(events.export, [turns], [download, export_note], **private)
        save.click(events.correct, [turns, pending, right_answer, unanswerable],
                   [feedback_note, correction, pending, right_answer, unanswerable], **private)
        app.load(events.load, [turns], [chatbot, status, *panel], **private)
        gr.api(events.api_chat, api_name="chat")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app
