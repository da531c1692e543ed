"""The web chat in a real browser: Debian's Chromium driven by Playwright against apps served on
127.0.0.1 over a copy of the corpus. A question typed and sent with Enter gets the answer in bold,
the marked words in the quote and the source; a follow-up is read with the earlier question; an
unanswerable question is declined; HTML typed by the user or written in a document is shown as
text and never run; the examples are the project's evaluation questions and fill the box; an
uploaded file is added to the corpus and the rebuild indexes it. A screenshot of the conversation
is saved in the test's tmp_path.

Playwright's own browser download does not work offline, hence /usr/bin/chromium (`make chromium`
installs it with apt); without it these tests are skipped.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio.utils import get_upload_folder
from ingest.test_formats import make_pdf
from ingest.test_ocr import PAGES as OCR_PAGES
from ingest.test_ocr import scanned
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from docqa.engine import Engine, Reply
from docqa.ingest.ocr import tesseract
from docqa.settings import Settings
from docqa.web import chat, server, turns
from docqa.web.api import build_api

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPLY_SECONDS = 30
CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DOCUMENT = "nato-relations-with-serbia.txt"
PFP = "When did Serbia join the Partnership for Peace?"
TRANSIT = "When did Serbia sign the transit agreement?"
ALLOW = "What did it allow?"
POPULATION = "What is the population of Serbia?"
# Each would set window.pwned if the page ran it.
TYPED = """<script>window.pwned = "typed"</script><img src=x onerror="window.pwned = 'typed img'"> held when?"""
EXAMPLE = "Which countries <b>led</b> the landmine project?"
ZOO = "The Belgrade zoo keeps a white lion named Zoran, who arrived from Pretoria in 2011.\n"
SUMMIT = ("The Belgrade summit <script>window.pwned = 'document'</script> was held in March 2004. "
          "Delegates <img src=x onerror=\"window.pwned = 'document img'\"> from twelve countries attended.\n")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM}: run `make chromium` "
                                                      "(apt-get install chromium) to run the browser tests"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(CORPUS, root / "corpus")
    return Engine(Settings(corpus=root / "corpus", index=root / "index"))


@pytest.fixture(scope="module")
def strict(engine, tmp_path_factory) -> Engine:
    """Threshold 1.0 declines whatever the reader's tuning; its corpus adds a document full of HTML."""
    root = tmp_path_factory.mktemp("strict")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "corpus" / "summit.txt").write_text(SUMMIT, encoding="utf-8")
    return Engine(Settings(corpus=root / "corpus", index=root / "index", threshold=1.0),
                  embedder=engine.embedder, reader=engine.reader)


def serve(engine: Engine) -> Iterator[str]:
    served = server.launch(chat.build_app(engine, engine.settings), "127.0.0.1", free_port(), None,
                           build_api(engine, None))
    try:
        yield served.url
    finally:
        served.close()


@pytest.fixture(scope="module")
def uploads(engine, tmp_path_factory) -> Engine:
    """An engine whose project has an evaluation file, for the examples, and a corpus to upload to."""
    root = tmp_path_factory.mktemp("uploads")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "evaluation").mkdir()
    questions = [(POPULATION, []), (EXAMPLE, ["Canada and Austria"]), (PFP, ["December 2006"])]
    (root / "evaluation" / "qa.jsonl").write_text(
        "".join(json.dumps({"question": q, "answers": a}) + "\n" for q, a in questions), encoding="utf-8")
    return Engine(Settings(corpus=root / "corpus", index=root / "index"),
                  embedder=engine.embedder, reader=engine.reader)


@pytest.fixture(scope="module")
def url(engine) -> Iterator[str]:
    yield from serve(engine)


@pytest.fixture(scope="module")
def uploads_url(uploads) -> Iterator[str]:
    yield from serve(uploads)


@pytest.fixture(scope="module")
def strict_url(strict) -> Iterator[str]:
    yield from serve(strict)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 1400})
    yield context.new_page()
    context.close()


def send(page: Page, question: str) -> Locator:
    """Type `question`, press Enter, and return the bot message that answers it once it is shown."""
    replies = page.locator('[data-testid="bot"]')
    before = replies.count()
    box = page.get_by_placeholder("Ask a question about your documents")
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1, timeout=REPLY_SECONDS * 1000)
    reply = replies.nth(before)
    reply.locator("p").first.wait_for(timeout=REPLY_SECONDS * 1000)
    expect(box).to_have_value("")
    return reply


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def source_line(reply: Reply) -> str:
    a = reply.answer
    section = f" · {a.section}" if a.section else ""
    page = f" · p. {a.page}" if a.page is not None else ""
    return f"Source: {a.document}{section}{page} · characters {a.start}–{a.end}"


def assert_shows_answer(message: Locator, expected: Reply) -> None:
    """The answer in bold first, the same words marked in the quote, and the source line."""
    answer = expected.answer
    assert answer is not None
    assert message.locator("b").first.inner_text() == answer.text
    assert message.locator("blockquote").first.locator("mark").all_inner_texts() == [answer.text]
    assert flat(message.locator("blockquote").first.inner_text()) == flat(answer.quote)
    assert message.locator("p", has_text="Source:").inner_text() == source_line(expected)


def test_ask_with_enter_then_a_follow_up(engine, url, page, tmp_path):
    page.goto(url)
    first = send(page, PFP)
    expected = engine.ask(PFP)
    assert expected.answer.text == "December 2006"
    assert_shows_answer(first, expected)
    assert expected.answer.document == DOCUMENT

    assert_shows_answer(send(page, TRANSIT), engine.ask(TRANSIT, history=[PFP]))
    followup = send(page, ALLOW)
    expected = engine.ask(ALLOW, history=[PFP, TRANSIT])
    assert_shows_answer(followup, expected)
    assert followup.locator("i").first.inner_text() == "Read as a follow-up: What did it allow? (Serbia sign the transit agreement)"
    assert page.locator('[data-testid="user"]').all_inner_texts() == [PFP, TRANSIT, ALLOW]

    screenshot = tmp_path / "chat.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot of the conversation: {screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unanswerable_question_is_declined(strict_url, page, tmp_path):
    page.goto(strict_url)
    reply = send(page, POPULATION)
    assert reply.locator("b").first.inner_text() == turns.DECLINED
    assert reply.locator("p", has_text="Closest passage:").inner_text().startswith(f"Closest passage: {DOCUMENT} · ")
    assert reply.locator("mark").count() == 0
    screenshot = tmp_path / "declined.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot of the decline: {screenshot}")


def test_html_typed_or_in_a_document_is_shown_and_never_run(strict_url, page):
    page.goto(strict_url)
    send(page, TYPED)
    assert page.locator('[data-testid="user"]').last.inner_text() == TYPED
    reply = send(page, "When was the Belgrade summit held?")
    assert flat(SUMMIT) in flat(reply.inner_text())
    assert reply.locator("script, img").count() == 0
    page.wait_for_timeout(200)  # an onerror handler would fire as soon as the image failed to load
    assert page.evaluate("window.pwned") is None
    # The control: the same kind of markup, inserted as HTML, does run in this browser.
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", `<img src=x onerror="window.pwned = 'control'">`)""")
    page.wait_for_function("window.pwned === 'control'", timeout=5000)


def test_examples_fill_the_box(uploads, uploads_url, page):
    page.goto(uploads_url)
    box = page.get_by_placeholder("Ask a question about your documents")
    for question in (EXAMPLE, PFP):  # shown as text, in the file's order; the unanswerable one is left out
        expect(page.get_by_text(question, exact=True)).to_be_visible()
    expect(page.get_by_text(POPULATION, exact=True)).to_have_count(0)
    page.get_by_text(EXAMPLE, exact=True).click()
    expect(box).to_have_value(EXAMPLE)


def pick(page: Page, label: str, option: str) -> None:
    """Choose `option` in the multiselect dropdown labelled `label`."""
    page.get_by_label(label).click()
    page.get_by_role("option", name=option).click()
    page.keyboard.press("Escape")


LION = "What is the name of the white lion?"
WITHIN = "Ask within (all documents when none is chosen)"


def test_documents_are_added_replaced_picked_and_removed_and_the_conversation_kept(uploads, uploads_url, page, tmp_path):
    """As a person would: upload a file, upload it again (refused), upload a new version under its name
    (replaced once confirmed), ask within it alone, remove it (once confirmed: its answers gone), reload
    (the conversation is still there), export the conversation (its Markdown checked)."""
    page.goto(uploads_url)
    page.get_by_text("Documents", exact=True).click()
    upload = page.locator('input[type="file"]')
    zoo = tmp_path / "zoo notes.txt"
    zoo.write_text(ZOO, encoding="utf-8")
    upload.set_input_files(str(zoo))
    expect(page.get_by_text("Added zoo notes.txt (as zoo_notes.txt).")).to_be_visible(timeout=REPLY_SECONDS * 1000)
    expect(page.get_by_text("2 documents · 16 passages indexed")).to_be_visible(timeout=REPLY_SECONDS * 1000)
    # Stored in the corpus, the upload leaves no copy in Gradio's temporary folder.
    assert list(Path(get_upload_folder()).rglob("zoo notes.txt")) == []
    upload.set_input_files(str(zoo))
    expect(page.get_by_text("Refused: 'zoo notes.txt' is already in the corpus as zoo_notes.txt.")).to_be_visible(
        timeout=REPLY_SECONDS * 1000)
    newer = tmp_path / "zoo_notes.txt"
    newer.write_text(ZOO.replace("Zoran", "Leo"), encoding="utf-8")
    upload.set_input_files(str(newer))
    expect(page.get_by_text("zoo_notes.txt is already in the corpus, with other content. Replace it?")).to_be_visible(
        timeout=REPLY_SECONDS * 1000)
    assert (uploads.settings.corpus / "zoo_notes.txt").read_text(encoding="utf-8") == ZOO  # not yet
    page.get_by_role("button", name="Replace", exact=True).click()
    expect(page.get_by_text("Replaced zoo_notes.txt with the new version.")).to_be_visible(timeout=REPLY_SECONDS * 1000)
    assert (uploads.settings.corpus / "zoo_notes.txt").read_text(encoding="utf-8") == ZOO.replace("Zoran", "Leo")

    pick(page, WITHIN, "zoo_notes.txt")
    lion = send(page, LION)
    expect(lion.locator("b").first).to_have_text("Leo")
    assert set(re.findall(r"\S+\.txt", lion.inner_text())) == {"zoo_notes.txt"}  # every passage from that document
    pfp = send(page, PFP)  # still within zoo_notes.txt: the Partnership for Peace is not there
    expect(pfp.locator("b").first).to_have_text(turns.DECLINED)

    pick(page, "Documents to remove", "zoo_notes.txt")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("Removed zoo_notes.txt.")).to_be_visible(timeout=REPLY_SECONDS * 1000)
    assert dialogs == ["Remove zoo_notes.txt from the corpus? The files are deleted."]
    assert not (uploads.settings.corpus / "zoo_notes.txt").exists()
    gone = send(page, LION)  # the picker no longer holds the removed document: asked of all that remain
    expect(gone.locator("b").first).to_have_text(turns.DECLINED)

    page.reload()
    expect(page.locator('[data-testid="bot"]')).to_have_count(3, timeout=REPLY_SECONDS * 1000)
    expect(page.locator('[data-testid="user"]').first).to_have_text(LION)
    page.get_by_role("button", name="Export conversation").click()
    link = page.locator("a[download]").first
    expect(link).to_be_visible(timeout=REPLY_SECONDS * 1000)
    with page.expect_download() as download:
        link.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith(f"# docqa conversation\n\n## 1. {LION}\n\nAsked within: zoo_notes.txt\n\n"
                               "**Answer:** Leo\nConfidence: 0.999\n\n> The Belgrade zoo keeps a white lion named Leo")
    assert f"## 2. {PFP}" in exported and f"## 3. {LION}" in exported
    assert exported.count(f"**{turns.DECLINED}**") == 2
    # Clearing asks first: dismissed, the conversation stays; accepted, it goes.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_timeout(1000)
    assert asked == ["Start a new conversation? This one is cleared; export it first to keep it."]
    expect(page.locator('[data-testid="bot"]')).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator('[data-testid="bot"]')).to_have_count(0)
    page.reload()
    page.wait_for_timeout(2000)
    expect(page.locator('[data-testid="bot"]')).to_have_count(0)


# ---- an answer on its page -------------------------------------------------------------------------
REPORT = [["Annual report", "", "The council approved the Sava bridge in March 2016.", "Work began a year later."],
          ["Budget", "", "The bridge cost ninety million euros."]]


@pytest.fixture(scope="module")
def pdfs(engine, tmp_path_factory) -> Engine:
    """A corpus of a text PDF and a scanned one (read when Tesseract is installed)."""
    root = tmp_path_factory.mktemp("pdfs")
    (root / "corpus").mkdir()
    (root / "corpus" / "report.pdf").write_bytes(make_pdf(REPORT))
    (root / "corpus" / "scan.pdf").write_bytes(scanned(OCR_PAGES))
    return Engine(Settings(corpus=root / "corpus", index=root / "index"), embedder=engine.embedder, reader=engine.reader)


@pytest.fixture(scope="module")
def pdfs_url(pdfs) -> Iterator[str]:
    yield from serve(pdfs)


def yellow_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box (left, top, right, bottom) of the marked (yellow) pixels of a drawn page."""
    rgb = image.convert("RGB")
    mask = Image.eval(rgb.split()[2], lambda b: 255 if b < 160 else 0)  # blue gone: yellow over white
    red = Image.eval(rgb.split()[0], lambda r: 255 if r > 200 else 0)
    return Image.composite(mask, Image.new("L", rgb.size, 0), red).getbbox()


def test_an_answer_from_a_pdf_is_shown_on_its_page_and_opens_the_original_there(pdfs, pdfs_url, page):
    page.goto(pdfs_url)
    reply = send(page, "When did the council approve the Sava bridge?")
    expect(reply.locator("b").first).to_have_text("March 2016")
    caption = page.locator(".prose.docqa-where")
    expect(caption).to_contain_text("p. 1 of report.pdf")
    shown = page.locator(".docqa-page img")
    expect(shown).to_be_visible(timeout=REPLY_SECONDS * 1000)
    drawn = Image.open(io.BytesIO(page.request.get(shown.get_attribute("src")).body()))
    # The marked pixels are where PDFium puts the answer's characters (Engine.page_view's boxes).
    view = pdfs.page_view(pdfs.ask("When did the council approve the Sava bridge?").answer)
    assert len(view.boxes) == 1 and drawn.size == (view.width, view.height)
    box = view.boxes[0]
    left, top, right, bottom = yellow_box(drawn)
    assert (left, top, right, bottom) == pytest.approx((box.left, box.top, box.right, box.bottom), abs=3)
    link = caption.get_by_role("link", name="open the PDF at this page")
    href = link.get_attribute("href")
    assert href == "api/files/report.pdf#page=1"
    original = page.request.get(urllib.parse.urljoin(pdfs_url, href.split("#")[0]))
    assert (original.status, original.body()) == (200, (pdfs.settings.corpus / "report.pdf").read_bytes())
    # opened in the browser, not downloaded: Gradio's own file route would send it as an attachment
    assert (original.headers["content-type"], original.headers.get("content-disposition")) == ("application/pdf", None)


@pytest.mark.skipif(tesseract() is None, reason="no Tesseract: run `make ocr` to read scanned PDFs")
def test_a_scanned_pdf_answers_with_its_page(pdfs_url, page):
    page.goto(pdfs_url)
    reply = send(page, "How much was the budget of the river authority in 2020?")
    expect(reply.locator("b").first).to_have_text("four million euros")
    expect(reply).to_contain_text("Read by OCR from a scanned page")
    expect(page.locator(".prose.docqa-where")).to_contain_text("p. 2 of scan.pdf · read by OCR")
    expect(page.locator(".docqa-page img")).to_be_visible(timeout=REPLY_SECONDS * 1000)


def test_an_answer_from_a_text_is_shown_in_the_text_around_it(engine, url, page):
    page.goto(url)
    send(page, PFP)
    where = page.locator(".prose.docqa-where")
    expect(where).to_contain_text("In its document: nato-relations-with-serbia.txt")
    expect(where.locator("mark")).to_have_text("December 2006")


@pytest.mark.skipif(tesseract() is None, reason="no Tesseract: run `make ocr` to read scanned PDFs")
def test_a_long_scan_added_in_the_chat_shows_its_pages_read(pdfs, pdfs_url, page, tmp_path):
    """Each page read by OCR is said over the documents panel while the rebuild runs."""
    page.goto(pdfs_url)
    page.get_by_text("Documents", exact=True).click()
    long_scan = tmp_path / "long scan.pdf"
    long_scan.write_bytes(scanned(OCR_PAGES * 5))
    page.locator('input[type="file"]').set_input_files(str(long_scan))
    expect(page.get_by_text(re.compile(r"long_scan\.pdf: OCR of page \d+ \(\d+ of 10 without a text layer\)")).first
           ).to_be_visible(timeout=REPLY_SECONDS * 1000)
    expect(page.get_by_text("Added long scan.pdf (as long_scan.pdf).")).to_be_visible(timeout=REPLY_SECONDS * 1000)
    assert pdfs.status().documents == 3
