"""A corpus of text files -> a copy whose text reads as a typeset PDF's extracted text does.

Measures what docqa's cleaning (docqa.clean) recovers of such text: index the copy and run `docqa eval`
with the original's questions, against the previous version's code.

    python benchmarks/typeset_corpus.py /tmp/squad2-heldout/corpus /tmp/typeset/corpus --ligatures
    python benchmarks/typeset_corpus.py /tmp/squad2-heldout/corpus /tmp/wrapped/corpus --wrap 75
    docqa index --corpus /tmp/typeset/corpus --index /tmp/typeset/index --full
    docqa eval /tmp/squad2-heldout/qa.jsonl --corpus /tmp/typeset/corpus --index /tmp/typeset/index

--ligatures writes every "ffi", "ffl", "ff", "fi" and "fl" as the one character a LaTeX PDF's text gives
("ﬃ"...). --wrap N breaks each paragraph of more than 12 words into lines of at most N characters, and
a word of 7 letters or more that does not fit is broken in its middle with a hyphen, as typesetting
does ("Buil-" / "ding"). Both may be given. Counts go to standard output.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

LIGATURES = (("ffi", "\ufb03"), ("ffl", "\ufb04"), ("ff", "\ufb00"), ("fi", "\ufb01"), ("fl", "\ufb02"))
BREAKABLE = re.compile(r"[A-Za-z]{7,}")


def with_ligatures(text: str) -> tuple[str, int]:
    count = 0
    for letters, ligature in LIGATURES:
        count += text.count(letters)
        text = text.replace(letters, ligature)
    return text, count


def wrapped(paragraph: str, width: int) -> tuple[str, int]:
    """The paragraph in lines of at most `width` characters, long words broken by a hyphen; the breaks."""
    lines: list[str] = []
    line, breaks = "", 0
    for word in paragraph.split():
        if not line or len(line) + 1 + len(word) <= width:
            line = f"{line} {word}" if line else word
            continue
        room = width - len(line) - 2  # a space and the hyphen
        cut = min(room, len(word) // 2)
        if BREAKABLE.fullmatch(word) and cut >= 3 and len(word) - cut >= 3:
            lines.append(f"{line} {word[:cut]}-")
            line, breaks = word[cut:], breaks + 1
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return "\n".join(lines), breaks


def typeset(text: str, ligatures: bool, width: int | None) -> tuple[str, int, int]:
    breaks = 0
    if width:
        paragraphs = []
        for paragraph in re.split(r"\n\s*\n", text):
            if len(paragraph.split()) > 12:
                paragraph, n = wrapped(paragraph, width)
                breaks += n
            paragraphs.append(paragraph)
        text = "\n\n".join(paragraphs)
    count = 0
    if ligatures:
        text, count = with_ligatures(text)
    return text, count, breaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of .txt documents")
    parser.add_argument("out", type=Path, help="folder for the typeset copies (created)")
    parser.add_argument("--ligatures", action="store_true")
    parser.add_argument("--wrap", type=int, default=None, metavar="N")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = ligatures = breaks = 0
    for path in sorted(args.source.glob("*.txt")):
        text, count, broken = typeset(path.read_text(encoding="utf-8"), args.ligatures, args.wrap)
        (args.out / path.name).write_text(text, encoding="utf-8")
        files, ligatures, breaks = files + 1, ligatures + count, breaks + broken
    print(f"{files} documents written to {args.out}: {ligatures} ligatures, {breaks} words broken at line ends")


if __name__ == "__main__":
    main()
