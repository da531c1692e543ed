"""Tables in cleaned text: formats.py and clean.py write an HTML, Word or Markdown table as one paragraph
per row, its cells joined with CELL ("London | GBP 210 | GBP 65"). A table is a run of two rows or more,
one paragraph after another; its first row is its header where it reads as one (`_heads`).

Pure functions over character offsets: the splitter tells a passage that starts inside a table its
header (`header_before`), and the reader reads each row with its header (read/table_view.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CELL = " | "
# A "|" between two cells: a space or the row's edge on both sides (an empty cell keeps its place: "a | | c").
_BORDER = re.compile(r"(?:(?<= )|^)\|(?= |$)")
_LINE = re.compile(r"[^\n]+")
# A cell that states a value rather than naming a column: a number with a few letters around it at most
# ("GBP 210", "479.00", "10%", "08:00", "v2"); a year alone names a column ("2025").
_VALUE = re.compile(r"\D{0,4}\d[\d.,:/%–-]*\D{0,4}")
_YEAR = re.compile(r"(?:1[5-9]|20)\d\d")


@dataclass(frozen=True)
class Row:
    """One row: its paragraph's [start, end) in the text and each cell's, spaces trimmed (an empty cell
    is an empty range where it stands)."""

    start: int
    end: int
    cells: tuple[tuple[int, int], ...]

    def texts(self, text: str) -> tuple[str, ...]:
        return tuple(text[a:b] for a, b in self.cells)


@dataclass(frozen=True)
class Table:
    """Rows one after another; `headed`: the first of them is the table's header."""

    rows: tuple[Row, ...]
    headed: bool

    @property
    def start(self) -> int:
        return self.rows[0].start

    @property
    def end(self) -> int:
        return self.rows[-1].end


def row_of(text: str, start: int, end: int) -> Row | None:
    """The row that text[start:end], one paragraph, is; None where it holds no border between cells."""
    line = text[start:end]
    borders = [m.start() for m in _BORDER.finditer(line)]
    if not borders:
        return None
    cells = []
    for a, b in zip([-1, *borders], [*borders, len(line)]):
        piece = line[a + 1:b]
        left = a + 1 + (len(piece) - len(piece.lstrip()))
        right = b - (len(piece) - len(piece.rstrip()))
        cells.append((start + left, start + max(left, right)))
    return Row(start, end, tuple(cells))


def _is_value(cell: str) -> bool:
    return _VALUE.fullmatch(cell) is not None and _YEAR.fullmatch(cell) is None


_OPENING, _CLOSING = "([{", ")]}"


def is_row(line: str) -> bool:
    """Whether a line of text reads as a table's row: cells between spaced pipes, none of them leaving a
    bracket open or closing one it did not open (a formula's "(Days | Subject)" is no row)."""
    row = row_of(line, 0, len(line))
    if row is None:
        return False
    for cell in row.texts(line):
        depth = 0
        for char in cell:
            depth += (char in _OPENING) - (char in _CLOSING)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def _heads(header: Row, body: list[Row], text: str) -> bool:
    """Whether a table's first row names its columns: a row of as many cells as a row under it, none of
    them a value (`_VALUE`) but a year. A table of two columns is more often a form's labels and values
    ("Owner | Finance Operations" over "Version | 4.2"), whose first row is a row like the others: it is
    headed only where more than half the values under its second name are values ("Years of service |
    Days" over "Less than 2 years | 25")."""
    cells = header.texts(text)
    if not any(len(row.cells) == len(cells) for row in body) or any(_is_value(cell) for cell in cells):
        return False
    if len(cells) == 2:
        return 2 * sum(_is_value(row.texts(text)[-1]) for row in body) > len(body)
    return True


def tables(text: str) -> list[Table]:
    """The tables of `text`: runs of two rows or more, each row a paragraph (a line of its own) that
    follows the one before after a blank line at most."""
    found: list[Table] = []
    run: list[Row] = []

    def close() -> None:
        if len(run) >= 2:
            found.append(Table(tuple(run), _heads(run[0], run[1:], text)))
        run.clear()

    for line in _LINE.finditer(text):
        row = row_of(text, line.start(), line.end())
        if row is not None and run and not text[run[-1].end:row.start].strip():
            run.append(row)
        else:
            close()
            if row is not None:
                run.append(row)
    close()
    return found


def header_before(text: str, at: int, tables_of_text: list[Table]) -> str | None:
    """The header row of the table whose rows go on at offset `at` of `text` (a passage starting there
    does not hold its header); None where `at` lies in no headed table past its header."""
    for table in tables_of_text:
        if table.headed and table.rows[0].end < at <= table.rows[-1].start:
            header = table.rows[0]
            return text[header.start:header.end]
    return None
