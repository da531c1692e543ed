"""An answer on its page: found by its letters on the PDF's page (a word broken across a line, the
occurrence nearest its passage), marked with one box a line, drawn as PNG; a page read by OCR drawn
unmarked; the passage of a text without pages in the text around it."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from docqa.pageview import Box, Stretch, draw_page, letters, line_boxes, locate, surrounding
from ingest.test_formats import make_pdf

PAGES = [["Annual report", "", "The bridge was opened in May 2019 by the mayor.", "The budget was four",
          "million euros."],
         ["Budget", "", "In May 2019 the budget grew again."]]


def test_letters_keep_where_each_stands():
    assert letters("Ab-c 1,2") == ("abc12", [0, 1, 3, 5, 7])


def test_the_answer_is_found_by_its_letters_across_a_line_break():
    page = "The budget was four\r\nmillion euros. Four million euros."
    # The cleaned text joined the line; the page breaks it: "four million" is still found, the first one,
    # where the passage puts it.
    at = locate(page, "The budget was four million euros. Four million euros.", 15, "four million")
    assert at is not None and page[at[0]:at[1] + 1] == "four\r\nmillion"


def test_the_occurrence_nearest_to_the_passage_is_marked():
    page = "In May 2019 a plan. The bridge was opened in May 2019 by the mayor."
    quote = "The bridge was opened in May 2019 by the mayor."
    first, last = locate(page, quote, quote.index("May 2019"), "May 2019")
    assert (first, page[first:last + 1]) == (45, "May 2019")
    assert locate(page, quote, 0, "December 2006") is None


def test_line_boxes_join_a_line_and_leave_out_empty_marks():
    boxes = [(10, 100, 15, 110), (15, 100, 20, 112), (20, 101, 20, 101), (10, 80, 30, 90), (30, 81, 40, 91)]
    assert line_boxes(boxes) == [(10, 100, 20, 112), (10, 80, 40, 91)]


def test_the_answer_is_marked_where_pdfium_draws_its_characters(tmp_path: Path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf(PAGES))
    quote = "The bridge was opened in May 2019 by the mayor. The budget was four million euros."
    view = draw_page(path, "report.pdf", 1, quote, quote.index("four million"), "four million", dpi=72)
    assert (view.document, view.page, view.ocr, (view.width, view.height)) == ("report.pdf", 1, False, (612, 792))
    # One box a line: "four" on the line at 720 - 3 * 14 points from the top, "million" on the next.
    assert len(view.boxes) == 2
    pdf = pypdfium2.PdfDocument(str(path))
    text_page = pdf[0].get_textpage()
    text = text_page.get_text_range()
    left, bottom, right, top = text_page.get_charbox(text.index("four"))
    assert view.boxes[0].left == pytest.approx(left) and view.boxes[0].top == pytest.approx(792 - top, abs=2)
    image = Image.open(io.BytesIO(view.image))
    assert image.size == (612, 792)
    inside = image.getpixel((int((view.boxes[0].left + view.boxes[0].right) / 2), int(view.boxes[0].top) + 1))
    assert inside[2] < 200 < inside[0]  # yellow over white: red and green stay, blue drops


def test_an_answer_past_the_page_break_is_shown_on_the_next_page(tmp_path: Path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf(PAGES))
    view = draw_page(path, "report.pdf", 1, "The budget was four", 0, "the budget grew again", dpi=36)
    assert (view.page, len(view.boxes)) == (2, 1)
    with pytest.raises(ValueError, match=r"^report.pdf has no page 3$"):
        draw_page(path, "report.pdf", 3, "", 0, "x")


def test_a_scanned_page_is_drawn_unmarked(tmp_path: Path):
    pdf = pypdfium2.PdfDocument(make_pdf(PAGES[:1]))
    image = pdf[0].render(scale=1).to_pil()
    out = io.BytesIO()
    image.save(out, format="PDF")
    (tmp_path / "scan.pdf").write_bytes(out.getvalue())
    view = draw_page(tmp_path / "scan.pdf", "scan.pdf", 1, "The bridge", 0, "May 2019", dpi=36)
    assert (view.ocr, view.boxes) == (True, ())


def test_passages_merge_into_the_text_around_an_answer():
    pieces = [Stretch(50, 90, "b" * 40), Stretch(0, 60, "a" * 50 + "b" * 10), Stretch(200, 210, "c" * 10)]
    assert surrounding(pieces) == [Stretch(0, 90, "a" * 50 + "b" * 40), Stretch(200, 210, "c" * 10)]
    assert Box(1, 2, 3, 4).bottom == 4
