"""Hostile and broken input, end to end through the engine, the chat (`web.chat.chat`, what /chat returns)
and the command line: odd questions, HTML in questions and documents, unreadable files, an empty
corpus, a damaged index, an index of another model, and pickles planted in the index folder.

Every case ends in an answer, a decline or a message saying what to do; no traceback reaches the
user, and the documents in the corpus are never touched.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import pickle
import re
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ingest.test_formats import docx_bomb

from docqa import cli
from docqa.embed.embedder import resolve_model
from docqa.engine import Engine
from docqa.errors import (
    BadQuestion,
    CorruptIndex,
    EmptyCorpus,
    IndexNotFound,
    StaleIndex,
)
from docqa.index.lexical import FOLDER as LEXICAL
from docqa.index.lexical import SCORES, WORDS
from docqa.index.store import (
    CURRENT,
    MANIFEST,
    OFFSETS,
    PASSAGES,
    VECTORS,
    load_index,
    read_manifest,
)
from docqa.settings import DEFAULT_MODEL, Settings
from docqa.text import check_question
from docqa.web import chat, turns
from docqa.web import format as html_format

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = "nato-relations-with-serbia.txt"
PFP = "When did Serbia join the Partnership for Peace?"
PFP_ANSWER = "December 2006"
EMPTY = "The question is empty. Type a question about your documents."
TOO_LONG = "The question is 100,000 characters long; the limit is 1,000. Ask a shorter question."
RUN_FULL = r"Run `docqa index --full` to rebuild it; your documents in the corpus are untouched\."


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the default corpus; the `engine` fixture builds its index."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    return root


@pytest.fixture(scope="module")
def engine(project) -> Engine:
    return Engine(Settings(corpus=project / "corpus", index=project / "index"))


def sharing(engine: Engine, settings: Settings, **options) -> Engine:
    """Another engine with the loaded model and reader of `engine` (same corpus text, same answers)."""
    return Engine(settings, embedder=engine.embedder, reader=engine.reader, **options)


def workspace(engine: Engine, tmp_path: Path) -> Settings:
    """A copy of `engine`'s corpus and built index in `tmp_path`, to damage."""
    shutil.copytree(engine.settings.corpus.parent, tmp_path, dirs_exist_ok=True)
    return Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")


def active(settings: Settings) -> Path:
    return settings.index / (settings.index / CURRENT).read_text(encoding="utf-8").strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def quick_cli(engine, monkeypatch):
    """`docqa` in process, its engine sharing the loaded model and reader (the CLI code is unchanged)."""
    monkeypatch.setattr(cli, "_engine", lambda settings, warm=False, **options: sharing(engine, settings))


def test_the_pristine_engine_answers(engine):
    assert engine.ask(PFP).answer.text == PFP_ANSWER


# ---- questions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["", "   ", "\n\t \r\n", "\x00\x07\x1b", "\u200b\u202e\u2066", "\ud800"])
def test_an_empty_question_is_refused(engine, question):
    with pytest.raises(BadQuestion, match=f"^{re.escape(EMPTY)}$"):
        engine.ask(question)
    assert chat.chat(engine, question) == f"<p>{EMPTY}</p>"


def test_a_question_of_100000_characters_is_refused_with_the_limit(engine, quick_cli, capsys):
    question = "Serbia " * 14285 + "When?"
    assert len(question) == 100_000
    with pytest.raises(BadQuestion, match=f"^{re.escape(TOO_LONG)}$"):
        engine.ask(question)
    assert chat.chat(engine, question) == f"<p>{TOO_LONG}</p>"
    # An earlier question of the conversation is held to the same limit (an API caller sends them).
    # The message names it as the earlier question, not the one being asked.
    assert chat.chat(engine, "What did it allow?", [question]) == (
        f"<p>{TOO_LONG.replace('The question', 'An earlier question (history)')}</p>")
    assert html_format.format_user(question) == question[:500] + "… (100,000 characters)"
    code = cli.main(["ask", question, "--corpus", str(engine.settings.corpus), "--index", str(engine.settings.index)])
    assert (code, capsys.readouterr()) == (2, ("", f"docqa: {TOO_LONG}\n"))


@pytest.mark.parametrize(
    "dirty",
    [
        "When did Serbia\x00 join the\x1b Partnership\x07 for Peace?",  # NUL, escape, bell
        "\u202eWhen did Serbia join the Partnership for Peace?\u200f",  # right-to-left override and mark
        "When did Serbia join the Partnership for Peace?\ud800",  # a lone surrogate, as a JSON client may send
        " When\u200b did Serbia join the Partnership for Peace?\x7f ",  # zero-width space, DEL
    ],
)
def test_control_and_format_characters_are_dropped_before_asking(engine, dirty):
    assert check_question(dirty) == PFP
    assert chat.chat(engine, dirty) == chat.chat(engine, PFP)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # with the flags in the question the reader takes the year alone, still the year of joining
        ("When did Serbia 🇷🇸 join the Partnership for Peace? 🤝", (PFP_ANSWER, "2006")),
        # "صربيا" (Serbia) is a name the document never writes: declined, or answered right from the rest
        ("When did صربيا join the Partnership for Peace?", (None, PFP_ANSWER)),
        ("متى انضمت صربيا إلى الشراكة من أجل السلام؟", None),
        ("מתי הצטרפה סרביה לשותפות למען השלום?", None),
        ("🤝🤝🤝", None),
    ],
)
def test_emoji_and_right_to_left_text_are_answered_or_declined(engine, question, answer):
    turn = chat.ask(engine, question)
    if isinstance(answer, tuple):
        assert turn.ok and turn.answer in answer
        answer = turn.answer
    assert (turn.ok, turn.answer) == (True, answer)
    assert turn.html.startswith(f"<p><b>{answer}</b></p>" if answer else f"<p><b>{turns.DECLINED}</b></p>")
    assert "Traceback" not in turn.html


def test_html_in_a_question_is_shown_as_text(engine):
    transit = "When did Serbia sign the transit agreement?"
    question = 'What did it <script>alert(1)</script> <img src=x onerror="alert(2)"> allow?'
    reply = chat.chat(engine, question, [transit])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in reply
    assert "<script" not in reply and "<img" not in reply


HOSTILE_FILES = {
    # Entities in an HTML page decode to a literal "<script>" in the document's text.
    "page.html": (b"<html><head><script>alert('head')</script></head><body>"
                  b"<p>The Belgrade summit &lt;script&gt;alert(3)&lt;/script&gt; was held in 2004.</p>"
                  b"<script>alert(4)</script></body></html>"),
    "notes.md": b"# Notes\n\nThe Novi Sad meeting <script>alert(5)</script> took place in May 2008.\n",
    "plain.txt": b"The Nis conference <img src=x onerror=alert(6)> & <b>bold</b> ended in June 2010.\n",
}


@pytest.fixture(scope="module")
def hostile(engine, tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("hostile")
    (root / "corpus").mkdir()
    for name, data in HOSTILE_FILES.items():
        (root / "corpus" / name).write_bytes(data)
    return sharing(engine, Settings(corpus=root / "corpus", index=root / "index"))


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("When was the Belgrade summit held?",
         "The Belgrade summit &lt;script&gt;alert(3)&lt;/script&gt; was held in "),
        ("When did the Novi Sad meeting take place?",
         "The Novi Sad meeting &lt;script&gt;alert(5)&lt;/script&gt; took place in "),
        ("When did the Nis conference end?",
         "The Nis conference &lt;img src=x onerror=alert(6)&gt; &amp; &lt;b&gt;bold&lt;/b&gt; ended in "),
    ],
)
def test_html_inside_documents_is_shown_as_text(hostile, question, shown):
    reply = chat.chat(hostile, question)
    assert shown in reply
    assert "<script" not in reply and "<img" not in reply and "alert('head')" not in reply
    assert "alert(4)" not in reply  # a page's own scripts are not part of its text at all


# ---- the corpus --------------------------------------------------------------------------------
BROKEN_FILES = {
    "blob.txt": b"abc\x00\x01\x02def",
    "latin1.txt": "Café au lait in Belgrade.".encode("latin-1"),
    "broken.pdf": b"%PDF-1.4\n1 0 obj garbage",
    "broken.docx": b"PK\x03\x04garbage",
    "empty.md": b"",
}
SKIPPED = [
    "blob.txt: it looks binary (contains NUL bytes)",
    "broken.docx: not a readable Word .docx file (BadZipFile: File is not a zip file)",
    r"broken.pdf: not a readable PDF \(\w+: .+\)",
    "empty.md: it is empty (no text)",
]
# A text in a Western code page is read as one (formats._decode), with a warning.
LATIN1_WARNING = ("latin1.txt: not UTF-8 (the first other byte at byte 3): read as Windows-1252; save the file as UTF-8 "
                  "if its accents look wrong")


def test_unreadable_files_are_skipped_by_name_and_the_rest_is_indexed(engine, tmp_path, caplog):
    (tmp_path / "corpus").mkdir()
    shutil.copyfile(ROOT / "corpus" / DOCUMENT, tmp_path / "corpus" / DOCUMENT)
    for name, data in BROKEN_FILES.items():
        (tmp_path / "corpus" / name).write_bytes(data)
    before = digest(tmp_path / "corpus")
    with caplog.at_level(logging.WARNING, logger="docqa"):
        served = sharing(engine, Settings(corpus=tmp_path / "corpus", index=tmp_path / "index"))
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipped ")]
    assert len(warnings) == len(SKIPPED)
    for warning, expected in zip(warnings, SKIPPED):
        assert re.fullmatch("Skipped " + (expected if "\\" in expected else re.escape(expected)), warning)
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("latin1")] == [LATIN1_WARNING]
    assert read_manifest(tmp_path / "index").documents == {"latin1.txt": before["latin1.txt"], DOCUMENT: before[DOCUMENT]}
    assert served.ask(PFP).answer.text == PFP_ANSWER
    assert digest(tmp_path / "corpus") == before


def test_docqa_index_names_the_skipped_files(engine, quick_cli, tmp_path, capsys, caplog):
    (tmp_path / "corpus").mkdir()
    shutil.copyfile(ROOT / "corpus" / DOCUMENT, tmp_path / "corpus" / DOCUMENT)
    for name, data in BROKEN_FILES.items():
        (tmp_path / "corpus" / name).write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="docqa"):
        assert cli.main(["index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]) == 0
    assert caplog.messages == []  # said once, by the summary below, not by the log as well
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["Index built: 16 passages from 2 documents.",
                       "  documents: 2 added, 0 changed, 0 removed, 0 unchanged"]
    assert len(out) == 3 + len(SKIPPED) + 1
    for line, expected in zip(out[3:], SKIPPED):
        assert re.fullmatch("  skipped " + (expected if "\\" in expected else re.escape(expected)), line)
    assert out[-1] == "  warning " + LATIN1_WARNING


def empty_corpus_message(corpus: Path) -> str:
    return (f"No readable documents in {corpus}/. Put .txt, .md, .pdf, .html, .htm, .docx, .csv, .tsv, .xlsx, .png, "
            ".jpg, .jpeg, .tif, .tiff, .gif, .bmp or .webp files there (or pass --corpus DIR), then run `docqa index`.")


def test_an_empty_corpus_asks_for_documents(engine, tmp_path, caplog):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "blob.txt").write_bytes(b"\x00\x00")
    # `docqa index` says so; the chat and `docqa documents` start on an empty index, so that the first
    # document can be added from them, and every question gets the same message.
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 2
    served = sharing(engine, Settings(corpus=corpus, index=tmp_path / "index"))
    assert (served.status().documents, served.status().passages) == (0, 0)
    with pytest.raises(EmptyCorpus, match=f"^{re.escape(empty_corpus_message(corpus))}$"):
        served.ask(PFP)
    # the chat shows the message's commands as code
    shown = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(empty_corpus_message(corpus)))
    assert chat.chat(served, PFP) == f"<p>{shown}</p>" and "<code>docqa index</code>" in shown
    assert "Skipped blob.txt: it looks binary (contains NUL bytes)" in caplog.messages
    assert [p.name for p in corpus.iterdir()] == ["blob.txt"]
    shutil.copyfile(ROOT / "corpus" / DOCUMENT, corpus / DOCUMENT)
    served.rebuild()
    assert served.ask(PFP).answer.text == PFP_ANSWER


def test_a_failed_rebuild_keeps_the_previous_index(engine, tmp_path, monkeypatch):
    settings = workspace(engine, tmp_path)
    served = sharing(engine, settings)
    pointer = (settings.index / CURRENT).read_text(encoding="utf-8")
    (settings.corpus / "zoo.txt").write_text("The zoo keeps a white lion.\n", encoding="utf-8")
    monkeypatch.setattr(sys, "executable", "/bin/true")  # the reading sandbox cannot start
    assert chat.rebuild(served).startswith("<p>The process that reads corpus files did not start (/bin/true -m "
                                           "docqa.ingest.sandbox); the index was not changed.")
    assert chat.chat(served, PFP).startswith(f"<p><b>{PFP_ANSWER}</b></p>")
    assert (settings.index / CURRENT).read_text(encoding="utf-8") == pointer
    assert len(load_index(settings.index).passages) == 15
    assert html_format.format_status(served.status()).endswith("stale (new: zoo.txt) — press Rebuild index</p>")


def test_removing_the_last_document_empties_the_index(engine, tmp_path):
    settings = workspace(engine, tmp_path)
    served = sharing(engine, settings)
    assert served.remove_documents([DOCUMENT])[0].removed
    assert served.rebuild().removed == (DOCUMENT,)
    with pytest.raises(EmptyCorpus):
        served.ask(PFP)


# ---- a damaged index ---------------------------------------------------------------------------
def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garble_line(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][: len(lines[3]) // 2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def keep_seven_lines(path: Path) -> None:
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:7]), encoding="utf-8")


def patch_manifest(**fields) -> Callable[[Path], None]:
    def patch(path: Path) -> None:
        path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **fields}), encoding="utf-8")
    return patch


def overwrite_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


DAMAGES = {
    # name: (file in the active build, or None for the index folder; damage; expected reason)
    "vectors truncated": (VECTORS, truncate, r"build-\w+/vectors\.faiss is unreadable"),
    "vectors emptied": (VECTORS, lambda p: p.write_bytes(b""), r"build-\w+/vectors\.faiss is unreadable"),
    # bytes damaged in place, the file's size unchanged: FAISS reads it, the vectors are not unit vectors
    "vectors overwritten": (VECTORS, overwrite_middle, r"build-\w+/vectors\.faiss is damaged: vector \d+ is not of unit length"),
    "passages garbled": (PASSAGES, garble_line, r"build-\w+/passages\.jsonl is damaged: .+"),
    "passages binary": (PASSAGES, lambda p: p.write_bytes(bytes(range(256)) * 4),
                        r"build-\w+/passages\.jsonl is damaged: .+"),
    "passages cut short": (PASSAGES, keep_seven_lines,
                           r"build-\w+/passages\.jsonl is damaged: \d+ bytes, passages\.offsets\.npy says \d+ in 15 lines"),
    "offsets truncated": (OFFSETS, truncate, r"build-\w+/passages\.offsets\.npy is damaged: .+"),
    "BM25 words garbled": (f"{LEXICAL}/{WORDS}", truncate, r"build-\w+/bm25/ is damaged: .+"),
    "BM25 scores emptied": (f"{LEXICAL}/{SCORES}", lambda p: p.write_bytes(b""), r"build-\w+/bm25/ is damaged: .+"),
    "manifest missing": (MANIFEST, Path.unlink, r"build-\w+/manifest\.json is missing"),
    "manifest garbled": (MANIFEST, truncate, r"build-\w+/manifest\.json is damaged: .+"),
    "manifest of wrong kinds": (MANIFEST, patch_manifest(documents=5),
                                r"build-\w+/manifest\.json is damaged: documents holds 5, expected dict\[str, str\]"),
    "CURRENT names a missing build": (CURRENT, lambda p: p.write_text("build-20000101T000000000000Z\n"),
                                      r"build-20000101T000000000000Z/manifest\.json is missing"),
    "CURRENT names a folder outside": (CURRENT, lambda p: p.write_text("../../etc\n"), r"CURRENT names '\.\./\.\./etc'"),
}


def damage(settings: Settings, name: str) -> None:
    target, hurt, _ = DAMAGES[name]
    hurt(settings.index / CURRENT if target == CURRENT else active(settings) / target)


@pytest.mark.parametrize("name", DAMAGES)
def test_a_damaged_index_says_how_to_repair_it_and_the_engine_rebuilds_it(engine, tmp_path, caplog, name):
    settings = workspace(engine, tmp_path)
    corpus = digest(settings.corpus)
    damage(settings, name)
    message = rf"^The index in .*/index/ cannot be read \({DAMAGES[name][2]}\)\. {RUN_FULL}$"
    with pytest.raises(CorruptIndex, match=message):
        sharing(engine, settings, auto_build=False)

    with caplog.at_level(logging.WARNING, logger="docqa"):
        rebuilt = sharing(engine, settings)
    # the damage without its advice: the engine repairs it itself
    building = rf"The index in .*/index/ cannot be read \({DAMAGES[name][2]}\): building it now\."
    assert [m for m in caplog.messages if re.fullmatch(building, m)] != []
    reply = chat.chat(rebuilt, PFP)
    assert reply.startswith(f"<p><b>{PFP_ANSWER}</b></p>") and "Traceback" not in reply
    assert len(load_index(settings.index).passages) == 15
    assert rebuilt.status().stale is None
    assert digest(settings.corpus) == corpus


@pytest.mark.parametrize("name", ["vectors truncated", "manifest garbled", "CURRENT names a missing build"])
def test_docqa_ask_rebuilds_a_damaged_index(engine, quick_cli, tmp_path, capsys, caplog, name):
    settings = workspace(engine, tmp_path)
    damage(settings, name)
    with caplog.at_level(logging.WARNING, logger="docqa"):
        code = cli.main(["ask", PFP, "--corpus", str(settings.corpus), "--index", str(settings.index)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.startswith(f"Answer: {PFP_ANSWER}\n")
    # Under pytest the warning reaches caplog; `docqa ask` prints it to stderr as "docqa: <message>".
    warning = rf"The index in .*/index/ cannot be read \({DAMAGES[name][2]}\): building it now\."
    assert [m for m in caplog.messages if re.fullmatch(warning, m)] != []


def test_a_missing_index_is_built(engine, tmp_path, caplog):
    settings = workspace(engine, tmp_path)
    shutil.rmtree(settings.index)
    with pytest.raises(IndexNotFound, match=r"^No index in .*/index/\. Run `docqa index`\.$"):
        sharing(engine, settings, auto_build=False)
    with caplog.at_level(logging.INFO, logger="docqa"):
        built = sharing(engine, settings)
    # one line says what happens; no "Run `docqa index`", no "No reusable previous index" after it
    assert [m for m in caplog.messages if "index" in m.lower()] == [f"No index in {settings.index}/: building it now."]
    assert built.ask(PFP).answer.text == PFP_ANSWER


@pytest.mark.parametrize(
    ("current", "problem"),
    [
        (b"build-20000101T000000000000Z\n", r"build-20000101T000000000000Z/manifest\.json is missing"),  # a new one, damaged
        (b"\xff\xfe garbage", r"CURRENT cannot be read \(UnicodeDecodeError\)"),  # CURRENT no text
    ],
)
def test_a_server_keeps_its_index_when_the_new_one_cannot_be_read(engine, tmp_path, caplog, current, problem):
    settings = workspace(engine, tmp_path)
    served = sharing(engine, settings)
    (settings.index / CURRENT).write_bytes(current)
    with caplog.at_level(logging.WARNING, logger="docqa"):
        reply = chat.chat(served, PFP)
    assert reply.startswith(f"<p><b>{PFP_ANSWER}</b></p>")
    assert re.fullmatch(
        rf"Keeping the current index: The index in .*/index/ cannot be read \({problem}\)\. {RUN_FULL}",
        caplog.records[0].getMessage(),
    )


def test_an_index_of_another_model_is_rebuilt(engine, tmp_path, caplog):
    settings = workspace(engine, tmp_path)
    patch_manifest(model="paraphrase-MiniLM-L3-v2")(active(settings) / MANIFEST)
    problem = (r"The index in .*/index/ is out of date \(built with model 'paraphrase-MiniLM-L3-v2', "
               rf"settings ask for '{DEFAULT_MODEL}'\)")
    stale = problem + r"\. Run `docqa index`\."
    with pytest.raises(StaleIndex, match=f"^{stale}$"):
        sharing(engine, settings, auto_build=False)
    with caplog.at_level(logging.INFO, logger="docqa"):
        rebuilt = sharing(engine, settings)
    assert [m for m in caplog.messages if re.fullmatch(problem + ": building it now.", m)] != []
    assert read_manifest(settings.index).model == DEFAULT_MODEL
    assert rebuilt.ask(PFP).answer.text == PFP_ANSWER


# ---- nothing is unpickled ----------------------------------------------------------------------
class Planted:
    """Unpickling this creates the file `marker`: proof that something ran pickle.load."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("target", [VECTORS, PASSAGES, MANIFEST])
def test_a_pickle_planted_in_the_index_is_never_loaded(engine, tmp_path, target):
    settings = workspace(engine, tmp_path)
    marker = tmp_path / "unpickled"
    (active(settings) / target).write_bytes(pickle.dumps(Planted(marker)))
    with pytest.raises(CorruptIndex, match=RUN_FULL):
        load_index(settings.index)
    sharing(engine, settings)  # rebuilt from the corpus
    assert not marker.exists()


LOADERS = [
    r"^\s*(import|from)\s+(pickle|cPickle|_pickle|dill|cloudpickle|joblib|shelve|marshal)\b",
    r"\b(pickle|dill|cloudpickle|joblib|marshal)\.loads?\(",
    r"torch\.load\((?![^)]*weights_only\s*=\s*True)",  # weights_only=True: torch's restricted unpickler
    r"read_pickle\(",
    r"allow_pickle\s*=\s*True",
    r"\b(np|numpy)\.load\((?![^)]*allow_pickle\s*=\s*False)",
    r"weights_only\s*=\s*False",
]


def test_no_code_loads_pickles_and_the_model_is_safetensors():
    sources = sorted((ROOT / "src" / "docqa").glob("*.py"))
    found = [f"{path.name}:{n}: {line.strip()}"
             for path in sources for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             for pattern in LOADERS if re.search(pattern, line)]
    assert len(sources) > 10 and found == []
    model = Path(resolve_model(DEFAULT_MODEL))
    assert (model / "model.safetensors").is_file()
    assert [p.name for p in model.rglob("*") if p.suffix in (".bin", ".pkl", ".pt", ".pth", ".pickle")] == []


# ---- a hostile corpus: links out, bombs, runs without spaces -----------------------------------------
def test_a_hostile_corpus_indexes_its_good_files_and_serves_nothing_from_outside(engine, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nThe home directory of the root user is /root.\n",
                                    encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(ROOT / "corpus" / DOCUMENT, corpus / DOCUMENT)
    (corpus / "passwd.txt").symlink_to(outside / "passwd")
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    (corpus / "one-line.txt").write_bytes(b"x" * 3_000_000)
    (corpus / "bomb.docx").write_bytes(docx_bomb(8 * 2**20))
    before = digest(corpus)
    served = sharing(engine, Settings(corpus=corpus, index=tmp_path / "index"))
    assert read_manifest(tmp_path / "index").documents == {DOCUMENT: before[DOCUMENT]}
    reply = served.ask("What is the home directory of the root user?")
    assert {hit.passage.document for hit in reply.hits} == {DOCUMENT}
    assert served.ask(PFP).answer.text == PFP_ANSWER
    assert digest(corpus) == before
