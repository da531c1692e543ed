"""Cleaning: literal PDF-extraction artefacts in, exact cleaned text and section offsets out."""

from __future__ import annotations

import hashlib
from pathlib import Path

from docqa.ingest.clean import (
    WORDS_FILE,
    Block,
    CleanText,
    Section,
    clean_blocks,
    clean_pages,
    clean_text,
)
from docqa.ingest.split import READING

DEFAULT_DOCUMENT = Path(__file__).resolve().parents[2] / "corpus" / "nato-relations-with-serbia.txt"


def test_hard_line_wraps_are_joined_into_one_paragraph() -> None:
    raw = "The Alliance intervened\nmilitarily in early 1999\nto bring an end to repression.\n"
    assert clean_text(raw) == CleanText(
        text="The Alliance intervened militarily in early 1999 to bring an end to repression.", sections=()
    )


def test_paragraphs_stay_apart_and_spaces_collapse() -> None:
    raw = "First   paragraph\twraps\nhere. \n\n\nSecond\u00a0paragraph.\n"
    assert clean_text(raw).text == "First paragraph wraps here.\n\nSecond paragraph."


def test_word_hyphenated_across_a_line_break_keeps_its_hyphen() -> None:
    raw = "Projects include seismic risk-\nhazard reduction studies."
    assert clean_text(raw).text == "Projects include seismic risk-hazard reduction studies."


def test_word_hyphenated_across_a_page_break_keeps_its_hyphen() -> None:
    raw = "Currently, a Norwegian-\n\n\n\nled Trust Fund project is being implemented."
    assert clean_text(raw).text == "Currently, a Norwegian-led Trust Fund project is being implemented."


def test_a_word_broken_at_a_unicode_hyphen_as_man_pages_break_them_is_joined() -> None:
    raw = ("sort by WORD instead of name: none (-U), size (-S), as speci\u2010\n       fied by the FOR\u2010\n"
           "       MAT1 argument;\nrisk\u2010\nhazard, a \u2010 dash\u2010free line.")
    assert clean_text(raw).text == ("sort by WORD instead of name: none (-U), size (-S), as specified by the FORMAT1 "
                                    "argument; risk-hazard, a \u2010 dash\u2010free line.")


def test_dash_after_a_space_is_not_a_hyphenated_word() -> None:
    assert clean_text("Two views -\nboth fine.").text == "Two views - both fine."


def test_page_break_in_mid_sentence_is_joined() -> None:
    raw = (
        "In October 2008, the authorities in Belgrade signed an agreement on sharing classified\n"
        "\n\n\ninformation with the Allies and other Partners.\n"
    )
    assert clean_text(raw).text == (
        "In October 2008, the authorities in Belgrade signed an agreement on sharing classified "
        "information with the Allies and other Partners."
    )


def test_short_unfinished_line_before_a_page_break_is_not_a_heading() -> None:
    # A two-column PDF puts few words on a line: this one is short and capitalised like a heading,
    # but its sentence goes on in lower case on the next page.
    raw = "Serbia signed an agreement on sharing\n\n\ninformation with the Allies.\n"
    assert clean_text(raw) == CleanText(
        text="Serbia signed an agreement on sharing information with the Allies.", sections=()
    )


def test_finished_sentence_before_a_page_break_ends_the_paragraph() -> None:
    raw = "Serbia joined in December 2006.\n\n\n\nThe office opened later.\n"
    assert clean_text(raw).text == "Serbia joined in December 2006.\n\nThe office opened later."


HEADED = (
    "NATO’s relations with Serbia \n\n"
    "Serbia is one of the newest members of the\nPartnership for Peace.\n\n"
    "Security cooperation\n\n"
    "In July 2005, the country signed a transit\nagreement with NATO.\n\n"
    "Key milestones\n\n"
    "2001\nNATO and the newly elected government cooperate.\n"
)
HEADED_TEXT = (
    "NATO’s relations with Serbia\n\n"
    "Serbia is one of the newest members of the Partnership for Peace.\n\n"
    "Security cooperation\n\n"
    "In July 2005, the country signed a transit agreement with NATO.\n\n"
    "Key milestones\n\n"
    "2001 NATO and the newly elected government cooperate."
)
HEADED_SECTIONS = (
    Section("NATO’s relations with Serbia", 0),
    Section("Security cooperation", 97),
    Section("Key milestones", 184),
)


def test_heading_lines_are_recognised_with_their_offsets() -> None:
    clean = clean_text(HEADED)
    assert clean.text == HEADED_TEXT
    assert clean.sections == HEADED_SECTIONS
    assert [clean.text[s.start : s.start + len(s.title)] for s in clean.sections] == [s.title for s in HEADED_SECTIONS]


def test_a_manual_pages_titles_over_indented_text_are_headings() -> None:
    raw = ("NAME\n       ls - list directory contents\n\nSYNOPSIS\n       ls [OPTION]... [FILE]...\n\n"
           "DESCRIPTION\n       List  information  about  the FILEs.\n\n   Exit status:\n       0      if OK,\n")
    clean = clean_text(raw)
    assert clean.text == ("NAME\n\nls - list directory contents\n\nSYNOPSIS\n\nls [OPTION]... [FILE]...\n\n"
                          "DESCRIPTION\n\nList information about the FILEs.\n\nExit status: 0 if OK,")
    assert clean.sections == (Section("NAME", 0), Section("SYNOPSIS", 36), Section("DESCRIPTION", 72))
    # A title not in capitals over indented text, or one the text does not indent, stays in its paragraph.
    assert clean_text("Usage\n    run the tool\n").text == "Usage run the tool"
    assert clean_text("NOTE\nthe tool runs daily\n").text == "NOTE the tool runs daily"


def test_a_tables_rows_set_apart_are_no_headings() -> None:
    # A PDF's table rows stand apart like headings; two numbers besides years and a section number mark a row.
    raw = "Rates apply from 2025.\n\nCity Hotel Meals\n\nMadrid EUR 150 EUR 45\n\nVienna EUR 170 EUR 50\n\nAsk the desk.\n"
    assert [s.title for s in clean_text(raw).sections] == ["City Hotel Meals"]
    assert [s.title for s in clean_text("Intro.\n\n4.2 Results of 2024 and 2025\n\nThey rose.\n").sections] == [
        "4.2 Results of 2024 and 2025"]
    # two numbers alone are a heading of versions, with no row beside it
    assert [s.title for s in clean_text("Intro.\n\nChanges between 0.12 and 0.13\n\nFaster.\n").sections] == [
        "Changes between 0.12 and 0.13"]


def test_a_numbered_lists_items_are_paragraphs_of_their_own() -> None:
    # In a PDF a list's items follow each other as closely as a paragraph's lines.
    raw = ("Tickets are booked as follows:\n1. Economy class for flights\nunder six hours.\n2. Premium economy for\n"
           "longer flights.\n3. Business class never.\nWe saw in Section\n2. that it holds.\n")
    assert clean_text(raw).text.split("\n\n") == [
        "Tickets are booked as follows:", "1. Economy class for flights under six hours.",
        "2. Premium economy for longer flights.", "3. Business class never. We saw in Section 2. that it holds."]


def test_a_forms_fields_are_lines_of_their_own() -> None:
    # Minutes' fields, one a line, set as closely as a paragraph's lines in a PDF.
    raw = ("Date: Tuesday 18 February 2025\nChair: Henrik Vogel\nMinutes taken by: Anna Kowalski\n"
           "The minutes were approved. Note: the move\nis in March.\n")
    assert clean_text(raw).text.split("\n\n") == [
        "Date: Tuesday 18 February 2025", "Chair: Henrik Vogel",
        "Minutes taken by: Anna Kowalski The minutes were approved. Note: the move is in March."]


def test_a_year_line_is_not_a_heading() -> None:
    # "2001" alone on a line starts a milestone entry; it is joined with the line after it.
    clean = clean_text("Key milestones\n\n2001\nNATO and the government cooperate.\n")
    assert clean.text == "Key milestones\n\n2001 NATO and the government cooperate."
    assert clean.sections == (Section("Key milestones", 0),)


def test_short_line_inside_a_paragraph_is_not_a_heading() -> None:
    clean = clean_text("The report names the Alliance\nSecurity cooperation\n\nNext part.")
    assert clean.sections == ()
    assert clean.text == "The report names the Alliance Security cooperation\n\nNext part."


def test_section_at_names_the_section_holding_an_offset() -> None:
    clean = clean_text(HEADED)
    assert [clean.section_at(offset) for offset in (0, 96, 97, 183, 184, len(clean.text) - 1)] == [
        "NATO’s relations with Serbia",
        "NATO’s relations with Serbia",
        "Security cooperation",
        "Security cooperation",
        "Key milestones",
        "Key milestones",
    ]
    assert clean_text("Plain text first.\n\nSecurity cooperation\n\nBody.").section_at(0) is None


def test_markdown_headings() -> None:
    raw = "# Relations with Serbia\n\nSerbia joined\nthe PfP.\n\n## Key milestones ##\n\n2006 Serbia joins.\n"
    assert clean_text(raw, markdown=True) == CleanText(
        text="Relations with Serbia\n\nSerbia joined the PfP.\n\nKey milestones\n\n2006 Serbia joins.",
        sections=(Section("Relations with Serbia", 0), Section("Key milestones", 47)),
    )


def test_markdown_has_no_guessed_headings() -> None:
    clean = clean_text("Intro text.\n\nSecurity cooperation\n\nBody text.", markdown=True)
    assert clean.sections == ()
    assert clean.text == "Intro text.\n\nSecurity cooperation\n\nBody text."


def test_markdown_inline_markup_is_dropped_and_list_items_keep_their_lines() -> None:
    raw = ("The Falcon project has a budget of **2.4 million dollars**, see [the plan](plan.md \"Plan\").\n\n"
           "- Launch date: 14 September 2026\n- Code name: *Kestrel*, run by `make fly`\n\n"
           "```\nkeep **this** as_is\n```\n\nsnake_case names and 2*3*4 stay, `__init__` too, "
           "[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) read.")
    assert clean_text(raw, markdown=True).text == (
        "The Falcon project has a budget of 2.4 million dollars, see the plan.\n\n"
        "- Launch date: 14 September 2026\n\n- Code name: Kestrel, run by make fly\n\n"
        "keep **this** as_is\n\nsnake_case names and 2*3*4 stay, __init__ too, Foo read.")


def test_markdown_code_spans_of_several_backticks_are_code() -> None:
    raw = "Use the ``--prefix`` switch, or `` `make` `` itself, not ``` a``b ```.\n"
    assert clean_text(raw, markdown=True).text == "Use the --prefix switch, or `make` itself, not a``b."


def test_a_plain_texts_underlined_titles_are_headings_and_rules_are_dropped() -> None:
    raw = ("XZ Utils\n========\n\n0. Overview\n-----------\n\n    XZ Utils provide a library.\n\n"
           "Text goes on\nover two lines.\n------------\n\n~~~~~~\nLast words here.\n")
    assert clean_text(raw) == CleanText(  # the document's title, its first line, stays a paragraph
        text="XZ Utils\n\n0. Overview\n\nXZ Utils provide a library.\n\nText goes on over two lines.\n\n"
             "Last words here.",
        sections=(Section("0. Overview", 10),))


def test_a_markdown_pipe_table_is_read_row_by_row_as_html_and_word_tables_are() -> None:
    # An empty cell keeps its place ("Paris | EUR 160 |": no meals given), so that cells line up with the header.
    raw = ("Per-diem limits:\n| City | Hotel (per night) | Meals |\n|:-----|------:|:---:|\n"
           "| London | **GBP 180** | GBP 60 |\n| Paris | EUR 160 | |\nA \\| B | 2 | 3\n"
           "Text under the table.\n\n| after | a blank line |\n")
    assert clean_text(raw, markdown=True).text == (
        "Per-diem limits:\n\nCity | Hotel (per night) | Meals\n\nLondon | GBP 180 | GBP 60\n\nParis | EUR 160 |\n\n"
        "A | B | 2 | 3\n\nText under the table.\n\n| after | a blank line |")
    # Not a table: pipes with no delimiter row, and a setext underline under a line with a pipe.
    assert clean_text("a | b\nc | d\n\nx | y\n---\n", markdown=True).text == "a | b c | d\n\nx | y"


def test_a_box_drawn_around_text_keeps_the_text_not_the_frame() -> None:
    raw = ("5.3. Agreements survive termination.\n\n"
           "************************************************************************\n"
           "*                                                                      *\n"
           "*  6. Disclaimer of Warranty                                           *\n"
           "*  -------------------------                                           *\n"
           "*                                                                      *\n"
           "*  Covered Software is provided under this License on an \"as is\"       *\n"
           "*  basis, without warranty of any kind.                                *\n"
           "*                                                                      *\n"
           "************************************************************************\n\n"
           "* a bullet *\nA line with 2*3 = 6 *stays*.\n")
    clean = clean_text(raw)
    assert clean.text == ("5.3. Agreements survive termination.\n\n6. Disclaimer of Warranty\n\nCovered Software is "
                          "provided under this License on an \"as is\" basis, without warranty of any kind.\n\n"
                          "* a bullet * A line with 2*3 = 6 *stays*.")
    assert [section.title for section in clean.sections] == ["6. Disclaimer of Warranty"]


def test_crlf_input_cleans_like_lf_input() -> None:
    crlf = HEADED.replace("\n", "\r\n")
    assert clean_text(crlf) == clean_text(HEADED)
    assert clean_text("risk-\r\nhazard and a\r\nwrap.\r\n").text == "risk-hazard and a wrap."


def test_empty_and_blank_input() -> None:
    assert clean_text("") == CleanText("", ())
    assert clean_text("\n \n\t\n") == CleanText("", ())


def test_default_document_sections_and_joined_words() -> None:
    clean = clean_text(DEFAULT_DOCUMENT.read_text(encoding="utf-8"))
    assert [s.title for s in clean.sections] == [
        "NATO’s relations with Serbia",
        "Framework for cooperation",
        "Key areas of cooperation",
        "Security cooperation",
        "Defence and security sector reform",
        "Science and environment",
        "Public information",
        "Evolution of relations",
        "Key milestones",
    ]
    assert [s.start for s in clean.sections] == [0, 1345, 2355, 2381, 3550, 5201, 5637, 5928, 6578]
    assert all(clean.text[s.start : s.start + len(s.title)] == s.title for s in clean.sections)
    assert "Currently, a Norwegian-led Trust Fund project is being implemented" in clean.text
    assert "Projects include seismic risk-hazard reduction studies" in clean.text
    assert "sharing classified information with the Allies" in clean.text
    assert "\n\n\n" not in clean.text and "  " not in clean.text
    # 9 headings and 27 paragraphs, counted in the source file.
    assert len(clean.text.split("\n\n")) == 36
    assert len(clean.text) == 7997


def test_numbered_headings_of_papers_are_headings() -> None:
    paper = ("Deep Retrieval\n\n1 Introduction\n\nWe study retrieval.\n\n2.1 Related Work\n\nOthers did too.\n\n"
             "3. Methods\n\nWe train a model.\n\n12 Conclusion\n\nIt works.\n")
    clean = clean_text(paper)
    assert [s.title for s in clean.sections] == [
        "Deep Retrieval", "1 Introduction", "2.1 Related Work", "3. Methods", "12 Conclusion"]
    assert clean.section_at(clean.text.index("Others")) == "2.1 Related Work"


def test_a_number_without_a_capitalised_title_is_no_heading() -> None:
    # a year, a lower-case item, a table row and a date stay text
    clean = clean_text("Intro.\n\n2001 Riga Summit\n\nText.\n\n3 apples\n\nText.\n\n4 5 6\n\nText.\n\n"
                       "12 December 2006\n\nText.\n")
    assert clean.sections == ()
    assert clean_text("Intro.\n\nDecember 2006 Summit\n\nText.\n").sections == (Section("December 2006 Summit", 8),)


def test_a_numbered_line_ending_a_page_is_a_footer_not_a_heading() -> None:
    pages = ["Results are good.\n\n3 Annual Report 2023", "Costs fell.\n\n4 Outlook\n\nGrowth ahead.\n\n4 Annual Report 2023"]
    clean = clean_pages(pages)
    assert [s.title for s in clean.sections] == ["4 Outlook"]
    # one page: its last line may be a heading (nothing marks it as a footer)
    assert [s.title for s in clean_text("Text.\n\n5 Appendix").sections] == ["5 Appendix"]


def test_ligatures_from_pdf_extraction_are_written_out() -> None:
    # "ﬁ" is one character that the tokenizer reads as [UNK] and no typed "fi" matches
    clean = clean_pages(["The Oﬃce ﬁne-tuned the ﬂow,", "oﬀline and eﬄuent."])
    assert clean.text == "The Office fine-tuned the flow, offline and effluent."
    assert clean.pages == (0, 32)
    assert clean_blocks([Block("A ﬁeld", heading=True), Block("Its ﬂow.")]).text == "A field\n\nIts flow."


def test_soft_hyphens_are_dropped_and_join_a_word_broken_at_one() -> None:
    clean = clean_text("Compu\u00ad\ntation of hy\u00adphens.\u00ad\n\nNext para\u00adgraph.")
    assert clean.text == "Computation of hyphens.\n\nNext paragraph."
    assert clean_blocks([Block("hy\u00adphen")]).text == "hyphen"


def test_a_word_broken_at_a_line_end_joins_whole_where_the_document_spells_it_whole() -> None:
    raw = ("The compu-\ntation is fast. Computation matters.\n\nSeismic risk-\nhazard studies. A well-\n"
           "known fact.")
    assert clean_text(raw).text == ("The computation is fast. Computation matters.\n\n"
                                    "Seismic risk-hazard studies. A well-known fact.")
    # across a page break too; the halves themselves do not count as the word spelt whole
    clean = clean_pages(["We study perfor-", "mance. The performance is good. A hyper-", "text link."])
    assert clean.text == "We study performance. The performance is good. A hyper-text link."
    assert clean.pages == (0, 15, 55)  # "mance" and "text" start pages 2 and 3


def test_a_broken_word_the_document_never_spells_whole_joins_when_the_dictionary_knows_it() -> None:
    raw = ("Next to the Main Buil-\nding stands the e-\nmail office of Saint Bernadette Soubi-\n"
           "rous. Send e-mail there.")
    # "building" is a word of the reader's vocabulary; the document writes "e-mail" itself; "soubirous"
    # is no dictionary word, but neither is "rous": a syllable broken off, not a compound's half
    assert clean_text(raw).text == ("Next to the Main Building stands the e-mail office of Saint Bernadette "
                                    "Soubirous. Send e-mail there.")
    # Two words: a compound broken at its own hyphen keeps it ("wellknown" is no word either)
    assert clean_text("A well-\nknown pes-\nsimism, fetch-\ning.").text == "A well-known pessimism, fetching."
    # A first half the dictionary lacks, then a word, both of five letters or more: a compound; shorter
    # halves are syllables broken off
    assert clean_text("It made 610 megawatt-\nhours. The statis-\ntics of a pheno-\ntype.").text == (
        "It made 610 megawatt-hours. The statistics of a phenotype.")


def test_a_compound_of_names_keeps_its_hyphen_though_the_dictionary_knows_the_joined_word() -> None:
    # "transatlantic" and "southwest" are words; a capital after a first half not in capitals marks a compound
    raw = "Trans-\nAtlantic flights to the South-\nWest."
    assert clean_text(raw).text == "Trans-Atlantic flights to the South-West."


def test_without_the_dictionary_only_the_document_joins_a_broken_word(monkeypatch) -> None:
    from docqa.ingest import clean as module

    monkeypatch.setattr(module, "_dictionary", frozenset)
    assert clean_text("The Buil-\nding and compu-\ntation. Computation.").text == "The Buil-ding and computation. Computation."


def test_words_in_capitals_and_numbers_broken_after_a_hyphen_join_too() -> None:
    # TeX breaks keywords in capitals; a compound of a name or a number keeps its hyphen, without a space
    raw = "The OP-\nTIONAL ELE-\nMENT of the NATO-\nRussia Council in COVID-\n19 times, 2003-\n2004. A dash -\nthen more."
    assert clean_text(raw).text == ("The OPTIONAL ELEMENT of the NATO-Russia Council in COVID-19 times, 2003-2004. "
                                    "A dash - then more.")


def test_a_line_of_code_is_no_heading() -> None:
    raw = ("The module reads:\n\nDEFINITIONS EXPLICIT TAGS ::=\n\nExample { 1 2 3 4 }\n\nText.\n\n"
           "Copyright [yyyy] [name of copyright owner]\n\nLicensed.\n\nIts Use\n\nMore.")
    assert [s.title for s in clean_text(raw).sections] == ["Its Use"]


def test_formulas_addresses_axis_labels_and_cut_sentences_are_no_headings() -> None:
    # Lines as a typeset paper's PDF text gives them (lme4's and zoo's vignettes), each alone between
    # blank lines after a finished sentence, as a heading would stand.
    lines = ["R⊤ X RX", "Varθ,σ", "J ⊤ in ⊗ X ⊤ in", "E-mail: bates@stat.wisc.edu",
             "See https://cran.r-project.org", "Therefore, we may write the hat matrix as",
             "This could be aggregated to quarterly data via", "Z", "Cc",
             "Appendix A", "The hat matrix", "3.7. Sparse matrix methods"]
    raw = "".join(f"Text.\n\n{line}\n\n" for line in lines) + "Text."
    assert [s.title for s in clean_text(raw).sections] == ["Appendix A", "The hat matrix", "3.7. Sparse matrix methods"]


def test_private_use_glyphs_are_dropped() -> None:
    # The pieces of a tall bracket in a TeX formula, as pypdf gives them.
    assert clean_text("The equations \uf8f7 X⊤X/σ2 \uf8f8\uf8f7 are given.").text == "The equations X⊤X/σ2 are given."


def test_the_word_list_is_the_one_this_reading_was_made_with():
    # words.txt is part of how documents are read: a new list must come with a new split.READING, and
    # then this digest with it.
    assert (READING, hashlib.sha256(WORDS_FILE.read_bytes()).hexdigest()) == (
        14, "6ad3f39a9824be3a920b5831ba13b83dae1b8731f590496d8b32349865bf06a3")
    assert len(WORDS_FILE.read_text(encoding="utf-8").split()) == 21_722
