"""Tables in cleaned text: rows, runs of rows, headers, and the header a passage inside a table is told."""

from docqa.ingest.tables import Row, Table, header_before, row_of, tables

RATES = ("Daily allowances.\n\nCity | Hotel | Meals\n\nLondon | GBP 210 | GBP 65\n\nParis | EUR 190 |\n\n"
         "Ask the Travel Desk for other cities.")


def test_a_row_is_its_cells_between_spaced_pipes_an_empty_cell_in_its_place():
    assert row_of("Paris | EUR 190 |", 0, 17) == Row(0, 17, ((0, 5), (8, 15), (17, 17)))
    assert row_of("a | | c", 0, 7).cells == ((0, 1), (4, 4), (6, 7))
    assert row_of("xz -dc foo.tar.xz|tar xf -", 0, 26) is None  # a pipe without spaces parts no cells
    assert row_of("no pipe here", 0, 12) is None


def test_a_table_is_a_run_of_rows_its_first_a_header_when_no_cell_is_a_value():
    found = tables(RATES)
    assert [(t.start, t.end, t.headed, len(t.rows)) for t in found] == [(19, 85, True, 3)]
    assert found[0].rows[1].texts(RATES) == ("London", "GBP 210", "GBP 65")
    # A first row of values is no header; years name columns; one row alone is no table.
    assert [t.headed for t in tables("A | 10 | 20\n\nB | 30 | 40")] == [False]
    assert [t.headed for t in tables("Plan | 2024 | 2025\n\nBasic | 10 | 12")] == [True]
    assert tables("ITU T.81 | ISO/IEC 10918 with some extensions.\n\nNext paragraph.") == []
    # A paragraph of prose between rows ends the table.
    assert len(tables("a | b\n\nc | d\n\nProse.\n\ne | f\n\ng | h")) == 2


def test_a_passage_inside_a_table_is_told_its_header():
    found = tables(RATES)
    london = RATES.index("London")
    assert header_before(RATES, london, found) == "City | Hotel | Meals"
    assert header_before(RATES, RATES.index("City"), found) is None  # the passage holds the header itself
    assert header_before(RATES, 0, found) is None
    assert header_before(RATES, london, [Table(found[0].rows, headed=False)]) is None
