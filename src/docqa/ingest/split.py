"""Cleaned text -> sentences -> passages of whole sentences, with character offsets.

Offsets are computed while splitting and index the cleaned document text, so that
`document.text[p.start:p.end] == p.text` holds for every passage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pysbd

from docqa.ingest.clean import MAX_WORD_CHARS, CleanText
from docqa.ingest.tables import header_before, tables
from docqa.settings import SplitSettings
from docqa.text import UNSPACED
from docqa.types import Passage

# How this docqa turns a file's bytes into passages (ingest/corpus.py reads, ingest/clean.py cleans, this module
# splits). Raise it with every change that gives an unchanged file other passages: an index built with
# another value reads every file again, keeping the vectors of the passages whose text did not change.
# 14: an HTML table that lays out paragraphs (a cell of it holds several, or a list or code) read as its
# paragraphs, every row of it (13 read a row of one paragraph as a row of cells);
# 13: a plain text's underlined titles ("Overview" over "--------") headings, a sentence no longer cut at a dot
# that starts a word ("the .xz format"), Markdown code spans of two backticks ("``--prefix``") read as code;
# 12: a PDF table's rows, as a browser or a word processor prints them, read as rows of cells (formats.pdf_table_rows);
# 11: a passage that starts inside a table knows the table's header row (Passage.table_header); a Word table's
# empty cells keep their places; a Markdown pipe table read row by row, cells joined with " | ", its delimiter
# row dropped; in Markdown a blank line always ends a paragraph;
# 10: a PDF page spaced by its paragraphs (a Word or browser PDF of short paragraphs, code between a paper's
# lines) has its paragraphs and headings told apart by its body lines' own step (formats.line_step); a title in
# capitals over indented text (a manual page's NAME, SYNOPSIS) is a heading, and a short line of a .docx in bold;
# a .docx's numbered list items keep the numbers Word shows ("1.", "(a)"); a browser's print stamp and
# "file:///... 1/2" footer dropped from a PDF's pages, a page of few lines spaced as its document, a PDF title
# wrapped onto two lines one heading, a table's rows set apart no headings; "megawatt-" + "hours" keeps its hyphen;
# a numbered list's items and a form's fields ("Chair: ...") paragraphs of their own;
# 9: passages know where the pages they run onto start (an answer's page); a word broken at a Unicode
# hyphen (U+2010, as `man` breaks them) at a line's end joined like one at "-"; an HTML page named .txt read as HTML;
# 8: a text with no UTF-8 beyond ASCII read as Windows-1252 instead of with U+FFFD for its accents;
# 7: Markdown's inline markup (emphasis, links, code spans) dropped and its list items on lines of their own,
# and the frame of a box of text ("*  6. Disclaimer of Warranty  *") taken off;
# 6: a PDF's pages without a text layer read by OCR; 5: runs of over 200 characters without a space dropped, max_words a hard bound on a passage, pysbd
# given at most 10,000 characters at once; 4: form feeds end the pages of a .txt file; 3: PDF words parted where a TeX font's space code holds
# a visible space; 2: a word broken at a line end joins when a half is no word; 1: the headings and
# glyphs of 2026-11-30's long-paper work; 0: indexes built before it.
READING = 14

# A word: a run of non-space characters, or one character of a script written without spaces (text.UNSPACED),
# so that a Chinese paragraph is measured and cut a character at a time rather than as one word.
_WORD = re.compile(r"[%s]|[^\s%s]+" % (UNSPACED, UNSPACED))
_OVERLONG = re.compile(r"[^\s%s]{%d,}" % (UNSPACED, MAX_WORD_CHARS + 1))
_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")
_SENTENCE_END = re.compile(r"[.!?][\"')\]”’]*\s")
_SPACE = re.compile(r"\s")
_WORD_DOT = re.compile(r"(?:^|\s)\.$")
# pysbd's rules are regular expressions over all the text it is given: a paragraph of megabytes (a file
# without line breaks) kept it busy for minutes. It is given pieces of at most this many characters, cut
# after a sentence's end where the piece's second half has one, else at a space.
MAX_SEGMENT_CHARS = 10_000


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def _segmenter() -> pysbd.Segmenter:
    # A new one per use (2 µs): segment() keeps the text it splits on the Segmenter itself
    # (self.original_text), so threads sharing one got each other's sentences.
    return pysbd.Segmenter(language="en", clean=False)


def _word_chunks(text: str, offset: int, max_words: int) -> list[Sentence]:
    """Cut an over-long run of words (a list, a table, text without punctuation) into pieces."""
    words = list(_WORD.finditer(text))
    pieces = []
    for first in range(0, len(words), max_words):
        chunk = words[first : first + max_words]
        start, end = chunk[0].start(), chunk[-1].end()
        pieces.append(Sentence(offset + start, offset + end, text[start:end]))
    return pieces


def _last(pattern: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    """Where the last match of `pattern` within text[start:end] ends, or None."""
    last = None
    for match in pattern.finditer(text, start, end):
        last = match.end()
    return last


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """text[start:end] as (start, end) pieces of at most MAX_SEGMENT_CHARS, cut after a sentence end
    in a piece's second half where there is one, else after its last space (a piece without a space
    is cut where it must)."""
    pieces = []
    while end - start > MAX_SEGMENT_CHARS:
        half, limit = start + MAX_SEGMENT_CHARS // 2, start + MAX_SEGMENT_CHARS
        found = _last(_SENTENCE_END, text, half, limit) or _last(_SPACE, text, start + 1, limit)
        cut = found if found is not None else limit
        pieces.append((start, cut))
        start = cut
    return [*pieces, (start, end)] if end > start else pieces


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the stretches of `text` that sentence splitting reads: between its runs of more
    than MAX_WORD_CHARS characters without whitespace (which no passage holds: clean.py drops them from
    documents, this keeps any other text safe), each at most MAX_SEGMENT_CHARS long."""
    stretches, cursor = [], 0
    for run in _OVERLONG.finditer(text):
        stretches += _bounded(text, cursor, run.start())
        cursor = run.end()
    return stretches + _bounded(text, cursor, len(text))


def _joined(pieces: list[str]) -> list[str]:
    """pysbd's sentences, those it cut at a dot that starts a word joined again ("the .xz format", "a
    .tar.gz file", "the .NET runtime": it ended sentences at "the ."), where a sentence's end is followed
    by a space."""
    out: list[str] = []
    for piece in pieces:
        if out and _WORD_DOT.search(out[-1]) and piece[:1].isascii() and piece[:1].isalnum():
            out[-1] += piece
        else:
            out.append(piece)
    return out


def split_sentences(text: str, max_words: int = 120) -> list[Sentence]:
    """Sentences of `text` with offsets into it; never across a paragraph break ("\\n\\n"), never
    holding more than `max_words` words nor a run of more than MAX_WORD_CHARS characters without a space."""
    sentences: list[Sentence] = []
    for paragraph in _PARAGRAPH.finditer(text):
        whole = paragraph.group()
        for lo, hi in segments(whole):
            body = whole[lo:hi]
            cursor = 0
            for segment in _joined(_segmenter().segment(body)):
                stripped = segment.strip()
                if not stripped:
                    continue
                # pysbd returns the segments in order; locating each from the cursor keeps the right occurrence.
                local = body.find(stripped, cursor)
                if local < 0:
                    raise ValueError(f"sentence splitter changed the text near offset {paragraph.start() + lo + cursor}")
                cursor = local + len(stripped)
                start = paragraph.start() + lo + local
                if len(_WORD.findall(stripped)) > max_words:
                    sentences.extend(_word_chunks(stripped, start, max_words))
                else:
                    sentences.append(Sentence(start, start + len(stripped), stripped))
    return sentences


def passage_id(document: str, start: int, end: int, text: str) -> str:
    """Content hash: the same words at the same place of the same document keep their id."""
    digest = hashlib.sha256(f"{document}\x00{start}\x00{end}\x00{text}".encode("utf-8"))
    return digest.hexdigest()[:16]


def _pack(sentences: list[Sentence], settings: SplitSettings) -> list[list[Sentence]]:
    """Greedy packing of sentences into groups of at most max_words, overlapping by whole sentences.
    max_words is a hard bound: a group is closed before the sentence that would overflow it, however
    short it is (a group under min_words took that sentence before 2026-12-07: 130-word passages)."""
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    words = 0
    for sentence in sentences:
        count = len(_WORD.findall(sentence.text))
        if current and words + count > settings.max_words:
            groups.append(current)
            keep = current[len(current) - settings.overlap_sentences :] if settings.overlap_sentences else []
            # An overlap that would itself overflow the next passage is dropped.
            if sum(len(_WORD.findall(s.text)) for s in keep) + count > settings.max_words:
                keep = []
            current = list(keep)
            words = sum(len(_WORD.findall(s.text)) for s in current)
        current.append(sentence)
        words += count
    if current and (not groups or current[-1] is not groups[-1][-1]):
        groups.append(current)
    return groups


def _between_runs(text: str, sentences: list[Sentence]) -> list[list[Sentence]]:
    """The sentences in runs that no over-long run of non-space characters separates: a passage spans
    its sentences and what lies between them, so it must never span such a run."""
    runs: list[list[Sentence]] = []
    for sentence in sentences:
        if runs and not _OVERLONG.search(text, runs[-1][-1].end, sentence.start):
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def split_passages(document: str, clean: CleanText, settings: SplitSettings) -> list[Passage]:
    """Passages of whole sentences, never across a section heading. A passage's `page` is the
    1-based page where it starts (None for a text without pages), `page_breaks` where the pages it runs
    onto start."""
    text = clean.text
    bounds = [s.start for s in clean.sections] + [len(text)]
    if not clean.sections or clean.sections[0].start > 0:
        bounds.insert(0, 0)
    passages: list[Passage] = []
    in_tables = tables(text)
    for lo, hi in zip(bounds, bounds[1:]):
        section = clean.section_at(lo)
        body_start = lo
        if clean.sections and any(s.start == lo for s in clean.sections):
            body_start = lo + len(section or "")
        body = text[body_start:hi]
        sentences = [
            Sentence(body_start + s.start, body_start + s.end, s.text)
            for s in split_sentences(body, settings.max_words)
        ]
        groups = [group for run in _between_runs(text, sentences) for group in _pack(run, settings)]
        for group in groups:
            start, end = group[0].start, group[-1].end
            passages.append(
                Passage(
                    id=passage_id(document, start, end, text[start:end]),
                    document=document,
                    start=start,
                    end=end,
                    text=text[start:end],
                    section=section,
                    page=clean.page_at(start),
                    ocr=clean.page_at(start) in clean.ocr_pages,
                    page_breaks=tuple(p for p in clean.pages if start < p < end),
                    table_header=header_before(text, start, in_tables),
                )
            )
    return passages
