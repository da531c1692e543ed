"""The command line and the engine behind it, in process: `ask --json` schema, the printed reply,
index lifecycle, errors, help.

`ask` runs with the deterministic WordReader (tests/standins.py) made in place of the named reader, so
the tests pin the shell's output exactly: the JSON, the offsets, the ranking of retrieved passages, and
what happens to the index. One test asks through the real default reader, one through a reader trained here.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from standins import NoReader, WordReader

from docqa import cli
from docqa import engine as engine_module
from docqa.embed.embedder import Embedder
from docqa.engine import Engine
from docqa.errors import IndexNotFound, StaleIndex
from docqa.index.manifest import BuildReport
from docqa.index.store import CURRENT, load_current, read_manifest
from docqa.ingest.corpus import load_corpus
from docqa.settings import Precision, Settings
from docqa.types import DocumentInfo

DEFAULT_DOCUMENT = Path(__file__).resolve().parent.parent / "corpus" / "nato-relations-with-serbia.txt"
NAME = DEFAULT_DOCUMENT.name
QUESTION = "Which countries led the landmine destruction project?"
ANSWER = "Canada and Austria"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run(argv: list[str]) -> Run:
    """`docqa ARGV` in process, for module-scoped fixtures where capsys is not available."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return Run(code, out.getvalue(), err.getvalue())


def folders(root: Path) -> list[str]:
    return ["--corpus", str(root / "corpus"), "--index", str(root / "index")]


def copy_corpus(root: Path) -> Path:
    (root / "corpus").mkdir()
    shutil.copyfile(DEFAULT_DOCUMENT, root / "corpus" / NAME)
    return root


def answering(patch: pytest.MonkeyPatch) -> None:
    """Whatever reader the command names, the engine gets a WordReader answering ANSWER at 0.9."""
    patch.setattr(engine_module, "make_reader", lambda name, embedder, idf: WordReader(ANSWER, 0.9))


@pytest.fixture(scope="module")
def first_ask(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """`docqa ask --json` on a corpus that has no index yet."""
    root = copy_corpus(tmp_path_factory.mktemp("ask"))
    with pytest.MonkeyPatch.context() as patch:
        answering(patch)
        return root, run(["ask", QUESTION, "--json", "--top-k", "3", *folders(root)])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default corpus with an index built by `docqa index`."""
    root = copy_corpus(tmp_path_factory.mktemp("cli"))
    built = run(["index", *folders(root)])
    assert built.code == 0, built.err
    assert built.out.splitlines()[:2] == [
        "Index built: 15 passages from 1 document.",
        "  documents: 1 added, 0 changed, 0 removed, 0 unchanged",
    ]
    return root


def test_ask_builds_a_missing_index(first_ask: tuple[Path, Run]) -> None:
    root, asked = first_ask
    assert asked.code == 0, asked.err
    assert (root / "index" / CURRENT).is_file()
    manifest = read_manifest(root / "index")
    assert manifest.passages == 15
    assert manifest.documents == {NAME: load_corpus(root / "corpus").documents[0].sha256}


def test_ask_json_prints_exactly_one_object_of_the_schema(first_ask: tuple[Path, Run]) -> None:
    root, asked = first_ask
    assert asked.code == 0, asked.err
    assert asked.out.endswith("\n") and asked.out.count("\n") == 1
    reply = json.loads(asked.out)
    assert set(reply) == {"question", "answer", "confidence", "unstated", "source", "quote", "notice", "documents", "named", "off_topic", "passages",
                          "verdict", "view", "english", "other_version", "passed_over", "corrections", "meant"}
    assert reply["unstated"] == [] and reply["notice"] is None
    assert (reply["question"], reply["answer"], reply["confidence"]) == (QUESTION, ANSWER, 0.9)
    text = load_corpus(root / "corpus").documents[0].text

    # The source offsets slice the cleaned text to the answer; the quote is the passage it came from.
    source = reply["source"]
    assert source == {"document": NAME, "section": reply["passages"][0]["section"], "start": 4935, "end": 4953,
                      "page": None, "ocr": False}
    assert text[source["start"] : source["end"]] == ANSWER
    assert reply["quote"] == reply["passages"][0]["text"]

    passages = reply["passages"]
    assert len(passages) == 3
    for passage in passages:
        assert {"document", "start", "end", "text", "score"} <= set(passage)
        assert set(passage) <= {"document", "start", "end", "text", "score", "page", "section"}
        assert passage["document"] == NAME
        assert type(passage["start"]) is int and type(passage["end"]) is int
        assert type(passage["score"]) is float and 0.0 <= passage["score"] <= 1.0
        assert text[passage["start"] : passage["end"]] == passage["text"]
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    # Retrieval, not the reader: the landmine passage comes first, first in both rankings.
    assert "was led by Canada and Austria" in passages[0]["text"]
    assert passages[0]["score"] == 1.0
    assert passages[0].get("section", "Defence and security sector reform") == "Defence and security sector reform"
    assert any(p["start"] <= source["start"] and source["end"] <= p["end"] for p in passages)


def test_ask_json_without_answer_has_nulls(workspace: Path, capsys, monkeypatch) -> None:
    # Threshold 0.95 declines the candidate of confidence 0.9: answer, source and quote go null together.
    answering(monkeypatch)
    assert cli.main(["ask", QUESTION, "--json", "--threshold", "0.95", *folders(workspace)]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert set(reply) == {"question", "answer", "confidence", "unstated", "source", "quote", "notice", "documents", "named", "off_topic", "passages",
                          "verdict", "view", "english", "other_version", "passed_over", "corrections", "meant"}
    assert (reply["answer"], reply["source"], reply["quote"], reply["confidence"]) == (None, None, None, 0.9)
    assert len(reply["passages"]) == 5
    assert "was led by Canada and Austria" in reply["passages"][0]["text"]


def test_ask_prints_the_answer_its_source_and_the_marked_quote(workspace: Path, capsys, monkeypatch) -> None:
    answering(monkeypatch)
    assert cli.main(["ask", QUESTION, *folders(workspace)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"Answer: {ANSWER}\n"
        "Confidence: 0.90\n"
        f"Source: {NAME}, Defence and security sector reform [characters 4935-4953]\n"
        "Quote: "
    )
    assert f" was led by **{ANSWER}**. " in out and out.count("**") == 2
    assert cli.main(["ask", QUESTION, "--threshold", "0.95", *folders(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["The documents do not answer this (best confidence 0.90, below the 0.95 needed to answer).",
                         f"Closest passage, {NAME}:"]
    assert lines[2].startswith("  ") and "was led by Canada and Austria" in lines[2]
    # A name the answer's passage does not state declines whatever the confidence.
    assert cli.main(["ask", "Which countries led the landmine destruction project in Croatia?",
                     *folders(workspace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ['The documents do not answer this: the closest answer\'s passage does not mention "Croatia".',
                         f"Passage of the best guess, {NAME}:"]
    assert "was led by Canada and Austria" in lines[2]


def test_ask_with_the_default_reader(workspace: Path, capsys) -> None:
    assert cli.main(["ask", "When did Serbia join the Partnership for Peace?", "--json", *folders(workspace)]) == 0
    reply = json.loads(capsys.readouterr().out)
    text = load_corpus(workspace / "corpus").documents[0].text
    assert reply["answer"] == "December 2006"
    assert text[reply["source"]["start"] : reply["source"]["end"]] == "December 2006"


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_empty_question(workspace: Path, capsys, question: str) -> None:
    assert cli.main(["ask", question, *folders(workspace)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("docqa: The question is empty.") and captured.err.count("\n") == 1


@pytest.mark.parametrize("files", [{}, {"empty.txt": b"", "blank.md": b"\n \n", "notes.pdf.bak": b"x"}])
def test_empty_corpus_folder(tmp_path: Path, capsys, files: dict[str, bytes]) -> None:
    (tmp_path / "corpus").mkdir()
    for name, data in files.items():
        (tmp_path / "corpus" / name).write_bytes(data)
    assert cli.main(["ask", QUESTION, *folders(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"docqa: No readable documents in {tmp_path / 'corpus'}/. Put .txt, .md")
    assert "then run `docqa index`." in captured.err and "Traceback" not in captured.err


def test_missing_corpus_folder(tmp_path: Path, capsys) -> None:
    assert cli.main(["ask", QUESTION, *folders(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"docqa: Corpus folder {tmp_path / 'corpus'}/ does not exist. Create it or pass --corpus DIR.\n"
    )
    assert not (tmp_path / "index").exists()  # nothing to build from: no index folder made either
    (tmp_path / "corpus").write_text("a file\n", encoding="utf-8")
    assert cli.main(["ask", QUESTION, *folders(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"docqa: The corpus {tmp_path / 'corpus'} is a file, not a folder. Pass the "
                                       "folder that holds your documents as --corpus DIR.\n")


def test_corpus_folder_from_the_environment(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DOCQA_CORPUS", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("DOCQA_INDEX", str(tmp_path / "index"))
    assert cli.main(["ask", QUESTION]) == 2
    assert f"Corpus folder {tmp_path / 'elsewhere'}/ does not exist" in capsys.readouterr().err


def test_index_command_on_a_current_index(workspace: Path, tmp_path: Path, capsys) -> None:
    shutil.copytree(workspace, tmp_path, dirs_exist_ok=True)
    assert cli.main(["index", *folders(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "Index updated: 15 passages from 1 document.",
        "  documents: 0 added, 0 changed, 0 removed, 1 unchanged",
    ]
    assert lines[2].startswith("  embedded 0 passages (nothing new to embed) in ")
    assert "passages/s" not in lines[2]


def test_the_embedded_line_gives_a_rate_only_when_something_was_embedded() -> None:
    report = BuildReport(("a.txt",), ("b.txt",), (), (), 40, 12, 2.0, 1.5, False, reused=3)
    assert cli.format_build(report).splitlines()[2] == (
        "  embedded 12 passages in 2.00 s (6.0 passages/s; embedding 1.50 s; 3 vectors reused)")
    reread = BuildReport((), ("a.txt",), (), (), 40, 0, 0.5, 0.0, False, reused=40)
    assert cli.format_build(reread).splitlines()[2] == (
        "  embedded 0 passages (nothing new to embed; 40 vectors reused) in 0.50 s")


def test_index_command_with_another_vector_index(workspace: Path, tmp_path: Path, capsys) -> None:
    shutil.copytree(workspace, tmp_path, dirs_exist_ok=True)
    assert cli.main(["index", "--vector-index", "hnsw", *folders(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "  documents: 0 added, 0 changed, 0 removed, 1 unchanged"
    assert read_manifest(tmp_path / "index").vectors == {"kind": "hnsw", "m": 32, "ef_construction": 128,
                                                         "ef_search": 64}
    with pytest.raises(SystemExit):
        cli.main(["index", "--vector-index", "ivf", *folders(tmp_path)])
    assert "invalid choice: 'ivf' (choose from 'auto', 'flat', 'hnsw')" in capsys.readouterr().err


def test_stale_index_is_detected_and_rebuilt_by_the_engine(workspace: Path, tmp_path: Path) -> None:
    shutil.copytree(workspace, tmp_path, dirs_exist_ok=True)
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    document = tmp_path / "corpus" / NAME
    document.write_text(
        document.read_text(encoding="utf-8").replace("led by Canada and Austria", "led by Canada and Norway"),
        encoding="utf-8",
    )
    hashes = {d.path: d.sha256 for d in load_corpus(settings.corpus).documents}
    with pytest.raises(StaleIndex, match=rf"out of date \(changed: {NAME}\)\. Run `docqa index`\."):
        load_current(settings.index, settings.model, settings.split, hashes)

    engine = Engine(settings, embedder=Embedder(), reader=NoReader())
    index = load_current(settings.index, settings.model, settings.split, hashes)
    assert index.manifest.documents == hashes
    assert engine.status().stale is None
    hits = engine.retrieve(QUESTION, top_k=3)
    assert "was led by Canada and Norway" in hits[0].passage.text
    assert not any("Canada and Austria" in p.text for p in index.passages)

    reply = engine.ask(QUESTION)
    assert (reply.answer, reply.candidate, reply.confidence) == (None, None, 0.0)
    assert reply.to_dict()["passages"][0]["text"] == hits[0].passage.text


def test_engine_without_auto_build_reports_a_missing_index(tmp_path: Path) -> None:
    copy_corpus(tmp_path)
    with pytest.raises(IndexNotFound, match=r"No index in .*index/\. Run `docqa index`\."):
        Engine(Settings(corpus=tmp_path / "corpus", index=tmp_path / "index"), embedder=Embedder(),
               reader=NoReader(), auto_build=False)
    assert not (tmp_path / "index").exists()


def test_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: docqa ")
    for command in ("index", "ask", "serve"):
        assert f"    {command} " in out


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("index", ["--full", "--watch", "--vector-index"]),
        ("ask", ["--json", "--top-k", "--threshold", "--history", "question"]),
        ("serve", ["--host", "--port", "--top-k"]),
    ],
)
def test_subcommand_help(capsys, command: str, options: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: docqa {command} ")
    for option in ["--corpus", "--index", "--model", *options]:
        assert option in out


def test_version_and_missing_command(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == "docqa 0.1.0\n"
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_bad_top_k_is_a_clean_error(workspace: Path, capsys) -> None:
    assert cli.main(["ask", QUESTION, "--top-k", "0", *folders(workspace)]) == 2
    assert capsys.readouterr().err == "docqa: --top-k must be at least 1, got 0.\n"


def test_train_export_and_ask_with_the_result(workspace: Path, tmp_path: Path) -> None:
    """The three reader commands end to end on the user's own evaluation file, from a tiny base model
    (test_neural's): train-reader stops and resumes, export-reader writes an ONNX reader, ask reads with it."""
    from read.test_trained import save_tiny_model

    base = save_tiny_model(tmp_path / "base")
    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "When did Serbia join the Partnership for Peace?", "answers": ["December 2006"]}\n'
                  '{"question": "Which agency executed the landmine project?", '
                  '"answers": ["NATO Maintenance and Supply Agency"]}\n'
                  '{"question": "Who wrote this?", "answers": ["Nobody Here"]}\n', encoding="utf-8")
    common = ["train-reader", "--docqa", str(qa), "--index", str(workspace / "index"), "--base-model", base,
              "--out", str(tmp_path / "run"), "--examples", "8", "--batch-size", "2", "--threads", "1"]
    stopped = run([*common, "--stop-after", "2"])
    assert stopped.code == 0, stopped.err
    assert "1 answers are in no corpus passage; those questions are left out." in stopped.out
    assert "stopped at step 2 of 4; run the same command again to continue." in stopped.out
    finished = run(common)
    assert finished.code == 0, finished.err
    assert "resumed from" in finished.out and "at step 2" in finished.out
    assert f"trained reader written to {tmp_path / 'run' / 'model'}" in finished.out
    card = json.loads((tmp_path / "run" / "card.json").read_text(encoding="utf-8"))
    assert card["data"][str(qa)] == {"train": 2, "not_found_in_corpus": 1} and card["config"]["examples"] == 8
    exported = run(["export-reader", str(tmp_path / "run"), "--out", str(tmp_path / "reader"), "--threshold", "0"])
    assert exported.code == 0, exported.err
    assert exported.out.startswith(f"exported onnx-fp32 to {tmp_path / 'reader' / 'model.onnx'}")
    asked = run(["ask", "--json", "--reader", str(tmp_path / "reader"), "When did Serbia join?", *folders(workspace)])
    assert asked.code == 0, asked.err
    reply = json.loads(asked.out)
    text = load_corpus(workspace / "corpus").documents[0].text
    assert reply["answer"] is not None and text[reply["source"]["start"] : reply["source"]["end"]] == reply["answer"]


def test_train_reader_without_data_is_a_clean_error(tmp_path: Path, capsys) -> None:
    assert cli.main(["train-reader", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err == "docqa: No training examples: pass --squad, --nq or --docqa with at least one question.\n"


def test_a_reader_that_goes_away_gets_no_traceback(workspace: Path) -> None:
    # `docqa ask ... | head -0`: the pipe is closed before docqa writes its answer.
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "docqa.cli", "ask", QUESTION, *folders(workspace)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


@pytest.mark.parametrize("command", ["index", "ask"])
def test_precision_reaches_the_embedder_of_a_build(tmp_path: Path, monkeypatch, command: str) -> None:
    # `index` makes its own embedder; `ask` builds the missing index with the engine's.
    made = []

    def recording(*args, **kwargs):
        made.append(kwargs.get("precision"))
        return Embedder(*args, **kwargs)

    monkeypatch.setattr("docqa.embed.embedder.Embedder", recording)
    monkeypatch.setattr(engine_module, "Embedder", recording)
    answering(monkeypatch)
    root = copy_corpus(tmp_path)
    argv = ["index"] if command == "index" else ["ask", QUESTION]
    assert run([*argv, *folders(root), "--precision", "fp32"]).code == 0
    assert made == [Precision.FP32]


# ---- docqa documents -------------------------------------------------------------------------------
def test_documents_list_add_and_remove(tmp_path: Path, monkeypatch) -> None:
    answering(monkeypatch)
    (tmp_path / "docs").mkdir()
    root = copy_corpus(tmp_path / "docs")
    assert run(["index", *folders(root)]).code == 0
    listed = run(["documents", "list", *folders(root)])
    assert (listed.code, listed.out.splitlines()[0]) == (0, "1 document, 15 passages")
    assert re.fullmatch(r"  nato-relations-with-serbia\.txt  text  15 passages  8\.1 kB  added \d{4}-\d\d-\d\d \d\d:\d\d  indexed",
                        listed.out.splitlines()[1])
    (tmp_path / "zoo.txt").write_text("The Belgrade zoo keeps a white lion named Zoran.\n", encoding="utf-8")
    (tmp_path / "copy.txt").write_bytes(DEFAULT_DOCUMENT.read_bytes())
    added = run(["documents", "add", str(tmp_path / "zoo.txt"), str(tmp_path / "copy.txt"), *folders(root)])
    assert added.code == 1  # one file was refused
    assert added.out.splitlines()[:3] == [
        "Added zoo.txt.",
        "Not added: 'copy.txt' is already in the corpus as nato-relations-with-serbia.txt.",
        "Index updated: 16 passages from 2 documents.",
    ]
    (tmp_path / "zoo.txt").write_text("The Belgrade zoo keeps two white lions.\n", encoding="utf-8")
    again = run(["documents", "add", str(tmp_path / "zoo.txt"), *folders(root)])
    assert (again.code, again.out.splitlines()) == (
        1, ["Not added: zoo.txt is already in the corpus, with other content. Pass --replace to replace it."])
    replaced = run(["documents", "add", str(tmp_path / "zoo.txt"), "--replace", *folders(root)])
    assert (replaced.code, replaced.out.splitlines()[:2]) == (0, ["Replaced zoo.txt.", "Index updated: 16 passages from 2 documents."])
    within = run(["ask", QUESTION, "--json", "--document", "zoo.txt", *folders(root)])
    reply = json.loads(within.out)
    assert (reply["documents"], {p["document"] for p in reply["passages"]}) == (["zoo.txt"], {"zoo.txt"})
    as_json = json.loads(run(["documents", "list", "--json", *folders(root)]).out)
    assert [(d["name"], d["passages"], d["state"]) for d in as_json] == [
        ("nato-relations-with-serbia.txt", 15, "indexed"), ("zoo.txt", 1, "indexed")]
    removed = run(["documents", "remove", "zoo.txt", "../docs/corpus/zoo.txt", *folders(root)])
    assert removed.code == 1
    assert removed.out.splitlines()[:2] == [
        "Removed zoo.txt.",
        "Not removed: '../docs/corpus/zoo.txt' is not a file of the corpus: docqa reads and serves only files inside "
        "the corpus folder. Name a file by its path inside the corpus, as the sources show it.",
    ]
    assert sorted(p.name for p in (root / "corpus").iterdir()) == [NAME]
    unknown = run(["ask", QUESTION, "--document", "zoo.txt", *folders(root)])
    assert (unknown.code, unknown.err) == (2, "docqa: No document 'zoo.txt' in the index. Name documents as the documents "
                                              "list shows them (`docqa documents list`): nato-relations-with-serbia.txt.\n")
    # a document named by its path on disk, as a shell completes it, is that document
    by_path = run(["documents", "remove", str(root / "corpus" / NAME), *folders(root)])
    assert (by_path.code, by_path.out.splitlines()[0]) == (0, f"Removed {NAME}.")
    assert list((root / "corpus").iterdir()) == []


def test_format_reply_leads_with_the_verdict_its_sentence_states() -> None:
    from docqa.engine import Reply
    from docqa.types import Answer

    quote = "1. Terms. Sublicensing is not allowed; section 10 makes it unnecessary."
    answer = Answer(quote[10:], "gpl.txt", 110, 110 + len(quote) - 10, 0.995, quote, 100, 100 + len(quote), verdict="no")
    lines = cli.format_reply(Reply("Is sublicensing permitted?", "Is sublicensing permitted?", answer, answer, 0.995,
                                   0.99, (), 0.01)).splitlines()
    assert lines[:3] == ["No, in the words of the quoted sentence.",
                         "Answer: Sublicensing is not allowed; section 10 makes it unnecessary.", "Confidence: 0.99"]
    assert lines[4] == "Quote: 1. Terms. **Sublicensing is not allowed; section 10 makes it unnecessary.**"
    declined = cli.format_reply(Reply("Is it allowed under the GPL?", "Is it allowed under the GPL?", None, answer,
                                      0.5, 0.99, (), 0.01, named=("gpl.txt",))).splitlines()
    assert declined == ["The documents do not answer this (best confidence 0.50, below the 0.99 needed to answer).",
                        'Asked of "gpl.txt", which the question names; without the name it asks every document.']


def test_format_reply_says_why_a_query_no_passage_comes_near_was_declined() -> None:
    from docqa.engine import Reply

    declined = cli.format_reply(Reply("who won the 2014 world cup", "who won the 2014 world cup", None, None, 0.0,
                                      0.995, (), 0.01, off_topic=0.1088)).splitlines()
    assert declined == ["The documents do not answer this: no passage comes near these words (the closest one's "
                        "similarity is 0.11, below the 0.475 a search-box query needs); the documents do not seem to "
                        "be about this."]


def test_a_page_image_asked_of_an_answer_from_no_pdf_says_why_none_was_written(workspace: Path, tmp_path: Path,
                                                                               capsys) -> None:
    target = tmp_path / "page.png"
    assert cli.main(["ask", QUESTION, "--page-image", str(target), *folders(workspace)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"No page image written to {target}: the answer is not from a PDF or an image, and only the answers of a "
        "PDF or an image are drawn on their page.")
    assert not target.exists()


def test_the_documents_list_counts_the_documents_there_are() -> None:
    documents = [DocumentInfo("a.txt", "text", 10, "2026-12-07T18:00:00+00:00", 3, None, "indexed"),
                 DocumentInfo("gone.txt", "text", None, None, 2, None, "removed"),
                 DocumentInfo("slide.pptx", "other", None, None, 0, None, "skipped", "docqa does not read .pptx files")]
    assert cli.format_documents(documents).splitlines() == [
        "1 document, 5 passages",
        "  a.txt       text   3 passages  10 B  added 2026-12-07 18:00  indexed",
        "  gone.txt    text   2 passages                                removed",
        "  slide.pptx  other  0 passages                                skipped: docqa does not read .pptx files"]
