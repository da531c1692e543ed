"""A question that names a document: the name words of a document, the documents a question names, and
the question without the names that only label them."""

from __future__ import annotations

import pytest

from docqa.index.named import (
    Names,
    as_read,
    corpus_names,
    document_names,
    named_documents,
    naming_index,
    unnamed,
    versions,
    versions_named,
)

GPL_TERMS = ['"This License" refers to version 3.', "You may charge any price or no price for each copy."]
LICENCES = corpus_names({
    "gpl-3.0.txt": ("GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007",
                    ["Developers that use the GNU GPL protect your rights.", *GPL_TERMS * 5]),
    "mpl-2.0.txt": ("Mozilla Public License Version 2.0\n=====",
                    ["Mozilla Public License Version 2.0", '1.1. "Contributor" means each individual.',
                     "You may distribute a Larger Work.", "Subject to the terms of the MPL."]),
    "apache-license-2.0.txt": ("Apache License Version 2.0, January 2004 http://www.apache.org/licenses/",
                               ["Apache License", "Grant of Copyright License.", "Grant of Patent License.",
                                "Redistribution.", "Trademarks."]),
    "zlib-faq.txt": ("Frequently Asked Questions about zlib", ["zlib is a library.", "Can zlib open .Z files? No."]),
})


def test_a_documents_names_are_its_file_names_words_and_its_titles_written_with_capitals() -> None:
    # "license", "version", numbers, dates and the address name nothing; a title's words count where the
    # title writes them with a capital; a first line that is a sentence is no title
    assert document_names("gpl-3.0.txt", "GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007") == Names(
        frozenset({"gpl"}), frozenset({"gnu", "general", "public"}), heading="GNU GENERAL PUBLIC LICENSE Version")
    assert document_names("papers/lmer.pdf", "Fitting Linear Mixed-Effects Models Using lme4") == Names(
        frozenset({"lmer"}), frozenset({"fitting", "linear", "mixed", "effects", "models", "lme4"}),
        heading="Fitting Linear Mixed-Effects Models Using lme4")
    assert document_names("rivers.txt", "The Danube and the Sava meet at Belgrade. Ferries leave in summer.") == Names(
        frozenset({"rivers"}), frozenset())
    assert document_names("notes.txt", " ".join(["Word"] * 17)).title == frozenset()


def test_the_corpus_decides_labels_naming_words_and_rare_ones() -> None:
    # labels: stated by fewer than a quarter of the document's passages; naming: in at most half of the
    # names, and stated mostly by the document's own passages; rare: no ordinary word
    gpl, mpl, apache, zlib = (LICENCES[d] for d in ("gpl-3.0.txt", "mpl-2.0.txt", "apache-license-2.0.txt", "zlib-faq.txt"))
    assert (gpl.labels, gpl.naming, gpl.rare) == (frozenset({"gpl", "gnu", "general", "public"}),
                                                  frozenset({"gpl", "gnu", "general", "public"}), frozenset({"gpl"}))
    assert (mpl.labels, mpl.naming, mpl.rare) == (frozenset(), frozenset({"mpl", "mozilla", "public"}),
                                                  frozenset({"mpl", "mozilla"}))
    assert (apache.labels, apache.naming, apache.rare) == (frozenset({"apache"}), frozenset({"apache"}), frozenset())
    assert (zlib.labels, zlib.naming, zlib.rare) == (frozenset(), frozenset({"zlib"}), frozenset({"zlib"}))


def test_a_question_names_the_documents_it_names_with_the_most_words() -> None:
    assert named_documents("Is sublicensing permitted under the GPL?", LICENCES) == ("gpl-3.0.txt",)
    assert named_documents("can zlib open .Z files", LICENCES) == ("zlib-faq.txt",)
    assert named_documents("What is a Larger Work in the Mozilla Public License?", LICENCES) == ("mpl-2.0.txt",)
    assert named_documents("Is the GPL like the MPL?", LICENCES) == ("gpl-3.0.txt", "mpl-2.0.txt")
    # an ordinary word names a document as its whole name, written with a capital past the first word
    assert named_documents("Can I change Apache-licensed code?", LICENCES) == ("apache-license-2.0.txt",)
    assert named_documents("Is an apache a helicopter?", LICENCES) == ()
    # a title's word in lower case, or as the question's first word, names nothing
    assert named_documents("Are mozilla licences public?", LICENCES) == ()
    assert named_documents("Mozilla? What is it?", LICENCES) == ()
    # ... unless the question is typed all in lower case, and the word is no ordinary English word
    assert named_documents("where can litigation be brought under the mozilla licence", LICENCES) == ("mpl-2.0.txt",)
    assert named_documents("is an apache a helicopter", LICENCES) == ()
    assert named_documents("What does HTTP stand for?", LICENCES) == ()


def test_a_word_in_many_names_or_stated_by_other_documents_names_none() -> None:
    two = corpus_names({"a.txt": ("", ["The bridge.", "The old bridge."]), "bridge-river.txt": ("", ["The river."])})
    assert named_documents("When was the bridge built at the river?", two) == ("bridge-river.txt",)
    assert named_documents("When was the bridge built?", two) == ()  # "bridge": in both names
    world = corpus_names({"World_Cup.txt": ("", ["The cup."]), "a.txt": ("", ["The world.", "A world."]),
                          "b.txt": ("", ["The world."])})
    assert world["World_Cup.txt"].naming == frozenset({"cup"})  # three passages of others state "world"
    assert named_documents("Which world cup?", corpus_names({"b.txt": ("", ["Cup."])})) == ()  # a corpus of one


def test_a_rare_word_in_the_names_of_several_documents_names_none_alone() -> None:
    # The company's name titles two of its documents and is stated by every one: it names neither.
    company = corpus_names({
        "vpn-setup-guide.txt": ("Brightwater VPN Setup Guide", ["Brightwater staff use the VPN.", "Brightwater IT runs it."]),
        "handbook.md": ("Brightwater Employee Handbook", ["Brightwater was founded in 2011.", "Leave is 27 days."]),
        "faq.html": ("TideCast FAQ", ["TideCast is made by Brightwater."]),
        "travel.txt": ("Travel policy", ["Book trains in standard class."]),
    })
    assert (company["vpn-setup-guide.txt"].rare, company["handbook.md"].rare) == (frozenset({"vpn"}), frozenset())
    assert named_documents("Who is the CEO of Brightwater?", company) == ()
    assert named_documents("How do I set up the Brightwater VPN?", company) == ("vpn-setup-guide.txt",)


def test_a_name_that_is_one_documents_whole_name_and_part_of_others_names_them_all() -> None:
    # "Valgrind" is the whole name of the FAQ and part of the quick-start guide's: the product, not the FAQ
    guides = corpus_names({
        "valgrind-faq.html": ("Valgrind FAQ", ["Valgrind is pronounced with a short i.", "Run valgrind -v."]),
        "valgrind-quick-start.html": ("The Valgrind Quick Start Guide", ["Memcheck is the default tool."]),
        "gdb-README.txt": ("README for GDB", ["GDB is a debugger.", "Valgrind and GDB work together."]),
        "xz-README.txt": ("XZ Utils", ["XZ Utils compress files."]),
    })
    assert "valgrind" in guides["valgrind-quick-start.html"].naming  # the two guides state it mostly
    assert named_documents("Which Valgrind tool runs by default?", guides) == (
        "valgrind-faq.html", "valgrind-quick-start.html")
    assert named_documents("What does the Valgrind Quick Start say about Memcheck?", guides) == (
        "valgrind-quick-start.html",)
    assert named_documents("Which Valgrind tool runs by default?", guides, naming_index(guides)) == (
        "valgrind-faq.html", "valgrind-quick-start.html")


def test_the_reader_reads_a_named_document_that_is_the_subject_as_it() -> None:
    company = corpus_names({
        "vpn-setup-guide.txt": ("Brightwater VPN Setup Guide", ["Use the VPN.", "The VPN needs a client."]),
        "product-faq.html": ("TideCast FAQ", ["Annual plans need 30 days' notice."]),
        "travel.txt": ("Travel policy", ["Book trains."]),
    })
    faq, vpn = ("product-faq.html",), ("vpn-setup-guide.txt",)
    assert as_read("How many days of notice does the TideCast FAQ require?", company, faq) == (
        "How many days of notice does it require?")
    assert as_read("Which client does the VPN setup guide require?", company, vpn) == "Which client does it require?"
    # after a preposition, or not of the named document's name, or no kind of document: as it is
    assert as_read("What client is needed according to the VPN guide?", company, vpn) == (
        "What client is needed according to the VPN guide?")
    assert as_read("Does the TideCast FAQ say it?", company, vpn) == "Does the TideCast FAQ say it?"
    assert as_read("Does the VPN need a client?", company, vpn) == "Does the VPN need a client?"
    assert as_read("Does the VPN to a guide matter?", company, vpn) == "Does the VPN to a guide matter?"
    assert as_read("Does the VPN guide's appendix list clients?", company, vpn) == (
        "Does the VPN guide's appendix list clients?")


def test_the_word_search_goes_without_the_labels_of_the_named_documents_only() -> None:
    question = "Can I charge money for GPL copies under the GNU licence, as the MPL says?"
    assert unnamed(question, LICENCES, ("gpl-3.0.txt",)) == "Can I charge money for   copies under the   licence, as the MPL says?"
    # names that many passages state are the document's topic and stay
    assert unnamed("Can zlib open .Z files?", LICENCES, ("zlib-faq.txt",)) == "Can zlib open .Z files?"
    # a title's word is a name only where written with a capital past the first word
    assert unnamed("Gnu general terms: is the GNU General licence public?", LICENCES, ("gpl-3.0.txt",)) == (
        "Gnu general terms: is the     licence public?")


def test_the_naming_index_gives_the_same_documents() -> None:
    by_word = naming_index(LICENCES)
    assert by_word["public"] == ("gpl-3.0.txt", "mpl-2.0.txt") and by_word["zlib"] == ("zlib-faq.txt",)
    for question in ("Is the GPL like the MPL?", "What is a Larger Work in the Mozilla Public License?",
                     "Can I change Apache-licensed code?", "What does HTTP stand for?", "can zlib open .Z files"):
        assert named_documents(question, LICENCES, by_word) == named_documents(question, LICENCES)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("leave-policy-2025.docx", "hr/leave-policy-2026.docx", True),
    ("gpl-2.0.txt", "gpl-3.0.txt", True),
    ("Rota v2 FINAL.md", "rota-v3.md", True),
    ("notes.txt", "minutes.txt", False),
    ("2025.txt", "2026.txt", False),  # nothing but numbers: nothing says they are one document
    ("notes.txt", "notes.txt", False),
])
def test_versions_of_one_document_differ_in_numbers_and_version_words_only(a, b, same):
    assert versions(a, b) is same


def test_a_number_of_the_question_names_the_version_whose_file_name_holds_it():
    documents = ["hr/leave-policy-2025.docx", "hr/leave-policy-2026.docx", "gpl-2.0.txt", "gpl-3.0.txt", "notes-2025.txt"]
    assert versions_named("How many days may I carry over under the 2025 policy?", documents) == (
        "hr/leave-policy-2025.docx",)  # notes-2025.txt has no other version to tell apart
    assert versions_named("Does GPL version 3 allow it?", documents) == ("gpl-3.0.txt",)
    assert versions_named("What did the 2024 policy say?", documents) == ()
    assert versions_named("Which policy applies in 2025 and 2026?", documents) == ()  # both versions: none told apart
    assert versions_named("How many days?", documents) == ()
