"""The web chat: reply formatting and escaping, follow-ups, declines, errors, feedback lines, upload
notes, example questions, credentials, logs, and a served app answering through gradio_client.

The shell is tested over an engine with the deterministic WordReader (tests/standins.py), so what is
checked is the shell, not a model's answers; one test asks through the real default reader."""

from __future__ import annotations

import gc
import ipaddress
import json
import logging
import re
import shutil
import socket
import urllib.parse
from pathlib import Path

import httpx
import gradio as gr
import pytest
from gradio_client import Client
from standins import WordReader

from docqa.web import chat, server
from docqa.web import turns as web_turns
from docqa.web import format as html_format
from docqa.cli import build_parser, main
from docqa.engine import NOT_ENGLISH, Engine, Reply, Status
from docqa.errors import AuthRequired, BadFeedback, BadSettings, DocqaError
from docqa.index.build import build_index
from docqa.index.manifest import BuildReport
from docqa.ingest.uploads import Upload
from docqa.settings import Settings
from docqa.types import Answer, Hit, Passage

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DOCUMENT = "nato-relations-with-serbia.txt"
PFP = "When did Serbia join the Partnership for Peace?"
POPULATION = "What is the population of Serbia?"
TRANSIT = "When did Serbia sign the transit agreement?"
# The project's evaluation file: the examples are its first four answerable questions without history.
EVALUATION = [
    {"id": "1", "question": PFP, "answers": ["December 2006"]},
    {"id": "2", "question": POPULATION, "answers": []},
    {"id": "3", "question": "What did it allow?", "answers": ["transit"], "history": [TRANSIT]},
    {"id": "4", "question": "Which countries <b>led</b> the landmine project?", "answers": ["Canada and Austria"]},
    {"id": "5", "question": PFP, "answers": ["2006"]},
    {"id": "6", "question": TRANSIT, "answers": ["2011"]},
    {"id": "7", "question": "What is NAMSA?", "answers": ["NATO Maintenance and Supply Agency"]},
    {"id": "8", "question": "Who signed it?", "answers": ["Serbia"]},
]
EXAMPLES = [PFP, "Which countries <b>led</b> the landmine project?", TRANSIT, "What is NAMSA?"]
OUR_TAGS = {"p", "b", "i", "mark", "blockquote", "details", "summary", "ol", "li", "br"}
HOSTILE = (
    "The Belgrade summit on <script>alert('x')</script> security was held in March 2004. "
    "Delegates from <img src=x onerror=alert(1)> twelve countries attended the summit, which "
    "discussed border security & the transit of troops through the region of the summit."
)


def tags(reply: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<\s*/?\s*([a-zA-Z][\w-]*)", reply)}


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """A copy of the corpus, and an evaluation file beside the index folder (where `docqa eval` reads it)."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "evaluation").mkdir()
    lines = [json.dumps(item) for item in EVALUATION]
    (root / "evaluation" / "qa.jsonl").write_text("\n".join([*lines[:4], "{not json", *lines[4:]]) + "\n",
                                                  encoding="utf-8")
    return Settings(corpus=root / "corpus", index=root / "index")


@pytest.fixture(scope="module")
def engine(settings) -> Engine:
    """The shell's engine: real retrieval, and a reader that answers "December 2006" with confidence 0.9
    wherever the retrieved passages hold it."""
    return Engine(settings, reader=WordReader("December 2006", 0.9))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, engine) -> Engine:
    """An engine over a one-document corpus whose text holds HTML and a script."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "corpus").mkdir()
    (root / "corpus" / "summit.txt").write_text(HOSTILE + "\n", encoding="utf-8")
    return Engine(Settings(corpus=root / "corpus", index=root / "index"), embedder=engine.embedder,
                  reader=WordReader("March 2004", 0.9))


# ---- replies from the engine --------------------------------------------------------------------
def test_chat_answers_with_quote_source_and_marked_words(engine):
    reply = chat.chat(engine, PFP)
    answer = engine.ask(PFP).answer
    assert (answer.text, answer.document, answer.start, answer.end) == ("December 2006", DOCUMENT, 109, 122)
    a, b = answer.quote_offsets
    assert reply.startswith(
        "<p><b>December 2006</b></p><p>Confidence 0.90</p>"
        f"<blockquote>{html_format.mark_quote(answer.quote, a, b)}</blockquote>"
        f"<p>Source: {DOCUMENT} · NATO’s relations with Serbia · characters 109–122</p>"
        "<details><summary>Other retrieved passages (4)</summary><ol><li><p>"
    )
    assert reply.count("<mark>December 2006</mark>") == 1
    assert tags(reply) <= OUR_TAGS


def test_chat_answers_through_the_default_reader(engine, settings):
    real = Engine(settings, embedder=engine.embedder)
    reply = chat.chat(real, PFP)
    assert reply.startswith("<p><b>December 2006</b></p><p>Confidence ")
    assert "<mark>December 2006</mark>" in reply and f"<p>Source: {DOCUMENT} · " in reply
    assert tags(reply) <= OUR_TAGS


def test_followup_uses_the_earlier_questions(engine):
    turn = chat.ask(engine, "What did it allow?", ["When did Serbia sign the transit agreement?"])
    assert turn.history == ("When did Serbia sign the transit agreement?",)
    assert "<p><i>Read as a follow-up: What did it allow? (Serbia sign the transit agreement)</i></p>" in turn.html


def test_a_query_no_passage_comes_near_is_declined_unread_and_says_why(engine):
    turn = chat.ask(engine, "who won the 2014 world cup final")
    assert turn.ok and turn.answer is None
    assert turn.html.startswith("<p><b>The documents do not answer this question.</b></p>"
                                "<p>No passage comes near these words (the closest one&#x27;s similarity is 0.11, "
                                "below the 0.475 a search-box query needs); the documents do not seem to be about "
                                "this.</p>")


def test_a_question_in_another_language_is_told_to_ask_in_english(engine):
    turn = chat.ask(engine, "Wann trat Serbien der Partnerschaft für den Frieden bei?")
    assert turn.ok and turn.answer is None
    assert ("<p>The question does not seem to be in English: docqa&#x27;s reader and search understand English only. "
            "Ask it in English.</p>") in turn.html
    assert turn.notes[-1] == NOT_ENGLISH
    assert "Read &quot;" not in turn.html and "did you mean" not in turn.html  # "trat" is no typo of "that"


def test_declined_reply_shows_the_closest_passages(engine, settings):
    strict = Engine(settings.with_(threshold=1.0), embedder=engine.embedder, reader=engine.reader)
    turn = chat.ask(strict, PFP)
    assert turn.ok and turn.answer is None
    assert turn.html.startswith("<p><b>The documents do not answer this question.</b></p>"
                                "<p>Best guess confidence 0.90, below the 1.00 needed to answer.</p>")
    assert f"<p>Closest passage: {DOCUMENT} · " in turn.html
    assert "<blockquote>" in turn.html and "<mark>" not in turn.html
    assert "<details><summary>Other close passages (4)</summary>" in turn.html


def test_html_in_documents_and_questions_is_escaped(hostile):
    reply = chat.chat(hostile, "When was the <b>summit</b> <script>alert(2)</script> held?")
    assert reply == (
        "<p><b>March 2004</b></p><p>Confidence 0.90</p>"
        "<blockquote>The Belgrade summit on &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; security was held "
        "in <mark>March 2004</mark>. Delegates from &lt;img src=x onerror=alert(1)&gt; twelve countries attended "
        "the summit, which discussed border security &amp; the transit of troops through the region of the "
        "summit.</blockquote><p>Source: summit.txt · characters 72–82</p>"
    )
    assert html_format.format_user("<script>alert(2)</script> & <b>x</b>") == (
        "&lt;script&gt;alert(2)&lt;/script&gt; &amp; &lt;b&gt;x&lt;/b&gt;"
    )


def test_bad_question_becomes_a_friendly_reply(engine):
    turn = chat.ask(engine, "   ")
    assert not turn.ok
    assert turn.html == "<p>The question is empty. Type a question about your documents.</p>"
    assert chat.chat(engine, "x" * 2000) == (
        "<p>The question is 2,000 characters long; the limit is 1,000. Ask a shorter question.</p>"
    )


def test_the_chat_adds_no_turn_for_an_empty_or_overlong_question_and_keeps_the_long_one_in_the_box(engine, tmp_path):
    events = chat.Events(engine, tmp_path / "feedback.jsonl")
    kept = [web_turns.Turn("Q?", (), "<p>A</p>", "A", True).to_json()]
    empty = events.respond("   ", kept, [])
    assert empty[0] == "" and all(isinstance(x, type(gr.skip())) for x in empty[1:])
    long = "x" * 1200
    with pytest.warns(UserWarning, match="The question is 1,200 characters long; the limit is 1,000"):
        kept_long = events.respond(long, kept, [])
    assert kept_long[0] == long and all(isinstance(x, type(gr.skip())) for x in kept_long[1:])


def test_unexpected_error_becomes_a_generic_reply_and_a_log_line(engine, monkeypatch, caplog):
    def broken(question, history=(), documents=()):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(engine, "ask", broken)
    with caplog.at_level(logging.INFO, logger="docqa"):
        reply = chat.chat(engine, PFP)
    assert reply == f"<p>{chat.GENERIC_ERROR}</p>"
    [record] = [r for r in caplog.records if r.getMessage().startswith("question at ")]
    assert record.levelno == logging.ERROR and ": failed in " in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_one_log_line_per_question(engine, caplog):
    with caplog.at_level(logging.INFO, logger="docqa"):
        chat.chat(engine, PFP)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("question at ")]
    assert re.fullmatch(
        rf"question at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00: answered in \d+ ms, top source {DOCUMENT}", line
    )


def test_an_index_built_by_another_process_is_picked_up(hostile):
    corpus = hostile.settings.corpus
    (corpus / "zoo.txt").write_text(
        "The Belgrade zoo keeps a white lion named Zoran, who arrived from Pretoria in 2011.\n", encoding="utf-8"
    )
    try:
        build_index(hostile.settings, hostile.embedder)  # what `docqa index` does in another process
        assert "zoo.txt" in chat.chat(hostile, "What is the name of the white lion at the Belgrade zoo?")
        assert hostile.status().documents == 2
    finally:
        (corpus / "zoo.txt").unlink()
        chat.rebuild(hostile)
    assert hostile.status().documents == 1


# ---- pure formatting ------------------------------------------------------------------------------
def _hit(text: str, start: int, section: str | None, score: float, document: str = "a<b>.txt") -> Hit:
    return Hit(Passage(f"id{start}", document, start, start + len(text), text, section, None), score, 0.5, 0.5)


def test_docqas_own_messages_show_their_commands_as_code_and_documents_text_stays_text():
    reply = Reply("Q?", "Q?", None, None, 0.0, 0.995, (), 0.0,
                  notice="The index is behind the corpus (changed: `a`.txt). Rebuild it (`docqa index`, or Rebuild index).")
    assert html_format.format_reply(reply).endswith(
        "<p><i>The index is behind the corpus (changed: <code>a</code>.txt). Rebuild it (<code>docqa index</code>, "
        "or Rebuild index).</i></p>")
    assert html_format.format_error(DocqaError("Run `docqa index <b>`.")) == (
        "<p>Run <code>docqa index &lt;b&gt;</code>.</p>")


def test_format_reply_exact():
    quote = "In 2006 <Serbia> joined.\nIt did."
    first, second = _hit(quote, 100, "Key & milestones", 0.9), _hit("Other <i>text</i>.", 200, None, 0.4)
    answer = Answer("2006 <Serbia>", "a<b>.txt", 103, 116, 0.8, quote, 100, 132, "Key & milestones", 3)
    reply = Reply("When?", "When?", answer, answer, 0.8, 0.3, (first, second), 0.01)
    assert html_format.format_reply(reply) == (
        "<p><b>2006 &lt;Serbia&gt;</b></p>"
        "<p>Confidence 0.80</p>"
        "<blockquote>In <mark>2006 &lt;Serbia&gt;</mark> joined.<br>It did.</blockquote>"
        "<p>Source: a&lt;b&gt;.txt · Key &amp; milestones · p. 3 · characters 103–116</p>"
        "<details><summary>Other retrieved passages (1)</summary><ol>"
        "<li><p>a&lt;b&gt;.txt · characters 200–218 · score 0.40</p>"
        "<blockquote>Other &lt;i&gt;text&lt;/i&gt;.</blockquote></li>"
        "</ol></details>"
    )


def test_format_declined_exact():
    first, second = _hit("Closest.", 0, "S", 1.0), _hit("Next.", 50, None, 0.5)
    candidate = Answer("x", "a<b>.txt", 0, 1, 0.1, "Closest.", 0, 8)
    reply = Reply("What did it do?", "What did it do? (NATO)", None, candidate, 0.1, 0.3, (first, second), 0.01)
    assert html_format.format_reply(reply) == (
        "<p><b>The documents do not answer this question.</b></p>"
        "<p><i>Read as a follow-up: What did it do? (NATO)</i></p>"
        "<p>Best guess confidence 0.10, below the 0.30 needed to answer.</p>"
        "<p>Closest passage: a&lt;b&gt;.txt · S · characters 0–8</p>"
        "<blockquote>Closest.</blockquote>"
        "<details><summary>Other close passages (1)</summary><ol>"
        "<li><p>a&lt;b&gt;.txt · characters 50–55 · score 0.50</p><blockquote>Next.</blockquote></li>"
        "</ol></details>"
    )
    # The candidate's passage, retrieved second, is the one shown: the message speaks of it.
    unstated = Reply("What did AT&T do in 2009?", "What did AT&T do in 2009?", None, candidate, 0.0, 0.3,
                     (second, first), 0.01, ("AT&T", "2009"))
    assert html_format.format_reply(unstated) == (
        "<p><b>The documents do not answer this question.</b></p>"
        "<p>The passage of the best guess does not mention &quot;AT&amp;T&quot; or &quot;2009&quot;.</p>"
        "<p>Passage of the best guess: a&lt;b&gt;.txt · S · characters 0–8</p>"
        "<blockquote>Closest.</blockquote>"
        "<details><summary>Other close passages (1)</summary><ol>"
        "<li><p>a&lt;b&gt;.txt · characters 50–55 · score 0.50</p><blockquote>Next.</blockquote></li>"
        "</ol></details>"
    )
    empty = Reply("Why?", "Why?", None, None, 0.0, 0.3, (), 0.0)
    assert html_format.format_reply(empty) == (
        "<p><b>The documents do not answer this question.</b></p>"
        "<p>No passage of the documents matched the question.</p>"
    )
    named = Reply("Why the <GPL>?", "Why the <GPL>?", None, None, 0.0, 0.3, (), 0.0, named=("gpl<3>.txt",))
    assert html_format.format_reply(named) == (
        "<p><b>The documents do not answer this question.</b></p>"
        "<p>Asked of &quot;gpl&lt;3&gt;.txt&quot;, which the question names; without the name it asks every "
        "document.</p>"
        "<p>No passage of the documents matched the question.</p>"
    )


def test_format_status_and_user():
    current = Status(1, 15, "2026-11-27T00:08:20+00:00", "all-MiniLM-L6-v2", None)
    assert html_format.format_status(current) == (
        "<p>1 document · 15 passages indexed · built 2026-11-27 00:08 UTC · "
        "model all-MiniLM-L6-v2 · current</p>"
    )
    stale = Status(2, 30, "t", "m", "<new.txt> was added")
    assert html_format.format_status(stale).endswith(" · stale (&lt;new.txt&gt; was added) — press Rebuild index</p>")
    assert html_format.format_user("") == "<i>(empty question)</i>"
    assert html_format.format_user("y" * 600) == "y" * 500 + "… (600 characters)"


def test_format_build_exact():
    report = BuildReport(("new.txt",), (), ("old.txt",), ("a.txt",), 40, 12, 1.26, 1.0, False, ("<x>.txt: empty",))
    assert html_format.format_build(report) == (
        "<p>Index updated: 40 passages from 2 documents (1 added, 0 changed, 1 removed, 1 unchanged) in 1.3 s.</p>\n"
        "<p>Skipped &lt;x&gt;.txt: empty</p>"
    )


# ---- feedback --------------------------------------------------------------------------------------
def test_feedback_lines_are_written_exactly(tmp_path, settings):
    assert settings.feedback_path == settings.index.resolve().parent / "evaluation" / "feedback.jsonl"
    path = tmp_path / "evaluation" / "feedback.jsonl"
    right = web_turns.Turn(PFP, (), "<p>…</p>", "December 2006", ok=True)
    followup = web_turns.Turn("What did it allow?", ("When did Serbia sign the transit agreement?",), "", "country", True)
    declined = web_turns.Turn(POPULATION, (), "", None, ok=True)
    web_turns.record_feedback(path, right, web_turns.confirmed_answers(right))
    typed = "  Allied forces to pass through Serbian territory "
    web_turns.record_feedback(path, followup, web_turns.corrected_answers(typed, False))
    web_turns.record_feedback(path, followup, web_turns.corrected_answers("ignored when not answerable", True))
    web_turns.record_feedback(path, declined, web_turns.confirmed_answers(declined))
    assert (tmp_path / "evaluation" / "feedback.jsonl").read_text(encoding="utf-8") == (
        '{"id": "feedback-e3f3539a0b5d", "question": "When did Serbia join the Partnership for Peace?", '
        '"answers": ["December 2006"], "history": []}\n'
        '{"id": "feedback-898513fd0d10", "question": "What did it allow?", '
        '"answers": ["Allied forces to pass through Serbian territory"], '
        '"history": ["When did Serbia sign the transit agreement?"]}\n'
        '{"id": "feedback-9d083776538b", "question": "What did it allow?", "answers": [], '
        '"history": ["When did Serbia sign the transit agreement?"]}\n'
        '{"id": "feedback-b1074c3cbf68", "question": "What is the population of Serbia?", '
        '"answers": [], "history": []}\n'
    )
    with pytest.raises(BadFeedback, match="empty once punctuation and articles are removed"):
        web_turns.record_feedback(path, right, ["The."])
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4


def test_correction_needs_an_answer_or_the_tick():
    with pytest.raises(BadFeedback, match="Type the right answer, or tick"):
        web_turns.corrected_answers("   ", False)


def test_the_export_says_why_docqa_declined_and_what_the_answer_came_from():
    candidate = Answer("1999", "a.txt", 0, 4, 0.9949, "1999.", 0, 5)
    declined = Reply("Wann?", "Wann?", None, candidate, 0.9949, 0.995, (), 0.0, english=False)
    scanned = web_turns.Turn("When?", (), "", "May 2019", True, 0.99999, "Opened in May 2019.", "scan.pdf · p. 2",
                             notes=(web_turns.OCR_NOTE,))
    turns = [web_turns.turn_of_reply("Wann?", (), "", declined), scanned]
    assert web_turns.export_markdown(turns) == "\n".join([
        "# docqa conversation", "", "## 1. Wann?", "", f"**{web_turns.DECLINED}**", "Confidence: 0.994",
        "Best guess confidence 0.994, below the 0.995 needed to answer.", NOT_ENGLISH, "",
        "## 2. When?", "", "**Answer:** May 2019", "Confidence: 0.999", web_turns.OCR_NOTE, "",
        "> Opened in May 2019.", "", "Source: scan.pdf · p. 2", ""])
    assert web_turns.Turn.from_json(turns[1].to_json()) == scanned


def test_the_export_shows_markup_from_documents_and_questions_as_text():
    from markdown_it import MarkdownIt

    quote = "Pasted: <b>bold</b> and <script>alert('xss')</script> and <img src=x onerror=\"alert(1)\"> \\<i> &amp;"
    turn = web_turns.Turn("What is <u>this</u>?", (), "", "<b>bold</b>", True, 0.999, quote, "notes.md · characters 0–9")
    exported = web_turns.export_markdown([turn])
    html = MarkdownIt("commonmark").render(exported)
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<u>" not in html and "<i>" not in html
    # shown letter for letter
    assert "&lt;script&gt;alert('xss')&lt;/script&gt;" in html and "\\&lt;i&gt; &amp;amp;" in html
    assert "<h2>1. What is &lt;u&gt;this&lt;/u&gt;?</h2>" in html


def test_the_export_says_what_the_chat_said_beside_the_answer():
    reply = Reply("When was it set up?", "When was it set up? (the liaison office)", None, None, 0.0, 0.995, (), 0.0,
                  notice="The index is behind the corpus (changed: a.txt). Rebuild it.")
    turn = web_turns.turn_of_reply("When was it set up?", ("Where is the office?",), "", reply)
    assert turn.notes == ("Read as a follow-up: When was it set up? (the liaison office)",
                          "The index is behind the corpus (changed: a.txt). Rebuild it.")
    failed = web_turns.Turn("", (), "", None, False, notes=("The question is empty. Type a question about your documents.",))
    assert web_turns.export_markdown([failed]).splitlines()[4] == "The question is empty. Type a question about your documents."


def test_marks_map_to_turns():
    turns = [web_turns.Turn("a", (), "", "x", True), web_turns.Turn("b", ("a",), "", None, True)]
    assert web_turns.turn_of(turns, 1) is turns[0]
    assert web_turns.turn_of(turns, 3) is turns[1]
    assert web_turns.turn_of(turns, 2) is None  # a question, not a reply
    assert web_turns.turn_of(turns, 5) is None


# ---- uploads and examples ------------------------------------------------------------------------
def test_upload_note_says_what_was_added_renamed_and_refused():
    uploads = [
        Upload("notes.txt", "notes.txt", None),
        Upload("my <notes>.txt", "my_notes.txt", None),
        Upload("run.sh", None, "'run.sh' is not an accepted type; upload .txt files."),
        Upload("zoo.txt", "zoo.txt", None, replaced=True),
        Upload("rivers.txt", None, "rivers.txt is already in the corpus, with other content.", conflict=True),
    ]
    assert html_format.format_uploads(uploads) == (
        "<p>Added notes.txt.</p>\n"
        "<p>Added my &lt;notes&gt;.txt (as my_notes.txt).</p>\n"
        "<p>Refused: &#x27;run.sh&#x27; is not an accepted type; upload .txt files.</p>\n"
        "<p>Replaced zoo.txt with the new version.</p>\n"
        "<p>rivers.txt is already in the corpus, with other content. Replace it?</p>"
    )
    assert html_format.format_uploads(uploads[2:3]) == (
        "<p>Refused: &#x27;run.sh&#x27; is not an accepted type; upload .txt files.</p>"
    )
    assert html_format.format_uploads([]) == ""


def test_examples_are_the_first_answerable_standalone_questions_of_the_evaluation_file(settings, tmp_path):
    assert chat.example_questions(settings.eval_file) == EXAMPLES
    assert chat.example_questions(settings.eval_file, count=1) == [PFP]
    assert chat.example_questions(tmp_path / "missing.jsonl") == []
    assert chat.example_questions(tmp_path) == []  # a folder, not a file
    (tmp_path / "latin1.jsonl").write_bytes('{"question": "Où?", "answers": ["là"]}\n'.encode("latin-1"))
    assert chat.example_questions(tmp_path / "latin1.jsonl") == []
    (tmp_path / "declines.jsonl").write_text(json.dumps(EVALUATION[1]) + "\n", encoding="utf-8")
    assert chat.example_questions(tmp_path / "declines.jsonl") == []


def examples_shown(app) -> list[list[str]] | None:
    """The samples of the app's Examples table, None when it has none."""
    tables = [c for c in app.config["components"] if c.get("type") == "dataset"]
    return tables[0]["props"]["samples"] if tables else None


def test_the_page_offers_the_evaluation_files_examples_or_none(engine, settings, tmp_path):
    assert examples_shown(chat.build_app(engine, settings)) == [[q] for q in EXAMPLES]
    elsewhere = settings.with_(index=tmp_path / "index")  # no evaluation/ beside it
    assert examples_shown(chat.build_app(engine, elsewhere)) is None


# ---- safe serving ----------------------------------------------------------------------------------
def test_loopback_hosts_need_no_credentials():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert server.resolve_auth(host, False, None, None) is None


def test_other_hosts_require_credentials():
    with pytest.raises(AuthRequired, match=r"Refusing to serve on 0\.0\.0\.0 without credentials.*DOCQA_AUTH"):
        server.resolve_auth("0.0.0.0", False, None, None)
    assert server.resolve_auth("0.0.0.0", True, None, None) is None
    assert server.resolve_auth("0.0.0.0", False, None, "alice:pa:ss") == [("alice", "pa:ss")]


def test_auth_file_and_malformed_credentials(tmp_path):
    path = tmp_path / "auth"
    path.write_text("# users\nalice:one\n\nbob:two\n", encoding="utf-8")
    assert server.resolve_auth("10.0.0.5", False, path, "ignored:x") == [("alice", "one"), ("bob", "two")]
    with pytest.raises(BadSettings, match="DOCQA_AUTH must hold user:password"):
        server.resolve_auth("10.0.0.5", False, None, "alice")
    with pytest.raises(BadSettings, match="Cannot read the auth file"):
        server.resolve_auth("10.0.0.5", False, tmp_path / "missing", None)


def test_serve_refuses_a_public_host_without_credentials(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DOCQA_AUTH", raising=False)
    # The corpus does not exist: the refusal must come before any engine is built.
    with pytest.raises(AuthRequired):
        server.serve(Settings(corpus=tmp_path / "none", index=tmp_path / "index"), host="0.0.0.0", port=7860)
    assert main(["serve", "--host", "0.0.0.0", "--corpus", str(tmp_path / "none")]) == 2
    assert "docqa: Refusing to serve on 0.0.0.0 without credentials" in capsys.readouterr().err
    args = build_parser().parse_args(["serve", "--no-auth", "--auth-file", "users.txt"])
    assert (args.no_auth, args.auth_file, args.host) == (True, Path("users.txt"), "127.0.0.1")


# ---- served ----------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_served_app_answers_through_gradio_client(engine, settings):
    app = chat.build_app(engine, settings)
    served = server.launch(app, "127.0.0.1", _free_port(), None)
    url = served.url
    try:
        client = Client(url, verbose=False)
        reply = client.predict(PFP, api_name="/chat")
        assert reply == chat.chat(engine, PFP)
        assert reply.startswith("<p><b>December 2006</b></p><p>Confidence 0.90</p>")
        followup = client.predict("What did it allow?", ["When did Serbia sign the transit agreement?"],
                                  api_name="/chat")
        assert "Read as a follow-up: What did it allow? (Serbia sign the transit agreement)" in followup
        assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/chat"]
    finally:
        served.close()


def listening_addresses(port: int) -> list[str]:
    """Addresses with a socket listening on TCP `port`, from the kernel's tables (Linux)."""
    found = []
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for row in table.read_text(encoding="ascii").splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(str(ipaddress.ip_address(bytes.fromhex(address)[::-1])) if len(address) == 8 else address)
    return found


def test_serve_listens_on_loopback_requires_the_credentials_and_keeps_them_out_of_the_log(
    engine, settings, monkeypatch, caplog, capfd,
):
    password, wrong = "Tr0ub4dor&3-staple", "correct-horse-battery"
    monkeypatch.setenv("DOCQA_AUTH", f"alice:{password}")
    monkeypatch.setattr(server, "Engine", lambda _, warm=False, **options: engine)
    served = []

    def launch_in_background(app, host, port, auth, api=None, block=False, **options):
        served.append(launch(app, host, port, auth, api, **options))
        return served[-1]

    launch = server.launch
    monkeypatch.setattr(server, "launch", launch_in_background)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with caplog.at_level(logging.DEBUG):
        try:
            assert main(["serve", "--port", str(port), "--corpus", str(settings.corpus),
                         "--index", str(settings.index)]) == 0
            assert listening_addresses(port) == ["127.0.0.1"]
            assert httpx.get(url + "gradio_api/info").status_code == 401
            assert httpx.get(url + "api/status").status_code == 401
            assert httpx.get(url + "api/status", auth=("alice", wrong)).status_code == 401
            assert httpx.get(url + "api/status", auth=("alice", password)).json()["documents"] == 1
            # Another site's page may not change the documents, signed in or not; a name that is not a
            # loopback one is not answered at all (a page that rebinds its own name to 127.0.0.1).
            assert httpx.post(url + "api/rebuild", auth=("alice", password),
                              headers={"Origin": "http://evil.example"}).status_code == 403
            rebound = httpx.get(url + "api/status", auth=("alice", password), headers={"Host": f"evil.example:{port}"})
            assert (rebound.status_code, rebound.json()) == (421, {"error": "docqa answers on 127.0.0.1, ::1 or localhost only."})
            assert httpx.get(url, headers={"Host": f"evil.example:{port}"}).text == "docqa answers on 127.0.0.1, ::1 or localhost only."
            with pytest.raises(ValueError, match="Could not login"):
                Client(url, auth=("alice", wrong), verbose=False)
            reply = Client(url, auth=("alice", password), verbose=False).predict(PFP, api_name="/chat")
            assert reply.startswith("<p><b>December 2006</b></p>")
        finally:
            for running in served:
                running.close()
    out, err = capfd.readouterr()
    logged = "\n".join([caplog.text, out, err])
    assert password not in logged and wrong not in logged and "alice" not in logged
    lines = re.findall(r"question at \S+: answered in \d+ ms, top source nato-relations-with-serbia\.txt", logged)
    assert len(lines) == 1


def test_served_app_serves_no_file(engine, settings):
    # Gradio serves files only from its upload cache and allowed paths; docqa allows none, so neither
    # the system's files nor the project's (settings, corpus, index) can be fetched.
    app = chat.build_app(engine, settings)
    served = server.launch(app, "127.0.0.1", _free_port(), None)
    url = served.url
    paths = ["/etc/passwd", "../../../../../../etc/passwd", "/proc/self/environ", "pyproject.toml",
             str(CORPUS.parent / "pyproject.toml"), str(settings.corpus / DOCUMENT),
             str(next(settings.index.glob("build-*/manifest.json")))]
    try:
        for path in paths:
            response = httpx.get(url + "gradio_api/file=" + urllib.parse.quote(path, safe=""))
            assert (response.status_code, response.json()) == (403, {"detail": f"File not allowed: {path}."})
            assert httpx.get(url + "file=" + urllib.parse.quote(path, safe="")).status_code == 404
    finally:
        served.close()


# ---- an index behind the corpus, odd names, uploads leave nothing behind ------------------------------
def test_a_reply_from_an_index_behind_the_corpus_says_so_last():
    first = _hit("Closest.", 0, None, 1.0, document="two\nlines.txt")
    notice = "The index is behind the corpus (new: <b>.txt); a rebuild is under way, and answers come from the index as it was."
    reply = Reply("Why?", "Why?", None, None, 0.0, 0.3, (first,), 0.0, (), notice)
    assert html_format.format_reply(reply) == (
        "<p><b>The documents do not answer this question.</b></p>"
        "<p>Closest passage: two\\x0alines.txt · characters 0–8</p>"
        "<blockquote>Closest.</blockquote>"
        "<p><i>The index is behind the corpus (new: &lt;b&gt;.txt); a rebuild is under way, and answers come "
        "from the index as it was.</i></p>"
    )


def test_a_reply_asked_within_documents_says_so_before_the_notice():
    first = _hit("Closest.", 0, None, 1.0, document="minutes.tif")
    reply = Reply("Why?", "Why?", None, None, 0.0, 0.3, (first,), 0.0, (), "Behind.", ("minutes.tif", "a<b>.txt"))
    assert html_format.format_reply(reply).endswith(
        "<p><i>Asked within these documents only: minutes.tif, a&lt;b&gt;.txt.</i></p><p><i>Behind.</i></p>")


def test_status_says_a_rebuild_is_under_way_and_the_build_its_warnings():
    rebuilding = Status(2, 30, "t", "m", "new: a.txt", "this chat")
    assert html_format.format_status(rebuilding).endswith(" · stale (new: a.txt) — a rebuild is under way (this chat)</p>")
    report = BuildReport(("a.txt",), (), (), (), 4, 4, 1.0, 1.0, True, (), warnings=("a.txt: 1 byte <x>",))
    assert html_format.format_build(report) == (
        "<p>Index built: 4 passages from 1 document (1 added, 0 changed, 0 removed, 0 unchanged) in 1.0 s.</p>\n"
        "<p>Warning: a.txt: 1 byte &lt;x&gt;</p>"
    )


def test_uploaded_files_and_their_folders_are_removed(tmp_path):
    kept, alone = tmp_path / "one" / "a.txt", tmp_path / "two" / "b.txt"
    for path in (kept, alone):
        path.parent.mkdir()
        path.write_text("x", encoding="utf-8")
    (kept.parent / "other.txt").write_text("another upload", encoding="utf-8")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-corpus.txt"
    elsewhere.write_text("not an upload", encoding="utf-8")
    chat.remove_uploaded([kept, alone, tmp_path / "gone.txt", elsewhere], tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["one", "one/other.txt"]
    assert elsewhere.read_text(encoding="utf-8") == "not an upload"


def test_the_exports_folder_is_made_on_the_first_export_and_removed_with_the_handlers(tmp_path, monkeypatch):
    monkeypatch.setattr(chat.tempfile, "tempdir", str(tmp_path))
    events = chat.Events(engine=None, feedback=tmp_path / "feedback.jsonl")
    assert list(tmp_path.iterdir()) == []  # a page that exports nothing leaves nothing behind
    turn = web_turns.Turn("Who signed?", (), "<p>Ana</p>", "Ana", ok=True)
    exported = chat.export_file([turn], events.exports)
    assert exported.read_text(encoding="utf-8").startswith("# ") and exported.is_relative_to(tmp_path)
    del events
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_format_reply_leads_with_the_verdict_its_sentence_states():
    quote = "You may not <remove> notices."
    answer = Answer(quote, "a.txt", 0, len(quote), 0.995, quote, 0, len(quote), verdict="no")
    reply = Reply("Can I?", "Can I?", answer, answer, 0.995, 0.99, (_hit(quote, 0, None, 1.0, "a.txt"),), 0.01)
    assert html_format.format_reply(reply).startswith(
        "<p><b>No</b>, in the words of the quoted sentence:</p>"
        "<p><b>You may not &lt;remove&gt; notices.</b></p>"
        "<p>Confidence 0.99</p>"
        "<blockquote><mark>You may not &lt;remove&gt; notices.</mark></blockquote>"
    )


def test_a_builds_progress_moves_a_bar_where_its_message_counts():
    calls = []
    tell = chat.shown(lambda progress, **shown: calls.append((progress, shown)))
    tell("scan.pdf: OCR of page 3 (2 of 300 without a text layer)")
    tell("Embedding 86 passages")
    assert calls == [((2, 300), {"desc": "scan.pdf: OCR of page 3 (2 of 300 without a text layer)", "unit": "pages"}),
                     ((1, None), {"desc": "Embedding 86 passages"})]
