"""Scanned PDFs: a page without a text layer is read by Tesseract (each page said as it goes), its pages
named as read by OCR through to the passages; without Tesseract a scanned PDF is skipped saying so; the
time limit holds for each page, not for the whole file; a page of noise gives no text; a trial read (is
this upload readable?) stops at the first page with text."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from docqa.ingest import formats, ocr
from docqa.ingest.corpus import load_document
from docqa.ingest.formats import UnreadableFile
from docqa.ingest.sandbox import Sandbox
from docqa.ingest.split import split_passages
from docqa.pageview import draw_page, draw_picture
from docqa.settings import ReadLimits, SplitSettings
from ingest.test_formats import make_pdf

PAGES = [["Annual report of the river authority", "", "The new bridge over the Sava was opened in May 2019.",
          "It carries trams and buses."],
         ["Budget", "", "The budget of the authority was four million euros in 2020."]]
TEXT = ("Annual report of the river authority\n\nThe new bridge over the Sava was opened in May 2019. It carries "
        "trams and buses.\n\nBudget\n\nThe budget of the authority was four million euros in 2020.")

needs_tesseract = pytest.mark.skipif(ocr.tesseract() is None, reason="no Tesseract: run `make ocr` "
                                     "(apt-get install tesseract-ocr) to test reading scanned PDFs")


def scanned(pages: list[list[str]], dpi: int = 200) -> bytes:
    """A PDF whose pages are only images: the text PDF of `pages` drawn at `dpi` and wrapped again."""
    drawn = pypdfium2.PdfDocument(make_pdf(pages))
    images = [drawn[n].render(scale=dpi / 72, grayscale=True).to_pil() for n in range(len(drawn))]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


@needs_tesseract
def test_a_scanned_pdf_is_read_by_ocr_page_by_page(tmp_path: Path):
    (tmp_path / "scan.pdf").write_bytes(scanned(PAGES))
    said: list[str] = []
    document = load_document(tmp_path / "scan.pdf", tmp_path, progress=said.append)
    assert (document.text, document.pages, document.ocr_pages) == (TEXT, (0, 120), (1, 2))
    assert said == ["OCR of page 1 (1 of 2 without a text layer)", "OCR of page 2 (2 of 2 without a text layer)"]
    assert document.notes == ("2 of its pages read by OCR (Tesseract): check its answers against the page",)
    passages = split_passages(document.path, document.clean, SplitSettings(min_words=1, max_words=12))
    assert [(p.page, p.ocr) for p in passages] == [(1, True), (1, True), (2, True)]


@needs_tesseract
def test_only_the_pages_without_text_are_read_by_ocr(tmp_path: Path):
    text_page = pypdfium2.PdfDocument(make_pdf(PAGES[:1]))
    image_page = pypdfium2.PdfDocument(scanned(PAGES[1:]))
    text_page.import_pages(image_page)
    out = io.BytesIO()
    text_page.save(out)
    clean = formats.read_pdf(out.getvalue())
    assert (clean.text, clean.ocr_pages) == (TEXT, (2,))


def test_without_tesseract_a_scanned_pdf_is_skipped_saying_so(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(formats, "tesseract", lambda: None)
    (tmp_path / "scan.pdf").write_bytes(scanned(PAGES, dpi=50))
    with pytest.raises(UnreadableFile, match=r"^no text in its 2 page\(s\): a scanned PDF, which needs Tesseract to be "
                                             r"read \(`make ocr`, or apt-get install tesseract-ocr\), then `docqa index`$"):
        load_document(tmp_path / "scan.pdf", tmp_path)


@needs_tesseract
def test_the_time_limit_holds_for_each_page_read_by_ocr(tmp_path: Path):
    (tmp_path / "scan.pdf").write_bytes(scanned(PAGES * 3))  # six pages, each well under the limit
    said: list[str] = []
    with Sandbox(tmp_path, ReadLimits(seconds=8.0), said.append) as sandbox:
        document = sandbox.read("scan.pdf")
    assert document.ocr_pages == (1, 2, 3, 4, 5, 6)
    assert said[0] == "scan.pdf: OCR of page 1 (1 of 6 without a text layer)" and len(said) == 6


def noise_page(seed: int = 0) -> bytes:
    """A PDF of one page of grey noise (a bad scan): nothing on it is text."""
    rng = random.Random(seed)
    image = Image.frombytes("L", (850, 1100), rng.randbytes(850 * 1100))
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=100)
    return out.getvalue()


@needs_tesseract
def test_a_page_of_noise_gives_no_text():
    with pytest.raises(UnreadableFile, match=r"^no text in its 1 page\(s\), even read by OCR$"):
        formats.read_pdf(noise_page())
    noisy = pypdfium2.PdfDocument(noise_page())
    noisy.import_pages(pypdfium2.PdfDocument(scanned(PAGES[1:])))
    out = io.BytesIO()
    noisy.save(out)
    clean = formats.read_pdf(out.getvalue())
    assert (clean.text, clean.ocr_pages) == ("Budget\n\nThe budget of the authority was four million euros in 2020.", (2,))


@needs_tesseract
def test_a_trial_read_stops_at_the_first_page_with_text(tmp_path: Path):
    """Adding a file checks it is readable: a long scan is not read twice, once by the check, once by the build."""
    (tmp_path / "scan.pdf").write_bytes(scanned(PAGES * 3))
    said: list[str] = []
    with Sandbox(tmp_path, ReadLimits(), said.append) as sandbox:
        document = sandbox.read("scan.pdf", trial=True)
    assert (document.ocr_pages, said) == ((1,), ["scan.pdf: OCR of page 1 (1 of 6 without a text layer)"])


@needs_tesseract
def test_a_text_layer_that_disagrees_with_its_image_is_what_is_read(tmp_path: Path):
    """A PDF whose text layer says one thing and whose image another (a wrong OCR layer from a scanner):
    docqa reads the text layer, never the image, and the page view shows the image with the mark where
    the text layer puts the answer, so that the disagreement can be seen."""
    pdf = pypdfium2.PdfDocument(make_pdf([["The bridge was opened in June 2021."]]))
    picture = pypdfium2.PdfDocument(scanned(PAGES[:1])).page_as_xobject(0, pdf)  # "opened in May 2019"
    pdf[0].insert_obj(picture.as_pageobject())  # drawn over the text: the text layer stays, unseen
    pdf[0].gen_content()
    out = io.BytesIO()
    pdf.save(out)
    (tmp_path / "disagree.pdf").write_bytes(out.getvalue())
    clean = formats.read_pdf(out.getvalue())
    assert (clean.text, clean.ocr_pages) == ("The bridge was opened in June 2021.", ())
    quote = clean.text
    view = draw_page(tmp_path / "disagree.pdf", "disagree.pdf", 1, quote, quote.index("June 2021"), "June 2021", dpi=72)
    assert (view.ocr, len(view.boxes)) == (False, 1)


def page_images(pages: list[list[str]], dpi: int = 200) -> list[Image.Image]:
    """The pages of the text PDF of `pages`, drawn in grey at `dpi`: what a scanner saves."""
    drawn = pypdfium2.PdfDocument(make_pdf(pages))
    return [drawn[n].render(scale=dpi / 72, grayscale=True).to_pil() for n in range(len(drawn))]


def saved(images: list[Image.Image], kind: str) -> bytes:
    out = io.BytesIO()
    images[0].save(out, format=kind, save_all=len(images) > 1, append_images=images[1:])
    return out.getvalue()


@needs_tesseract
def test_a_page_saved_as_an_image_is_read_by_ocr_and_a_tiffs_frames_are_pages(tmp_path: Path):
    (tmp_path / "scan.tif").write_bytes(saved(page_images(PAGES), "TIFF"))
    (tmp_path / "first.jpg").write_bytes(saved(page_images(PAGES)[:1], "JPEG"))
    tiff = load_document(tmp_path / "scan.tif", tmp_path)
    assert (tiff.text, tiff.pages, tiff.ocr_pages) == (TEXT, (0, 120), (1, 2))
    assert tiff.notes == ("read by OCR (Tesseract) from its image: check its answers against the image",)
    jpeg = load_document(tmp_path / "first.jpg", tmp_path)
    assert (jpeg.text, jpeg.pages, jpeg.ocr_pages) == (TEXT[:118], (0,), (1,))
    passages = split_passages(tiff.path, tiff.clean, SplitSettings(min_words=1, max_words=12))
    assert [(p.page, p.ocr) for p in passages] == [(1, True), (1, True), (2, True)]


@needs_tesseract
def test_an_image_without_text_is_skipped_and_a_damaged_one_says_so():
    noise = Image.effect_noise((600, 400), 80)
    with pytest.raises(UnreadableFile, match=r"^OCR found no text in it \(a photo or a drawing\?\)$"):
        formats.read_picture(saved([noise], "PNG"))
    with pytest.raises(UnreadableFile, match=r"^not a readable image \(UnidentifiedImageError: "):
        formats.read_picture(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(UnreadableFile, match=r"^its image is 10,000 x 7,000 pixels, over the 60,000,000 a page"):
        formats.read_picture(saved([Image.new("L", (10_000, 7_000), 255)], "PNG"))


def test_without_tesseract_an_image_is_skipped_saying_so(monkeypatch):
    monkeypatch.setattr(formats, "tesseract", lambda: None)
    with pytest.raises(UnreadableFile, match=r"^an image, whose text needs Tesseract to be read \(`make ocr`"):
        formats.read_picture(saved(page_images(PAGES[:1], dpi=50), "PNG"))


@needs_tesseract
def test_an_answer_from_an_image_is_shown_on_its_page_unmarked(tmp_path: Path):
    (tmp_path / "scan.tif").write_bytes(saved(page_images(PAGES, dpi=100), "TIFF"))
    view = draw_picture(tmp_path / "scan.tif", "scan.tif", 2)
    assert (view.page, view.width, view.height, view.boxes, view.ocr, view.fragment) == (2, 850, 1100, (), True, "")
    assert Image.open(io.BytesIO(view.image)).size == (850, 1100)
    (tmp_path / "large.png").write_bytes(saved(page_images(PAGES[:1], dpi=200), "PNG"))  # 1700 x 2200
    assert draw_picture(tmp_path / "large.png", "large.png", 1).width == 893  # an A4 page's width at 108 dpi
    with pytest.raises(ValueError, match="^scan.tif has no page 3$"):
        draw_picture(tmp_path / "scan.tif", "scan.tif", 3)
