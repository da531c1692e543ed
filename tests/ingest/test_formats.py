"""Format readers: small real PDF, HTML, Word and Markdown files made here; exact cleaned text,
sections and pages; page numbers carried into passages; unreadable files skipped with a reason.
Uploads: safe names, refusals with the reason, never an overwritten file."""

from __future__ import annotations

import datetime
import io
import logging
import os
import random
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

from docqa.errors import OutsideCorpus
from docqa.ingest.clean import CleanText, Section, clean_pages, clean_text
from docqa.ingest.corpus import (
    Document,
    Skipped,
    content_hash,
    corpus_name,
    corpus_path,
    kind_of,
    list_corpus,
    load_corpus,
    load_document,
    scan_corpus,
)
from docqa.ingest.formats import (
    UnreadableFile,
    announced_format,
    is_page_number,
    line_step,
    pdf_table_rows,
    read_csv,
    read_docx,
    read_html,
    read_markdown,
    read_pdf,
    read_plain,
    read_xlsx,
    strip_page_number,
    strip_running_lines,
)
from docqa.ingest.split import split_passages
from docqa.names import display_name
from docqa.settings import ReadLimits, SplitSettings

SMALL = SplitSettings(min_words=1, max_words=12, overlap_sentences=0)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF of these objects, numbered from 1 (the first the catalog), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF: each string is a Helvetica text line, top to bottom; "" leaves a line's gap."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * n} 0 R" for n in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for n, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        ops += [f"({line.replace('(', '[').replace(')', ']')}) Tj T*" if line else "T*" for line in lines]
        stream = "\n".join(ops + ["ET"]).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * n} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return pdf_file(objects)


# Lines 14 points apart, paragraphs 28: the gap is what tells paragraphs and headings apart.
REPORT_PAGES = [
    ["Annual report", "", "The seismic risk-", "hazard study covers", "the northern region.", "",
     "The budget of the", "study was", "", "1"],
    ["four million euros.", "", "Staff", "", "Twelve engineers work", "on the study. Two more",
     "join them in the", "spring.", "", "2"],
]
REPORT_TEXT = (
    "Annual report\n\n"
    "The seismic risk-hazard study covers the northern region.\n\n"
    "The budget of the study was four million euros.\n\n"
    "Staff\n\n"
    "Twelve engineers work on the study. Two more join them in the spring."
)


def encrypted(data: bytes, user: str, owner: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---- PDF ---------------------------------------------------------------------------------------

def test_pdf_text_sections_and_page_starts() -> None:
    clean = read_pdf(make_pdf(REPORT_PAGES))
    assert clean.text == REPORT_TEXT
    assert clean.sections == (Section("Annual report", 0), Section("Staff", 123))
    # The sentence and the hyphenated word run across the page break; page 2 starts at "four".
    assert clean.pages == (0, REPORT_TEXT.index("four million"))
    assert [clean.page_at(offset) for offset in (0, 100, 102, len(REPORT_TEXT) - 1)] == [1, 1, 2, 2]


def test_pdf_passages_carry_the_page_where_they_start(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(make_pdf(REPORT_PAGES))
    document = load_document(tmp_path / "report.pdf", tmp_path)
    assert document.pages == (0, 102)
    passages = split_passages(document.path, document.clean, SMALL)
    assert [(p.text, p.section, p.page) for p in passages] == [
        ("The seismic risk-hazard study covers the northern region.", "Annual report", 1),
        ("The budget of the study was four million euros.", "Annual report", 1),
        ("Twelve engineers work on the study.", "Staff", 2),
        ("Two more join them in the spring.", "Staff", 2),
    ]
    assert all(document.text[p.start : p.end] == p.text for p in passages)


# A Word or browser PDF of short paragraphs: most steps are paragraph gaps (28), lines of a paragraph 14.
SPACED_PAGE_LINES = [
    "Leave policy", "", "Staff get 25 days of leave a year.", "", "Unused days may be carried", "over to the next year.",
    "", "Sick leave", "", "Call your manager before", "9:30 on the first day.", "", "A medical note is needed.",
    "", "Expenses", "", "Claims are paid", "once a month.",
]


def test_a_page_spaced_by_its_paragraphs_keeps_its_paragraphs_and_headings() -> None:
    clean = read_pdf(make_pdf([SPACED_PAGE_LINES]))
    assert clean.text == (
        "Leave policy\n\nStaff get 25 days of leave a year.\n\nUnused days may be carried over to the next year.\n\n"
        "Sick leave\n\nCall your manager before 9:30 on the first day.\n\nA medical note is needed.\n\n"
        "Expenses\n\nClaims are paid once a month."
    )
    assert [section.title for section in clean.sections] == ["Leave policy", "Sick leave", "Expenses"]


def test_a_double_spaced_page_is_one_paragraph() -> None:
    clean = read_pdf(make_pdf([["Staff get 25 days", "", "of leave a year and", "", "may carry five over."]]))
    assert clean.text == "Staff get 25 days of leave a year and may carry five over."


@pytest.mark.parametrize(
    ("lines", "step"),
    [
        ([], 0.0),
        ([(700, 12, 30), (686, 12, 30), (672, 12, 30), (644, 12, 30)], 14),  # lines closer than paragraphs
        ([(700, 12, 30), (672, 12, 30), (644, 12, 30), (616, 12, 30)], None),  # double-spaced or short paragraphs?
        # Paragraph gaps (28) most of the steps; of the body's 5 steps, 2 are a paragraph's lines (14).
        ([(700, 18, 5), (672, 12, 40), (658, 12, 40), (630, 12, 40), (602, 12, 40), (588, 12, 40), (560, 12, 9)], 14),
        # One close step of the body's 5 is too few (a table's row, not the page's lines): the document tells.
        ([(700, 12, 40), (672, 12, 40), (644, 12, 40), (630, 12, 40), (602, 12, 40), (574, 12, 40)], None),
        # Close steps between lines of another size (footnotes under double-spaced body text) do not count;
        # two body steps are too few to tell double spacing from short paragraphs.
        ([(700, 12, 90), (672, 12, 90), (644, 12, 90), (120, 9, 10), (110, 9, 10), (100, 9, 10)], None),
        # A page of a few lines, one of its two body steps close: half of them is enough.
        ([(736, 24, 17), (704, 12, 100), (678, 12, 100), (665, 12, 6)], 13),
    ],
)
def test_line_step(lines: list[tuple[float, float, int]], step: float | None) -> None:
    assert line_step(lines) == step
    # a document's lines all together, or a page that must be read alone, always give a step
    assert line_step(lines, alone=True) == (28 if step is None else step)


def titled_pdf(title: list[str], body: list[str]) -> bytes:
    """One page: the title's lines in 24-point Helvetica 29 points apart, a gap, then the body's lines in
    12-point 14 apart ("" leaves a line's gap), as Word or a browser set a title that wraps."""
    ops = ["BT", "/F1 24 Tf", "29 TL", "72 720 Td"] + [f"({line}) Tj T*" for line in title]
    ops += ["/F1 12 Tf", "14 TL", "T*"] + [f"({line}) Tj T*" if line else "T*" for line in body] + ["ET"]
    stream = "\n".join(ops).encode("latin-1")
    return pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ])


def test_a_title_that_wraps_is_one_heading() -> None:
    clean = read_pdf(titled_pdf(["Northwind Logistics Business", "Travel Policy"],
                                ["Staff book trains in", "standard class.", "", "Taxis are paid after", "ten at night."]))
    assert clean.text == ("Northwind Logistics Business Travel Policy\n\nStaff book trains in standard class.\n\n"
                          "Taxis are paid after ten at night.")
    assert clean.sections == (Section("Northwind Logistics Business Travel Policy", 0),)


def test_a_browsers_print_stamp_and_page_footer_are_dropped() -> None:
    # Chromium prints the date, time and title atop each page and the address with "1/2" at its foot;
    # pypdf reads them after the page's text.
    stamped = [["Passwords are long.", "", "12/7/26, 9:15 PM Security handbook", "", "file:///home/ann/security.html 1/2"],
               ["Incidents are reviewed.", "", "12/7/26, 9:15 PM Security handbook", "", "file:///home/ann/security.html 2/2"]]
    assert read_pdf(make_pdf(stamped)).text == "Passwords are long.\n\nIncidents are reviewed."
    # a sentence that starts with a date stays
    assert read_pdf(make_pdf([["Minutes.", "", "3/4/26, 10:00 the board met."]])).text == (
        "Minutes. 3/4/26, 10:00 the board met.")


def test_a_page_of_few_lines_takes_the_spacing_of_its_document() -> None:
    # Page 2 has one body step, a paragraph gap: page 1's lines say the line spacing is 14.
    clean = read_pdf(make_pdf([SPACED_PAGE_LINES, ["Travel", "", "Trains are booked by the office.", "",
                                                   "Taxis are paid back."]]))
    assert clean.text.endswith("Travel\n\nTrains are booked by the office.\n\nTaxis are paid back.")
    assert [section.title for section in clean.sections][-1] == "Travel"


def justified_pdf(space_width: int, flags: int = 32) -> bytes:
    """One line set as TeX sets a justified line: words in a TJ array, gaps as offsets of 231
    thousandths of an em, in a font whose space code holds a glyph `space_width` wide."""
    line = "[(After)-231(that,)-251(Utrec)28(h)27(t)-231(gr)1(adually)-231(b)-28(ecame)-231(the)-231(hub.)] TJ"
    stream = f"BT /F1 10 Tf 72 720 Td {line} ET".encode()
    widths = " ".join([str(space_width)] + ["500"] * 94)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        f"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 /Widths [{widths}] "
        f"/FontDescriptor 6 0 R >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        f"<< /Type /FontDescriptor /FontName /Helvetica /Flags {flags} /FontBBox [0 0 1000 1000] /ItalicAngle 0 "
        f"/Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>".encode(),
    ]
    return pdf_file(objects)


def test_a_tex_font_whose_space_code_holds_a_visible_space_still_parts_its_words() -> None:
    # pypdf takes about half the font's space as the least word gap: 500 / 2 is more than the 231 of a
    # squeezed line. A font whose space is over 400 gets TeX's 333; a fixed-pitch font keeps its own.
    assert read_pdf(justified_pdf(500)).text == "After that, Utrecht gradually became the hub."
    assert read_pdf(justified_pdf(278)).text == "After that, Utrecht gradually became the hub."
    assert read_pdf(justified_pdf(500, flags=33)).text == "Afterthat, Utrechtgraduallybecamethehub."


def test_pdf_blank_page_starts_where_the_next_text_starts() -> None:
    clean = read_pdf(make_pdf([["First page text."], [], ["Third page text."]]))
    assert clean.text == "First page text.\n\nThird page text."
    assert clean.pages == (0, 18, 18)
    assert clean.page_at(18) == 3


def test_pdf_with_an_owner_password_only_is_read() -> None:
    assert read_pdf(encrypted(make_pdf(REPORT_PAGES), user="", owner="owner")).text == REPORT_TEXT


def test_pdf_with_a_user_password_is_unreadable() -> None:
    with pytest.raises(UnreadableFile, match=r"^it is encrypted with a password; save a copy without the password$"):
        read_pdf(encrypted(make_pdf(REPORT_PAGES), user="secret", owner="owner"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.4\ngarbage", r"^not a readable PDF \(PdfStreamError: Stream has ended unexpectedly\)$"),
        (b"", r"^not a readable PDF \(EmptyFileError: Cannot read an empty file\)$"),
        (make_pdf(REPORT_PAGES)[:300], r"^not a readable PDF \(\w+: .+\)$"),
        # Blank pages: read by OCR where Tesseract is installed (and still blank), else it is asked for.
        (make_pdf([[], []]), r"^no text in its 2 page\(s\)(, even read by OCR|: a scanned PDF, which needs Tesseract .*)$"),
    ],
)
def test_damaged_or_textless_pdf(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        read_pdf(data)


@pytest.mark.parametrize(
    ("line", "number", "label", "expected"),
    [
        ("3", 3, None, True), ("- 3 -", 3, None, True), ("Page 3", 3, None, True), ("page 3 of 12", 3, None, True),
        ("3 / 12", 3, None, True), ("iii", 5, "iii", True), ("Chapter 2: Structures 7", 9, "7", True),
        ("4", 3, None, False), ("2006", 3, None, False), ("Serbia joined in 2006", 6, None, False),
        ("Chapter 2: Structures 7", 8, "8", False),
        ("A long sentence of many words that happens to end in the number 3", 3, None, False),
    ],
)
def test_is_page_number(line: str, number: int, label: str | None, expected: bool) -> None:
    assert is_page_number(line, number, label) is expected


def test_strip_page_number_only_at_the_top_or_bottom() -> None:
    assert strip_page_number("7\nText with 7 inside.\n7\n\n", 7) == "Text with 7 inside.\n\n"
    assert strip_page_number("Intro\n7\nText.", 7) == "Intro\n7\nText."


def test_strip_running_lines() -> None:
    pages = [f"Annual report {n}\nBody {n}.\nACME Corp confidential" for n in range(1, 4)] + ["Annual report 4\nEnd."]
    assert strip_running_lines(pages) == ["Body 1.", "Body 2.", "Body 3.", "End."]
    # Twice is a coincidence, not a running header.
    assert strip_running_lines(pages[:2]) == pages[:2]


def test_a_form_line_whose_numbers_go_up_and_down_is_not_a_running_line() -> None:
    """A scanned form: the same words around other numbers on each page are its content; a chapter
    number that stays and a page number that grows are a header."""
    costs = [24, 737, 95, 410]
    pages = [f"Chapter {1 + n // 2}: Bridges {n + 1}\nRecord {n + 1}.\nIts repair cost {cost} thousand euros."
             for n, cost in enumerate(costs)]
    assert strip_running_lines(pages) == [f"Record {n + 1}.\nIts repair cost {cost} thousand euros."
                                          for n, cost in enumerate(costs)]


# ---- cleaning with pages ------------------------------------------------------------------------

def test_clean_pages_records_page_starts_and_plain_text_has_none() -> None:
    clean = clean_pages(["A first page.", "A risk-", "hazard note.\n\nAnother paragraph."])
    assert clean == CleanText(
        text="A first page.\n\nA risk-hazard note.\n\nAnother paragraph.", sections=(), pages=(0, 15, 22)
    )
    assert clean.page_at(21) == 2 and clean.page_at(22) == 3
    assert clean_text("A first page.\fA second.").pages == ()
    assert clean_text("Text.").page_at(0) is None


# ---- HTML --------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html>
<html><head><title>NATO and Serbia</title><style>p { color: red }</style>
<script>var tracking = "Serbia joined in 1999";</script></head>
<body>
<header>Site header</header>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<main>
  <h1>Relations with <em>Serbia</em></h1>
  <p>Serbia joined the
     Partnership for Peace in <b>December 2006</b>.<br>It is an active partner.</p>
  <!-- an editor's comment -->
  <div hidden>Hidden text</div><p style="display: none">Also hidden</p>
  <h2>Key milestones</h2>
  <ul><li>2006: joins the PfP.</li><li>2008: signs a security agreement.</li></ul>
  <table><tr><th>Year</th><th>Event</th></tr><tr><td>2015</td><td>IPAP agreed</td></tr></table>
  <noscript>Please enable JavaScript.</noscript><template><p>Template text</p></template>
</main>
<aside>Related links</aside>
<footer>Copyright NATO</footer>
</body></html>"""


def test_html_visible_text_only_with_headings_as_sections() -> None:
    clean = read_html(PAGE)
    assert clean == CleanText(
        text=(
            "Relations with Serbia\n\n"
            "Serbia joined the Partnership for Peace in December 2006. It is an active partner.\n\n"
            "Key milestones\n\n"
            "2006: joins the PfP.\n\n"
            "2008: signs a security agreement.\n\n"
            "Year | Event\n\n"
            "2015 | IPAP agreed"
        ),
        sections=(Section("Relations with Serbia", 0), Section("Key milestones", 107)),
    )


def test_html_headings_lose_their_permalinks_and_a_link_of_text_stays() -> None:
    page = ('<h2>2.2. Unversioned python commands<a class="headerlink" href="#unversioned" title="Permalink">\u00b6</a>'
            '</h2><h3 id="x"><a href="#x" class="hash-link">\u200b</a>Module Path<a href="#x">#</a></h3>'
            '<p>See <a href="#x" class="anchor">the module path</a> and <a href="https://example.org">#</a>.</p>')
    assert read_html(page.encode()).text == ("2.2. Unversioned python commands\n\nModule Path\n\n"
                                             "See the module path and #.")


def test_html_navigation_of_documentation_generators_is_not_read() -> None:
    page = ('<table class="nav" summary="Navigation header"><tr><td><a href="a.html">Prev</a></td><td></td>'
            '<td>Valgrind FAQ</td></tr></table>'
            '<div class="header"><p>Next: <a href="b.html">Output</a>, Up: <a href="c.html">Top</a> '
            '[<a href="d.html">Contents</a>]</p></div>'
            '<div class="header"><h1>The page\'s own title</h1></div>'
            '<ul role="navigation"><li>Home</li></ul><div class="breadcrumb">Docs &gt; FAQ</div>'
            '<p>How do you pronounce it?</p>')
    assert read_html(page.encode()).text == "The page's own title\n\nHow do you pronounce it?"


def test_html_cells_holding_paragraphs_lay_out_a_page_and_one_paragraph_in_a_cell_is_inline() -> None:
    # DocBook's questions and answers: a row of a number and a question, a row of an empty cell and an
    # answer of one paragraph, another of several; a Word table's every cell a paragraph
    page = ('<table summary="Q and A Div"><tr><td><p><b>4.2.</b></p></td><td><b><p>Why?</p></b></td></tr>'
            '<tr><td></td><td><p>Because.</p></td></tr>'
            '<tr><td></td><td><p>First.</p><pre>make it</pre><p>Then.</p></td></tr></table>'
            '<table><tr><td><p class="MsoNormal">Hotel</p></td><td><p>EUR 190</p></td></tr>'
            '<tr><td></td><td>EUR 20</td></tr></table>')
    assert read_html(page.encode()).text == ("4.2.\n\nWhy?\n\nBecause.\n\nFirst.\n\nmake it\n\nThen.\n\n"
                                             "Hotel | EUR 190\n\n| EUR 20")


def test_the_title_of_a_note_heads_no_section() -> None:
    page = ('<h2>OPTIONS</h2><p>-o FILE: the output.</p><div class="important"><h3 class="title">Important</h3>'
            '<p>The directory must exist.</p></div><p>--nonet: no network.</p><h2>SEE ALSO</h2><p>xmllint</p>')
    clean = read_html(page.encode())
    assert [(s.title, clean.text[s.start:s.start + 7]) for s in clean.sections] == [
        ("OPTIONS", "OPTIONS"), ("SEE ALSO", "SEE ALS")]
    assert "Important\n\nThe directory must exist.\n\n--nonet: no network." in clean.text


def test_html_deeply_nested_and_declared_encoding() -> None:
    nested = b"<div>" * 5000 + b"Deep text." + b"</div>" * 5000
    assert read_html(nested).text == "Deep text."
    latin = '<meta charset="iso-8859-1"><p>Caf\xe9 cr\xe8me.</p>'.encode("latin-1")
    assert read_html(latin).text == "Café crème."


# ---- Word --------------------------------------------------------------------------------------

def make_docx() -> bytes:
    word = docx.Document()
    word.add_heading("Annual report", level=0)
    word.add_paragraph("Serbia joined the Partnership for Peace in December 2006.")
    word.add_heading("Budget", level=1)
    paragraph = word.add_paragraph("The budget was ")
    paragraph.add_run("four million").bold = True
    paragraph.add_run(" euros.")
    table = word.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Item"
    table.cell(0, 2).text = "Cost"
    for column, text in enumerate(["Study", "north", "4 M"]):
        table.cell(1, column).text = text
    for column, text in enumerate(["Survey", "", "1 M"]):  # an empty cell keeps its place
        table.cell(2, column).text = text
    word.add_paragraph("")
    word.add_paragraph("After the table.")
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_docx_paragraphs_heading_styles_and_tables() -> None:
    assert read_docx(make_docx()) == CleanText(
        text=(
            "Annual report\n\n"
            "Serbia joined the Partnership for Peace in December 2006.\n\n"
            "Budget\n\n"
            "The budget was four million euros.\n\n"
            "Item | Cost\n\n"
            "Study | north | 4 M\n\n"
            "Survey | | 1 M\n\n"
            "After the table."
        ),
        sections=(Section("Annual report", 0), Section("Budget", 74)),
    )


# ---- tables in PDFs -------------------------------------------------------------------------------

def test_a_pdf_tables_cells_are_told_by_where_they_start():
    # As Chromium prints an HTML table: cell by cell, a cell's second line under its first, at its x.
    fragments = [("Plan", 91.2, 201.8, 11.0), (" Support hours", 148.5, 201.8, 11.0), ("\n", 0, 0, 0),
                 (" Channels", 404.0, 201.8, 11.0), ("\n", 0, 0, 0),
                 ("Standard", 91.2, 183.0, 11.0), (" Monday to Friday, 08:00–18:00 CET, excluding", 148.5, 183.0, 11.0),
                 ("\n", 0, 0, 0), ("public holidays", 148.5, 171.0, 11.0), ("Portal and e-mail", 404.0, 183.0, 11.0),
                 ("\n", 0, 0, 0), ("Premium", 91.2, 152.3, 11.0), (" 24 hours a day", 148.5, 152.3, 11.0),
                 (" Portal, e-mail and", 404.0, 152.3, 11.0), ("\n", 0, 0, 0), ("telephone", 404.0, 140.3, 11.0),
                 ("\n", 0, 0, 0), ("Outside support hours, the clock stops.", 84.4, 114.0, 11.0)]
    assert pdf_table_rows(fragments) == {
        0: (5, "Plan | Support hours | Channels"),
        5: (11, "Standard | Monday to Friday, 08:00–18:00 CET, excluding public holidays | Portal and e-mail"),
        11: (17, "Premium | 24 hours a day | Portal, e-mail and telephone")}


def test_lines_that_only_begin_alike_or_words_of_a_line_are_no_table():
    # Two lines that start with the same code and go on as text; a line of words, each a fragment.
    alike = [("inflateInit()", 72.0, 500.0, 10.0), (". This is because", 150.0, 500.0, 10.0), ("\n", 0, 0, 0),
             ("inflateInit()", 72.0, 488.0, 10.0), (" to have access", 150.0, 488.0, 10.0)]
    words = [("The", 72.0, 500.0, 10.0), ("quick", 92.0, 500.0, 10.0), ("fox", 120.0, 500.0, 10.0), ("\n", 0, 0, 0),
             ("The", 72.0, 488.0, 10.0), ("quick", 92.0, 488.0, 10.0), ("fox", 120.0, 488.0, 10.0)]
    assert pdf_table_rows(alike) == {} and pdf_table_rows(words) == {}


def test_a_browser_printed_table_reads_row_by_row_in_its_pdf():
    pdf = Path(__file__).resolve().parents[2] / "evaluation" / "tables" / "corpus" / "support-sla.pdf"
    clean = read_pdf(pdf.read_bytes())
    assert "\n\nPlan | Support hours | Channels\n\nStandard | Monday to Friday, 08:00–18:00 CET, excluding public " \
           "holidays | Portal and e-mail\n\n" in clean.text
    assert "\n\nbelow 99.0% | 25% of the monthly fee\n\n" in clean.text
    assert [s.title for s in clean.sections] == ["Customer Support Service Level Agreement", "1. Priority levels and "
                                                 "targets", "2. Support hours and channels",
                                                 "3. Availability and service credits", "4. Escalation"]


# ---- spreadsheets ---------------------------------------------------------------------------------

def test_a_csv_file_is_a_table_whatever_its_delimiter() -> None:
    table = "City | Hotel | Meals\n\nLondon | GBP 210 | GBP 65\n\nParis | EUR 190 |"
    for delimiter in (",", ";", "\t"):
        data = delimiter.join(["City", "Hotel", "Meals"]) + "\r\n" + delimiter.join(["London", "GBP 210", "GBP 65"]) + \
            "\r\n\r\n" + delimiter.join(["Paris", "EUR 190", ""]) + "\r\n"
        assert read_csv(data.encode("utf-8")).text == table, delimiter
    quoted = read_csv(b'Item,Note\n"Desk, 160 cm","two\nlines"\n')
    assert quoted.text == "Item | Note\n\nDesk, 160 cm | two lines"


def make_xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    rates = book.active
    rates.title = "Rates"
    rates["C3"], rates["D3"], rates["E3"] = "City", "Hotel", "From"  # a table that starts at C3
    rates["C4"], rates["D4"], rates["E4"] = "London", 210.0, datetime.datetime(2026, 3, 1)
    rates["C5"], rates["D5"] = "Paris", 190.5
    book.create_sheet("Empty")
    book.create_sheet("Contacts")["A1"] = "Travel Desk: ext. 4412"
    prices = book.create_sheet("Prices")
    prices.append(["Price list, spring 2025"])  # a title over the header
    prices.append(["Product", "Price", "Tray", "Tray value"])
    prices.append(["Sourdough", 6.5, 8, "=B3*C3"])  # a formula openpyxl saves without its value
    prices.append([])  # an empty row: another table follows
    prices.append(["Discount", "Rate"])
    prices.append(["Staff", 0.2])
    prices["B3"].number_format = "0.00"
    prices["B6"].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_is_a_section_a_sheet_and_a_table_its_rows() -> None:
    assert read_xlsx(make_xlsx()) == CleanText(
        text="Rates\n\nCity | Hotel | From\n\nLondon | 210 | 2026-03-01\n\nParis | 190.5 |\n\nContacts\n\n"
             "Travel Desk: ext. 4412\n\nPrices\n\nPrice list, spring 2025\n\nProduct | Price | Tray | Tray value\n\n"
             "Sourdough | 6.50 | 8 |\n\nPrices\n\nDiscount | Rate\n\nStaff | 20%",
        sections=(Section("Rates", 0), Section("Contacts", 72), Section("Prices", 106), Section("Prices", 200)),
        notes=("1 formula cell saved without its value read empty: open the file in Excel (or LibreOffice) and save "
               "it to keep them",),
    )
    assert announced_format(make_xlsx()) == ("an Excel .xlsx file", ".xlsx")
    with pytest.raises(UnreadableFile, match="not a readable Excel .xlsx file"):
        read_xlsx(b"PK\x03\x04 cut short")


def numbered(word: docx.document.Document, levels: list[tuple[str, str]]) -> str:
    """A list of `levels` (number format, label pattern) added to the document's numbering: its numId."""
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    lvls = "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
                   for n, (fmt, text) in enumerate(levels))
    root = word.part.numbering_part.element
    root.insert(0, parse_xml(f'<w:abstractNum {ns} w:abstractNumId="40">{lvls}</w:abstractNum>'))
    root.append(parse_xml(f'<w:num {ns} w:numId="40"><w:abstractNumId w:val="40"/></w:num>'))
    return "40"


def test_docx_list_items_keep_the_numbers_word_shows() -> None:
    word = docx.Document()
    number = numbered(word, [("decimal", "%1."), ("lowerLetter", "(%2)"), ("lowerRoman", "%1.%2.%3")])
    for text, level in [("Scope", 0), ("Staff", 1), ("Visitors", 1), ("Seen by", 2), ("Leave", 0), ("Sick days", 1)]:
        paragraph = word.add_paragraph(text)
        numbers = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numbers.get_or_add_numId().val, numbers.get_or_add_ilvl().val = int(number), level
    word.add_paragraph("Paid by the company", style="List Bullet")  # a bullet: no number
    word.add_paragraph("Tell your manager", style="List Number")  # a list of its own: counts from 1
    out = io.BytesIO()
    word.save(out)
    assert read_docx(out.getvalue()).text.split("\n\n") == [
        "1. Scope", "(a) Staff", "(b) Visitors", "1.b.i Seen by", "2. Leave", "(a) Sick days", "Paid by the company",
        "1. Tell your manager"]


def test_a_short_docx_line_in_bold_is_a_heading() -> None:
    word = docx.Document()
    word.add_paragraph().add_run("Annual leave").bold = True
    word.add_paragraph("Staff get 25 days a year.")
    word.add_paragraph().add_run("Note: leave is agreed with the manager.").bold = True  # a sentence, no title
    mixed = word.add_paragraph()
    mixed.add_run("Sick").bold = True
    mixed.add_run(" leave")  # partly bold: no title
    word.add_paragraph().add_run("Expenses").bold = True
    word.add_paragraph("Claims are paid monthly.")
    out = io.BytesIO()
    word.save(out)
    clean = read_docx(out.getvalue())
    assert [(s.title, s.start) for s in clean.sections] == [("Annual leave", 0), ("Expenses", 94)]


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated zip", b"plain text, not a zip", make_docx()[:400]])
def test_damaged_docx(data: bytes) -> None:
    with pytest.raises(UnreadableFile, match=r"^not a readable Word \.docx file \(BadZipFile: File is not a zip file\)$"):
        read_docx(data)


# ---- Markdown ----------------------------------------------------------------------------------

def test_markdown_headings_setext_rules_and_code_fences() -> None:
    raw = (
        "Relations with Serbia\n=====================\n\n"
        "Serbia joined\nthe PfP.\n\n---\n\n"
        "## Key milestones\n\n"
        "```\n# a shell comment, not a heading\nls corpus\n```\n\n"
        "Sub part\n--------\nLast line.\n"
    )
    assert read_markdown(raw.encode()) == CleanText(
        text=(
            "Relations with Serbia\n\nSerbia joined the PfP.\n\nKey milestones\n\n"
            "# a shell comment, not a heading ls corpus\n\nSub part\n\nLast line."
        ),
        sections=(Section("Relations with Serbia", 0), Section("Key milestones", 47),
                  Section("Sub part", 107)),
    )


# ---- the corpus folder -------------------------------------------------------------------------

def write_corpus(folder: Path) -> None:
    folder.mkdir()
    (folder / "report.pdf").write_bytes(make_pdf(REPORT_PAGES))
    (folder / "page.html").write_bytes(PAGE)
    (folder / "notes.docx").write_bytes(make_docx())
    (folder / "readme.md").write_text("# Title\n\nSome text.\n", encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage")
    (folder / "locked.pdf").write_bytes(encrypted(make_pdf(REPORT_PAGES), user="secret", owner="owner"))
    (folder / "bad.docx").write_bytes(b"not a zip")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02")
    (folder / "empty.html").write_bytes(b"<script>only()</script>")
    (folder / ".hidden.txt").write_text("Ignored.", encoding="utf-8")
    (folder / "slides.pptx").write_bytes(b"PK\x03\x04")


HIDDEN_REASON = "its name starts with a dot (hidden): not read; rename it to index it"
NOT_READ = "docqa does not read {} files; save a copy as .txt, .md, .pdf, .html, .docx, .csv or .xlsx to index it"


def test_load_corpus_reads_every_format_and_skips_unreadable_files(tmp_path: Path, caplog) -> None:
    write_corpus(tmp_path / "corpus")
    with caplog.at_level(logging.WARNING, logger="docqa"):
        corpus = load_corpus(tmp_path / "corpus")
    assert [d.path for d in corpus.documents] == ["notes.docx", "page.html", "readme.md", "report.pdf"]
    assert [d.pages for d in corpus.documents] == [(), (), (), (0, 102)]
    assert corpus.skipped == (
        Skipped(".hidden.txt", HIDDEN_REASON),
        Skipped("slides.pptx", NOT_READ.format(".pptx")),
        Skipped("bad.docx", "not a readable Word .docx file (BadZipFile: File is not a zip file)"),
        Skipped("binary.txt", "it looks binary (contains NUL bytes)"),
        Skipped("broken.pdf", "not a readable PDF (PdfStreamError: Stream has ended unexpectedly)"),
        Skipped("empty.html", "it is empty (no text)"),
        Skipped("locked.pdf", "it is encrypted with a password; save a copy without the password"),
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    # What the listing leaves out is said by the build's summary; what fails to read is logged as well.
    assert warnings == [f"Skipped {s.path}: {s.reason}" for s in corpus.skipped[2:]]


def test_texts_named_without_a_suffix_are_read_as_plain_text(tmp_path: Path) -> None:
    # LICENSE, README, COPYING, Debian's "Apache-2.0" and "GPL-3": how such texts are named
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("LICENSE", "Apache-2.0", "GPL-3"):
        (corpus / name).write_text(f"The {name} text grants rights.\n", encoding="utf-8")
    (corpus / "tool").write_bytes(b"\x7fELF\x00\x01")  # a program, not a text: skipped as binary
    (corpus / "data.json").write_text("a,b\n", encoding="utf-8")  # another format: skipped, saying so
    loaded = load_corpus(corpus)
    assert [(d.path, d.text) for d in loaded.documents] == [
        ("Apache-2.0", "The Apache-2.0 text grants rights."), ("GPL-3", "The GPL-3 text grants rights."),
        ("LICENSE", "The LICENSE text grants rights.")]
    assert loaded.skipped == (Skipped("data.json", NOT_READ.format(".json")),
                              Skipped("tool", "it looks binary (contains NUL bytes)"))
    assert [kind_of(name) for name in ("LICENSE", "Apache-2.0", "notes.md", "data.json")] == [
        "text", "text", "Markdown", "other"]


def test_non_paged_documents_have_passages_without_page(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    for document in load_corpus(tmp_path / "corpus").documents:
        passages = split_passages(document.path, document.clean, SMALL)
        assert all(document.text[p.start : p.end] == p.text for p in passages)
        assert {p.page is None for p in passages} == {document.path != "report.pdf"}


def test_scan_corpus_hashes_bytes_without_parsing(tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    scan = scan_corpus(tmp_path / "corpus")
    assert list(scan.hashes) == [
        "bad.docx", "binary.txt", "broken.pdf", "empty.html", "locked.pdf", "notes.docx", "page.html",
        "readme.md", "report.pdf",
    ]
    assert scan.hashes["report.pdf"] == content_hash(make_pdf(REPORT_PAGES))
    assert scan.skipped == (Skipped(".hidden.txt", HIDDEN_REASON), Skipped("slides.pptx", NOT_READ.format(".pptx")))


def test_document_section_and_page_lookups() -> None:
    document = Document("a.pdf", "Title\n\nBody.", (Section("Title", 0),), "0" * 64, pages=(0, 7))
    assert (document.section_at(8), document.page_at(3), document.page_at(8)) == ("Title", 1, 2)


def test_form_feeds_end_the_pages_of_a_text_file() -> None:
    # As pdftotext writes a paper: a running header, a page number at each page's foot, a form feed.
    raw = ("Journal of Tests\nThe study covers the\nnorthern region.\n\n1\n\n\f"
           "Journal of Tests\nIts budget is four\nmillion euros. Twelve\n\n2\n\n\f"
           "Journal of Tests\nengineers work on it.\n\n3\n\n\f")
    clean = read_plain(raw.encode())
    assert clean.text == ("The study covers the northern region.\n\n"
                          "Its budget is four million euros. Twelve engineers work on it.")
    assert clean.pages == (0, 39, 80)  # page 3 starts with "engineers", its sentence begun on page 2
    assert [clean.page_at(clean.text.index(word)) for word in ("study", "budget", "engineers")] == [1, 2, 3]
    assert read_plain(b"No form feed.\n\n1\n").text == "No form feed.\n\n1"


# ---- what reading may cost, and nothing read from outside the corpus ------------------------------

OUTSIDE_REASON = "a link to a place outside the corpus folder: not read; copy the file into the corpus instead"


def linked_corpus(tmp_path: Path) -> Path:
    """A corpus with a file, a link to a file outside, a link to a folder outside, a link to a file
    inside, a link to a folder inside, a broken link, a hidden file and a hidden folder, and a pipe."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("The password is swordfish.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("Serbia joined in 2006.", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to(outside / "secret.txt")
    (corpus / "relative.md").symlink_to("../outside/secret.txt")
    (corpus / "away").symlink_to(outside, target_is_directory=True)
    (corpus / "again.txt").symlink_to(corpus / "sub" / "a.txt")
    (corpus / "mirror").symlink_to(corpus / "sub", target_is_directory=True)
    (corpus / "gone.txt").symlink_to(tmp_path / "nothing.txt")
    (corpus / ".draft.txt").write_text("Hidden.", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.md").write_text("Hidden too.", encoding="utf-8")
    os.mkfifo(corpus / "pipe.txt")
    return corpus


def test_links_out_of_the_corpus_are_skipped_and_links_inside_read_once(tmp_path: Path) -> None:
    corpus = linked_corpus(tmp_path)
    listing = list_corpus(corpus)
    assert listing.files == (corpus / "sub" / "a.txt",)
    assert listing.skipped == (
        Skipped(".draft.txt", HIDDEN_REASON),
        Skipped(".git/", HIDDEN_REASON),
        Skipped("away/", OUTSIDE_REASON),
        Skipped("gone.txt", "a link to nothing: not read"),
        Skipped("passwd.txt", OUTSIDE_REASON),
        Skipped("pipe.txt", "not a regular file: not read"),
        Skipped("relative.md", OUTSIDE_REASON),
    )
    loaded = load_corpus(corpus)
    assert [(d.path, d.text) for d in loaded.documents] == [("sub/a.txt", "Serbia joined in 2006.")]
    assert list(scan_corpus(corpus).hashes) == ["sub/a.txt"]


def test_a_file_of_another_format_is_skipped_saying_what_to_do_and_a_dot_or_lock_file_is_not_mentioned(
        tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("notes.txt", "table.json", "slides.PPTX", ".DS_Store", ".gitignore", ".old.json", "~$notes.docx"):
        (corpus / name).write_text("Serbia joined in 2006.", encoding="utf-8")
    listing = list_corpus(corpus)
    assert listing.files == (corpus / "notes.txt",)
    assert listing.skipped == (Skipped("slides.PPTX", NOT_READ.format(".pptx")),
                               Skipped("table.json", NOT_READ.format(".json")))
    assert list(scan_corpus(corpus).hashes) == ["notes.txt"]


def test_a_file_whose_bytes_are_another_format_is_refused_saying_what_it_is_and_html_named_as_text_read_as_html(
        tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "minutes.pdf").write_bytes(make_docx())
    (corpus / "cut.docx").write_bytes(make_docx()[:200])
    (corpus / "logo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "saved.txt").write_bytes(b"\xef\xbb\xbf <!DOCTYPE html><title>T</title><h1>Rules</h1>"
                                       b"<p>Clean the <b>oven</b> on Fridays.</p>")
    (corpus / "notes.txt").write_text("An <html> tag starts a page.", encoding="utf-8")
    loaded = load_corpus(corpus)
    assert [(d.path, d.text, d.notes) for d in loaded.documents] == [
        ("notes.txt", "An <html> tag starts a page.", ()),
        ("saved.txt", "Rules\n\nClean the oven on Fridays.",
         ("its content is an HTML page: read as one; rename it to saved.html",))]
    assert loaded.skipped == (
        Skipped("cut.docx", "not a readable Word .docx file (BadZipFile: File is not a zip file)"),
        Skipped("logo.txt", "its content is a PNG image, not what its name says: rename it to logo.png"),
        Skipped("minutes.pdf", "its content is a Word .docx file, not what its name says: rename it to minutes.docx"))
    starts = (b"%PDF-1.7", b"GIF89a", b"<HTML lang=en>", b"PK\x03\x04", b"Plain.", b"{\\rtf1")
    assert [announced_format(data) for data in starts] == [
        ("a PDF", ".pdf"), ("a GIF image", ".gif"), ("an HTML page", ".html"), None, None, ("an RTF document", None)]


def test_a_corpus_folder_that_is_itself_a_link_is_read(tmp_path: Path) -> None:
    corpus = linked_corpus(tmp_path)
    (tmp_path / "alias").symlink_to(corpus, target_is_directory=True)
    assert list_corpus(tmp_path / "alias").files == (tmp_path / "alias" / "sub" / "a.txt",)


@pytest.mark.parametrize("path", ["../outside/secret.txt", "/etc/passwd", "passwd.txt", "away/secret.txt",
                                  "sub/../../outside/secret.txt", "", "a\x00.txt"])
def test_a_path_out_of_the_corpus_is_refused(tmp_path: Path, path: str) -> None:
    corpus = linked_corpus(tmp_path)
    with pytest.raises(OutsideCorpus, match=r"is not a file of the corpus: docqa reads and serves only files inside"):
        corpus_path(corpus, path)


def test_a_path_inside_the_corpus_is_that_file(tmp_path: Path) -> None:
    corpus = linked_corpus(tmp_path)
    assert corpus_path(corpus, "sub/a.txt") == corpus / "sub" / "a.txt"
    assert corpus_path(corpus, "again.txt") == corpus / "again.txt"  # a link inside resolves inside


def test_a_document_given_by_its_path_on_disk_is_named_as_the_corpus_names_it(tmp_path: Path, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.txt").write_text("A.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("B.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert [corpus_name(name, corpus) for name in (
        "corpus/sub/a.txt", str(corpus / "sub" / "a.txt"), "sub/a.txt", "b.txt", "corpus/gone.txt", "corpus/sub", "")] == [
        "sub/a.txt", "sub/a.txt", "sub/a.txt", "b.txt", "corpus/gone.txt", "corpus/sub", ""]


def test_a_file_swapped_for_a_link_after_the_listing_is_not_read(tmp_path: Path) -> None:
    corpus = linked_corpus(tmp_path)
    with pytest.raises(UnreadableFile, match=r"^cannot be read: it is a link$"):
        load_document(corpus / "passwd.txt", corpus)
    with pytest.raises(UnreadableFile, match=r"^not a regular file: not read$"):
        load_document(corpus / "pipe.txt", corpus)


def test_invalid_utf8_bytes_are_replaced_and_the_file_kept() -> None:
    clean = read_plain("Caf\xe9 in Belgrade, na\xefve.\n".encode("latin-1"))
    assert clean.text == "Café in Belgrade, naïve."  # no character beyond ASCII is UTF-8: a Western code page
    assert clean.notes == ("not UTF-8 (the first other byte at byte 3): read as Windows-1252; save the file as UTF-8 "
                           "if its accents look wrong",)
    assert read_plain(b"It\x92s \x93quoted\x94.").text == "It\u2019s \u201cquoted\u201d."  # Word's curly quotes
    # a UTF-8 text with a stray byte stays UTF-8, the byte replaced
    mixed = read_plain("Café in Belgrade, ".encode("utf-8") + "naïve.".encode("latin-1"))
    assert mixed.text == "Café in Belgrade, na\ufffdve."
    assert mixed.notes == ("1 byte that is not UTF-8 (the first at byte 21) shown as \ufffd; save the file as UTF-8 to keep them",)
    assert read_plain(b"Caf\xe9 \x81.").text == "Caf\ufffd \ufffd."  # 0x81: no Windows-1252 character
    assert read_plain("Caf\u00e9 \ufffd.".encode("utf-8")).notes == ()



def test_bytes_that_are_mostly_not_utf8_are_no_text() -> None:
    rng = random.Random(0)
    noise = bytes(rng.randrange(1, 256) for _ in range(2000))  # no NUL byte among them
    with pytest.raises(UnreadableFile, match=r"^it does not read as text: 42% of its bytes are not UTF-8; "
                                             r"if it is text, save it as UTF-8$"):
        read_plain(noise)
    # a short Latin-1 text is mostly text, however large the share of its accented letters
    assert read_plain("Caf\xe9\n".encode("latin-1")).text == "Café"


def test_a_run_without_spaces_is_dropped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "blob.txt").write_text("Serbia joined in 2006. " + "x" * 5000 + " The end.", encoding="utf-8")
    document = load_document(tmp_path / "blob.txt", tmp_path)
    assert document.text == "Serbia joined in 2006. The end."
    assert document.notes == ("dropped 1 run of more than 200 characters without a space (the longest 5,000): "
                              "no word is that long",)
    (tmp_path / "only.txt").write_text("y" * 300, encoding="utf-8")
    with pytest.raises(UnreadableFile, match=r"^it is empty \(no text\); dropped 1 run of more than 200 characters"):
        load_document(tmp_path / "only.txt", tmp_path)


def docx_bomb(expanded: int, parts: int = 1) -> bytes:
    """A .docx whose word/document.xml holds one paragraph of `expanded` letters, deflated, and
    `parts` - 1 tiny extra parts."""
    template = io.BytesIO(make_docx())
    out = io.BytesIO()
    source = zipfile.ZipFile(template)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            if part.filename != "word/document.xml":
                bomb.writestr(part, source.read(part))
        body = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>' + b"A" * expanded
                + b"</w:t></w:r></w:p></w:body></w:document>")
        bomb.writestr("word/document.xml", body)
        for n in range(parts - 1):
            bomb.writestr(f"extra/part{n}.xml", b"<a/>")
    return out.getvalue()


def test_a_docx_zip_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(UnreadableFile, match=r"^its part 'word/document\.xml' expands 1,0\d\d times, over the limit "
                                             r"of 100 \(DOCQA_MAX_ZIP_RATIO\): it looks like a zip bomb$"):
        read_docx(docx_bomb(8 * 2**20))
    with pytest.raises(UnreadableFile, match=r"^it decompresses to \d MB, over the limit of 4 MB \(DOCQA_MAX_UNZIPPED_MB\)"):
        read_docx(docx_bomb(8 * 2**20), ReadLimits(unzipped_mb=4))
    with pytest.raises(UnreadableFile, match=r"^it holds 21 parts, over the limit of 5 \(DOCQA_MAX_ZIP_PARTS\)$"):
        read_docx(docx_bomb(10, parts=5), ReadLimits(zip_parts=5))


def test_limits_on_pages_text_and_size_name_their_variable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"^it has 2 pages, over the limit of 1 \(DOCQA_MAX_PAGES\); split it"):
        read_pdf(make_pdf(REPORT_PAGES), ReadLimits(pages=1))
    with pytest.raises(UnreadableFile, match=r"^its text is 31 characters long, over the limit of 10 \(DOCQA_MAX_TEXT_CHARS\)"):
        read_plain(b"Serbia joined the PfP in 2006.\n", ReadLimits(text_chars=10))
    with pytest.raises(UnreadableFile, match=r"^its text is \d\d characters long, over the limit of 10"):
        read_html(b"<p>Serbia joined the Partnership in 2006.</p>", ReadLimits(text_chars=10))
    (tmp_path / "big.txt").write_bytes(b"word " * 300_000)
    with pytest.raises(UnreadableFile, match=r"^it is 1\.4 MB, over the limit of 1 MB \(DOCQA_MAX_FILE_MB\)$"):
        load_document(tmp_path / "big.txt", tmp_path, limits=ReadLimits(file_mb=1))
    scan = scan_corpus(tmp_path, ReadLimits(file_mb=1))
    assert (scan.hashes, scan.skipped) == ({}, (Skipped("big.txt", "it is 1.4 MB, over the limit of 1 MB (DOCQA_MAX_FILE_MB)"),))


@pytest.mark.parametrize(("name", "shown"), [
    ("notes.txt", "notes.txt"),
    ("two\nlines.txt", "two\\x0alines.txt"),
    ("evil\u202etxt.exe.md", "evil\\u202etxt.exe.md"),
    ("café.pdf", "café.pdf"),
])
def test_odd_names_are_shown_safely(name: str, shown: str) -> None:
    assert display_name(name) == shown
