"""Bytes of one file -> CleanText, one reader per format, each within `ReadLimits`.

    .txt          plain text; underlined titles and headings guessed from short lines; form feeds end pages
    .md           Markdown; `#` and underlined headings become sections
    .pdf          text of each page (pypdf); passages know their page
    .html, .htm   visible text only, without the page's navigation; h1-h6 become sections (not a note's title)
    .docx         paragraphs and tables (python-docx); Heading and Title styles become sections
    .png, .jpg... a page saved as an image (a scan, a photo of a letter), read by OCR; a TIFF's frames are pages

Every reader's output comes from the cleaning functions of ingest/clean.py, so offsets always index the
cleaned text. A file that cannot be read raises UnreadableFile with the reason shown in the warning.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
import statistics
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import bs4
import docx
import pypdf
import pypdfium2
from docx.table import Table
from docx.text.paragraph import Paragraph

from docqa.ingest.clean import (
    MAX_HEADING_CHARS,
    MAX_HEADING_WORDS,
    Block,
    CleanText,
    clean_blocks,
    clean_pages,
    clean_text,
    is_word,
)
from docqa.ingest.ocr import OcrFailed, image_pages, page_image, read_image, tesseract
from docqa.ingest.tables import CELL
from docqa.settings import ReadLimits


class UnreadableFile(Exception):
    """Raised by a format reader; the message is the reason shown in the warning."""


def check_length(characters: int, limits: ReadLimits) -> None:
    """Refuse a text longer than the limit, before it is cleaned."""
    if characters > limits.text_chars:
        raise UnreadableFile(f"its text is {characters:,} characters long, over the limit of "
                             f"{limits.named('text_chars')}; split it into smaller files")


# A file of which more than this share of bytes are not UTF-8, and at least NOT_TEXT_BYTES of them, is not
# read as text: random or compressed bytes are about half invalid, a Latin-1 text in a Western language a
# few percent (a short one more: "Café" is a quarter).
NOT_TEXT_SHARE = 0.2
NOT_TEXT_BYTES = 64


def _decode(data: bytes, limits: ReadLimits) -> tuple[str, tuple[str, ...]]:
    """The text of a UTF-8 file, and a note when it was read otherwise: as Windows-1252 when none of its
    characters beyond ASCII is UTF-8 (a Western text saved by an older editor: "Caf\xe9", Word's curly
    quotes), else with the bytes that are not UTF-8 replaced by U+FFFD."""
    if b"\x00" in data:
        raise UnreadableFile("it looks binary (contains NUL bytes)")
    bom = data.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte order mark: the file says it is UTF-8
    check_length(len(data) - 3 if bom else len(data), limits)  # at most one character a byte
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as error:
        text = data.decode("utf-8-sig", errors="replace")
        replaced = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
        if replaced >= NOT_TEXT_BYTES and replaced > NOT_TEXT_SHARE * len(data):
            raise UnreadableFile(f"it does not read as text: {replaced / len(data):.0%} of its bytes are not UTF-8; "
                                 "if it is text, save it as UTF-8") from error
        if not bom and text.replace("\ufffd", "").isascii():
            try:
                return data.decode("cp1252"), (f"not UTF-8 (the first other byte at byte {error.start:,}): read as "
                                               "Windows-1252; save the file as UTF-8 if its accents look wrong",)
            except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
                pass
        return text, (f"{replaced:,} byte{'s that are' if replaced != 1 else ' that is'} not UTF-8 (the first at byte "
                      f"{error.start:,}) shown as \ufffd; save the file as UTF-8 to keep them",)


def _noted(clean: CleanText, notes: tuple[str, ...]) -> CleanText:
    return CleanText(clean.text, clean.sections, clean.pages, notes + clean.notes)


def read_plain(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    """A text file's cleaned text. Form feeds end pages, as `pdftotext` and old plain-text manuals
    write them: each page loses a page-number line at its top or bottom and the running lines it shares
    with the others, as a PDF's pages do, and passages carry the page they start on."""
    text, notes = _decode(data, limits)
    if "\f" not in text:
        return _noted(clean_text(text), notes)
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()  # the form feed that ends the last page
    _check_pages(len(pages), limits)
    numbered = [strip_page_number(page, n) for n, page in enumerate(pages, start=1)]
    return _noted(clean_pages(strip_running_lines(numbered)), notes)


def read_markdown(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    text, notes = _decode(data, limits)
    return _noted(clean_text(text, markdown=True), notes)


def _check_pages(pages: int, limits: ReadLimits) -> None:
    if pages > limits.pages:
        raise UnreadableFile(f"it has {pages:,} pages, over the limit of {limits.named('pages')}; "
                             "split it into smaller files")


def _damaged(kind: str, error: Exception) -> UnreadableFile:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else "no detail"
    return UnreadableFile(f"not a readable {kind} ({type(error).__name__}: {detail})")


def is_page_number(line: str, number: int, label: str | None = None) -> bool:
    """True for the page-number line of page `number` (1-based) or of its printed `label`: "3",
    "- 3 -", "Page 3", "Page 3 of 12", "3 / 12", "iii", or a short running header or footer ending in
    the number ("Chapter 2: Structures 3", a browser's "file:///home/ann/notes.html 3/12")."""
    numbers = {str(number), (label or str(number)).lower()}
    text = line.strip()
    alone = re.fullmatch(r"(?:page\s+)?[-–—]?\s*(\w+)\s*[-–—]?(?:\s*(?:of|/)\s*\d+)?", text, re.IGNORECASE)
    if alone is not None:
        return alone.group(1).lower() in numbers
    words = text.split()
    last = re.sub(r"/\d+$", "", words[-1].lower()) if words else ""
    return 1 < len(words) <= MAX_RUNNING_HEADER_WORDS and last in numbers


# Inside a paragraph the baseline-to-baseline distance varies by a few percent (superscripts, mixed
# fonts); a paragraph or heading gap adds at least a third of a line in the PDFs measured (the
# libtasn1 manual and the shared-mime-info spec in /usr/share/doc).
PARAGRAPH_GAP = 1.3

# A page whose usual step is over this many times its body text's size is spaced by its paragraphs, not by
# its lines: a Word or browser PDF of short paragraphs (lines 1.1-1.3 sizes apart, paragraphs 2-2.8). Its
# lines step as its body lines 0.8-1.6 sizes apart do, where at least a fifth of the body's steps are such
# and two or more (a third of them on a page of a few lines); a double-spaced page (2-2.3 sizes, no closer
# step) keeps its usual step.
SPACED_PAGE = 1.6
LINE_STEPS_SHARE = 0.2
# A page this many body steps long, none of them close, is double-spaced, not short of lines to measure.
DOUBLE_SPACED_STEPS = 4


# A first or last line that recurs, digits aside, on this many pages is a running header or footer.
RUNNING_LINE_PAGES = 3


MAX_RUNNING_HEADER_WORDS = 12


_DIGITS = re.compile(r"\d+")


def _filled(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip()]


# The stamp a browser prints atop each page of a printed web page: its date and time, then its title
# ("12/7/26, 9:15 PM Security handbook", no sentence); at the foot, its address and "1/2" (a page-number line).
_PRINT_STAMP = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}(?: ?[AaPp]\.?[Mm]\.?)?(?:\s.*[^.!?]|)$")


def strip_page_number(text: str, number: int, label: str | None = None) -> str:
    """The page's text without a page-number line as its first or last non-blank line, nor a browser's
    print stamp (_PRINT_STAMP) as its first or last line then."""
    lines = text.split("\n")
    filled = _filled(lines)
    drop = {i for i in (filled[:1] + filled[-1:]) if is_page_number(lines[i], number, label)}
    left = [i for i in filled if i not in drop]
    drop |= {i for i in (left[:1] + left[-1:]) if _PRINT_STAMP.match(lines[i].strip())}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def strip_running_lines(pages: list[str]) -> list[str]:
    """Drop running headers and footers: a page's first (last) non-blank line that, with its digits
    ignored, is also the first (last) line of at least RUNNING_LINE_PAGES pages, and whose numbers
    never go down from page to page (a page or chapter number, a year). A form's lines, the same
    words around other numbers on each page ("Its repair was estimated at 24 thousand euros."), stay."""
    split = [page.split("\n") for page in pages]
    ends = [(_filled(lines)[:1], _filled(lines)[-1:]) for lines in split]

    def key(lines: list[str], i: int) -> str:
        return _DIGITS.sub("#", lines[i].strip().lower())

    def running(side: int) -> set[str]:
        numbers: dict[str, list[list[int]]] = {}
        for lines, chosen in zip(split, ends):
            for i in chosen[side]:
                numbers.setdefault(key(lines, i), []).append([int(n) for n in _DIGITS.findall(lines[i])])
        return {k for k, seen in numbers.items() if len(seen) >= RUNNING_LINE_PAGES
                and all(list(column) == sorted(column) for column in zip(*seen))}

    firsts, lasts = running(0), running(1)
    result = []
    for lines, (first, last) in zip(split, ends):
        drop = {i for i in first if key(lines, i) in firsts} | {i for i in last if key(lines, i) in lasts}
        result.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return result


Line = tuple[str, float, float]  # a PDF line's text, baseline y and text size, in points
Fragment = tuple[str, float, float, float]  # a piece of text pypdf shows: its text, x, baseline y and size

# A table as a browser or a word processor prints one: rows whose cells each start on the row's top
# baseline, left to right, a cell's wrapped lines under it at its own x. A cell starts further right than
# the widest line of the cell before could reach at CHAR_WIDTH sizes a character, by CELL_GAP sizes at
# least (words of one line are nearer); two rows or more, one after another, start their cells at the
# same places, within COLUMN_SLACK points.
CHAR_WIDTH = 0.45
CELL_GAP = 1.0
COLUMN_SLACK = 2.0
# A cell's next line is at most this many sizes below its line before.
CELL_LINE_STEP = 2.5


def _pdf_row(fragments: Sequence[Fragment], first: int) -> tuple[int, list[list[Fragment]]] | None:
    """The table row that starts at fragment `first` (its cells' fragments) and the index past it; None
    where fewer than two cells start there. Blank fragments (pypdf's line breaks) are passed over."""
    _, _, top, size = fragments[first]
    cells = [[fragments[first]]]
    at = first + 1
    while at < len(fragments):
        text, x, y, _ = fragments[at]
        if not text.strip():
            at += 1
            continue
        if "\n" in text.strip():
            break
        cell = cells[-1]
        start = cell[0][1]
        if abs(y - top) < 0.5 and x > start:
            reach = start + max(len(piece[0].strip()) for piece in cell) * CHAR_WIDTH * size
            if x - reach < CELL_GAP * size:
                break  # a word further along the same line: no cell
            cells.append([fragments[at]])
        elif abs(x - start) < 0.5 and 0 < cell[-1][2] - y <= CELL_LINE_STEP * size:
            cell.append(fragments[at])
        else:
            break
        at += 1
    return (at, cells) if len(cells) >= 2 else None


def _same_columns(a: list[list[Fragment]], b: list[list[Fragment]]) -> bool:
    """Whether two rows start their first cell, and one more at least, at the same places."""
    starts = [cell[0][1] for cell in b]
    shared = sum(any(abs(cell[0][1] - x) <= COLUMN_SLACK for x in starts) for cell in a)
    return abs(a[0][0][1] - b[0][0][1]) <= COLUMN_SLACK and shared >= 2


def _aligned(run: Sequence[list[list[Fragment]]]) -> bool:
    """Whether a run of rows is laid out as a table: some column's cells differ in length from row to
    row while the next column still starts at one place. Lines that only begin alike ("inflateInit()"
    and then text, twice) start their second "cell" where their equal first words end."""
    for k in range(min(len(row) for row in run) - 1):
        lengths = [max(len(piece[0].strip()) for piece in row[k]) for row in run]
        if max(lengths) - min(lengths) >= 2:
            return True
    return False


class PdfRow(str):
    """A line of a PDF page that is a table's row (`pdf_table_rows`): `pdf_page_text` sets it apart."""


def pdf_table_rows(fragments: Sequence[Fragment]) -> dict[int, tuple[int, str]]:
    """The table rows among a page's fragments: the index of each row's first fragment -> the index past
    the row and its text, cells joined with CELL (ingest/tables.py), a cell's lines with spaces."""
    rows: dict[int, tuple[int, str]] = {}
    at = 0
    while at < len(fragments):
        run: list[tuple[int, int, list[list[Fragment]]]] = []
        cursor = at
        while cursor < len(fragments) and fragments[cursor][0].strip() and (found := _pdf_row(fragments, cursor)):
            end, cells = found
            if run and not (_same_columns(run[-1][2], cells) and cells[0][0][2] < run[-1][2][0][0][2]):
                break
            run.append((cursor, end, cells))
            cursor = end
            while cursor < len(fragments) and not fragments[cursor][0].strip():
                cursor += 1
        if len(run) < 2 or not _aligned([cells for _, _, cells in run]):
            at += 1
            continue
        for start, end, cells in run:
            rows[start] = (end, CELL.join(" ".join(" ".join(piece[0].split()) for piece in cell) for cell in cells))
        at = cursor
    return rows


def pdf_page_lines(page: pypdf.PageObject) -> list[Line]:
    """The page's lines in pypdf's reading order, each with its baseline and the size it is printed in;
    a table's row one line, its cells joined with CELL (`pdf_table_rows`)."""
    fragments: list[Fragment] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        baseline = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        fragments.append((text, x, baseline, round(size * scale, 1)))  # the size as printed, in points

    page.extract_text(visitor_text=visit)
    rows = pdf_table_rows(fragments)
    lines: list[Line] = []
    text, y, height = "", None, 0.0
    at = 0
    while at < len(fragments):
        if at in rows:
            if text.strip() and y is not None:
                lines.append((text, y, height))
            end, row = rows[at]
            lines.append((PdfRow(row), fragments[at][2], fragments[at][3]))
            text, y = "", None
            at = end
            continue
        fragment, _, baseline, size = fragments[at]
        at += 1
        for n, chunk in enumerate(fragment.split("\n")):
            if n:
                if text.strip() and y is not None:
                    lines.append((text, y, height))
                text, y = "", None
            if chunk.strip() and y is None:
                y, height = baseline, size
            text += chunk
    if text.strip() and y is not None:
        lines.append((text, y, height))
    return lines


def pdf_page_text(lines: Sequence[Line], spacing: float | None = None) -> str:
    """A page's text from its lines, with a blank line wherever the next line does not follow at the
    page's line spacing (`line_step`, else the document's `spacing`: a paragraph gap, a heading, a jump
    to the next column)."""
    measured = [(baseline, size, len(line)) for line, baseline, size in lines]
    usual = line_step(measured)
    if usual is None:
        usual = spacing if spacing is not None else line_step(measured, alone=True) or 0.0
    body = _body_size(measured)
    out: list[str] = []
    for n, (line, baseline, size) in enumerate(lines):
        # Two lines of one size larger than the body's step as much larger: a title wrapped, which
        # stays one line (a heading is a line).
        scale = size / body if n and body and size > body and lines[n - 1][2] == size else 1.0
        follows = n > 0 and 0 <= lines[n - 1][1] - baseline <= PARAGRAPH_GAP * usual * scale
        # A table's row (`pdf_table_rows`) is a paragraph of its own.
        follows = follows and not isinstance(line, PdfRow) and not isinstance(lines[n - 1][0], PdfRow)
        if follows and scale > 1.0 and out:
            out[-1] = f"{out[-1].rstrip()} {line.lstrip()}"
            continue
        if n and not follows:
            out.append("")
        out.append(line)
    return "\n".join(out)


def _body_size(lines: Sequence[tuple[float, float, int]]) -> float:
    """The text size that holds the most characters of (baseline, size, characters) lines; 0.0 without any."""
    sizes: dict[float, int] = {}
    for _, size, characters in lines:
        sizes[size] = sizes.get(size, 0) + characters
    return max(sizes, key=sizes.__getitem__) if sizes else 0.0


def line_step(lines: Sequence[tuple[float, float, int]], alone: bool = False) -> float | None:
    """The distance from one line's baseline to the next inside a paragraph, of lines as (baseline y,
    text size, characters) top to bottom: the median step down, unless they are spaced by their
    paragraphs (SPACED_PAGE); then the median of the steps between body lines that close, or None where
    too few are (a page of short paragraphs, whose document's other pages tell). `alone`: the median
    step then, not None; 0.0 without lines."""
    steps = [a[0] - b[0] for a, b in zip(lines, lines[1:]) if a[0] > b[0]]
    if not steps:
        return 0.0
    usual = statistics.median(steps)
    body = _body_size(lines)
    if not body or usual <= SPACED_PAGE * body:
        return usual
    body_steps = [a[0] - b[0] for a, b in zip(lines, lines[1:]) if a[1] == b[1] == body and a[0] > b[0]]
    close = [step for step in body_steps if 0.8 * body <= step <= SPACED_PAGE * body]
    enough = len(close) >= max(2, LINE_STEPS_SHARE * len(body_steps)) or 3 * len(close) >= len(body_steps)
    if close and enough:
        return statistics.median(close)
    double_spaced = not close and len(body_steps) >= DOUBLE_SPACED_STEPS
    return usual if alone or double_spaced else None


# A font's space wider than this (in thousandths of an em) is no interword space but a glyph: TeX's T1
# fonts put a visible space, half an em wide, at the space's code.
WIDE_SPACE = 400


TEX_SPACE = 333  # TeX's interword space in its Computer and Latin Modern fonts: a third of an em


def narrow_spaces(pdf: pypdf.PdfReader) -> int:
    """Give each simple font whose space is wider than WIDE_SPACE the interword space of TeX (in memory
    only); the number of fonts changed. pypdf counts a gap in a TJ array as a space when it is at least
    about half the font's space: with the visible space of a T1-encoded TeX font (500), the words of a
    justified line whose spaces are squeezed below 240 run together ("Utrechtgraduallybecamethe": 172
    runs in 20 articles typeset by pdflatex, benchmarks/latex_corpus.py). Fixed-pitch fonts keep theirs."""
    changed, seen = 0, set()
    for page in pdf.pages:
        try:
            resources = page.get("/Resources")
            fonts = resources.get_object().get("/Font") if resources is not None else None
            refs = list(fonts.get_object().values()) if fonts is not None else []
        except (AttributeError, KeyError, TypeError, ValueError, pypdf.errors.PyPdfError):
            continue  # a page without readable fonts is read as pypdf can
        for ref in refs:
            try:
                changed += _narrow_space(ref.get_object(), seen)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError, pypdf.errors.PyPdfError):
                continue  # a malformed font dictionary is left as it is
    return changed


def _narrow_space(font: object, seen: set[int]) -> int:
    """1 when this font's space was narrowed (see `narrow_spaces`), else 0."""
    if id(font) in seen or font.get("/Subtype") not in ("/Type1", "/MMType1", "/TrueType"):  # type: ignore[attr-defined]
        return 0
    seen.add(id(font))
    descriptor = font.get("/FontDescriptor")  # type: ignore[attr-defined]
    if descriptor is not None and int(descriptor.get_object().get("/Flags", 0)) & 1:  # fixed pitch
        return 0
    widths, first = font.get("/Widths"), font.get("/FirstChar")  # type: ignore[attr-defined]
    if widths is None or first is None:
        return 0
    widths = list(widths.get_object())
    at = 32 - int(first)
    if not (0 <= at < len(widths) and float(widths[at]) > WIDE_SPACE):
        return 0
    widths[at] = pypdf.generic.NumberObject(TEX_SPACE)
    font[pypdf.generic.NameObject("/Widths")] = pypdf.generic.ArrayObject(widths)  # type: ignore[index]
    return 1


def read_pdf(data: bytes, limits: ReadLimits = ReadLimits(), progress: Callable[[str], None] | None = None,
             trial: bool = False) -> CleanText:
    """Text of every page, cleaned as one text; `pages` gives where each page starts. A page without a
    text layer (a scanned one) is read by OCR (ingest/ocr.py) when Tesseract is installed; `ocr_pages`
    names those pages, and `progress` hears of each before it is read. A `trial` (is this file readable?)
    stops OCR at the first page that gives text: a 300-page scan is read once, by the build."""
    try:
        pdf = pypdf.PdfReader(io.BytesIO(data))
        # An owner password only restricts printing or copying; the empty user password opens the file.
        if pdf.is_encrypted and pdf.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise UnreadableFile("it is encrypted with a password; save a copy without the password")
        _check_pages(len(pdf.pages), limits)
        narrow_spaces(pdf)
        labels = [pdf.page_labels[n] if n < len(pdf.page_labels) else None for n in range(len(pdf.pages))]
        lines = [pdf_page_lines(page) for page in pdf.pages]
        # Where a page has too few lines to tell its spacing, the document's lines tell it (one page's
        # last line and the next page's first make no step: the next starts higher).
        spacing = line_step([(baseline, size, len(text)) for page in lines for text, baseline, size in page], alone=True)
        texts, length = [], 0
        for number, page_lines in enumerate(lines, start=1):
            texts.append(strip_page_number(pdf_page_text(page_lines, spacing), number, labels[number - 1]))
            length += len(texts[-1])
            check_length(length, limits)
    except UnreadableFile:
        raise
    # pypdf raises many kinds of errors on damaged files (PdfReadError, but also ValueError, KeyError,
    # struct and zlib errors...); whatever the kind, this file is skipped and the build goes on.
    except Exception as error:
        raise _damaged("PDF", error) from error
    scanned = [n for n, text in enumerate(texts, start=1) if not text.strip()]
    notes: tuple[str, ...] = ()
    read_by_ocr: tuple[int, ...] = ()
    if scanned and tesseract() is None:
        if len(scanned) == len(texts):
            raise UnreadableFile(f"no text in its {len(texts)} page(s): a scanned PDF, which needs Tesseract "
                                 "to be read (`make ocr`, or apt-get install tesseract-ocr), then `docqa index`")
        notes = (f"{len(scanned)} page(s) without a text layer not read: install Tesseract (`make ocr`) to read them",)
    elif scanned:
        read_by_ocr = _read_scanned(data, texts, scanned, labels, limits, progress, trial)
        check_length(sum(len(text) for text in texts), limits)
        notes = (f"{len(read_by_ocr)} of its pages read by OCR (Tesseract): check its answers against the page",) \
            if read_by_ocr else ()
    pages = strip_running_lines(texts)
    if not any(page.strip() for page in pages):
        raise UnreadableFile(f"no text in its {len(pages)} page(s), even read by OCR")
    clean = clean_pages(pages)
    return CleanText(clean.text, clean.sections, clean.pages, notes + clean.notes, read_by_ocr)


def _read_scanned(data: bytes, texts: list[str], scanned: list[int], labels: list[str | None],
                  limits: ReadLimits, progress: Callable[[str], None] | None, trial: bool = False) -> tuple[int, ...]:
    """Read the `scanned` pages (1-based) by OCR into `texts`; the pages that gave text (in a `trial`,
    only up to the first one)."""
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise _damaged("PDF", error) from error
    read = []
    try:
        for done, number in enumerate(scanned, start=1):
            if progress is not None:
                progress(f"OCR of page {number} ({done} of {len(scanned)} without a text layer)")
            try:
                text = read_image(page_image(document, number), limits.seconds)
            except OcrFailed as error:
                raise UnreadableFile(f"page {number} could not be read by OCR: {error}") from None
            texts[number - 1] = strip_page_number(text, number, labels[number - 1])
            if texts[number - 1].strip():
                read.append(number)
                if trial:
                    break
    finally:
        document.close()
    return tuple(read)


# Not part of what a reader sees as the page's text: code, metadata, site navigation and chrome.
HTML_DROPPED = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link",
    "nav", "header", "footer", "aside",
    "svg", "canvas", "iframe", "object", "embed", "button", "select", "datalist",
})


HTML_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


# Elements that start and end a paragraph (HTML's block-level and table-row elements).
HTML_BLOCKS = frozenset({
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "form", "hr", "html", "legend", "li", "main", "menu",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})


HTML_CELLS = frozenset({"td", "th"})


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


@dataclass(frozen=True)
class _EndBlock:
    heading: bool


# A heading's permalink, which documentation generators (Sphinx, MkDocs, Docusaurus) put in every
# heading ("2.2. Unversioned python commands¶"): a link whose whole text is one of these marks, of one of
# these classes or to an anchor of the page itself.
_PERMALINK_CLASSES = frozenset({"headerlink", "hash-link", "anchor", "anchorjs-link", "header-anchor"})
_PERMALINK_MARKS = frozenset({"¶", "#", "§", "🔗", ""})


def _hidden(tag: bs4.Tag) -> bool:
    """Whether the element is not read: hidden, or a heading's permalink."""
    if tag.has_attr("hidden") or _HIDDEN_STYLE.search(str(tag.get("style") or "")):
        return True
    return tag.name == "a" and tag.get_text().strip(" \t\n\u200b") in _PERMALINK_MARKS and (
        not _PERMALINK_CLASSES.isdisjoint(tag.get_attribute_list("class")) or str(tag.get("href") or "").startswith("#"))


# A page's navigation, which documentation generators put in elements of their own rather than in <nav>:
# DocBook's <table class="nav" summary="Navigation header">, Texinfo's <div class="header"> ("Next: ...,
# Previous: ..., Up: ... [Contents][Index]") and <div class="nav-panel">, breadcrumbs.
_NAV_CLASSES = re.compile(r"^(?:nav|navbar|navheader|navfooter|navigation|nav-panel|breadcrumbs?)$")
_PAGE_FRAME_CLASSES = frozenset({"header", "footer"})
_BLOCK_NAMES = sorted(HTML_BLOCKS | HTML_HEADINGS)


def _navigation(tag: bs4.Tag) -> bool:
    """Whether the element is a page's navigation (_NAV_CLASSES, role="navigation", a table summarised as
    navigation), or a header or footer <div> without a heading (a Texinfo page's links to its neighbours)."""
    classes = tag.get_attribute_list("class")
    if (tag.get("role") == "navigation" or any(_NAV_CLASSES.match(c or "") for c in classes)
            or str(tag.get("summary") or "").lower().startswith("navigation")):
        return True
    return tag.name == "div" and not _PAGE_FRAME_CLASSES.isdisjoint(classes) and tag.find(list(HTML_HEADINGS)) is None


def _layout_tables(soup: bs4.BeautifulSoup) -> set[int]:
    """The tables (their ids) that lay out a page rather than hold data: a cell of them holds more than
    one paragraph, or a list or code (DocBook's questions and answers); their cells are read as the
    paragraphs they hold. In the others, a cell whose only block is one paragraph (Word's HTML wraps every
    cell's text in a <p>) holds its text inline, as a cell does: that paragraph is unwrapped."""
    layout = set()
    for table in soup.find_all("table"):
        blocks = [cell.find_all(_BLOCK_NAMES) for cell in table.find_all(list(HTML_CELLS))
                  if cell.find_parent("table") is table]
        if any(len(inner) > 1 or (inner and inner[0].name not in ("p", "div")) for inner in blocks):
            layout.add(id(table))
            continue
        for inner in blocks:
            if inner:
                inner[0].unwrap()
    return layout


# A box set off from the text (DocBook's and Sphinx's notes and warnings): its title ("Important", "Note")
# heads no section, and the text after the box goes on in the section it stood in.
_ADMONITIONS = frozenset({"note", "important", "warning", "tip", "caution", "attention", "danger", "hint",
                          "admonition"})


def _heads_section(tag: bs4.Tag) -> bool:
    """Whether a heading element starts a section: not the title of a note or warning (_ADMONITIONS)."""
    return tag.find_parent(lambda t: not _ADMONITIONS.isdisjoint(t.get_attribute_list("class"))) is None


def html_blocks(html: bytes | str) -> list[Block]:
    """Visible text of an HTML page as paragraphs and headings, in reading order.

    Dropped: HTML_DROPPED elements, elements with `hidden` or an inline `display: none`, headings'
    permalinks (`_hidden`), a page's navigation (`_navigation`), comments.
    Block elements end a paragraph; table cells of one row are joined with " | ", but in a table that lays
    out paragraphs (`_layout_tables`).
    """
    soup = bs4.BeautifulSoup(html, "html.parser")
    layout = _layout_tables(soup)
    blocks: list[Block] = []
    buffer: list[str] = []
    # An explicit stack rather than recursion: deeply nested pages must not hit the recursion limit.
    stack: list[bs4.PageElement | _EndBlock] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, _EndBlock):
            blocks.append(Block("".join(buffer), heading=node.heading))
            buffer.clear()
        elif isinstance(node, bs4.NavigableString):
            if not isinstance(node, bs4.element.PreformattedString):  # comments, doctype, CDATA
                buffer.append(str(node))
        elif isinstance(node, bs4.Tag):
            name = node.name.lower()
            if name in HTML_DROPPED or _hidden(node) or _navigation(node):
                continue
            if name == "br":
                buffer.append("\n")
                continue
            if (name in HTML_CELLS and node.find_previous_sibling(HTML_CELLS) is not None
                    and id(node.find_parent("table")) not in layout):
                buffer.append(CELL)
            if name in HTML_BLOCKS or name in HTML_HEADINGS:
                blocks.append(Block("".join(buffer)))
                buffer.clear()
                stack.append(_EndBlock(heading=name in HTML_HEADINGS and _heads_section(node)))
            stack.extend(reversed(node.contents))
    blocks.append(Block("".join(buffer)))
    return blocks


def read_html(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    try:
        blocks = html_blocks(data)
    except Exception as error:  # the parser is lenient; this guards against the odd malformed file
        raise _damaged("HTML page", error) from error
    check_length(sum(len(block.text) for block in blocks), limits)
    return clean_blocks(blocks)


def _is_heading_style(paragraph: Paragraph) -> bool:
    style = paragraph.style
    name = style.name if style is not None and style.name else ""
    return name == "Title" or name.startswith("Heading")


def _is_bold_title(paragraph: Paragraph) -> bool:
    """A short paragraph in bold throughout that ends no sentence: a heading typed as bold text, not in
    a Heading style ("Annual leave" over its paragraph)."""
    text = paragraph.text.strip()
    runs = [run for run in paragraph.runs if run.text.strip()]
    style_bold = paragraph.style is not None and paragraph.style.font.bold
    return (bool(runs) and len(text.split()) <= MAX_HEADING_WORDS and len(text) <= MAX_HEADING_CHARS
            and not text.endswith((".", "!", "?", ":", ";", ",")) and not text[:1].islower()
            and all(run.bold or (run.bold is None and style_bold) for run in runs))


def _row_text(row) -> str:
    """Cells of a table row joined with CELL, an empty one in its place; a merged cell, which python-docx
    repeats, counts once."""
    texts: list[str] = []
    previous = None
    for cell in row.cells:
        if cell is not previous:
            texts.append(cell.text.strip())
        previous = cell
    return CELL.join(texts) if any(texts) else ""


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _w(element, path: str) -> str | None:
    """The w:val of the element at `path` (tags without their namespace, "/"-separated) under `element`."""
    found = element.find("/".join(_W + tag for tag in path.split("/"))) if element is not None else None
    return None if found is None else found.get(_W + "val")


def _numbering(word: docx.document.Document) -> dict[str, dict[int, tuple[str, str, int]]]:
    """Each list's levels, as numbering.xml defines them: numId -> level -> (number format, label
    pattern "%1.%2.", first number)."""
    try:
        root = word.part.numbering_part.element
    except (KeyError, NotImplementedError):  # a document without lists has no numbering part
        return {}

    def level_of(level) -> tuple[str, str, int]:
        return _w(level, "numFmt") or "decimal", _w(level, "lvlText") or "", int(_w(level, "start") or 1)

    abstract = {a.get(_W + "abstractNumId"): {int(level.get(_W + "ilvl", "0")): level_of(level)
                                              for level in a.findall(_W + "lvl")}
                for a in root.findall(_W + "abstractNum")}
    return {num.get(_W + "numId"): abstract.get(_w(num, "abstractNumId"), {}) for num in root.findall(_W + "num")}


def _list_place(paragraph: Paragraph) -> tuple[str, int] | None:
    """(numId, level) of a paragraph in a numbered or bulleted list, set on it or by its style; None outside one."""
    style = paragraph.style
    for element in (paragraph._p.pPr, style.element.pPr if style is not None else None):
        number = _w(element, "numPr/numId")
        if number is not None:
            return (None if number == "0" else (number, int(_w(element, "numPr/ilvl") or 0)))
    return None


def _counted(number: int, style: str) -> str:
    """`number` written as a list's level writes it; "" for a bullet or an unnumbered level."""
    if style in ("decimal", "decimalZero"):
        return str(number)
    if style in ("lowerLetter", "upperLetter"):
        letters = "abcdefghijklmnopqrstuvwxyz"[(number - 1) % 26] * ((number - 1) // 26 + 1)
        return letters if style == "lowerLetter" else letters.upper()
    if style in ("lowerRoman", "upperRoman"):
        roman = ""
        for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                              (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
            count, number = divmod(number, value)
            roman += digits * count
        return roman if style == "lowerRoman" else roman.upper()
    return ""


class _ListLabels:
    """The numbers Word shows before the items of its numbered lists ("1.", "2.3", "(b)"), which are no
    part of the paragraphs' text: counted per list and level, a level's count restarting under a new
    item of the level above. A bulleted item gets none."""

    def __init__(self, word: docx.document.Document):
        self.levels = _numbering(word)
        self.counts: dict[str, dict[int, int]] = {}

    def label(self, paragraph: Paragraph) -> str:
        place = _list_place(paragraph)
        if place is None or place[0] not in self.levels:
            return ""
        number, level = place
        levels, counts = self.levels[number], self.counts.setdefault(number, {})
        if level not in levels:
            return ""
        counts[level] = counts.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]
        style, pattern, _ = levels[level]
        if style in ("bullet", "none"):
            return ""

        def shown(match: re.Match[str]) -> str:  # "%2": the count of level 1, as that level writes it
            above = int(match.group(1)) - 1
            written, _, start = levels.get(above, ("decimal", "", 1))
            return _counted(counts.get(above, start), written)

        return re.sub(r"%([1-9])", shown, pattern).strip()


def docx_blocks(word: docx.document.Document) -> Iterator[Block]:
    """Body paragraphs and table rows in document order, a numbered list's items with their numbers
    (`_ListLabels`); Heading and Title styles make headings, and so does a short line in bold
    (`_is_bold_title`)."""
    labels = _ListLabels(word)
    for item in word.iter_inner_content():
        if isinstance(item, Paragraph):
            label = labels.label(item)
            text = f"{label} {item.text}" if label and item.text.strip() else item.text
            yield Block(text, heading=_is_heading_style(item) or _is_bold_title(item))
        elif isinstance(item, Table):
            for row in item.rows:
                yield Block(_row_text(row))


# Parts smaller than this may expand as they like: a small part cannot make a bomb.
ZIP_RATIO_FLOOR = 1 << 20


def check_zip(data: bytes, limits: ReadLimits, kind: str) -> None:
    """Refuse a zip-based file (a .docx) whose parts are too many or decompress too far, before any
    part is decompressed: zipfile never inflates a part past the size its directory declares, so the
    declared sizes bound what reading it can cost. Raises UnreadableFile naming the limit."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _damaged(kind, error) from error
    if len(parts) > limits.zip_parts:
        raise UnreadableFile(f"it holds {len(parts):,} parts, over the limit of {limits.named('zip_parts')}")
    total = sum(part.file_size for part in parts)
    if total > limits.unzipped_mb * 2**20:
        raise UnreadableFile(f"it decompresses to {total / 2**20:,.0f} MB, over the limit of "
                             f"{limits.named('unzipped_mb')}: a zip bomb, or a document to split")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > ZIP_RATIO_FLOOR and ratio > limits.zip_ratio:
            raise UnreadableFile(f"its part {part.filename!r} expands {ratio:,.0f} times, over the limit of "
                                 f"{limits.named('zip_ratio')}: it looks like a zip bomb")


def read_docx(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    check_zip(data, limits, "Word .docx file")
    try:
        blocks = list(docx_blocks(docx.Document(io.BytesIO(data))))
    # A .docx is a zip of XML parts: a damaged one fails in zipfile, lxml or python-docx, each its own way.
    except Exception as error:
        raise _damaged("Word .docx file", error) from error
    check_length(sum(len(block.text) for block in blocks), limits)
    return clean_blocks(blocks)


# A CSV file's delimiter is told from this much of its text, among these.
CSV_SAMPLE_CHARS = 20_000
CSV_DELIMITERS = (",", ";", "\t", "|")


def _table_blocks(rows: Iterable[Sequence[str]], apart: bool = True) -> list[list[Block]]:
    """A spreadsheet's rows as docqa reads tables (ingest/tables.py), in groups that empty rows part (two
    tables on one sheet; one group where not `apart`): a row a paragraph, cells joined with CELL, an empty
    cell in its place, less the empty columns before and after the group's cells (a table that starts at
    column C). A group's first rows of one cell are its titles ("Price list, spring 2025" over the header),
    paragraphs of their own."""
    groups: list[list[list[str]]] = [[]]
    for row in rows:
        cells = [" ".join(cell.split()) for cell in row]
        if any(cells):
            groups[-1].append(cells)
        elif groups[-1] and apart:
            groups.append([])
    out = []
    for group in (g for g in groups if g):
        left = min(next(k for k, cell in enumerate(row) if cell) for row in group)
        right = max(max(k for k, cell in enumerate(row) if cell) for row in group) + 1
        titles = next((k for k, row in enumerate(group) if sum(map(bool, row)) > 1), len(group))
        out.append([Block(" ".join(filter(None, row))) for row in group[:titles]] +
                   [Block(CELL.join(row[left:right])) for row in group[titles:]])
    return out


def csv_delimiter(sample: str) -> str:
    """The delimiter of a CSV text: of ",", ";", tab and "|", the one that splits the most of its first
    lines into one same number of cells, two or more (commas where none does)."""
    def fit(delimiter: str) -> tuple[int, int]:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(row)]
        except csv.Error:
            return 0, 0
        columns = statistics.mode(counts) if counts else 1
        return (sum(count == columns for count in counts) if columns > 1 else 0), columns

    return max(CSV_DELIMITERS, key=fit)


def read_csv(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    """A comma-, semicolon-, tab- or pipe-separated file (`csv_delimiter`) as a table: a paragraph a row."""
    text, notes = _decode(data, limits)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text[:CSV_SAMPLE_CHARS])))
    except csv.Error as error:
        raise _damaged("CSV file", error) from error
    return _noted(clean_blocks([block for group in _table_blocks(rows, apart=False) for block in group]), notes)


_DECIMALS = re.compile(r"0\.(0+)")


def _sheet_cell(value: object, number_format: str = "General") -> str:
    """A spreadsheet cell's value as text, as the sheet shows it where that is plain: a share in a
    per-cent format as one ("0.2" in "0%" is "20%"), a number with the decimals its format fixes ("6.5" in
    "0.00" is "6.50"), a whole number without ".0", a date without a midnight time (ISO: 2026-03-01)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        decimals = _DECIMALS.search(number_format)
        places = len(decimals.group(1)) if decimals else None
        if "%" in number_format:
            return f"{value * 100:.{places or 0}f}%"
        if places is not None:
            return f"{value:,.{places}f}" if "," in number_format else f"{value:.{places}f}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
    return str(value)


def read_xlsx(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    """An Excel workbook: each sheet that holds anything a section named by the sheet (again over each
    further table that empty rows set apart on it), its rows tables. Values are those last computed and
    saved: a formula saved without its value (a file written by a program, not by Excel) reads empty,
    and the document's note says how many."""
    check_zip(data, limits, "Excel .xlsx file")
    import openpyxl  # here: the child that reads each file (ingest/sandbox.py) pays for it only for a workbook

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        blocks: list[Block] = []
        unsaved = 0
        for sheet, written in zip(book.worksheets, formulas.worksheets):
            shown = []
            for row, typed in zip(sheet.iter_rows(), written.iter_rows(values_only=True)):
                unsaved += sum(cell.value is None and isinstance(value, str) and value.startswith("=")
                               for cell, value in zip(row, typed))
                shown.append([_sheet_cell(cell.value, getattr(cell, "number_format", "General")) for cell in row])
            for group in _table_blocks(shown):
                blocks += [Block(sheet.title, heading=True), *group]
        book.close()
        formulas.close()
    # An .xlsx is a zip of XML parts: a damaged one fails in zipfile, lxml or openpyxl, each its own way.
    except Exception as error:
        raise _damaged("Excel .xlsx file", error) from error
    check_length(sum(len(block.text) for block in blocks), limits)
    notes = (f"{unsaved:,} formula cell{'s' if unsaved != 1 else ''} saved without {'their values' if unsaved != 1 else 'its value'}"
             " read empty: open the file in Excel (or LibreOffice) and save it to keep them",) if unsaved else ()
    return _noted(clean_blocks(blocks), notes)


Reader = Callable[[bytes, ReadLimits], CleanText]


# An image whose OCR gives fewer English words than this holds no text to answer from (a photo, a chart,
# a logo): Tesseract reads stray marks in it.
MIN_OCR_WORDS = 3
_OCR_WORD = re.compile(r"[A-Za-z]{2,}")


def read_picture(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    """A page saved as an image (a scan, a photo of a letter or a receipt): its text as Tesseract reads it
    (ocr.image_pages: each frame of a TIFF a page), every page marked as read by OCR."""
    if tesseract() is None:
        raise UnreadableFile("an image, whose text needs Tesseract to be read (`make ocr`, or apt-get install "
                             "tesseract-ocr), then `docqa index`")
    try:
        pages = image_pages(data, lambda count: _check_pages(count, limits))
        texts = [strip_page_number(read_image(page, limits.seconds), n) for n, page in enumerate(pages, start=1)]
    except OcrFailed as error:
        raise UnreadableFile(str(error)) from None
    check_length(sum(len(text) for text in texts), limits)
    if sum(is_word(word) for text in texts for word in _OCR_WORD.findall(text)) < MIN_OCR_WORDS:
        raise UnreadableFile("OCR found no text in it (a photo or a drawing?)")
    clean = clean_pages(strip_running_lines(texts))
    return CleanText(clean.text, clean.sections, clean.pages,
                     ("read by OCR (Tesseract) from its image: check its answers against the image", *clean.notes),
                     tuple(range(1, len(pages) + 1)))


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp")


READERS: dict[str, Reader] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".docx": read_docx,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".xlsx": read_xlsx,
    **dict.fromkeys(IMAGE_SUFFIXES, read_picture),
}


# What an upload may be: exactly the formats above, in their order.
ACCEPTED_SUFFIXES = tuple(READERS)


def reader_for(name: str) -> Reader | None:
    """The reader of a corpus file by its name: by its suffix (READERS), or plain text for a name with
    no suffix or a version number for one ("LICENSE", "README", "COPYING", "Apache-2.0", "GPL-3": how
    such texts are named; one that is not text is skipped as binary). None for another suffix."""
    suffix = Path(name).suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    return read_plain if suffix == "" or suffix[1:].isdigit() else None


# What a file's first bytes say it is, whatever its name: the signature, what to call the format, and the
# suffix docqa reads it by (None for a format it does not read). A zip is told apart by its parts
# (`_ZIP_PARTS`); an HTML page by its first tag.
_SIGNATURES = (
    (b"%PDF-", "a PDF", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ".png"),
    (b"\xff\xd8\xff", "a JPEG image", ".jpg"),
    (b"GIF8", "a GIF image", ".gif"),
    (b"II*\x00", "a TIFF image", ".tif"),
    (b"MM\x00*", "a TIFF image", ".tif"),
    (b"\x1f\x8b", "a gzip archive", None),
    (b"{\\rtf", "an RTF document", None),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls or .ppt)", None),
)
_ZIP_PARTS = (
    ("word/", "a Word .docx file", ".docx"),
    ("xl/", "an Excel .xlsx file", ".xlsx"),
    ("ppt/", "a PowerPoint .pptx file", None),
    ("mimetype", "an OpenDocument or EPUB file", None),
)
_HTML_START = re.compile(rb"\s*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE)


def announced_format(data: bytes) -> tuple[str, str | None] | None:
    """What the file's bytes say it is, whatever its name (see _SIGNATURES): what to call the format and
    the suffix docqa reads it by, or None for bytes that say nothing (text)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    found = next(((name, suffix) for magic, name, suffix in _SIGNATURES if data.startswith(magic)), None)
    if found is None and data.startswith(b"PK\x03\x04"):
        try:
            parts = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return None  # a damaged zip says nothing more (a .docx cut short is a damaged .docx)
        found = next(((name, suffix) for prefix, name, suffix in _ZIP_PARTS
                      if any(part.startswith(prefix) for part in parts)), ("a zip archive", None))
    if found is None and _HTML_START.match(data[:200]):
        found = ("an HTML page", ".html")
    return found


def read_named(name: str, data: bytes, limits: ReadLimits = ReadLimits(), read: Reader | None = None) -> CleanText:
    """The file's text, read by the reader of its name (reader_for's, or `read` standing for it), with
    what its bytes say it is taken into account: an HTML page named as text (a page saved as .txt) is
    read as HTML, saying so; a file its reader cannot read is refused saying what it is when its bytes
    say it is another format (a Word file named .pdf), with the name to give it."""
    own = reader_for(name)
    if own is None:
        raise UnreadableFile(format_not_read(name))
    announced = announced_format(data)
    if announced is not None and announced[1] == ".html" and own is read_plain:
        return _noted(read_html(data, limits), (f"its content is {announced[0]}: read as one; rename it to "
                                                f"{Path(name).stem}.html",))
    try:
        return (read or own)(data, limits)
    except UnreadableFile as error:
        if announced is None or (announced[1] is not None and READERS[announced[1]] is own):
            raise
        what = announced[0]
        advice = f"rename it to {Path(name).stem}{announced[1]}" if announced[1] else "docqa does not read that format"
        raise UnreadableFile(f"its content is {what}, not what its name says: {advice}") from error


def format_not_read(name: str) -> str:
    """Why a corpus file is skipped when reader_for knows no reader for its name."""
    return (f"docqa does not read {Path(name).suffix.lower()} files; save a copy as .txt, .md, .pdf, .html, .docx, "
            ".csv or .xlsx to index it")
