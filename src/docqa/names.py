"""A file name as docqa shows it, in a message, a page or a report. Standard library only: errors.py,
at the very bottom, uses it too."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath


def name_words(name: str) -> str:
    """A document's file name as the words it names it by: its stem, "_" and "-" as spaces
    ("papers/zoo_2005-notes.pdf" -> "zoo 2005 notes"). The reader and the check on unstated names read
    it beside a passage's words."""
    return PurePosixPath(name).stem.replace("_", " ").replace("-", " ")


def display_name(name: str) -> str:
    """A file name as a message or a page shows it: control and format characters (a newline, a
    right-to-left override) written as escapes, so that a name cannot break a line or disguise itself."""
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in name
    )
