"""Files in the corpus folder -> Documents with cleaned text, sections, pages and a content hash.

Each format has a small reader (bytes -> CleanText); every reader's output comes from the cleaning
functions of clean.py, so offsets always index the cleaned text. A file that cannot be read is
skipped with a warning naming it and the reason; the rest of the corpus still loads.

    .txt          plain text; headings guessed from short lines
    .md           Markdown; `#` and underlined headings become sections
    .pdf          text of each page (pypdf); passages know their page
    .html, .htm   visible text only; h1-h6 become sections
    .docx         paragraphs and tables (python-docx); Heading and Title styles become sections

Nothing outside the corpus folder is read: a link (to a file or a folder) whose target lies outside
it is skipped with a message naming the link, a link inside it is not followed (its target is read
under its own name, once), and every file is opened without following a link. What one file may cost
to read is bounded by `ReadLimits` (settings.py): its size on disk, what a .docx decompresses to, a
PDF's pages, its text; sandbox.py adds the time and memory limits of the process that reads it.

Uploads (the chat's, through `Engine.add_documents`) are stored here too: under a safe name, never
over an existing file, refused with the reason when they cannot become a corpus document.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import logging
import os
import re
import shutil
import stat
import statistics
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import bs4
import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph

from .clean import Block, CleanText, Section, clean_blocks, clean_pages, clean_text
from .errors import CorpusNotFound, OutsideCorpus, UploadRejected
from .settings import ReadLimits

log = logging.getLogger("docqa")
# pypdf warns about every repaired cross-reference; the document either reads or is skipped with a reason.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class UnreadableFile(Exception):
    """Raised by a format reader; the message is the reason shown in the warning."""


@dataclass(frozen=True)
class Document:
    """One corpus file. `path` is relative to the corpus folder, in POSIX form.

    `pages[n - 1]` is the offset in `text` where page n starts; empty for formats without pages.
    """

    path: str
    text: str
    sections: tuple[Section, ...]
    sha256: str
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()  # what reading had to change (bytes replaced, runs dropped): the build warns

    @property
    def clean(self) -> CleanText:
        return CleanText(self.text, self.sections, self.pages)

    def section_at(self, offset: int) -> str | None:
        return self.clean.section_at(offset)

    def page_at(self, offset: int) -> int | None:
        return self.clean.page_at(offset)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """A document that was read, and what reading it had to change or leave out."""

    path: str
    message: str


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class Listing:
    """The corpus folder's files in a readable format, in a stable order, and the entries not read:
    links out of the folder, hidden files and folders, what is not a regular file."""

    files: tuple[Path, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class CorpusScan:
    """The corpus files by content, without parsing them: enough to tell what changed."""

    hashes: dict[str, str]  # path relative to the corpus -> sha256 of the file's bytes, in corpus order
    skipped: tuple[Skipped, ...]  # files that could not even be opened


# ---- plain text and Markdown -------------------------------------------------------------------

def _check_length(characters: int, limits: ReadLimits) -> None:
    """Refuse a text longer than the limit, before it is cleaned."""
    if characters > limits.text_chars:
        raise UnreadableFile(f"its text is {characters:,} characters long, over the limit of "
                             f"{limits.named('text_chars')}; split it into smaller files")


def _decode(data: bytes, limits: ReadLimits) -> tuple[str, tuple[str, ...]]:
    """The text of a UTF-8 file, and a note when bytes that are not UTF-8 were replaced by U+FFFD."""
    if b"\x00" in data:
        raise UnreadableFile("it looks binary (contains NUL bytes)")
    _check_length(len(data) - 3 if data.startswith(b"\xef\xbb\xbf") else len(data), limits)  # at most one character a byte
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as error:
        text = data.decode("utf-8-sig", errors="replace")
        replaced = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
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


# ---- PDF ---------------------------------------------------------------------------------------

def _damaged(kind: str, error: Exception) -> UnreadableFile:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else "no detail"
    return UnreadableFile(f"not a readable {kind} ({type(error).__name__}: {detail})")


def is_page_number(line: str, number: int, label: str | None = None) -> bool:
    """True for the page-number line of page `number` (1-based) or of its printed `label`: "3",
    "- 3 -", "Page 3", "Page 3 of 12", "3 / 12", "iii", or a short running header ending in the
    number ("Chapter 2: Structures 3")."""
    numbers = {str(number), (label or str(number)).lower()}
    text = line.strip()
    alone = re.fullmatch(r"(?:page\s+)?[-–—]?\s*(\w+)\s*[-–—]?(?:\s*(?:of|/)\s*\d+)?", text, re.IGNORECASE)
    if alone is not None:
        return alone.group(1).lower() in numbers
    words = text.split()
    return 1 < len(words) <= MAX_RUNNING_HEADER_WORDS and words[-1].lower() in numbers


# Inside a paragraph the baseline-to-baseline distance varies by a few percent (superscripts, mixed
# fonts); a paragraph or heading gap adds at least a third of a line in the PDFs measured (the
# libtasn1 manual and the shared-mime-info spec in /usr/share/doc).
PARAGRAPH_GAP = 1.3
# A first or last line that recurs, digits aside, on this many pages is a running header or footer.
RUNNING_LINE_PAGES = 3
MAX_RUNNING_HEADER_WORDS = 12
_DIGITS = re.compile(r"\d+")


def _filled(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.strip()]


def strip_page_number(text: str, number: int, label: str | None = None) -> str:
    """The page's text without a page-number line as its first or last non-blank line."""
    lines = text.split("\n")
    filled = _filled(lines)
    drop = {i for i in (filled[:1] + filled[-1:]) if is_page_number(lines[i], number, label)}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def strip_running_lines(pages: list[str]) -> list[str]:
    """Drop running headers and footers: a page's first (last) non-blank line that, with its digits
    ignored, is also the first (last) line of at least RUNNING_LINE_PAGES pages."""
    split = [page.split("\n") for page in pages]
    ends = [(_filled(lines)[:1], _filled(lines)[-1:]) for lines in split]

    def key(lines: list[str], i: int) -> str:
        return _DIGITS.sub("#", lines[i].strip().lower())

    firsts = Counter(key(lines, i) for lines, (first, _) in zip(split, ends) for i in first)
    lasts = Counter(key(lines, i) for lines, (_, last) in zip(split, ends) for i in last)
    result = []
    for lines, (first, last) in zip(split, ends):
        drop = {i for i in first if firsts[key(lines, i)] >= RUNNING_LINE_PAGES}
        drop |= {i for i in last if lasts[key(lines, i)] >= RUNNING_LINE_PAGES}
        result.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return result


def pdf_page_text(page: pypdf.PageObject) -> str:
    """The page's text in pypdf's reading order, with a blank line wherever the next line does not
    follow at the page's usual line spacing (a paragraph gap, a heading, a jump to the next column)."""
    fragments: list[tuple[str, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        fragments.append((text, tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))  # baseline y on the page

    page.extract_text(visitor_text=visit)
    lines: list[tuple[str, float]] = []
    text, y = "", None
    for fragment, baseline in fragments:
        for n, chunk in enumerate(fragment.split("\n")):
            if n:
                if text.strip() and y is not None:
                    lines.append((text, y))
                text, y = "", None
            if chunk.strip() and y is None:
                y = baseline
            text += chunk
    if text.strip() and y is not None:
        lines.append((text, y))
    steps = [a[1] - b[1] for a, b in zip(lines, lines[1:]) if a[1] > b[1]]
    usual = statistics.median(steps) if steps else 0.0
    out: list[str] = []
    for n, (line, baseline) in enumerate(lines):
        if n and not 0 <= lines[n - 1][1] - baseline <= PARAGRAPH_GAP * usual:
            out.append("")
        out.append(line)
    return "\n".join(out)


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


def read_pdf(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    """Text of every page, cleaned as one text; `pages` gives where each page starts."""
    try:
        pdf = pypdf.PdfReader(io.BytesIO(data))
        # An owner password only restricts printing or copying; the empty user password opens the file.
        if pdf.is_encrypted and pdf.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise UnreadableFile("it is encrypted with a password; save a copy without the password")
        _check_pages(len(pdf.pages), limits)
        narrow_spaces(pdf)
        labels = pdf.page_labels
        texts, length = [], 0
        for number, page in enumerate(pdf.pages, start=1):
            texts.append(strip_page_number(pdf_page_text(page), number, labels[number - 1] if number <= len(labels) else None))
            length += len(texts[-1])
            _check_length(length, limits)
        pages = strip_running_lines(texts)
    except UnreadableFile:
        raise
    # pypdf raises many kinds of errors on damaged files (PdfReadError, but also ValueError, KeyError,
    # struct and zlib errors...); whatever the kind, this file is skipped and the build goes on.
    except Exception as error:
        raise _damaged("PDF", error) from error
    if not any(page.strip() for page in pages):
        raise UnreadableFile(
            f"no text in its {len(pages)} page(s): a scanned PDF needs OCR first (docqa does not do OCR)"
        )
    return clean_pages(pages)


# ---- HTML --------------------------------------------------------------------------------------

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


def _hidden(tag: bs4.Tag) -> bool:
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style") or "")))


def html_blocks(html: bytes | str) -> list[Block]:
    """Visible text of an HTML page as paragraphs and headings, in reading order.

    Dropped: HTML_DROPPED elements, elements with `hidden` or an inline `display: none`, comments.
    Block elements end a paragraph; table cells of one row are joined with " | ".
    """
    soup = bs4.BeautifulSoup(html, "html.parser")
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
            if name in HTML_DROPPED or _hidden(node):
                continue
            if name == "br":
                buffer.append("\n")
                continue
            if name in HTML_CELLS and node.find_previous_sibling(HTML_CELLS) is not None:
                buffer.append(" | ")
            if name in HTML_BLOCKS or name in HTML_HEADINGS:
                blocks.append(Block("".join(buffer)))
                buffer.clear()
                stack.append(_EndBlock(heading=name in HTML_HEADINGS))
            stack.extend(reversed(node.contents))
    blocks.append(Block("".join(buffer)))
    return blocks


def read_html(data: bytes, limits: ReadLimits = ReadLimits()) -> CleanText:
    try:
        blocks = html_blocks(data)
    except Exception as error:  # the parser is lenient; this guards against the odd malformed file
        raise _damaged("HTML page", error) from error
    _check_length(sum(len(block.text) for block in blocks), limits)
    return clean_blocks(blocks)


# ---- Word --------------------------------------------------------------------------------------

def _is_heading_style(paragraph: Paragraph) -> bool:
    style = paragraph.style
    name = style.name if style is not None and style.name else ""
    return name == "Title" or name.startswith("Heading")


def _row_text(row) -> str:
    """Cells of a table row joined with " | "; a merged cell, which python-docx repeats, counts once."""
    texts: list[str] = []
    previous = None
    for cell in row.cells:
        if cell is not previous and cell.text.strip():
            texts.append(cell.text)
        previous = cell
    return " | ".join(texts)


def docx_blocks(word: docx.document.Document) -> Iterator[Block]:
    """Body paragraphs and table rows in document order; Heading and Title styles make headings."""
    for item in word.iter_inner_content():
        if isinstance(item, Paragraph):
            yield Block(item.text, heading=_is_heading_style(item))
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
    _check_length(sum(len(block.text) for block in blocks), limits)
    return clean_blocks(blocks)


Reader = Callable[[bytes, ReadLimits], CleanText]
READERS: dict[str, Reader] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".docx": read_docx,
}
# What an upload may be: exactly the formats above, in their order.
ACCEPTED_SUFFIXES = tuple(READERS)


# ---- the corpus folder -------------------------------------------------------------------------

def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def display_name(name: str) -> str:
    """A file name as a message or a page shows it: control and format characters (a newline, a
    right-to-left override) written as escapes, so that a name cannot break a line or disguise itself."""
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in name
    )


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


HIDDEN = "its name starts with a dot (hidden): not read; rename it to index it"
OUTSIDE = "a link to a place outside the corpus folder: not read; copy the file into the corpus instead"
BROKEN = "a link to nothing: not read"
SPECIAL = "not a regular file: not read"


def list_corpus(corpus: Path) -> Listing:
    """Files under `corpus` in a readable format, recursively, in a stable order, and the entries not
    read with the reason: hidden files (of a readable format) and folders, links whose target lies
    outside the corpus, broken links, devices and pipes. A link inside the corpus is not followed: its
    target is read under its own name. Raises CorpusNotFound when `corpus` is no folder."""
    if not corpus.is_dir():
        raise CorpusNotFound(str(corpus))
    root = os.path.realpath(corpus)
    files: list[Path] = []
    skipped: list[Skipped] = []
    for folder, subfolders, names in os.walk(root):
        relative = Path(os.path.relpath(folder, root))
        for name in sorted(subfolders):
            path = os.path.join(folder, name)
            where = (relative / name).as_posix()
            if name.startswith("."):
                skipped.append(Skipped(where + "/", HIDDEN))
            elif os.path.islink(path) and not _inside(os.path.realpath(path), root):
                skipped.append(Skipped(where + "/", OUTSIDE))
        subfolders[:] = sorted(n for n in subfolders if not n.startswith("."))  # links are not walked into
        for name in names:
            if Path(name).suffix.lower() not in READERS:
                continue
            path = os.path.join(folder, name)
            where = (relative / name).as_posix()
            reason = _not_read(path, name, root)
            if reason is None:
                files.append(corpus / relative / name)
            elif reason:
                skipped.append(Skipped(where, reason))
    return Listing(tuple(sorted(files)), tuple(sorted(skipped, key=lambda s: s.path)))


def _not_read(path: str, name: str, root: str) -> str | None:
    """Why the corpus entry at `path` is not read ("" for a link to a file read under its own name),
    or None when it is a regular file to read."""
    if name.startswith("."):
        return HIDDEN
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not os.path.exists(target):
            return BROKEN
        return "" if _inside(target, root) else OUTSIDE
    try:
        return None if stat.S_ISREG(os.lstat(path).st_mode) else SPECIAL
    except OSError as error:
        return f"cannot be read: {error.strerror}"


def corpus_files(corpus: Path) -> list[Path]:
    """Readable-format files under `corpus` that are read (`list_corpus`), in a stable order."""
    return list(list_corpus(corpus).files)


def corpus_path(corpus: Path, relative: str) -> Path:
    """The file at `relative` (a path inside the corpus as a user or an index names it), checked to
    lie inside the corpus once every link is resolved; raises OutsideCorpus otherwise ("../x",
    "/etc/passwd", a link out)."""
    root = os.path.realpath(corpus)
    if not relative or os.path.isabs(relative) or "\x00" in relative:
        raise OutsideCorpus(display_name(relative))
    path = os.path.join(root, relative)
    if not _inside(os.path.realpath(path), root):
        raise OutsideCorpus(display_name(relative))
    return corpus / relative


@contextlib.contextmanager
def _open_regular(path: Path, limits: ReadLimits) -> Iterator[io.BufferedReader]:
    """The regular file at `path`, opened without following a link (a file swapped for a link since
    the listing is refused) and refused over `limits.file_mb`; raises UnreadableFile with the reason."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        reason = "it is a link" if error.errno == errno.ELOOP else error.strerror  # O_NOFOLLOW met a link
        raise UnreadableFile(f"cannot be read: {reason}") from error
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(SPECIAL)
        if info.st_size > limits.file_mb * 2**20:
            raise UnreadableFile(f"it is {info.st_size / 2**20:,.1f} MB, over the limit of {limits.named('file_mb')}")
        try:
            yield file
        except OSError as error:
            raise UnreadableFile(f"cannot be read: {error.strerror}") from error


def read_file_bytes(path: Path, limits: ReadLimits) -> bytes:
    """The bytes of the corpus file at `path` (see `_open_regular`)."""
    with _open_regular(path, limits) as file:
        return file.read(limits.file_mb * 2**20 + 1)


def load_document(path: Path, corpus: Path, data: bytes | None = None, limits: ReadLimits = ReadLimits()) -> Document:
    """Read and clean one file within `limits`; raises UnreadableFile with the reason."""
    if data is None:
        data = read_file_bytes(path, limits)
    if len(data) > limits.file_mb * 2**20:  # grown since it was measured
        raise UnreadableFile(f"it is over the limit of {limits.named('file_mb')}")
    clean = READERS[path.suffix.lower()](data, limits)
    if not clean.text.strip():
        dropped = f"; {clean.notes[-1]}" if clean.notes else ""
        raise UnreadableFile(f"it is empty (no text){dropped}")
    _check_length(len(clean.text), limits)
    return Document(
        path=path.relative_to(corpus).as_posix(),
        text=clean.text,
        sections=clean.sections,
        sha256=content_hash(data),
        pages=clean.pages,
        notes=clean.notes,
    )


def _skip(path: Path, corpus: Path, error: UnreadableFile) -> Skipped:
    relative = path.relative_to(corpus).as_posix()
    log.warning("Skipped %s: %s", display_name(relative), error)
    return Skipped(relative, str(error))


def file_hash(path: Path, limits: ReadLimits) -> str:
    """sha256 of the corpus file's bytes (see `_open_regular`), read in blocks: memory stays small
    whatever its size."""
    digest = hashlib.sha256()
    with _open_regular(path, limits) as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def scan_corpus(corpus: Path, limits: ReadLimits = ReadLimits()) -> CorpusScan:
    """Hash every corpus file's bytes without parsing it; entries not read (`list_corpus`) and files
    that cannot be opened or are over the size limit are skipped with the reason."""
    listing = list_corpus(corpus)
    hashes: dict[str, str] = {}
    skipped = list(listing.skipped)
    for path in listing.files:
        try:
            hashes[path.relative_to(corpus).as_posix()] = file_hash(path, limits)
        except UnreadableFile as error:
            skipped.append(_skip(path, corpus, error))
    return CorpusScan(hashes, tuple(skipped))


def load_corpus(corpus: Path, limits: ReadLimits = ReadLimits()) -> Corpus:
    """Every readable document of the corpus; unreadable ones are reported in `skipped` and logged."""
    listing = list_corpus(corpus)
    documents, skipped = [], list(listing.skipped)
    for path in listing.files:
        try:
            documents.append(load_document(path, corpus, limits=limits))
        except UnreadableFile as error:
            skipped.append(_skip(path, corpus, error))
    return Corpus(tuple(documents), tuple(skipped))


# ---- uploads into the corpus ---------------------------------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_NAME_CHARS = 100
# Binary formats announce themselves in their first bytes; a mismatch is refused before it lands.
_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
_UNSAFE_RUN = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Upload:
    """What became of one uploaded file called `original`: stored in the corpus as `name`, or
    refused, with `refused` saying why (exactly one of the two is None)."""

    original: str
    name: str | None
    refused: str | None


def unique_name(name: str, existing: Collection[str]) -> str:
    """`name`, or 'stem-2.suffix', 'stem-3.suffix', ... : the first not in `existing` (ignoring case)."""
    taken = {n.casefold() for n in existing}
    stem, _, suffix = name.rpartition(".")
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{stem}-{n}.{suffix}", n + 1
    return candidate


def upload_name(original: str, size: int, existing: Collection[str]) -> str:
    """The safe corpus file name for an upload called `original` of `size` bytes.

    Only the base name is kept (either slash separates folders); letters, digits, '-', '_' and
    '.' survive, other runs become '_'; the suffix must be a readable format and is lower-cased.
    A name already in `existing` (compared case-insensitively) gets '-2', '-3', ... before the
    suffix. Raises UploadRejected with the reason.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", original))[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in ACCEPTED_SUFFIXES:
        raise UploadRejected(f"{base!r} is not an accepted type; upload {', '.join(ACCEPTED_SUFFIXES)} files.")
    if size > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"{base!r} is {size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB per file."
        )
    if size == 0:
        raise UploadRejected(f"{base!r} is empty.")
    safe = _UNSAFE_RUN.sub("_", stem).strip("._-")[:MAX_NAME_CHARS].rstrip("._-") or "document"
    return unique_name(safe + suffix, existing)


def content_mismatch(suffix: str, head: bytes) -> str | None:
    """Why a file's first bytes contradict its suffix (a .pdf that is no PDF), or None."""
    magic = _MAGIC.get(suffix)
    if magic is not None and not head.startswith(magic):
        return f"it does not look like a {suffix} file"
    return None


def store_upload(source: Path, corpus: Path, original: str | None = None) -> str:
    """Copy the uploaded file `source` into `corpus` under a safe name and return that name.

    Never overwrites and never leaves half a file: the bytes go to a hidden `.part` file (a suffix no
    reader takes, so a rebuild never reads it), flushed to disk, then linked under the first free
    name (a link fails when the name exists, and a name taken meanwhile gets a counter). Raises
    UploadRejected with the reason when the file cannot be stored; nothing is left behind then.
    """
    original = source.name if original is None else original
    root = corpus.resolve()
    base = upload_name(original, source.stat().st_size, ())
    taken = set(os.listdir(root))
    with source.open("rb") as data:
        reason = content_mismatch(Path(base).suffix, data.read(8))
        if reason:
            raise UploadRejected(f"{original!r} was refused: {reason}.")
        data.seek(0)
        try:
            handle, part = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=root)
        except OSError as error:
            raise _not_stored(original, root, error) from None
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(part, 0o644)
            while True:
                name = unique_name(base, taken)
                target = root / name
                if target.parent != root:
                    raise UploadRejected(f"{original!r} would land outside the corpus folder.")
                try:
                    os.link(part, target)
                    return name
                except FileExistsError:
                    taken.add(name)
        except OSError as error:
            raise _not_stored(original, root, error) from None
        finally:
            Path(part).unlink(missing_ok=True)


def _not_stored(original: str, root: Path, error: OSError) -> UploadRejected:
    return UploadRejected(
        f"{original!r} could not be stored in {root} ({error.strerror or error}); nothing was added. "
        "Free some space or fix the folder's permissions, then upload it again."
    )


def store_uploads(sources: Sequence[Path], corpus: Path) -> list[Upload]:
    """Store every uploaded file in `corpus`, in order; one refused file does not stop the others."""
    uploads = []
    for source in sources:
        try:
            uploads.append(Upload(source.name, store_upload(source, corpus), None))
        except UploadRejected as error:
            uploads.append(Upload(source.name, None, str(error)))
    return uploads
