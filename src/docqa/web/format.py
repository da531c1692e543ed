"""Replies, status, builds and documents -> HTML for the chat. Pure functions.

Every piece of text that comes from a document, a file name or a user is HTML-escaped here before it
reaches the page; the only real markup is our own (<p>, <b>, <i>, <mark>, <blockquote>, <details>,
<table>). The Chatbot renders the reply as HTML (no Markdown, no LaTeX) and Gradio's sanitiser runs on
top of that as a second line of defence, not the first."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from docqa.engine import Reply, Status, quoted_list
from docqa.errors import DocqaError
from docqa.index.manifest import BuildReport
from docqa.ingest.uploads import Removal, Upload
from docqa.names import display_name
from docqa.pageview import PageView, Stretch
from docqa.text import confidence_text, size_text, time_text
from docqa.types import Answer, DocumentInfo, Hit
from docqa.web.turns import DECLINED, OCR_NOTE, declined_notes, source_line

_SHOWN_QUESTION_CHARS = 500


def _text(value: str) -> str:
    """Document or user text as inert HTML; line breaks kept visible."""
    return html.escape(value, quote=True).replace("\n", "<br>")


def _message(value: str) -> str:
    """One of docqa's own messages as HTML: escaped as _text, its `commands` as code ("Rebuild it (`docqa
    index`, ...)" shows no backticks)."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", _text(value))


def mark_quote(quote: str, start: int, end: int) -> str:
    """The quote as HTML with quote[start:end] inside <mark>; every character escaped."""
    return f"{_text(quote[:start])}<mark>{_text(quote[start:end])}</mark>{_text(quote[end:])}"


def format_source(document: str, section: str | None, page: int | None, start: int, end: int) -> str:
    """'doc · section · p. 3 · characters 10–20' (turns.source_line), escaped."""
    return _text(source_line(document, section, page, start, end))


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
    """How the question was read, where not as typed: words respelt, a follow-up's context."""
    notes = [f"<p><i>{_text(reply.spelling_text)}</i></p>"] if reply.spelling_text else []
    return notes + ([f"<p><i>Read as a follow-up: {_text(reply.followup)}</i></p>"] if reply.followup else [])


def format_reply(reply: Reply) -> str:
    """The chat reply for an engine Reply, as HTML: answer in bold, confidence, the quote with the
    answer marked, the source with offsets, then the other passages; or the declined reply with the
    closest passages. The documents it was asked within, and a notice that the index is behind the
    corpus, come last."""
    notes = f"<p><i>{OCR_NOTE}</i></p>" if reply.read_by_ocr else ""
    notes += f"<p><i>{_text(reply.other_version_text)}</i></p>" if reply.other_version_text else ""
    notes += f"<p><i>{_text(reply.passed_over_text)}</i></p>" if reply.passed_over_text else ""
    within = (f"<p><i>Asked within these documents only: {_text(', '.join(map(display_name, reply.documents)))}.</i></p>"
              if reply.documents else "")
    notice = f"<p><i>{_message(reply.notice)}</i></p>" if reply.notice else ""
    return _format_answer(reply) + notes + within + notice


def _format_answer(reply: Reply) -> str:
    answer = reply.answer
    if answer is None:
        lines = [f"<p><b>{DECLINED}</b></p>", *_resolved_note(reply)]
        lines += [f"<p>{_text(note)}</p>" for note in declined_notes(reply)]
        if reply.named:
            lines.append(f"<p>Asked of {_text(quoted_list([display_name(d) for d in reply.named]))}, which the question names; without the "
                         "name it asks every document.</p>")
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
        *([f"<p><b>{answer.verdict.capitalize()}</b>, in the words of the quoted sentence:</p>"]
          if answer.verdict is not None else []),
        f"<p><b>{_text(answer.text)}</b></p>",
        *_resolved_note(reply),
        f"<p>Confidence {confidence_text(reply.confidence, reply.threshold)}</p>",
        *([f"<p><i>{_text(reply.columns_text)}</i></p>"] if reply.columns_text else []),
        f"<blockquote>{mark_quote(answer.quote, a, b)}</blockquote>",
        f"<p>Source: {format_source(answer.document, answer.section, answer.page, answer.start, answer.end)}</p>",
        format_passages(others, "Other retrieved passages"),
    ]
    return "".join(lines)


def format_error(error: DocqaError) -> str:
    return f"<p>{_message(str(error))}</p>"


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
    return (f"<p>{documents} · {status.passages} passages indexed · built {_text(time_text(status.built_at))} · "
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


# ---- uploads and examples --------------------------------------------------------------------------
def format_uploads(uploads: Sequence[Upload]) -> str:
    """Say, as HTML, which files were added (and under what name), which replaced a document, and which
    were refused and why (a name already there asks whether to replace it)."""
    lines = []
    for upload in uploads:
        if upload.conflict:
            lines.append(f"<p>{_text(upload.refused or '')} Replace it?</p>")
        elif upload.refused is not None:
            lines.append(f"<p>Refused: {_text(upload.refused)}</p>")
        elif upload.replaced:
            lines.append(f"<p>Replaced {_text(display_name(upload.name or ''))} with the new version.</p>")
        elif upload.name != upload.original:
            lines.append(f"<p>Added {_text(display_name(upload.original))} (as {_text(upload.name or '')}).</p>")
        else:
            lines.append(f"<p>Added {_text(display_name(upload.original))}.</p>")
    return "\n".join(lines)


def format_removals(removals: Sequence[Removal]) -> str:
    return "\n".join(f"<p>Removed {_text(display_name(r.name))}.</p>" if r.removed else f"<p>Not removed: {_text(r.refused or '')}</p>"
                     for r in removals)


def format_documents(documents: Sequence[DocumentInfo]) -> str:
    """The documents panel: a table of every document (name, kind, pages, passages, size, when added,
    state), escaped."""
    if not documents:
        return "<p>No documents yet: add some below.</p>"
    rows = "".join(
        f"<tr><td>{_text(display_name(d.name))}</td><td>{_text(d.kind)}</td><td>{d.pages or ''}</td>"
        f"<td>{d.passages}</td><td>{size_text(d.size)}</td>"
        f"<td>{_text(d.modified[:16].replace('T', ' ')) if d.modified else ''}</td>"
        f"<td>{_text(d.state if d.reason is None else f'{d.state}: {d.reason}')}</td></tr>"
        for d in documents
    )
    return ("<table class='docqa-documents'><thead><tr><th>document</th><th>kind</th><th>pages</th>"
            f"<th>passages</th><th>size</th><th>added (UTC)</th><th>state</th></tr></thead><tbody>{rows}</tbody></table>")


def format_context(runs: Sequence[Stretch], answer: Answer) -> str:
    """An answer from a text without pages in the text around it: the runs (pageview.surrounding) as
    paragraphs, the passage it was read from in plain type, the rest greyed, the answer marked."""
    parts = []
    for run in runs:
        cuts = sorted({run.start, run.end, *(x for x in (answer.quote_start, answer.quote_end, answer.start, answer.end)
                                             if run.start < x < run.end)})
        html_run = []
        for a, b in zip(cuts, cuts[1:]):
            piece = _text(run.text[a - run.start:b - run.start])
            if answer.start <= a and b <= answer.end:
                html_run.append(f"<mark>{piece}</mark>")
            elif answer.quote_start <= a and b <= answer.quote_end:
                html_run.append(piece)
            else:
                html_run.append(f"<span class='docqa-around'>{piece}</span>")
        parts.append(f"<p>{''.join(html_run)}</p>")
    source = format_source(answer.document, answer.section, answer.page, answer.start, answer.end)
    return f"<p><b>In its document</b>: {source}</p>" + "<p>…</p>".join(parts)


def format_page_caption(view: PageView, link: str | None) -> str:
    """What the page image says of itself: which page of which document, whether the answer is marked
    on it, and a link to the original file at that page."""
    where = f"p. {view.page} of {_text(display_name(view.document))}"
    if view.ocr:
        note = " · read by OCR: the answer is not marked on the image; check its words against the page"
    elif not view.boxes:
        note = " · the answer's words were not found on this page to mark them"
    else:
        note = ""
    what = "open the PDF at this page" if view.fragment else "open the image"
    opened = f" · <a href='{html.escape(link, quote=True)}' target='_blank' rel='noopener'>{what}</a>" if link else ""
    return f"<p>{where}{note}{opened}</p>"
