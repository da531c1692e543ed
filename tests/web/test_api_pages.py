"""An answer on its page through the API of a running `docqa serve`: the drawn page of a PDF and the
original file at that page; a scanned PDF answered with its page; nothing outside the corpus served."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ingest.test_formats import make_pdf
from ingest.test_ocr import PAGES, needs_tesseract, page_images, saved, scanned
from web.test_api import serving

REPORT = [["Annual report", "", "The council approved the Sava bridge in March 2016.", "Work began a year later."],
          ["Budget", "", "The bridge cost ninety million euros."]]


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`docqa serve` over a text PDF, a scanned PDF and a page saved as an image (read when Tesseract is
    installed), a text, a link out of the corpus and a file beside it: (the API's URL, the corpus folder)."""
    root = tmp_path_factory.mktemp("pages")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(make_pdf(REPORT))
    (corpus / "scan.pdf").write_bytes(scanned(PAGES))
    (corpus / "notes.txt").write_text("The ferry to the island leaves at nine.\n", encoding="utf-8")
    (corpus / "parking.png").write_bytes(saved(page_images([["Parking", "", "Visitors park on level two of the garage."]],
                                                           dpi=150), "PNG"))
    (root / "secret.txt").write_text("The password is swordfish.\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(root / "secret.txt")
    with serving(root, corpus) as url:
        yield url, corpus


def test_an_answer_from_a_pdf_names_its_page_image_and_its_file(api):
    url, corpus = api
    reply = httpx.post(f"{url}/api/ask", json={"question": "When did the council approve the Sava bridge?"}, timeout=60).json()
    assert (reply["answer"], reply["source"]["page"]) == ("March 2016", 1)
    view = reply["view"]
    start, end = reply["source"]["start"], reply["source"]["end"]
    assert view == {"page": 1, "image": f"/api/pages/report.pdf?start={start}&end={end}", "file": "/api/files/report.pdf#page=1"}
    page = httpx.get(url + view["image"], timeout=60)
    assert (page.status_code, page.headers["content-type"], page.headers["x-page"]) == (200, "image/png", "1")
    assert Image.open(io.BytesIO(page.content)).size == (918, 1188)  # Letter at 108 dpi
    original = httpx.get(url + view["file"].split("#")[0], timeout=60)
    assert (original.status_code, original.content) == (200, (corpus / "report.pdf").read_bytes())
    assert original.headers["content-type"] == "application/pdf"


@needs_tesseract
def test_an_answer_from_an_image_names_the_image_as_its_page_and_its_file(api):
    url, corpus = api
    reply = httpx.post(f"{url}/api/ask", json={"question": "Where do visitors park?"}, timeout=60).json()
    assert (reply["answer"], reply["source"]["page"], reply["source"]["ocr"]) == ("on level two of the garage", 1, True)
    start, end = reply["source"]["start"], reply["source"]["end"]
    assert reply["view"] == {"page": 1, "image": f"/api/pages/parking.png?start={start}&end={end}",
                             "file": "/api/files/parking.png"}
    page = httpx.get(url + reply["view"]["image"], timeout=60)
    assert (page.status_code, page.headers["x-page"], Image.open(io.BytesIO(page.content)).size) == (200, "1", (893, 1156))
    original = httpx.get(url + reply["view"]["file"], timeout=60)
    assert (original.status_code, original.headers["content-type"], original.content) == (
        200, "image/png", (corpus / "parking.png").read_bytes())


def test_an_answer_from_a_text_has_no_page(api):
    url, _ = api
    reply = httpx.post(f"{url}/api/ask", json={"question": "When does the ferry to the island leave?"}, timeout=60).json()
    assert (reply["answer"], reply["view"]) == ("nine", None)
    refused = httpx.get(f"{url}/api/pages/notes.txt", params={"start": 0, "end": 5})
    assert (refused.status_code, refused.json()) == (400, {"error": "notes.txt has no pages to draw: only the answers "
                                                                   "of a PDF or an image are shown on their page."})


@needs_tesseract
def test_a_scanned_pdf_answers_with_its_page(api):
    url, _ = api
    reply = httpx.post(f"{url}/api/ask", json={"question": "How much was the budget of the river authority in 2020?"},
                       timeout=60).json()
    assert (reply["answer"], reply["source"]["document"], reply["source"]["page"], reply["source"]["ocr"]) == (
        "four million euros", "scan.pdf", 2, True)
    assert httpx.get(url + reply["view"]["image"], timeout=60).headers["x-page"] == "2"


@pytest.mark.parametrize("name", ["../secret.txt", "..%2Fsecret.txt", "%2Fetc%2Fpasswd", "link.txt", "missing.pdf",
                                  "..%2F..%2F..%2Fetc%2Fhostname"])
def test_nothing_outside_the_corpus_is_served(api, name):
    url, _ = api
    for route in (f"/api/files/{name}", f"/api/pages/{name}?start=0&end=4"):
        response = httpx.get(url + route, timeout=60)
        assert response.status_code in (400, 404), (route, response.status_code)
        assert "swordfish" not in response.text and "root:" not in response.text
        assert set(response.json()) == {"error"}
