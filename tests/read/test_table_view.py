"""What the reader reads of a passage with a table: its rows apart, named by the header."""

from docqa.read.table_view import View, views
from docqa.types import Passage

TEXT = ("Daily allowances.\n\nCity | Hotel | Meals\n\nLondon | GBP 210 | GBP 65\n\nParis | EUR 190 |\n\n"
        "Ask the Travel Desk.")


def passage(text: str, header: str | None = None) -> Passage:
    return Passage("p", "rates.md", 1000, 1000 + len(text), text, table_header=header)


def test_each_row_is_read_apart_with_the_headers_names_and_the_rest_with_the_table_blanked():
    prose, london, paris = views([passage(TEXT)])
    assert prose == View(0, "Daily allowances.\n\n" + " " * 66 + "\n\nAsk the Travel Desk.")
    assert len(prose.text) == len(TEXT)  # offsets stand
    assert london.text == "City: London;\nHotel: GBP 210;\nMeals: GBP 65."
    assert london.cells == ((6, 12, 41, 47), (21, 28, 50, 57), (37, 43, 60, 66))
    assert paris.text == "City: Paris;\nHotel: EUR 190."  # the empty Meals cell is left out
    assert TEXT[slice(*london.cell_at(25, 28))] == "GBP 210"  # a part of a cell answers with the whole cell
    assert london.within() == ((6, 12), (21, 28), (37, 43)) and prose.within() is None
    assert (london.names, london.label, paris.names) == (("City", "Hotel", "Meals"), "London", ("City", "Hotel"))


def test_a_passage_that_starts_inside_a_table_reads_its_rows_by_the_header_it_was_told():
    text = "Berlin | EUR 150 | EUR 50\n\nMadrid | EUR 140 | EUR 45"
    _, berlin, madrid = views([passage(text, header="City | Hotel | Meals")])
    assert berlin.text == "City: Berlin;\nHotel: EUR 150;\nMeals: EUR 50."
    assert madrid.text == "City: Madrid;\nHotel: EUR 140;\nMeals: EUR 45."


def test_rows_without_a_header_are_their_cells_and_two_cells_read_as_a_label_and_its_value():
    _, owner, version, _ = views([passage("Owner | Finance Operations\n\nVersion | 4.2\n\nApproved by | Jane Doe")])
    assert (owner.text, version.text) == ("Owner:\nFinance Operations.", "Version:\n4.2.")
    _, row = views([passage("Years of service | Days\n\nLess than 2 years | 25")])
    assert row.text == "Years of service: Less than 2 years;\nDays: 25."
    _, first, _ = views([passage("A | 10 | 20\n\nB | 30 | 40")])
    assert first.text == "A;\n10;\n20."


def test_a_passage_without_a_table_is_read_as_it_is():
    assert views([passage("Plain text | with one pipe.")]) == [View(0, "Plain text | with one pipe.")]
