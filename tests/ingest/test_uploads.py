"""Files added to the corpus and documents removed from it: safe names, a content already there refused,
a name already there replaced only when asked (atomically), a file that cannot become a document refused
before it lands, nothing ever written or deleted outside the corpus."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from ingest.test_formats import make_docx, make_pdf

from docqa.errors import UploadRejected
from docqa.ingest.corpus import HIDDEN, load_corpus, removable, scan_corpus
from docqa.ingest.uploads import (
    Removal,
    Upload,
    remove_documents,
    store_upload,
    store_uploads,
    upload_name,
)
from docqa.types import DocumentInfo


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("../../etc/notes.txt", "notes.txt"),
        ("..\\..\\Windows\\report.TXT", "report.txt"),
        ("/etc/cron.d/job.md", "job.md"),
        ("my report (final).pdf", "my_report_final.pdf"),
        ("Sérbia – NATO relations.md", "Sérbia_NATO_relations.md"),
        ("\u202egnp.txt", "gnp.txt"),
        ("two\nlines.txt", "two_lines.txt"),
        (".hidden.txt", "hidden.txt"),
        ("<script>alert(1)</script>.html", "script.html"),
        ("a<b>c &amp; d.md", "a_b_c_amp_d.md"),
        ("...htm", "document.htm"),
        ("a" * 150 + ".docx", "a" * 100 + ".docx"),
    ],
)
def test_upload_names_are_sanitised(original: str, expected: str) -> None:
    assert upload_name(original, 10, 20 * 2**20) == expected


@pytest.mark.parametrize(
    ("original", "size", "reason"),
    [
        ("../../etc/passwd", 10, r"^'passwd' is not an accepted type; add \.txt, \.md, \.pdf, \.html, \.htm, \.docx, \.csv, \.tsv, "
                                 r"\.xlsx, \.png, "
                                 r"\.jpg, \.jpeg, \.tif, \.tiff, \.gif, \.bmp, \.webp files\.$"),
        ("setup.exe", 10, r"^'setup.exe': docqa does not read \.exe files; save a copy as \.txt, \.md, \.pdf, \.html, \.docx, \.csv or \.xlsx to index it\.$"),
        ("big.pdf", 20 * 2**20 + 1, r"^'big.pdf' is larger than 20 MB, the limit per file; split it into smaller files\.$"),
        ("empty.txt", 0, r"^'empty.txt' is empty\.$"),
        ("bad\nname.exe", 10, r"^'bad\\\\x0aname.exe': docqa does not read \.exe files"),
    ],
)
def test_bad_files_are_refused_with_the_reason(original: str, size: int, reason: str) -> None:
    with pytest.raises(UploadRejected, match=reason):
        upload_name(original, size, 20 * 2**20)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "notes.txt").write_text("Old notes on the summit.", encoding="utf-8")
    return folder


def incoming(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def contents(corpus: Path) -> dict[str, str]:
    return {sha: path for path, sha in scan_corpus(corpus).hashes.items()}


def test_a_name_already_there_is_a_conflict_until_replace_is_asked(tmp_path: Path, corpus: Path) -> None:
    new = incoming(tmp_path, "Notes.TXT", "New notes on the summit.")
    assert store_upload(new, corpus) == Upload("Notes.TXT", None, "notes.txt is already in the corpus, with other content.",
                                               conflict=True)
    assert (corpus / "notes.txt").read_text(encoding="utf-8") == "Old notes on the summit."
    assert store_upload(new, corpus, replace=True) == Upload("Notes.TXT", "notes.txt", None, replaced=True)
    assert sorted(p.name for p in corpus.iterdir()) == ["notes.txt"]
    assert (corpus / "notes.txt").read_text(encoding="utf-8") == "New notes on the summit."


def test_a_content_already_there_is_refused_whatever_its_name(tmp_path: Path, corpus: Path) -> None:
    twin = incoming(tmp_path, "copy.txt", "Old notes on the summit.")
    with pytest.raises(UploadRejected, match=r"^'copy.txt' is already in the corpus as notes\.txt\.$"):
        store_upload(twin, corpus, contents=contents(corpus))
    first, second = incoming(tmp_path, "a.txt", "Fresh text."), incoming(tmp_path, "b.txt", "Fresh text.")
    assert store_uploads([first, second], corpus, contents=contents(corpus)) == [
        Upload("a.txt", "a.txt", None), Upload("b.txt", None, "'b.txt' is already in the corpus as a.txt.")]


def test_a_file_that_cannot_become_a_document_is_refused_before_it_lands(tmp_path: Path, corpus: Path) -> None:
    bad = incoming(tmp_path, "report.pdf", "%PDF-1.4 garbage")
    seen = []

    def unreadable(source: Path, name: str) -> str | None:
        seen.append((source.name, name))
        return "not a readable PDF (PdfStreamError: Stream has ended unexpectedly)"

    with pytest.raises(UploadRejected, match=r"^'report.pdf' cannot be read: not a readable PDF \(PdfStreamError: .*\); "
                                             r"nothing was added\.$"):
        store_upload(bad, corpus, unreadable=unreadable)
    assert (seen, sorted(p.name for p in corpus.iterdir())) == ([("report.pdf", "report.pdf")], ["notes.txt"])


def test_names_that_point_elsewhere_land_in_the_corpus_or_nowhere(tmp_path: Path, corpus: Path) -> None:
    source = incoming(tmp_path, "plain.txt", "Text.")
    assert store_upload(source, corpus, original="../../evil.txt").name == "evil.txt"
    assert store_upload(incoming(tmp_path, "other.txt", "Other."), corpus, original="/etc/cron.d/x.md").name == "x.md"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "corpus/evil.txt", "corpus/notes.txt", "corpus/x.md", "incoming/other.txt", "incoming/plain.txt"]


def test_an_upload_that_fails_midway_leaves_nothing_in_the_corpus(tmp_path: Path, corpus: Path, monkeypatch) -> None:
    upload = incoming(tmp_path, "big.txt", "x" * 10_000)

    def disk_full(source, target, length=0):
        target.write(source.read(4096))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("docqa.ingest.uploads.shutil.copyfileobj", disk_full)
    with pytest.raises(UploadRejected, match=r"'big.txt' could not be stored in .* \(No space left on device\); "
                                             r"nothing was added\. Free some space"):
        store_upload(upload, corpus)
    assert sorted(p.name for p in corpus.iterdir()) == ["notes.txt"]


def test_store_uploads_keeps_going_past_a_refusal_and_the_corpus_reads_what_it_stored(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "my notes.txt").write_text("Notes on the summit.", encoding="utf-8")
    (tmp_path / "fake.pdf").write_text("not a pdf", encoding="utf-8")
    (tmp_path / "run.sh").write_text("echo", encoding="utf-8")
    (tmp_path / "Report.PDF").write_bytes(make_pdf([["Report on the summit."]]))
    (tmp_path / "minutes.pdf").write_bytes(make_docx())
    names = ("my notes.txt", "fake.pdf", "minutes.pdf", "run.sh", "Report.PDF", "gone.txt")
    uploads = store_uploads([tmp_path / n for n in names], corpus)
    assert uploads == [
        Upload("my notes.txt", "my_notes.txt", None),
        Upload("fake.pdf", None, "'fake.pdf' is not what its name says: it does not look like a .pdf file (check that it "
                                  "opens, or save it again from the program that made it)."),
        Upload("minutes.pdf", None,
               "'minutes.pdf' is not what its name says: it is a Word .docx file, not a .pdf file: rename it to .docx."),
        Upload("run.sh", None, "'run.sh': docqa does not read .sh files; save a copy as .txt, .md, .pdf, .html, .docx, .csv or .xlsx to index it."),
        Upload("Report.PDF", "Report.pdf", None),
        Upload("gone.txt", None, "'gone.txt' cannot be read (No such file or directory)."),
    ]
    assert [(d.path, d.text) for d in load_corpus(corpus).documents] == [
        ("Report.pdf", "Report on the summit."), ("my_notes.txt", "Notes on the summit."), ("notes.txt", "Old notes on the summit."),
    ]


def test_removal_deletes_documents_of_the_corpus_and_nothing_else(tmp_path: Path, corpus: Path) -> None:
    (tmp_path / "outside.txt").write_text("Not the corpus's.", encoding="utf-8")
    (corpus / "link.txt").symlink_to(tmp_path / "outside.txt")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "deep.md").write_text("# Deep", encoding="utf-8")
    (corpus / ".hidden.txt").write_text("Not listed.", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.md").write_text("Not listed either.", encoding="utf-8")
    removed = remove_documents(["sub/deep.md", "../outside.txt", "/etc/hostname", "link.txt", "missing.txt", "sub",
                                ".hidden.txt", ".git/notes.md"], corpus)
    outside = ("is not a file of the corpus: docqa reads and serves only files inside the corpus folder. Name a "
               "file by its path inside the corpus, as the sources show it.")
    assert removed == [
        Removal("sub/deep.md", True),
        Removal("../outside.txt", False, f"'../outside.txt' {outside}"),
        Removal("/etc/hostname", False, f"'/etc/hostname' {outside}"),
        Removal("link.txt", False, f"'link.txt' {outside}"),
        Removal("missing.txt", False, "'missing.txt' is no document of the corpus; `docqa documents list` shows their names."),
        Removal("sub", False, "'sub' is no document of the corpus; `docqa documents list` shows their names."),
        Removal(".hidden.txt", False, "'.hidden.txt' is no document of the corpus; `docqa documents list` shows their names."),
        Removal(".git/notes.md", False, "'.git/notes.md' is no document of the corpus; `docqa documents list` shows their names."),
    ]
    assert (tmp_path / "outside.txt").read_text(encoding="utf-8") == "Not the corpus's."
    assert sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*")) == [
        ".git", ".git/notes.md", ".hidden.txt", "link.txt", "notes.txt", "sub"]


def test_files_of_one_call_whose_names_become_one_are_never_stored_over_each_other(tmp_path: Path, corpus: Path) -> None:
    (corpus / "fire_drill.txt").write_text("Fire drills are held in May.", encoding="utf-8")
    sent = tmp_path / "sent"
    sent.mkdir()
    for name, text in (("fire drill.txt", "Drills start at nine."), ("fire?drill.txt", "Wardens wear yellow."),
                       ("fire_drill.txt", "Meet in the car park.")):
        (sent / name).write_text(text, encoding="utf-8")
    names = ["fire drill.txt", "fire?drill.txt", "fire_drill.txt"]
    uploads = store_uploads([sent / n for n in names], corpus, replace=True)
    assert uploads == [
        Upload("fire drill.txt", "fire_drill.txt", None, replaced=True),
        Upload("fire?drill.txt", None, "'fire?drill.txt' would be stored as fire_drill.txt, as 'fire drill.txt' just was; "
                                       "rename it and add it again."),
        Upload("fire_drill.txt", None, "'fire_drill.txt' would be stored as fire_drill.txt, as 'fire drill.txt' just was; "
                                       "rename it and add it again."),
    ]
    assert (corpus / "fire_drill.txt").read_text(encoding="utf-8") == "Drills start at nine."


def test_a_document_is_removed_by_the_name_it_was_added_under_or_pasted_decomposed(tmp_path: Path, corpus: Path) -> None:
    sent = tmp_path / "Holiday Rota – Q3 (final).md"
    sent.write_text("Ben covers Tuesdays.", encoding="utf-8")
    (stored,) = store_uploads([sent], corpus)
    (corpus / "Politique_de_congés_été.txt").write_text("Congés.", encoding="utf-8")
    assert stored.name == "Holiday_Rota_Q3_final.md"
    removals = remove_documents(["Holiday Rota – Q3 (final).md", unicodedata.normalize("NFD", "Politique_de_congés_été.txt"),
                                 "sub/notes.txt"], corpus)
    assert [(r.name, r.removed) for r in removals] == [
        ("Holiday_Rota_Q3_final.md", True), ("Politique_de_congés_été.txt", True), ("sub/notes.txt", False)]
    assert sorted(p.name for p in corpus.iterdir()) == ["notes.txt"]


def test_a_file_skipped_for_its_format_can_be_removed_and_a_hidden_one_cannot(corpus: Path) -> None:
    (corpus / "scores.json").write_text("a,b\n", encoding="utf-8")
    (corpus / ".draft.txt").write_text("Hidden.", encoding="utf-8")
    removals = remove_documents(["scores.json", ".draft.txt"], corpus)
    assert [(r.name, r.removed) for r in removals] == [("scores.json", True), (".draft.txt", False)]
    assert sorted(p.name for p in corpus.iterdir()) == [".draft.txt", "notes.txt"]
    infos = [DocumentInfo("scores.json", "other", 4, None, 0, None, "skipped", "docqa does not read .json files"),
             DocumentInfo("broken.pdf", "PDF", 9, None, 0, None, "skipped", "not a readable PDF"),
             DocumentInfo(".draft.txt", "text", None, None, 0, None, "skipped", HIDDEN),
             DocumentInfo(".git/", "other", None, None, 0, None, "skipped", HIDDEN),
             DocumentInfo("gone.txt", "text", None, None, 2, None, "removed"),
             DocumentInfo("notes.txt", "text", 24, None, 1, None, "indexed")]
    assert [d.name for d in infos if removable(d)] == ["scores.json", "broken.pdf", "notes.txt"]
