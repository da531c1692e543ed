"""Raw extracted text -> cleaned document text with its section headings.

Text extracted from PDFs has hard line wraps, words hyphenated across line and page breaks, blank
lines where pages end, and short heading lines. Cleaning joins wrapped lines into paragraphs
(separated by a blank line), keeps headings on their own line, and records where each section
starts, so that every later offset indexes this one cleaned string.

Three entry points, one output shape (CleanText):
  clean_text   plain text and Markdown (headings guessed, or Markdown `#` and setext headings);
  clean_pages  the text of each page of a PDF, cleaned as one text; records where each page starts;
  clean_blocks paragraphs and headings that the format itself marks (HTML, Word).
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from docqa.ingest.tables import CELL, is_row
from docqa.text import SOFT_HYPHEN, UNSPACED, plain_letters

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_SENTENCE_END = (".", "!", "?", ":", ";", ")", "\"", "”", "’", "'")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_MD_FENCE = re.compile(r"^(```|~~~)")
_MD_SETEXT = re.compile(r"^(=+|-+)$")
_MD_RULE = re.compile(r"^([-*_])( ?\1){2,}$")
# A plain text's underline: a line of one mark repeated, under a title as reStructuredText and READMEs
# write them ("Overview" over "--------"), or alone, a rule between parts. Under the document's first
# line it underlines the document's title, which stays a paragraph.
_UNDERLINE = re.compile(r"^([=\-~^*#+_])\1{2,}$")
# Inline Markdown that is markup, not text: links and images keep their words, emphasis and code spans
# their content ("**2.4 million**" -> "2.4 million", "[the FAQ](faq.html)" -> "the FAQ").
# A code span keeps what it holds as it is ("`__init__`" stays "__init__").
_MD_INLINE = (
    (re.compile(r"!?\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), r"\1"),
)
# A code span opens and closes with runs of as many backticks ("``--prefix``", "`` a`b ``"): CommonMark 6.1.
_MD_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# A list item starts a line of its own: "- Launch date: ..." is not joined to the item before it.
_MD_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+\S")
# A pipe table's delimiter row, under its header row: "|---|:---:|", "--- | ---:". Its rows are lines of
# cells between unescaped pipes; each row is read as its own line, cells joined with " | ", as an HTML
# or a Word table's rows are, and the delimiter row is dropped.
_MD_TABLE_DELIMITER = re.compile(r"^(?=[^|]*\|)\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$")
_MD_CELL_BORDER = re.compile(r"(?<!\\)\|")
# A section number before a heading's title: "1 Introduction", "2.3 Results", "4. Methods" (papers,
# manuals, standards). One or two digits a part, so that a year alone on a line ("2001") stays text.
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+")
# Characters of Unicode's private use area stand for a font's own glyphs, not for letters: a PDF of
# TeX gives the pieces of tall brackets in formulas so ("\uf8f7 X⊤X/σ2"). They are dropped.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]+")
_SOFT_BREAK = re.compile("\u00ad[ \t]*\n(?![ \t]*\n)[ \t]*")
# Unicode's hyphen (U+2010) and non-breaking hyphen at a line's end are a hyphen like "-": `man` breaks
# words with U+2010 ("speci\u2010" + "fied"), which is then joined as "speci-" + "fied" is.
_UNICODE_HYPHEN_END = re.compile("[\u2010\u2011](?=[ \t]*\n)")
# Words of letters, for the vocabulary a document spells whole (`_whole_words`), and the word a line ends
# in before its hyphen or starts with.
_LETTERS = re.compile(r"[^\W\d_]+")
_SPELT = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_BROKEN_END = re.compile(r"(?<![^\W\d_])([^\W\d_]+)-$")  # from the word's start: linear in the line
# Characters of code, not of a heading's words ("DEFINITIONS ::= BEGIN", "int main() {").
_CODE_MARKS = re.compile(r"[{}\[\]<>=;|\\]|::")
# A line of a formula, an address or a sentence cut by a display equation is no heading either: math
# operators or Greek letters ("R⊤ X RX", "Varθ,σ"), an e-mail or web address, a last word that needs
# the next line in lower case ("Therefore, we may write the hat matrix as"; "Appendix A" stays).
_MATH_MARKS = re.compile(r"[\u00b1\u00d7\u00f7\u0370-\u03ff\u2200-\u22ff\u27c0-\u27ef\u2980-\u2aff]")
_ADDRESS = re.compile(r"\S@\S|://|\bwww\.")
_OPEN_ENDINGS = frozenset("a an the of as and or by is are was were be than via into with".split())
_NUMBERS = re.compile(r"(?<![^\W\d_])\d+(?:[.,]\d+)*(?![^\W\d_])")  # standing alone, not in "CC0" or "Q1"
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_MONTHS = frozenset("january february march april may june july august september october november december".split())
MAX_HEADING_WORDS = 8
MAX_HEADING_CHARS = 70
# A run of characters without whitespace longer than this is no word: base64, a hex dump, a minified
# script, a text whose spaces were lost. English words stay under 50 and web addresses rarely pass 200.
# Such a run is dropped before cleaning: embedded whole it made a 50 MB one-line file one passage (8 GB).
# Scripts written without spaces (text.UNSPACED: Chinese, Japanese, Thai ...) are text however long a
# run of them is, and break such a run: split.py measures them a character at a time.
MAX_WORD_CHARS = 200
_OVERLONG = re.compile(r"[^\s%s]{%d,}" % (UNSPACED, MAX_WORD_CHARS + 1))


@dataclass(frozen=True)
class Section:
    """A heading and the offset in the cleaned text where its section starts (the heading line)."""

    title: str
    start: int


@dataclass(frozen=True)
class CleanText:
    """Cleaned text, its sections, and for paged formats the offset where each page starts.

    `pages[n - 1]` is the offset of the first character of page n; a page without text starts where
    the next page with text starts. `pages` is empty for formats without pages. `notes` say what was
    dropped as no text (`drop_overlong`).
    """

    text: str
    sections: tuple[Section, ...]
    pages: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()  # what cleaning dropped, for the build's warnings
    ocr_pages: tuple[int, ...] = ()  # the pages (1-based) whose text OCR read from their image

    def section_at(self, offset: int) -> str | None:
        """Title of the section that contains `offset`, or None before the first heading."""
        title = None
        for section in self.sections:
            if section.start > offset:
                break
            title = section.title
        return title

    def page_at(self, offset: int) -> int | None:
        """1-based number of the page holding `offset`, or None for a text without pages."""
        if not self.pages:
            return None
        return max(1, bisect_right(self.pages, offset))


@dataclass(frozen=True)
class Block:
    """A paragraph or a heading whose boundaries the format itself marks (an HTML element, a Word paragraph)."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class _Piece:
    """One source line inside a paragraph being joined: `glue` goes before it ("" after a hyphen)."""

    text: str
    page: int
    glue: str


@dataclass(frozen=True)
class _Paragraph:
    """A finished paragraph or heading, with (offset in `text`, page) where each page's text begins."""

    text: str
    heading: bool
    marks: tuple[tuple[int, int], ...]


def _row_like(line: str) -> bool:
    """A short line of two numbers or more besides years, ending no sentence: a table's row ("Vienna EUR 170
    EUR 50"), or a heading of versions ("Changes between 0.12 and 0.13") when no such line is beside it."""
    return (len(line.split()) <= MAX_HEADING_WORDS and not line.endswith(_SENTENCE_END)
            and len([n for n in _NUMBERS.findall(line) if not _YEAR.fullmatch(n)]) >= 2)


def _is_heading(line: str, prev: str | None, next_line: str | None, following: str | None,
                page_end: bool = False, preceding: str | None = None) -> bool:
    """A short capitalised line with no closing punctuation, standing after a finished sentence; the
    capital may follow a section number ("2.1 Related work").

    `next_line` is the line right after it, `following` the next non-blank one: a short line whose
    sentence goes on in lower case after a page break is the start of a paragraph, not a heading,
    unless it is written in capitals.
    A line of code is none: braces, brackets, angle brackets, "=", ";" or "::" mark it ("BEGIN",
    "Example { 1 2 3 4 }" in an ASN.1 listing are still taken: nothing marks them); nor is a line of a
    formula, an address, a label of one or two letters, or a sentence cut before a display equation
    (_MATH_MARKS, _ADDRESS, _OPEN_ENDINGS: lme4's paper lost 10 false headings of 63 so).
    A numbered line is no heading when it is a date ("12 December 2006") or the last line of a page
    (`page_end`), where page footers stand ("3 Annual Report 2023"); nor is a table's row set apart: a
    line of two numbers or more besides years, beside another (`preceding` is the non-blank line before).
    """
    words = line.split()
    if not words or len(words) > MAX_HEADING_WORDS or len(line) > MAX_HEADING_CHARS:
        return False
    title = _SECTION_NUMBER.sub("", line, count=1)
    if not title[:1].isupper() or line.endswith(_SENTENCE_END + (",", "-", SOFT_HYPHEN)) or _CODE_MARKS.search(line):
        return False
    if _MATH_MARKS.search(line) or _ADDRESS.search(line) or words[-1] in _OPEN_ENDINGS:
        return False
    if max(len(word) for word in _LETTERS.findall(title) or [""]) < 3:
        return False  # a plot's axis label or a symbol ("Z", "Cc"), not a title
    if title != line and (page_end or title.split()[0].lower().rstrip(",") in _MONTHS):
        return False
    beside = [_SECTION_NUMBER.sub("", near, count=1) for near in (preceding, following) if near]
    if _row_like(title) and any(map(_row_like, beside)):
        return False  # one of a table's rows set apart ("Madrid EUR 150 EUR 45", "Vienna EUR 170 EUR 50")
    if is_row(line):
        return False  # a table's row, its cells told apart ("Plan | Support hours | Channels")
    if following is not None and following[:1].islower() and not title.isupper():
        return False  # a title in capitals heads lower-case text ("SYNOPSIS" over "ls [OPTION]...")
    prev_done = prev is None or prev == "" or prev.endswith(_SENTENCE_END)
    next_apart = next_line is None or next_line == ""
    return prev_done and next_apart


_ITEM_NUMBER = re.compile(r"(\d{1,2})[.)]\s+\S")


def _item_number(line: str) -> int | None:
    """The number a line starts with as a list's item does ("2. Premium economy"), else None."""
    item = _ITEM_NUMBER.match(line)
    return int(item.group(1)) if item is not None else None


# A line that gives a field's value: a label of up to four words, the first capitalised, then a colon
# ("Chair: Henrik Vogel", "Minutes taken by: Anna Kowalski").
_FIELD = re.compile(r"[A-Z][\w'’-]*(?: [\w'’-]+){0,3}: \S")


def _starts_apart(line: str, last: str | None, numbers: set[int]) -> bool:
    """Whether `line` starts a paragraph of its own after the paragraph whose last line is `last` and whose
    lines start with the list items `numbers`: the next item of its list ("2. ..." where a line began
    "1. ..."), a list's first item after a line ending with a colon, or a field's value after a line that
    gave one ("Chair: ..." after "Date: ..."). In a PDF a list's items and a form's fields follow each
    other as closely as a paragraph's lines, and would run into one paragraph."""
    if last is None:
        return False
    number = _item_number(line)
    if number == 1:  # the first, after the line that introduces the list ("... as follows:")
        return last.rstrip().endswith(":")
    if number is not None and number - 1 in numbers:
        return True
    return _FIELD.match(line) is not None and _FIELD.match(last) is not None


def _continues_after_hyphen(last: str, line: str) -> bool:
    """Whether `line` goes on with the word or compound that `last` breaks after a hyphen: a letter or
    digit on both sides ("compu-" + "tation", "ELE-" + "MENT", "COVID-" + "19"), or a soft hyphen ends
    `last` (one that ended a page: `_lines`); a dash stands apart
    ("word -"). A suspended hyphen at a line's end ("pre-" + "and post-war") is taken for a compound's."""
    broken = (last.endswith("-") and last[-2:-1].isalnum()) or last.endswith(SOFT_HYPHEN)
    return broken and line[:1].isalnum()


def _whole_words(lines: Sequence[str]) -> frozenset[str]:
    """The lower-cased words and hyphenated compounds ("risk-hazard") that the lines spell whole: not
    the halves at a line's end before a hyphen and at the start of the next line."""
    words: set[str] = set()
    for n, line in enumerate(lines):
        found = _SPELT.findall(line.lower())
        if found and line.endswith(("-", SOFT_HYPHEN)):
            found.pop()
        if found and n and _continues_after_hyphen(lines[n - 1], line):
            found.pop(0)
        words.update(found)
    return frozenset(words)


# Endings that a typesetter's hyphenation breaks off a word, though the dictionary holds them as words.
_ENDINGS = frozenset("ing ings ed er ers est ness ment ments ate ates ated ward wards able ism ist ists ity ous ive".split())


# Whole English words, one a line: cleaning's own list, so that no reader (retrained with another
# vocabulary, or chosen by --reader) changes how documents are read. It was made from the WordPiece
# vocabulary of all-MiniLM-L6-v2 (the entries of two letters or more made only of letters: 21,722 of
# 30,522), so a word joined from them is one the trained reader reads whole. It is part of how documents
# are read: a change to it changes passages, and must come with a new split.READING (tests/ingest check
# its digest).
WORDS_FILE = Path(__file__).with_name("words.txt")


def is_word(word: str) -> bool:
    """Whether `word` (any case) is a whole English word of WORDS_FILE: an ordinary word, where "gpl",
    "zlib" and "lme4" are names."""
    return word.lower() in _dictionary()


@functools.lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    """The words of WORDS_FILE."""
    return frozenset(WORDS_FILE.read_text(encoding="utf-8").split())


# Two halves this long, the second a word, are a compound whose first word the dictionary lacks; a syllable
# broken off is shorter ("statis-" + "tics", "pheno-" + "type").
_COMPOUND_HALF = 5


def _breaks_word(last: str, line: str, whole: frozenset[str]) -> bool:
    """Whether the hyphen ending `last` only breaks a word across the line ("compu-" + "tation"),
    rather than joining a compound ("risk-" + "hazard"). Typeset text (papers, books) breaks words at
    line ends. The document decides first: it spells the joined word whole elsewhere (a break), or
    the hyphenated one (a compound); else a joined word in the dictionary (`_dictionary`) is a break,
    unless a capital starts the second half after a first half not in capitals ("South-" + "West",
    "Trans-" + "Atlantic": compounds of names; "ELE-" + "MENT" is a break); else the hyphen stays only
    between two dictionary words ("well-" + "known"): a half that is no word is a syllable that
    typesetting broke off ("pes-" + "simism", "mod-" + "ernisation", "in-" + "ferred"), and so is an
    ending that is a word too ("fetch-" + "ing", "attractive-" + "ness"); but two halves of five letters
    or more, the second a word, are a compound the dictionary lacks ("megawatt-" + "hours")."""
    left, right = _BROKEN_END.search(last), _LETTERS.match(line)
    if not (left and right):
        return False
    halves = left.group(1).lower(), right.group().lower()
    joined = "".join(halves)
    if joined in whole or "-".join(halves) in whole:
        return joined in whole
    if right.group()[:1].isupper() and not left.group(1).isupper():
        return False
    words = _dictionary()
    if not words:
        return False
    if joined in words or halves[1] in _ENDINGS:
        return True
    if len(halves[0]) >= _COMPOUND_HALF and len(halves[1]) >= _COMPOUND_HALF and halves[1] in words:
        return False  # a word the dictionary lacks, then a word: "megawatt-" + "hours", not a syllable's break
    return not (halves[0] in words and halves[1] in words)


def _joins_across_gap(prev: str, nxt: str) -> bool:
    """A page break inside a sentence: the previous line is unfinished and the next starts lower case,
    or the previous page ended in a soft hyphen and the next goes on with the word."""
    if prev.endswith(SOFT_HYPHEN):
        return nxt[:1].isalnum()
    rows = is_row(prev) or is_row(nxt)  # a table's row stands alone
    return not rows and not prev.endswith(_SENTENCE_END) and nxt[:1].islower()


def drop_overlong(texts: Sequence[str]) -> tuple[list[str], tuple[str, ...]]:
    """`texts` without their runs of more than MAX_WORD_CHARS characters without whitespace, and the
    note that says what went (none when nothing did)."""
    runs: list[int] = []

    def drop(match: re.Match[str]) -> str:
        runs.append(len(match.group()))
        return ""

    kept = [_OVERLONG.sub(drop, text) for text in texts]
    if not runs:
        return kept, ()
    what = "1 run" if len(runs) == 1 else f"{len(runs):,} runs"
    return kept, (f"dropped {what} of more than {MAX_WORD_CHARS} characters without a space (the longest "
                  f"{max(runs):,}): no word is that long",)


def clean_text(raw: str, markdown: bool = False) -> CleanText:
    """Join wrapped lines and hyphenated words, collapse spaces, keep paragraphs and headings.

    Output: paragraphs and headings separated by "\\n\\n"; inside a paragraph single spaces.
    A line ending in "letter-" followed by a lower-case word (across a line or page break) is
    joined with the hyphen kept ("risk-" + "hazard" -> "risk-hazard"), or without it where the
    document spells the joined word whole elsewhere or the dictionary knows it ("compu-" + "tation"
    -> "computation", see `_breaks_word`). `pages` is empty.
    """
    kept, notes = drop_overlong([raw])
    return _assemble(_paragraphs(kept, markdown), pages=0, notes=notes)


def clean_pages(pages: Sequence[str]) -> CleanText:
    """Clean the extracted text of each page as one text (a sentence or a hyphenated word may run
    across a page break); `pages` of the result has one start offset per input page."""
    kept, notes = drop_overlong(pages)
    return _assemble(_paragraphs(kept, markdown=False), pages=len(pages), notes=notes)


def clean_blocks(blocks: Iterable[Block]) -> CleanText:
    """Paragraphs and headings as the format marks them: whitespace inside a block collapses to single
    spaces, empty blocks are dropped, blocks are separated by "\\n\\n", headings become sections."""
    blocks = list(blocks)
    kept, notes = drop_overlong([block.text for block in blocks])
    paragraphs = []
    for block, raw in zip(blocks, kept):
        text = " ".join(plain_letters(raw.replace("\x00", "")).split())
        if text:
            paragraphs.append(_Paragraph(text, block.heading, ((0, 1),)))
    return _assemble(paragraphs, pages=0, notes=notes)


def markdown_inline(line: str) -> str:
    """A line of Markdown text without its inline markup (_MD_INLINE): code spans first, whose text is
    kept as it is, then links, images and emphasis in the text around them."""
    out = []
    last = 0
    for code in _MD_CODE.finditer(line):
        inner = code.group(2)
        if len(inner) > 2 and inner[0] == inner[-1] == " " and inner.strip():
            inner = inner[1:-1]  # the space that parts the backticks from code that starts or ends with one
        out += [_md_text(line[last:code.start()]), inner]
        last = code.end()
    return "".join([*out, _md_text(line[last:])])


def _table_row(line: str) -> str:
    """A Markdown pipe table's row as docqa reads a table's row (ingest/tables.py): its cells' text joined
    with CELL, an empty one in its place, the outer pipes dropped, an escaped pipe ("\\|") kept as a pipe."""
    cells = [markdown_inline(cell.strip()).replace("\\|", "|") for cell in _MD_CELL_BORDER.split(line.strip())]
    if cells and not cells[0] and line.strip().startswith("|"):
        cells = cells[1:]
    if cells and not cells[-1] and line.strip().endswith("|") and not line.strip().endswith("\\|"):
        cells = cells[:-1]
    return CELL.join(cells).rstrip()


def _md_text(text: str) -> str:
    for pattern, kept in _MD_INLINE:
        text = pattern.sub(kept, text)
    return text


# A box drawn around text, as licences set off their disclaimers: a border of one character repeated
# ("*****") and lines framed by it ("*  6. Disclaimer of Warranty  *"). Its text is kept, the frame is not.
_BORDER = re.compile(r"^([*#=+|-])\1{9,}$")
_FRAMED = re.compile(r"^([*#|])(?: (.*?))? ?\1$")
_BOX_MIN_LINES = 3


def _frame(line: str) -> re.Match[str] | None:
    """The match of a box's border or framed line (its group 1 the frame's character), else None."""
    return _BORDER.match(line) or _FRAMED.match(line)


def _unboxed(lines: list[str]) -> list[str]:
    """`lines` with each box's frame taken off: its borders blank, its framed lines their text (an
    underline of dashes inside one blank too). A box is a run of at least three lines, each a border or
    framed, by one character."""
    out = list(lines)
    n = 0
    while n < len(lines):
        framed = _frame(lines[n])
        if framed is None:
            n += 1
            continue
        end = n
        while end < len(lines) and (m := _frame(lines[end])) is not None and m.group(1) == framed.group(1):
            end += 1
        if end - n >= _BOX_MIN_LINES:
            for k in range(n, end):
                inner = _frame(lines[k])
                text = (inner.group(2) or "") if inner.re is _FRAMED else ""  # a border holds no text
                out[k] = "" if re.fullmatch(r"[-=]{3,}", text) else text
        n = max(end, n + 1)
    return out


def _margin_headings(raw: Sequence[str]) -> set[int]:
    """Where a capitalised title at the left margin heads indented text, as a manual page's sections
    do ("NAME", "SEE ALSO" over lines indented by seven spaces): the title's line numbers. Such a title
    stands apart as if a blank line followed it."""
    return {n for n, (line, nxt) in enumerate(zip(raw, raw[1:]))
            if line[:1].isalpha() and line.isupper() and len(line.split()) <= MAX_HEADING_WORDS
            and nxt[:1] in (" ", "\t") and nxt.strip()}


def _lines(raw: str) -> list[str]:
    """The page's lines, spaces collapsed, ligatures written out, private-use glyphs dropped, a Unicode
    hyphen at a line's end written as "-", a blank line after a title heading indented text
    (`_margin_headings`). A word broken at a soft hyphen is joined; a soft hyphen that ends the page's
    last line stays there, for the word goes on on the next page (`_paragraphs` joins it), and every
    other one is dropped."""
    text = _PRIVATE_USE.sub("", raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))
    text = _UNICODE_HYPHEN_END.sub("-", text)
    split = _SOFT_BREAK.sub("", text).split("\n")
    titles = _margin_headings(split)
    lines = _unboxed([_SPACES.sub(" ", line).strip() for line in split])
    lines = [part for n, line in enumerate(lines) for part in ((line, "") if n in titles else (line,))]
    last = max((n for n, line in enumerate(lines) if line.replace(SOFT_HYPHEN, "")), default=-1)
    return [plain_letters(line) + (SOFT_HYPHEN if n == last and line.endswith(SOFT_HYPHEN) else "")
            for n, line in enumerate(lines)]


def _page_lines(pages: Sequence[str]) -> tuple[list[str], list[int]]:
    """The lines of every page (`_lines`) with a blank line between pages, and each line's page."""
    lines: list[str] = []
    line_pages: list[int] = []
    for number, page in enumerate(pages, start=1):
        if lines:
            lines.append("")
            line_pages.append(number)
        page_lines = _lines(page)
        lines.extend(page_lines)
        line_pages.extend([number] * len(page_lines))
    return lines, line_pages


def _paragraph_of(pieces: list[_Piece]) -> _Paragraph:
    """The paragraph the joined `pieces` make, with where each page's text begins in it."""
    if pieces[-1].text.endswith(SOFT_HYPHEN):  # the document's last word, unbroken
        pieces = [*pieces[:-1], _Piece(pieces[-1].text[:-1], pieces[-1].page, pieces[-1].glue)]
    marks: list[tuple[int, int]] = []
    offset = 0
    for piece in pieces:
        offset += len(piece.glue)
        if not marks or marks[-1][1] != piece.page:
            marks.append((offset, piece.page))
        offset += len(piece.text)
    return _Paragraph("".join(piece.glue + piece.text for piece in pieces), False, tuple(marks))


class _Paragraphs:
    """Paragraphs and headings as `_paragraphs` finds them, line after line: the finished ones, and the
    pieces of the one being joined."""

    def __init__(self, lines: list[str]):
        self.done: list[_Paragraph] = []
        self.current: list[_Piece] = []
        self.numbers: set[int] = set()  # the list items' numbers that lines of the current paragraph start with
        self.in_fence = False
        self.in_table = False  # inside a Markdown pipe table, after its delimiter row
        self._whole = functools.cache(lambda: _whole_words(lines))  # read through only when a line breaks a word

    def flush(self) -> None:
        if self.current:
            self.done.append(_paragraph_of(self.current))
            self.current.clear()
        self.numbers.clear()

    def heading(self, text: str, page: int) -> None:
        self.done.append(_Paragraph(text, True, ((0, page),)))

    def append(self, line: str, page: int) -> None:
        current = self.current
        last = current[-1].text if current else ""
        hyphenated = _continues_after_hyphen(last, line)
        if hyphenated and (last.endswith(SOFT_HYPHEN) or _breaks_word(last, line, self._whole())):
            current[-1] = _Piece(last[:-1], current[-1].page, current[-1].glue)
        current.append(_Piece(line, page, "" if hyphenated or not current else " "))
        if (number := _item_number(line)) is not None:
            self.numbers.add(number)

    def markdown(self, line: str, page: int) -> bool:
        """Take a line of Markdown syntax (a fence, a heading, a setext underline, a rule, a pipe table's
        delimiter row and the rows under it); False for text."""
        self.in_table = self.in_table and bool(_MD_CELL_BORDER.search(line))
        if _MD_FENCE.match(line):
            # Code in a fence is text: a `# comment` there is no heading. The fence line itself is syntax.
            self.flush()
            self.in_fence = not self.in_fence
        elif self.in_fence:
            return False
        elif self.in_table and _MD_CELL_BORDER.search(line):
            self.flush()
            self.done.append(_Paragraph(_table_row(line), False, ((0, page),)))
        elif self.current and _MD_TABLE_DELIMITER.match(line) and _MD_CELL_BORDER.search(self.current[-1].text):
            header = self.current.pop()  # a table may follow a paragraph's last line with no blank line
            self.flush()
            self.done.append(_Paragraph(_table_row(header.text), False, ((0, header.page),)))
            self.in_table = True
        elif atx := _MD_HEADING.match(line):
            self.flush()
            if atx.group(1).rstrip(SOFT_HYPHEN):
                self.heading(atx.group(1).rstrip(SOFT_HYPHEN), page)
        elif len(self.current) == 1 and _MD_SETEXT.match(line):
            # Setext: a `===` or `---` line under a one-line paragraph makes that line a heading.
            self.heading(self.current[0].text, self.current[0].page)
            self.current.clear()
        elif not self.current and _MD_RULE.match(line):
            pass  # a thematic break (---, ***) carries no text
        else:
            return False
        return True


def _paragraphs(pages: Sequence[str], markdown: bool) -> list[_Paragraph]:
    """Paragraphs and headings of the pages' lines, in order; a page break counts as a blank line."""
    lines, line_pages = _page_lines(pages)
    # The last non-blank line of each page, where a document of several pages has its footers.
    last_line = {line_pages[i]: i for i in range(len(lines)) if lines[i]}
    page_ends = set(last_line.values()) if len(pages) > 1 else set()
    found = _Paragraphs(lines)
    index = 0
    while index < len(lines):
        line, page = lines[index], line_pages[index]
        if not line:
            # Look past the gap: a page break in mid-sentence continues the paragraph (in Markdown a blank
            # line always ends one).
            nxt = index
            while nxt < len(lines) and not lines[nxt]:
                nxt += 1
            if markdown or not (found.current and nxt < len(lines)
                                and _joins_across_gap(found.current[-1].text, lines[nxt])):
                found.flush()
            found.in_table = False
            index = nxt
            continue
        if not (markdown and found.markdown(line, page)):
            if markdown and not found.in_fence:
                if _MD_ITEM.match(line):
                    found.flush()
                line = markdown_inline(line)
            prev = found.current[-1].text if found.current else None
            nxt_line = lines[index + 1] if index + 1 < len(lines) else None
            following = next((lines[j] for j in range(index + 1, len(lines)) if lines[j]), None)
            preceding = next((lines[j] for j in range(index - 1, -1, -1) if lines[j]), None)
            if not markdown and _UNDERLINE.match(line):
                title = found.current[0].text if len(found.current) == 1 else None
                if (title is not None and found.done and len(title.split()) <= MAX_HEADING_WORDS
                        and len(line) * 2 >= len(title)):
                    found.heading(title, found.current[0].page)
                    found.current.clear()
                else:
                    # A rule between parts, or a title's overline, holds no text; the document's own title
                    # (its first line) stays its first paragraph, where its name is read (index/named.py).
                    found.flush()
            elif not markdown and _is_heading(line, prev, nxt_line, following, index in page_ends, preceding):
                found.flush()
                found.heading(line, page)
            else:
                if not markdown and _starts_apart(line, prev, found.numbers):
                    found.flush()  # "2. Premium economy ..." after "1. Economy ...": a list's items apart
                found.append(line, page)
        index += 1
    found.flush()
    return found.done


def _assemble(paragraphs: list[_Paragraph], pages: int, notes: tuple[str, ...] = ()) -> CleanText:
    """Join paragraphs with "\\n\\n"; record section starts and, for `pages` > 0, page starts."""
    parts: list[str] = []
    sections: list[Section] = []
    first_offset: dict[int, int] = {}
    offset = 0
    for paragraph in paragraphs:
        if parts:
            offset += 2
        if paragraph.heading:
            sections.append(Section(title=paragraph.text, start=offset))
        for local, page in paragraph.marks:
            first_offset.setdefault(page, offset + local)
        parts.append(paragraph.text)
        offset += len(paragraph.text)
    starts: list[int] = []
    for number in range(pages, 0, -1):
        starts.append(first_offset.get(number, starts[-1] if starts else offset))
    return CleanText(text="\n\n".join(parts), sections=tuple(sections), pages=tuple(reversed(starts)), notes=notes)
