"""The one Markdown table writer of docqa (report.md, the bench's report, the model card): every cell
escaped, so that a "|" or a line break in an answer or a file name cannot break the table."""

from __future__ import annotations

from collections.abc import Sequence


def cell(text: object) -> str:
    """`text` as one Markdown table cell: backslashes and pipes escaped, line breaks as spaces."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[object], rows: Sequence[Sequence[object]]) -> list[str]:
    """The table's lines: the header, the rule under it, one line per row; every cell escaped."""
    return [
        "| " + " | ".join(cell(c) for c in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows),
    ]
