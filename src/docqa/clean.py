"""Raw extracted text -> cleaned document text with its section headings.

Text extracted from PDFs has hard line wraps, words hyphenated across line and page breaks, blank
lines where pages end, and short heading lines. Cleaning joins wrapped lines into paragraphs
(separated by a blank line), keeps headings on their own line, and records where each section
starts, so that every later offset indexes this one cleaned string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_SENTENCE_END = (".", "!", "?", ":", ";", ")", "\"", "”", "’", "'")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
MAX_HEADING_WORDS = 8
MAX_HEADING_CHARS = 70


@dataclass(frozen=True)
class Section:
    """A heading and the offset in the cleaned text where its section starts (the heading line)."""

    title: str
    start: int


@dataclass(frozen=True)
class CleanText:
    text: str
    sections: tuple[Section, ...]

    def section_at(self, offset: int) -> str | None:
        """Title of the section that contains `offset`, or None before the first heading."""
        title = None
        for section in self.sections:
            if section.start > offset:
                break
            title = section.title
        return title


def _is_heading(line: str, prev: str | None, next_line: str | None, following: str | None) -> bool:
    """A short capitalised line with no closing punctuation, standing after a finished sentence.

    `next_line` is the line right after it, `following` the next non-blank one: a short line whose
    sentence goes on in lower case after a page break is the start of a paragraph, not a heading.
    """
    words = line.split()
    if not words or len(words) > MAX_HEADING_WORDS or len(line) > MAX_HEADING_CHARS:
        return False
    if not line[0].isupper() or line.endswith(_SENTENCE_END + (",", "-")):
        return False
    if following is not None and following[:1].islower():
        return False
    prev_done = prev is None or prev == "" or prev.endswith(_SENTENCE_END)
    next_apart = next_line is None or next_line == ""
    return prev_done and next_apart


def _joins_across_gap(prev: str, nxt: str) -> bool:
    """A page break inside a sentence: the previous line is unfinished and the next starts lower case."""
    return not prev.endswith(_SENTENCE_END) and nxt[:1].islower()


def clean_text(raw: str, markdown: bool = False) -> CleanText:
    """Join wrapped lines and hyphenated words, collapse spaces, keep paragraphs and headings.

    Output: paragraphs and headings separated by "\\n\\n"; inside a paragraph single spaces.
    A line ending in "letter-" followed by a lower-case word (across a line or page break) is
    joined with the hyphen kept ("risk-" + "hazard" -> "risk-hazard").
    """
    lines = [_SPACES.sub(" ", line).strip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    blocks: list[tuple[str, bool]] = []  # (text, is_heading), in order
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append((" ".join(current).replace("\x00", ""), False))
            current.clear()

    def append_line(line: str) -> None:
        if current and current[-1].endswith("-") and current[-1][-2:-1].isalpha() and line[:1].islower():
            current[-1] = current[-1] + line
        else:
            current.append(line)

    index = 0
    while index < len(lines):
        line = lines[index]
        if not line:
            # Look past the gap: a page break in mid-sentence continues the paragraph.
            nxt = index
            while nxt < len(lines) and not lines[nxt]:
                nxt += 1
            if current and nxt < len(lines) and _joins_across_gap(current[-1], lines[nxt]):
                index = nxt
                continue
            flush()
            index = nxt
            continue
        md = _MD_HEADING.match(line) if markdown else None
        if md:
            flush()
            if md.group(1):
                blocks.append((md.group(1), True))
        else:
            prev = current[-1] if current else (lines[index - 1] if index > 0 else None)
            nxt_line = lines[index + 1] if index + 1 < len(lines) else None
            following = next((lines[j] for j in range(index + 1, len(lines)) if lines[j]), None)
            if not markdown and _is_heading(line, prev if current else None, nxt_line, following):
                flush()
                blocks.append((line, True))
            else:
                append_line(line)
        index += 1
    flush()

    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for text, heading in blocks:
        if parts:
            offset += 2
        if heading:
            sections.append(Section(title=text, start=offset))
        parts.append(text)
        offset += len(text)
    return CleanText(text="\n\n".join(parts), sections=tuple(sections))
