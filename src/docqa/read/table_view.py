"""What the reader reads of a passage that holds a table (ingest/tables.py): each row apart, its cells
named by the header, one to a line ("City: Paris;\\nHotel (max per night): EUR 190;\\n..."), and the
passage's other text with the table's rows blanked out (spaces: its offsets stand).

A SQuAD-trained reader given the rows as they stand ("London | GBP 210 | GBP 10\\n\\nParis | EUR 190")
took the value before a row's name for that row's, and a header for an answer: 0 of 23 questions about
table cells right in a walkthrough's policies, price lists and rosters. Read row by row with their
header's names, 5 of 5 such questions on one of its tables. An answer read from a row is its whole cell,
at its place in the passage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from docqa.ingest.tables import Row, Table, row_of, tables
from docqa.types import Passage


@dataclass(frozen=True)
class View:
    """The text the reader reads for passage `passage` (an index into the passages read). A row's view
    has `cells`: (start, end) in the view and (start, end) in the passage of each cell it may answer
    with; the passage's own text (rows blanked) has none."""

    passage: int
    text: str
    cells: tuple[tuple[int, int, int, int], ...] = ()
    names: tuple[str, ...] = ()  # each cell's column name (its header's cell), "" where none
    label: str = ""  # the row's first cell: what the row is about ("Paris", "Weight (kg)")

    @property
    def row(self) -> bool:
        return bool(self.cells)

    def within(self) -> tuple[tuple[int, int], ...] | None:
        """The view's ranges an answer may lie in: a row's cells, or anywhere (None)."""
        return tuple((a, b) for a, b, _, _ in self.cells) if self.cells else None

    def cell_at(self, start: int, end: int) -> tuple[int, int]:
        """The passage range of the cell that the view's [start, end) lies in (the whole of it); the
        range itself for the passage's own text."""
        for a, b, pa, pb in self.cells:
            if a <= start and end <= b:
                return pa, pb
        return start, end


def _row_view(passage: int, text: str, row: Row, names: Sequence[str] | None) -> View | None:
    """A row as lines "name: cell;" (its cells alone where the header's cells do not match its own; a row
    of two cells unnamed as "first:" over "second."), the last ending in ".", empty cells left out. Each
    cell is a line of its own, so that no answer runs from one into the next."""
    named = names is not None and len(names) == len(row.cells)
    kept = [(names[k] if named else "", a, b) for k, (a, b) in enumerate(row.cells) if b > a]
    if not kept:
        return None
    lines, cells, at = [], [], 0
    for k, (name, a, b) in enumerate(kept):
        label = f"{name}: " if name else ""
        mark = "." if k == len(kept) - 1 else (":" if len(kept) == 2 and not named else ";")
        cells.append((at + len(label), at + len(label) + b - a, a, b))
        lines.append(label + text[a:b] + mark)
        at += len(lines[-1]) + 1
    first = row.cells[0]
    return View(passage, "\n".join(lines), tuple(cells), tuple(name for name, _, _ in kept), text[first[0]:first[1]])


def _names(table: Table, text: str, header: str | None, leading: bool) -> tuple[Sequence[str] | None, Sequence[Row]]:
    """The cells' names of a table's rows and the rows they name: its own header's, or for a table the
    passage starts inside (`leading`) the header row the passage was split from (`header`)."""
    if leading and header is not None:
        row = row_of(header, 0, len(header))
        return (row.texts(header) if row is not None else None), table.rows
    if table.headed:
        return table.rows[0].texts(text), table.rows[1:]
    return None, table.rows


def views(passages: Sequence[Passage]) -> list[View]:
    """What the reader reads of each passage, in order: a passage without a table as it is; one with
    tables as its other text (blank where it is all table) and then each row of its tables."""
    out: list[View] = []
    for index, passage in enumerate(passages):
        text = passage.text
        found = tables(text)
        if not found:
            out.append(View(index, text))
            continue
        blank = list(text)
        rows: list[View] = []
        for table in found:
            names, body = _names(table, text, passage.table_header, not text[:table.start].strip())
            for row in body:
                view = _row_view(index, text, row, names)
                if view is not None:
                    rows.append(view)
            blank[table.start:table.end] = " " * (table.end - table.start)
        out.append(View(index, "".join(blank)))
        out.extend(rows)
    return out
