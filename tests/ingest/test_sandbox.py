"""The reading sandbox: a child process reads each file within the time and memory limits; a file
that hits one is skipped with the limit named, the next file is read by a new child, and the build's
own process never parses a file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from docqa.errors import SandboxUnavailable
from docqa.ingest.corpus import load_document
from docqa.ingest.formats import UnreadableFile
from docqa.ingest.sandbox import Sandbox, document_from_json, document_json
from docqa.settings import ReadLimits

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "nato-relations-with-serbia.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / DOCUMENT).write_bytes((ROOT / "corpus" / DOCUMENT).read_bytes())
    (folder / "latin1.txt").write_bytes("Caf\xe9 in Belgrade.\n".encode("latin-1"))
    # About five seconds of BeautifulSoup here: far past the one-second limit below.
    (folder / "slow.html").write_text("<div><p>Deep</p>" * 200_000 + "</div>", encoding="utf-8")
    (folder / "large.txt").write_text("Serbia joined the Partnership for Peace. " * 300_000, encoding="utf-8")
    return folder


def test_the_sandbox_reads_what_load_document_reads(corpus: Path) -> None:
    with Sandbox(corpus, ReadLimits()) as sandbox:
        for name in (DOCUMENT, "latin1.txt"):
            assert sandbox.read(name) == load_document(corpus / name, corpus)
        latin1 = sandbox.read("latin1.txt")
        assert (latin1.text, latin1.notes) == ("Caf\xe9 in Belgrade.", (
            "not UTF-8 (the first other byte at byte 3): read as Windows-1252; save the file as UTF-8 if its accents look wrong",))


def test_a_document_goes_through_json_unchanged(corpus: Path) -> None:
    document = load_document(corpus / DOCUMENT, corpus)
    assert document_from_json(document_json(document)) == document


def test_a_file_past_the_time_limit_is_skipped_and_the_next_read_by_a_new_child(corpus: Path) -> None:
    with Sandbox(corpus, ReadLimits(seconds=1.0)) as sandbox:
        with pytest.raises(UnreadableFile, match=r"^reading it took longer than the limit of 1 s \(DOCQA_READ_SECONDS\) \(for one file, or one page read by OCR\)$"):
            sandbox.read("slow.html")
        assert sandbox.read(DOCUMENT).path == DOCUMENT


def test_a_file_past_the_memory_limit_is_skipped_and_the_next_read_by_a_new_child(corpus: Path) -> None:
    # 12 MB of text cleaned in a process of 150 MB: its copies do not fit.
    with Sandbox(corpus, ReadLimits(memory_mb=150)) as sandbox:
        with pytest.raises(UnreadableFile, match=r"needed more memory than the limit of 150 MB \(DOCQA_READ_MEMORY_MB\)"):
            sandbox.read("large.txt")
        assert sandbox.read(DOCUMENT).path == DOCUMENT


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "../corpus/../outside.txt"])
def test_the_sandbox_reads_nothing_outside_the_corpus(corpus: Path, path: str) -> None:
    (corpus.parent / "outside.txt").write_text("A secret.", encoding="utf-8")
    with Sandbox(corpus, ReadLimits()) as sandbox, pytest.raises(UnreadableFile, match=r"is not a file of the corpus"):
        sandbox.read(path)


def test_a_sandbox_that_cannot_start_stops_the_build_not_the_file(corpus: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/true")
    with Sandbox(corpus, ReadLimits()) as sandbox, pytest.raises(
            SandboxUnavailable, match=r"^The process that reads corpus files did not start \(/bin/true -m docqa\.ingest\.sandbox\); "
                                      r"the index was not changed\. Check that docqa is installed"):
        sandbox.read(DOCUMENT)
