"""The engine on a small real index (two documents, three passages, the real embedder) with the
deterministic WordReader: answers with exact offsets, declines below the threshold, questions refused
or not read, follow-ups handing their context to the reader, where the threshold comes from, status,
warming, and uploads stored in the corpus then made searchable by a rebuild."""

from __future__ import annotations

import json
import os
import logging
import re
import shutil
import unicodedata
import time
from pathlib import Path

import pytest
from standins import Read, WordReader

from docqa import cli
from docqa import engine as engine_module
from docqa.embed.embedder import Embedder
from docqa.engine import Engine, Freshness, chosen_documents, unstated_terms
from docqa.errors import BadQuestion, UnknownDocument
from docqa.index.store import BuildLock
from docqa.ingest.corpus import load_corpus
from docqa.ingest.uploads import Removal, Upload
from docqa.settings import DEFAULT_MODEL, Settings, SplitSettings
from docqa.text import check_question
from docqa.types import Answer
from docqa.web.format import format_reply
from docqa.web.turns import turn_of_reply

BRIDGES = ("The Branko bridge crosses the Sava river in Belgrade. It was completed in 1956 and widened in 1979; "
           "trams no longer cross it, but buses and cars do.")
ZOO = ("The Belgrade zoo keeps a white lion named Zoran, who arrived from Pretoria in 2011. The zoo opened in "
       "1936 below the Kalemegdan fortress, and Zoran shares his enclosure with two lionesses.")
RIVERS = "The Danube and the Sava meet at Belgrade. Ferries to the Great War Island leave from the Zemun quay in summer."
LION = "What is the name of the white lion?"
# Zoran's first occurrence: the "Zoo" section's passage starts at 164 of belgrade.md's cleaned text.
ZORAN = Answer("Zoran", "belgrade.md", 206, 211, 0.9, ZOO, 164, 352, "Zoo", None)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def project(tmp_path_factory, embedder) -> Path:
    """belgrade.md (sections Bridges and Zoo, one passage each) and rivers.txt, indexed."""
    root = tmp_path_factory.mktemp("project")
    (root / "corpus").mkdir()
    (root / "corpus" / "belgrade.md").write_text(f"# Bridges\n\n{BRIDGES}\n\n# Zoo\n\n{ZOO}\n", encoding="utf-8")
    (root / "corpus" / "rivers.txt").write_text(RIVERS + "\n", encoding="utf-8")
    Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran"))
    return root


def settings_of(root: Path, **options) -> Settings:
    return Settings(corpus=root / "corpus", index=root / "index", **options)


def copy_of(project: Path, tmp_path: Path) -> Path:
    """A copy of the indexed project to change (its corpus, its evaluation folder)."""
    shutil.copytree(project, tmp_path / "project")
    return tmp_path / "project"


def test_the_reader_reads_the_question_inside_a_polite_wrapper_and_retrieval_every_word(project, embedder):
    reader = WordReader("Zoran")
    typed = "Hi, could you tell me what the name of the white lion is? Thanks!"
    reply = Engine(settings_of(project), embedder=embedder, reader=reader).ask(typed)
    assert reader.reads[-1].question == "What the name of the white lion is?"
    assert (reply.question, reply.resolved, reply.answer) == (typed, typed, ZORAN)


def test_misspelt_words_are_read_as_the_documents_everywhere_and_the_reply_says_so(project, embedder):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    typed = "What is the name of the whte lionn?"
    reply = engine.ask(typed)
    assert reader.reads[-1].question == LION
    assert (reply.question, reply.resolved, reply.followup, reply.answer) == (typed, LION, None, ZORAN)
    assert reply.spelling_text == 'Read "whte" as "white", "lionn" as "lion".'
    assert reply.to_dict()["corrections"] == [{"typed": "whte", "read": "white"}, {"typed": "lionn", "read": "lion"}]
    assert 'Read &quot;whte&quot; as &quot;white&quot;' in format_reply(reply)
    assert 'Note: Read "whte" as "white", "lionn" as "lion".' in cli.format_reply(reply).splitlines()
    assert turn_of_reply(typed, (), "", reply).notes == ('Read "whte" as "white", "lionn" as "lion".',)
    # a follow-up's earlier questions are respelt too, and the follow-up is told apart from the respelling
    later = engine.ask("When did it arive?", history=["What is the name of the whte lion?"])
    assert (later.resolved, later.followup) == ("When did it arrive? (the name of the white lion Zoran)",
                                                "When did it arrive? (the name of the white lion Zoran)")
    assert engine.ask(LION).corrections == ()


def test_a_name_in_the_header_of_a_table_a_passage_continues_is_stated_by_it(tmp_path, embedder):
    # The laptops' names head the table's columns; the weight's row stands in a later passage.
    (tmp_path / "corpus").mkdir()
    rows = "".join(f"| Port {n} | USB-C {n} | USB-A {n} |\n" for n in range(1, 25))
    (tmp_path / "corpus" / "laptops.md").write_text(
        f"# Specifications\n\n| Spec | Aero | Titan |\n|---|---|---|\n{rows}| Weight | 1.19 kg | 2.35 kg |\n",
        encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", split=SplitSettings(max_words=60))
    reply = Engine(settings, embedder=embedder, reader=WordReader("2.35")).ask("How heavy is the Titan?")
    passage = reply.answer_passage
    assert (reply.answer.text, reply.unstated) == ("2.35", ())
    assert "Titan" not in passage.text and passage.table_header == "Spec | Aero | Titan"
    # the reply shows the header the quote lacks, in the CLI and the chat
    assert reply.columns == "Spec | Aero | Titan"
    assert "Table columns (the header above the quote): Spec | Aero | Titan\nQuote: " in cli.format_reply(reply)
    assert "<p><i>Table columns (the header above the quote): Spec | Aero | Titan</i></p><blockquote>" in format_reply(reply)


def test_the_answer_is_the_readers_span_with_document_offsets(project, embedder):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    reply = engine.ask(LION)
    assert reply.answer == ZORAN and reply.candidate == ZORAN
    assert (reply.question, reply.resolved, reply.confidence, reply.threshold) == (LION, LION, 0.9, 0.5)
    assert load_corpus(project / "corpus").documents[0].text[206:211] == "Zoran"
    assert [hit.passage.text for hit in reply.hits][0] == ZOO
    assert sorted(hit.passage.text for hit in reply.hits) == sorted([BRIDGES, ZOO, RIVERS])
    assert reader.reads == [Read(LION, tuple(hit.passage.text for hit in reply.hits), "")]
    shown = reply.to_dict()
    assert (shown["answer"], shown["confidence"], shown["quote"]) == ("Zoran", 0.9, ZOO)
    assert shown["source"] == {"document": "belgrade.md", "section": "Zoo", "start": 206, "end": 211, "page": None, "ocr": False}


@pytest.mark.parametrize(("threshold", "answered"), [(0.9, True), (0.91, False)])
def test_a_candidate_below_the_threshold_is_declined(project, embedder, threshold, answered):
    engine = Engine(settings_of(project, threshold=threshold), embedder=embedder, reader=WordReader("Zoran"))
    reply = engine.ask(LION)
    assert (reply.answer, reply.candidate, reply.confidence, reply.threshold) == (
        ZORAN if answered else None, ZORAN, 0.9, threshold)
    shown = reply.to_dict()
    assert (shown["answer"], shown["source"], shown["quote"], shown["confidence"]) == (
        ("Zoran", {"document": "belgrade.md", "section": "Zoo", "start": 206, "end": 211, "page": None, "ocr": False}, ZOO, 0.9) if answered
        else (None, None, None, 0.9))


def test_a_keyword_query_no_passage_comes_near_is_declined_unread_unless_everything_is_answered(project, embedder):
    query = "who won the 2014 world cup final"
    reader = WordReader("Zoran")
    reply = Engine(settings_of(project), embedder=embedder, reader=reader).ask(query)
    assert (reply.answer, reply.candidate, reply.confidence, reader.reads) == (None, None, 0.0, [])
    assert reply.off_topic is not None and reply.off_topic < 0.475 and reply.to_dict()["off_topic"] == reply.off_topic
    everything = Engine(settings_of(project, threshold=0.0), embedder=embedder, reader=WordReader("Zoran")).ask(query)
    assert everything.off_topic is None and everything.candidate == ZORAN  # read (then declined for "2014")
    assert Engine(settings_of(project), embedder=embedder, reader=reader).ask(LION).off_topic is None


def test_a_keyword_query_that_names_a_document_is_read_however_far_its_words(tmp_path, embedder):
    # "kalemegdan football scores" comes no nearer than 0.13 to the zoo's passage, but it names
    # kalemegdan.txt: it is about the documents, so it is read there and the reader decides.
    (tmp_path / "corpus").mkdir()
    for name, text in (("kalemegdan.txt", ZOO), ("bridges.txt", BRIDGES), ("rivers.txt", RIVERS)):
        (tmp_path / "corpus" / name).write_text(text + "\n", encoding="utf-8")
    engine = Engine(settings_of(tmp_path), embedder=embedder, reader=WordReader("Zoran"))
    named = engine.ask("kalemegdan football scores")
    assert (named.named, named.off_topic, named.candidate.text) == (("kalemegdan.txt",), None, "Zoran")
    assert max(hit.dense for hit in named.hits) < 0.475
    unnamed = engine.ask("who won the 2014 world cup final")
    assert (unnamed.named, unnamed.candidate) == ((), None) and unnamed.off_topic < 0.475


def test_no_candidate_is_a_decline_with_confidence_zero(project, embedder):
    reply = Engine(settings_of(project), embedder=embedder, reader=WordReader("Zagreb")).ask(LION)
    assert (reply.answer, reply.candidate, reply.confidence) == (None, None, 0.0)
    assert len(reply.hits) == 3


@pytest.mark.parametrize(
    ("question", "unstated"),
    [
        ("What is the name of the white lion from Pretoria?", ()),
        ("What is the name of the Belgrade zoo's white lion?", ()),  # "Belgrade" in the document's name
        ("What is the name of the white lion in the Zoo?", ()),  # "Zoo": the passage's section
        ("What is the name of the white lion from Nairobi that arrived in 2012?", ("Nairobi", "2012")),
    ],
)
def test_a_candidate_whose_passage_does_not_state_the_questions_names_is_declined(project, embedder, question,
                                                                                   unstated):
    reply = Engine(settings_of(project), embedder=embedder, reader=WordReader("Zoran")).ask(question)
    assert (reply.candidate, reply.unstated) == (ZORAN, unstated)
    assert (reply.answer, reply.confidence) == ((ZORAN, 0.9) if not unstated else (None, 0.0))
    assert reply.to_dict()["unstated"] == list(unstated)


def test_a_decline_for_a_name_the_documents_write_one_edit_away_suggests_it(project, embedder):
    reply = Engine(settings_of(project), embedder=embedder, reader=WordReader("Zoran")).ask(
        "What is the name of the white lion from Pretroia?")
    assert (reply.answer, reply.unstated, reply.corrections) == (None, ("Pretroia",), ())
    assert reply.meant_text == 'No passage writes "Pretroia"; did you mean "Pretoria"?'
    assert reply.to_dict()["meant"] == [{"typed": "Pretroia", "read": "Pretoria"}]
    assert reply.meant_text in cli.format_reply(reply).splitlines()
    assert reply.meant_text in turn_of_reply("", (), "", reply).notes
    assert "did you mean &quot;Pretoria&quot;?" in format_reply(reply)


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "The question is empty. Type a question about your documents."),
        (" \n\t\x00\u200b ", "The question is empty. Type a question about your documents."),
        ("x" * 1001, r"The question is 1,001 characters long; the limit is 1,000\. Ask a shorter question\."),
    ],
)
def test_questions_that_cannot_be_asked_are_refused_before_reading(project, embedder, question, message):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    with pytest.raises(BadQuestion, match=f"^{message}$"):
        engine.ask(question)
    assert reader.reads == []


def test_the_limit_holds_for_the_stripped_question_and_for_earlier_questions(project, embedder):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    longest = "Zoran? " * 143  # 1,001 characters, 1,000 once its last space is stripped
    assert engine.ask(longest).answer == ZORAN
    with pytest.raises(BadQuestion, match=r"^An earlier question \(history\) is 1,001 characters long; the limit is 1,000"):
        engine.ask("When did it arrive?", history=[longest.strip() + "x"])
    assert [read.question for read in reader.reads] == [longest.strip()]


@pytest.mark.parametrize("question", ["🦁🦁🦁", "?!", "« … »"])
def test_a_question_without_a_letter_or_digit_is_declined_without_reading(project, embedder, question):
    reader = WordReader("Zoran")
    reply = Engine(settings_of(project), embedder=embedder, reader=reader).ask(question)
    assert (reply.answer, reply.candidate, reply.confidence, len(reply.hits)) == (None, None, 0.0, 3)
    assert reader.reads == []


def test_a_follow_up_hands_the_earlier_questions_topic_to_the_reader(project, embedder):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    reply = engine.ask("Where does he live?", history=[LION, "When did Zoran arrive from Pretoria?"])
    # "when" asked for a date, so "he" stands for the topic, and no earlier answer is looked up.
    assert reply.resolved == "Where does he live? (Zoran arrive from Pretoria)"
    assert [(read.question, read.context) for read in reader.reads] == [
        ("Where does he live?", "Zoran arrive from Pretoria"),
    ]
    assert reply.answer == ZORAN


@pytest.mark.parametrize(
    ("word", "context"),
    [("Zoran", "the name of the white lion Zoran"),  # the earlier answer may be what "it" is
     ("2011", "the name of the white lion")],  # a number is what "when" asks, not what "it" is
)
def test_a_follow_up_after_what_also_hands_over_the_earlier_answer(project, embedder, word, context):
    reader = WordReader(word)
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    reply = engine.ask("When did it arrive?", history=[LION])
    assert reply.resolved == f"When did it arrive? ({context})"
    assert [(read.question, read.context) for read in reader.reads] == [
        (LION, ""), ("When did it arrive?", context),
    ]


def test_the_threshold_is_the_settings_then_the_calibrated_then_the_readers_own(project, embedder, tmp_path):
    root = copy_of(project, tmp_path)

    def threshold(**options) -> float:
        return Engine(settings_of(root, **options), embedder=embedder, reader=WordReader("Zoran")).threshold

    assert threshold() == 0.5
    calibration = settings_of(root).calibration_path
    calibration.parent.mkdir()
    calibration.write_text(json.dumps({"calibrations": [
        {"reader": "trained", "model": DEFAULT_MODEL, "threshold": 0.99},
        {"reader": "word", "model": "another-model", "threshold": 0.8},
        {"reader": "word", "model": DEFAULT_MODEL, "threshold": 0.72},
    ]}), encoding="utf-8")
    assert threshold() == 0.72
    assert threshold(threshold=0.0) == 0.0
    assert Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran", 0.71)).ask(LION).answer is None


def test_the_reader_is_made_by_the_name_in_the_settings(project, embedder, monkeypatch):
    made = []

    def make_reader(name, embedder, idf):
        made.append(name)
        return WordReader("Zoran")

    monkeypatch.setattr(engine_module, "make_reader", make_reader)
    engine = Engine(settings_of(project, reader="/models/my-reader"), embedder=embedder)
    assert made == ["/models/my-reader"]
    assert (engine.reader.label, engine.threshold, engine.ask(LION).answer) == ("word", 0.5, ZORAN)


def test_warm_hands_the_index_passages_to_the_reader(project, embedder):
    reader = WordReader("Zoran")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader, warm=True)
    engine.wait_until_warm()
    assert reader.warmed == [BRIDGES, ZOO, RIVERS]
    assert "naming" in vars(engine._snapshot.index)  # the documents' names, worked out before the first question
    cold = WordReader("Zoran")
    Engine(settings_of(project), embedder=embedder, reader=cold).wait_until_warm()
    assert cold.warmed == []


def test_status_of_a_current_then_stale_index(project, embedder, tmp_path):
    root = copy_of(project, tmp_path)
    engine = Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran"))
    status = engine.status()
    assert (status.documents, status.passages, status.model, status.stale) == (2, 3, DEFAULT_MODEL, None)
    (root / "corpus" / "rivers.txt").unlink()
    assert engine.status().stale == "removed: rivers.txt"


def test_uploads_are_stored_in_the_corpus_and_searchable_after_a_rebuild(project, embedder, tmp_path):
    root = copy_of(project, tmp_path)
    reader = WordReader("zebras")
    engine = Engine(settings_of(root), embedder=embedder, reader=reader)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "zoo notes.txt").write_text("The Belgrade zoo also keeps two zebras from Kenya.\n", encoding="utf-8")
    (uploads / "rivers.txt").write_text("The Tisa joins the Danube north of Belgrade.\n", encoding="utf-8")
    (uploads / "copy.txt").write_text(RIVERS + "\n", encoding="utf-8")
    (uploads / "map.exe").write_bytes(b"MZ")
    (uploads / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    names = ["zoo notes.txt", "rivers.txt", "copy.txt", "map.exe", "broken.pdf"]
    stored = engine.add_documents([uploads / name for name in names])
    assert stored[:4] == [
        Upload("zoo notes.txt", "zoo_notes.txt", None),
        Upload("rivers.txt", None, "rivers.txt is already in the corpus, with other content.", conflict=True),
        Upload("copy.txt", None, "'copy.txt' is already in the corpus as rivers.txt."),
        Upload("map.exe", None, "'map.exe': docqa does not read .exe files; save a copy as .txt, .md, .pdf, .html, .docx, .csv or .xlsx to index it."),
    ]
    assert stored[4].refused.startswith("'broken.pdf' cannot be read: not a readable PDF (")
    assert sorted(p.name for p in (root / "corpus").iterdir()) == ["belgrade.md", "rivers.txt", "zoo_notes.txt"]
    assert (root / "corpus" / "rivers.txt").read_text(encoding="utf-8") == RIVERS + "\n"
    assert engine.status().stale == "new: zoo_notes.txt"
    assert engine.ask("Which animals came from Kenya?").answer is None
    report = engine.rebuild()
    assert (report.added, engine.status().documents, engine.status().stale) == (("zoo_notes.txt",), 3, None)
    answer = engine.ask("Which animals came from Kenya?").answer
    assert (answer.text, answer.document, answer.start, answer.end) == ("zebras", "zoo_notes.txt", 32, 38)
    assert engine.add_documents([uploads / "rivers.txt"], replace=True) == [
        Upload("rivers.txt", "rivers.txt", None, replaced=True)]
    assert engine.rebuild().changed == ("rivers.txt",)


def test_the_documents_list_says_what_each_document_is(project, embedder, tmp_path):
    root = copy_of(project, tmp_path)
    engine = Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran"))
    listed = [(d.name, d.kind, d.size, d.passages, d.pages, d.state, d.reason) for d in engine.documents()]
    assert listed == [("belgrade.md", "Markdown", 357, 2, None, "indexed", None),
                      ("rivers.txt", "text", 111, 1, None, "indexed", None)]
    (root / "corpus" / "rivers.txt").write_text("Changed.\n", encoding="utf-8")
    (root / "corpus" / "tesla.txt").write_text(TESLA, encoding="utf-8")
    (root / "corpus" / ".draft.md").write_text("# Draft", encoding="utf-8")
    (root / "corpus" / "belgrade.md").unlink()
    listed = [(d.name, d.state, d.reason) for d in engine.documents()]
    assert listed == [("belgrade.md", "removed", None), ("rivers.txt", "changed", None), ("tesla.txt", "new", None),
                      (".draft.md", "skipped", "its name starts with a dot (hidden): not read; rename it to index it")]
    assert engine.documents()[0].to_dict() == {"name": "belgrade.md", "kind": "Markdown", "size": None, "modified": None,
                                               "passages": 2, "pages": None, "state": "removed", "reason": None}
    # a file the build could not read says why, as the build did
    (root / "corpus" / "blob.txt").write_bytes(b"\x00\x01binary")
    engine.rebuild()
    assert [(d.name, d.state, d.reason) for d in engine.documents() if d.name == "blob.txt"] == [
        ("blob.txt", "skipped", "it looks binary (contains NUL bytes)")]


def test_a_question_is_asked_within_the_chosen_documents_only(project, embedder):
    engine = Engine(settings_of(project), embedder=embedder, reader=WordReader("Belgrade"))
    everywhere = engine.ask("Where do the Danube and the Sava meet?")
    within = engine.ask("Where do the Danube and the Sava meet?", documents=["belgrade.md"])
    assert {h.passage.document for h in everywhere.hits} == {"belgrade.md", "rivers.txt"}
    assert {h.passage.document for h in within.hits} == {"belgrade.md"}
    assert (within.documents, within.to_dict()["documents"]) == (("belgrade.md",), ["belgrade.md"])
    with pytest.raises(UnknownDocument, match=r"^No document 'zoo.txt' in the index\. Name documents as the documents "
                                              r"list shows them \(`docqa documents list`\): belgrade\.md, rivers\.txt\.$"):
        engine.ask("Where?", documents=["zoo.txt"])


def test_a_question_that_names_a_document_is_asked_of_it(project, embedder):
    # "Rivers" is rivers.txt's whole name, written with a capital (index/named.py)
    engine = Engine(settings_of(project), embedder=embedder, reader=WordReader("Belgrade"))
    assert engine.retrieve("Where do the Danube and the Sava meet, says the Rivers file?")[0].passage.document == "rivers.txt"
    assert {h.passage.document for h in engine.ask("Where do the Danube and the Sava meet, says the Rivers file?").hits} == {
        "rivers.txt"}
    named = engine.ask("Where do the Danube and the Sava meet, says the Rivers file?")
    assert (named.named, named.to_dict()["named"]) == (("rivers.txt",), ["rivers.txt"])
    assert {h.passage.document for h in engine.ask("Where do the Danube and the Sava meet?").hits} == {"belgrade.md", "rivers.txt"}
    assert engine.ask("Where do the Danube and the Sava meet?").named == ()
    # a document chosen by the asker wins over one the question names
    chosen = engine.ask("What do the Rivers do?", documents=["belgrade.md"])
    assert ({h.passage.document for h in chosen.hits}, chosen.named) == ({"belgrade.md"}, ())


def test_what_the_named_document_does_not_answer_is_asked_of_all(project, embedder):
    # "Belgrade" names belgrade.md, whose passages do not say where the ferries leave; rivers.txt does.
    question = "Where do ferries to the Great War Island leave from in Belgrade?"
    reader = WordReader("Zemun")
    engine = Engine(settings_of(project), embedder=embedder, reader=reader)
    wider = engine.ask(question)
    assert ([RIVERS in read.passages for read in reader.reads], wider.named, wider.answer.text,
            wider.answer.document) == ([False, True], (), "Zemun", "rivers.txt")
    # and the reply says so: the asker named one document and is answered from another
    assert (wider.passed_over, wider.to_dict()["passed_over"]) == (("belgrade.md",), ["belgrade.md"])
    assert wider.passed_over_text == ('The question names "belgrade.md", which does not answer it; this answer is '
                                      'from rivers.txt, another document.')
    assert engine.named(question) == ("belgrade.md",)
    declined = Engine(settings_of(project), embedder=embedder, reader=WordReader("Nowhere")).ask(question)
    assert (declined.named, declined.answer, {h.passage.document for h in declined.hits}) == (
        ("belgrade.md",), None, {"belgrade.md"})


def test_a_name_the_documents_title_states_is_stated() -> None:
    larger = Answer("a work that combines Covered Software with other material", "mpl-2.0.txt", 40, 99, 0.99,
                    '1.7. "Larger Work" means a work that combines Covered Software with other material.', 30, 120, None, None)
    question = "What is a Larger Work according to the Mozilla license?"
    assert unstated_terms(question, larger) == ("Mozilla",)
    assert unstated_terms(question, larger, "Mozilla Public License Version") == ()


def test_documents_are_removed_from_the_corpus_and_the_index(project, embedder, tmp_path):
    root = copy_of(project, tmp_path)
    engine = Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran"))
    assert engine.ask(LION).answer.text == "Zoran"
    assert engine.remove_documents(["belgrade.md"]) == [Removal("belgrade.md", True)]
    assert engine.rebuild().removed == ("belgrade.md",)
    assert engine.ask(LION).answer is None
    assert [d.name for d in engine.documents()] == ["rivers.txt"]


def test_a_question_pasted_from_a_pdf_has_its_ligatures_written_out() -> None:
    # the documents are cleaned the same way (clean.plain_letters), so "Oﬃce" finds "Office"
    assert check_question(" Who ﬁne-tuned the Oﬃce\u00ad model? ") == "Who fine-tuned the Office model?"


# ---- a build never stops the answers -----------------------------------------------------------------

TESLA = "The Nikola Tesla Museum in Belgrade holds his ashes in a golden sphere.\n"
BEHIND = ("The index is behind the corpus (new: tesla.txt): answers come from the index as it was. "
          "Rebuild it (`docqa index`, or Rebuild index in the chat).")
REBUILDING = ("The index is behind the corpus (new: tesla.txt); a rebuild is under way, and answers come from the "
              "index as it was.")


@pytest.fixture
def edited(project, tmp_path, monkeypatch) -> Path:
    """A copy of the indexed project with a document added since its index was built; the engine
    looks at the corpus at every question."""
    monkeypatch.setattr(engine_module, "BEHIND_CHECK_SECONDS", 0.0)
    root = copy_of(project, tmp_path)
    (root / "corpus" / "tesla.txt").write_text(TESLA, encoding="utf-8")
    return root


def test_between_an_edit_and_its_rebuild_the_reply_says_the_index_is_behind(project, embedder, tmp_path, monkeypatch):
    monkeypatch.setattr(engine_module, "BEHIND_CHECK_SECONDS", 0.0)
    root = copy_of(project, tmp_path)
    engine = Engine(settings_of(root), embedder=embedder, reader=WordReader("Zoran"))
    assert engine.ask(LION).notice is None
    (root / "corpus" / "tesla.txt").write_text(TESLA, encoding="utf-8")
    reply = engine.ask(LION)
    assert (reply.answer.text, reply.notice, reply.to_dict()["notice"]) == ("Zoran", BEHIND, BEHIND)
    engine.rebuild()
    assert engine.ask(LION).notice is None


def test_ask_answers_from_the_index_there_is_while_another_process_builds(edited, embedder):
    with BuildLock(edited / "index", 0.0):  # another build holds the lock
        started = time.perf_counter()
        engine = Engine(settings_of(edited), embedder=embedder, reader=WordReader("Tesla"),
                        freshness=Freshness.ANSWER)
        reply = engine.ask("Whose ashes does the museum hold?")
        assert time.perf_counter() - started < 30  # the build's lock is not waited for (600 s)
        assert (reply.answer, reply.notice) == (None, REBUILDING)  # the old index has no tesla.txt
        assert engine.status().rebuilding.startswith(f"pid {os.getpid()} on ")
    assert engine.ask("Whose ashes does the museum hold?").notice == BEHIND


def test_ask_builds_first_when_no_other_build_runs(edited, embedder):
    engine = Engine(settings_of(edited), embedder=embedder, reader=WordReader("Tesla"), freshness=Freshness.ANSWER)
    reply = engine.ask("Whose ashes does the museum hold?")
    assert (reply.answer.text, reply.answer.document, reply.notice) == ("Tesla", "tesla.txt", None)


def test_ask_answers_from_an_index_behind_the_corpus_that_it_may_not_rebuild(edited, embedder, monkeypatch, caplog):
    def read_only(self, lock_wait_seconds=None):
        raise PermissionError(13, "Permission denied", str(edited / "index" / ".lock"))

    monkeypatch.setattr(Engine, "_rebuild_logged", read_only)
    with caplog.at_level(logging.WARNING, logger="docqa"):
        engine = Engine(settings_of(edited), embedder=embedder, reader=WordReader("Zoran"), freshness=Freshness.ANSWER)
    reply = engine.ask(LION)
    assert (reply.answer.text, reply.notice) == ("Zoran", BEHIND)
    assert caplog.messages[-1] == (f"The index in {edited / 'index'}/ is out of date (new: tesla.txt), and it cannot be "
                                   f"rebuilt here (Permission denied: {edited / 'index' / '.lock'}): answering from "
                                   "the index as it is.")


def test_serve_answers_from_the_old_index_while_it_builds_the_new_one(edited, embedder):
    lock = BuildLock(edited / "index", 0.0)
    lock.__enter__()  # holds the background build back until the old index has answered
    try:
        engine = Engine(settings_of(edited), embedder=embedder, reader=WordReader("Tesla"),
                        freshness=Freshness.BACKGROUND)
        reply = engine.ask("Whose ashes does the museum hold?")
        assert (reply.answer, reply.notice) == (None, REBUILDING)
    finally:
        lock.__exit__(None, None, None)
    engine.wait_for_rebuild(60)
    reply = engine.ask("Whose ashes does the museum hold?")
    assert (reply.answer.text, reply.notice, engine.status().stale, engine.status().rebuilding) == (
        "Tesla", None, None, None)


def test_the_json_reply_holds_the_verdict_of_a_yes_no_answer_and_none_otherwise() -> None:
    from docqa.engine import Reply

    said = Answer("You may not.", "rules.txt", 0, 12, 0.995, "You may not.", 0, 12, verdict="no")
    assert Reply("May I?", "May I?", said, said, 0.995, 0.99, (), 0.01).to_dict()["verdict"] == "no"
    assert Reply("May I?", "May I?", None, said, 0.5, 0.99, (), 0.01).to_dict()["verdict"] is None
    assert Reply("Who?", "Who?", ZORAN, ZORAN, 0.9, 0.5, (), 0.01).to_dict()["verdict"] is None


@pytest.mark.parametrize("level", [logging.WARNING, logging.INFO])
def test_a_build_no_one_prints_says_each_skipped_file_once_whatever_the_log_shows(tmp_path, embedder, caplog, level):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "rivers.txt").write_text(RIVERS + "\n", encoding="utf-8")
    (tmp_path / "corpus" / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage")
    with caplog.at_level(level, logger="docqa"):
        Engine(settings_of(tmp_path), embedder=embedder, reader=WordReader("Belgrade"))
    said = [r.getMessage() for r in caplog.records if "broken.pdf" in r.getMessage()]
    assert said == ["Skipped broken.pdf: not a readable PDF (PdfStreamError: Stream has ended unexpectedly)"]


def test_chosen_documents_are_found_without_their_folder_suffix_or_case():
    known = ("hr/leave-policy-2026.docx", "hr/leave-policy-2025.docx", "Politique_de_congés.txt", "notes.md", "a/notes.md")
    given = ["leave-policy-2026", "LEAVE-POLICY-2025.DOCX", unicodedata.normalize("NFD", "politique_de_congés.txt"),
             "notes.md", "notes", "hr/leave-policy-2026.docx", "missing"]
    assert chosen_documents(given, known) == ("hr/leave-policy-2026.docx", "hr/leave-policy-2025.docx",
                                              "Politique_de_congés.txt", "notes.md", "notes", "hr/leave-policy-2026.docx",
                                              "missing")


def test_a_question_asked_within_a_document_named_without_its_suffix_is_asked_within_it(project, embedder):
    reply = Engine(settings_of(project), embedder=embedder, reader=WordReader("Belgrade")).ask(
        "Where do the Danube and the Sava meet?", documents=["Belgrade"])
    assert (reply.documents, {h.passage.document for h in reply.hits}) == (("belgrade.md",), {"belgrade.md"})


class FirstNumberReader:
    """A reader that answers the first number of the first hit that has one, sure of it."""

    label = "number"
    default_threshold = 0.5

    def warm(self, passages) -> int:
        return 0

    def read(self, question: str, hits: list, context: str = "") -> Answer | None:
        for hit in hits:
            found = re.search(r"\d+", hit.passage.text)
            if found:
                return Answer.within(hit.passage, found.start(), found.end(), 0.9)
        return None


def leave_versions(tmp_path: Path, embedder) -> Engine:
    """An engine over two versions of a leave policy that disagree (25 and 30 days) and the zoo's text,
    reading the first number of its passages."""
    (tmp_path / "corpus").mkdir()
    for name, text in (("leave-2025.txt", "Staff get 25 days of leave a year."),
                       ("leave-2026.txt", "Staff get 30 days of leave a year."), ("zoo.txt", ZOO)):
        (tmp_path / "corpus" / name).write_text(text + "\n", encoding="utf-8")
    return Engine(settings_of(tmp_path), embedder=embedder, reader=FirstNumberReader())


def test_an_answer_says_what_another_version_of_its_document_says_otherwise(tmp_path, embedder):
    engine = leave_versions(tmp_path, embedder)
    reply = engine.ask("How many days of leave do staff get a year?")
    other = reply.other_version
    assert {reply.answer.document, other.document} == {"leave-2025.txt", "leave-2026.txt"}
    assert {reply.answer.text, other.text} == {"25", "30"}
    assert reply.other_version_text == f'Another version, {other.document}, says otherwise: "{other.text}" (characters 10-12).'
    assert reply.to_dict()["other_version"] == {"document": other.document, "answer": other.text, "start": 10,
                                                "end": 12, "page": None, "confidence": 0.9}
    (tmp_path / "corpus" / "leave-2026.txt").write_text("Staff get 25 days of leave a year, as before.\n", encoding="utf-8")
    engine.rebuild()
    agreed = engine.ask("How many days of leave do staff get a year?")
    assert (agreed.answer.text, agreed.other_version, agreed.to_dict()["other_version"]) == ("25", None, None)


def test_a_question_naming_a_versions_number_is_asked_of_that_version(tmp_path, embedder):
    engine = leave_versions(tmp_path, embedder)
    for year, days in (("2025", "25"), ("2026", "30")):
        reply = engine.ask(f"How many days of leave do staff get under the {year} rules?")
        assert (reply.named, reply.answer.text, reply.other_version) == ((f"leave-{year}.txt",), days, None)
