"""An answer -> where it stands: its page of a PDF drawn as an image with the answer's words marked, its
page of an image file (a scan) as it is, or, for the other formats, its passage in the text around it
with the answer marked.

The answer's character offsets index the document's cleaned text, not the PDF's own: on the page, the
answer is found by its letters and digits alone (so that a word joined across a line break, a ligature
or a collapsed space does not hide it), the occurrence nearest to where its passage starts on the page,
and its characters' boxes (PDFium's) become one marked rectangle a line. A page read by OCR has no
character boxes: it is drawn unmarked, and says so.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from docqa.ingest.formats import IMAGE_SUFFIXES

# The page as the chat shows it: 108 dpi keeps a page of A4 at about 900 x 1260 pixels, readable beside
# the conversation and drawn in about 60 ms (benchmarks/page_view.py).
VIEW_DPI = 108
MARK = (255, 221, 0, 110)  # the marked answer: translucent yellow over the words
# How many of the passage's first letters and digits find where it starts on the page.
ANCHOR_CHARS = 40


@dataclass(frozen=True)
class Box:
    """A rectangle on the drawn page, in pixels from its top left corner."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class PageView:
    """Page `page` (1-based) of `document` drawn as PNG `image` (`width` x `height` pixels) with the
    answer's `boxes` marked; `ocr`: the page has no text layer (its text was read by OCR), so no box."""

    document: str
    page: int
    image: bytes
    width: int
    height: int
    boxes: tuple[Box, ...]
    ocr: bool

    @property
    def fragment(self) -> str:
        return page_fragment(self.document, self.page)


def page_fragment(document: str, page: int) -> str:
    """What opens the original file at a page, after its address: "#page=N" for a PDF, nothing for an image."""
    return f"#page={page}" if document.lower().endswith(".pdf") else ""


def letters(text: str) -> tuple[str, list[int]]:
    """The letters and digits of `text`, lower-cased, and where each stands in `text`."""
    kept = [(ch.lower(), n) for n, ch in enumerate(text) if ch.isalnum()]
    return "".join(ch for ch, _ in kept), [n for _, n in kept]


def locate(page_text: str, quote: str, answer_at: int, answer: str) -> tuple[int, int] | None:
    """Where the answer stands in `page_text` as [first, last] character indices: its letters and digits
    matched in the page's, at the occurrence nearest to where the passage `quote` starts on the page
    plus the letters before the answer (`answer_at` is the answer's offset in `quote`). None when the
    page does not hold it (an answer on the next page, a page read by OCR)."""
    page, positions = letters(page_text)
    wanted, _ = letters(answer)
    if not wanted:
        return None
    found = [n for n in _occurrences(page, wanted)]
    if not found:
        return None
    anchor, _ = letters(quote[:answer_at])
    start, _ = letters(quote)
    passage_at = page.find(start[:ANCHOR_CHARS]) if start else -1
    expected = passage_at + len(anchor) if passage_at >= 0 else 0
    at = min(found, key=lambda n: (abs(n - expected), n))
    return positions[at], positions[at + len(wanted) - 1]


def _occurrences(text: str, wanted: str) -> list[int]:
    found, at = [], text.find(wanted)
    while at >= 0:
        found.append(at)
        at = text.find(wanted, at + 1)
    return found


def line_boxes(boxes: Sequence[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Character boxes (left, bottom, right, top, in PDF points, in reading order) joined into one box a
    line: a box whose vertical middle lies outside the line's so far starts a new one."""
    lines: list[list[float]] = []
    for left, bottom, right, top in boxes:
        if right <= left or top <= bottom:
            continue  # a space or a mark without extent
        middle = (bottom + top) / 2
        if lines and lines[-1][1] <= middle <= lines[-1][3]:
            line = lines[-1]
            line[:] = [min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)]
        else:
            lines.append([left, bottom, right, top])
    return [tuple(line) for line in lines]  # type: ignore[misc]


def draw_page(path: Path, name: str, page: int, quote: str, answer_at: int, answer: str,
              dpi: int = VIEW_DPI) -> PageView:
    """The page of the PDF at `path` (called `name`) that holds `answer`, drawn at `dpi` with the answer
    marked (see `locate`): page `page`, where its passage starts, or the next one when the passage runs
    over the page break before the answer. Raises ValueError when the file has no such page, OSError or
    PdfiumError when it cannot be opened."""
    document = pypdfium2.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(document):
            raise ValueError(f"{name} has no page {page}")
        view = _draw(document, name, page, quote, answer_at, answer, dpi)
        if not view.boxes and not view.ocr and page < len(document):
            after = _draw(document, name, page + 1, "", 0, answer, dpi)
            view = after if after.boxes else view
    finally:
        document.close()
    return view


def _draw(document: pypdfium2.PdfDocument, name: str, page: int, quote: str, answer_at: int, answer: str,
          dpi: int) -> PageView:
    drawn = document[page - 1]
    try:
        text_page = drawn.get_textpage()
        count = text_page.count_chars()
        text = text_page.get_text_range(0, count) if count else ""
        scale = dpi / 72
        width, height = drawn.get_size()
        boxes: list[Box] = []
        where = locate(text, quote, answer_at, answer) if count and len(text) == count else None
        if where is not None:
            first, last = where
            for left, bottom, right, top in line_boxes([text_page.get_charbox(i) for i in range(first, last + 1)]):
                boxes.append(Box(left * scale, (height - top) * scale, right * scale, (height - bottom) * scale))
        image = drawn.render(scale=scale).to_pil().convert("RGBA")
    finally:
        drawn.close()
    return PageView(name, page, _marked(image, boxes), image.width, image.height, tuple(boxes), ocr=count == 0)


def drawable(document: str) -> bool:
    """Whether an answer of `document` is shown on its page: a PDF's drawn, an image file's as it is."""
    suffix = Path(document).suffix.lower()
    return suffix == ".pdf" or suffix in IMAGE_SUFFIXES


def draw_picture(path: Path, name: str, page: int, width: int = round(8.27 * VIEW_DPI)) -> PageView:
    """Page `page` of the image file at `path` (called `name`; a TIFF's frame, else the image itself) as
    the chat shows it: no wider than an A4 page drawn at VIEW_DPI. Its text was read by OCR, which gives
    no character boxes: nothing is marked. Raises ValueError when the file has no such page, OSError
    when it cannot be opened."""
    with Image.open(path) as image:
        if not 1 <= page <= getattr(image, "n_frames", 1):
            raise ValueError(f"{name} has no page {page}")
        image.seek(page - 1)
        drawn = image.convert("RGBA")
    if drawn.width > width:
        drawn = drawn.resize((width, max(1, round(drawn.height * width / drawn.width))))
    return PageView(name, page, _marked(drawn, ()), drawn.width, drawn.height, (), ocr=True)


def _marked(image: Image.Image, boxes: Sequence[Box]) -> bytes:
    """The image with every box filled in translucent yellow, as PNG (fast compression: it is drawn
    for one look)."""
    if boxes:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        pen = ImageDraw.Draw(overlay)
        for box in boxes:
            pen.rectangle((box.left - 1, box.top - 1, box.right + 1, box.bottom + 1), fill=MARK)
        image = Image.alpha_composite(image, overlay)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


@dataclass(frozen=True)
class Stretch:
    """A stretch of a document's cleaned text, [start, end), as a page shows it around an answer."""

    start: int
    end: int
    text: str


def surrounding(pieces: Sequence[Stretch]) -> list[Stretch]:
    """Overlapping or touching stretches (passages in document order) merged into runs of text; the
    runs that a gap (a heading, text no passage holds) separates stay apart."""
    runs: list[Stretch] = []
    for piece in sorted(pieces, key=lambda p: p.start):
        last = runs[-1] if runs else None
        if last is not None and piece.start <= last.end:
            if piece.end > last.end:
                runs[-1] = Stretch(last.start, piece.end, last.text + piece.text[last.end - piece.start:])
        else:
            runs.append(piece)
    return runs
