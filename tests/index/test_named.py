"""A question that names a document: the name words of a document, the documents a question names, and
the question without the names that only label them."""

from __future__ import annotations

from docqa.index.named import Names, document_names, named_documents, unnamed

GPL_TERMS = ['"This License" refers to version 3.', "You may charge any price or no price for each copy."]
LICENCES = {
    "gpl-3.0.txt": document_names("gpl-3.0.txt", "GNU GENERAL PUBLIC LICENSE Version 3, 29 June 2007",
                                  ["Developers that use the GNU GPL protect your rights.", *GPL_TERMS * 5]),
    "mpl-2.0.txt": document_names("mpl-2.0.txt", "Mozilla Public License Version 2.0\n=====",
                                  ["Mozilla Public License Version 2.0", "1.1. \"Contributor\" means each individual.",
                                   "You may distribute a Larger Work.", "Subject to the terms of the MPL."]),
    "apache-license-2.0.txt": document_names("apache-license-2.0.txt",
                                             "Apache License Version 2.0, January 2004 http://www.apache.org/licenses/"),
    "zlib-faq.txt": document_names("zlib-faq.txt", "Frequently Asked Questions about zlib",
                                   ["zlib is a library.", "Can zlib open .Z files? No."]),
}


def test_a_documents_names_are_its_file_names_words_and_its_titles_written_with_capitals() -> None:
    # "license", "version", numbers, dates and the address name nothing; a title's words count where the
    # title writes them with a capital; the labels are the names that fewer than a quarter of passages state.
    assert LICENCES["gpl-3.0.txt"] == Names(frozenset({"gpl"}), frozenset({"gnu", "general", "public"}),
                                            frozenset({"gpl", "gnu", "general", "public"}), "GNU GENERAL PUBLIC LICENSE Version")
    assert LICENCES["mpl-2.0.txt"] == Names(frozenset({"mpl"}), frozenset({"mozilla", "public"}), frozenset(),
                                            "Mozilla Public License Version")
    assert LICENCES["apache-license-2.0.txt"] == Names(frozenset({"apache"}), frozenset({"apache"}), frozenset(),
                                                       "Apache License Version")
    assert LICENCES["zlib-faq.txt"] == Names(frozenset({"zlib"}), frozenset(), frozenset(), "Frequently Asked Questions about zlib")
    assert document_names("papers/lmer.pdf", "Fitting Linear Mixed-Effects Models Using lme4") == Names(
        frozenset({"lmer"}), frozenset({"fitting", "linear", "mixed", "effects", "models", "lme4"}), frozenset(),
        "Fitting Linear Mixed-Effects Models Using lme4")


def test_a_question_names_the_documents_it_names_with_the_most_distinctive_words() -> None:
    assert named_documents("Is sublicensing permitted under the GPL?", LICENCES) == ("gpl-3.0.txt",)
    assert named_documents("can zlib open .Z files", LICENCES) == ("zlib-faq.txt",)
    # "Public" is in two titles of four: the MPL has "Mozilla" besides
    assert named_documents("What is a Larger Work in the Mozilla Public License?", LICENCES) == ("mpl-2.0.txt",)
    assert named_documents("Is the GPL like the MPL?", LICENCES) == ("gpl-3.0.txt", "mpl-2.0.txt")
    # a title's word in lower case, or as the question's first word, names nothing
    assert named_documents("Are mozilla licences public?", LICENCES) == ()
    assert named_documents("Mozilla? What is it?", LICENCES) == ()
    assert named_documents("What does HTTP stand for?", LICENCES) == ()


def test_a_word_in_the_names_of_more_than_half_of_the_documents_names_none() -> None:
    two = {"a.txt": Names(frozenset({"bridge"}), frozenset()), "b.txt": Names(frozenset({"bridge", "river"}), frozenset())}
    assert named_documents("When was the bridge built?", two) == ()
    assert named_documents("How wide is the river?", two) == ("b.txt",)
    assert named_documents("How wide is the river?", {"b.txt": two["b.txt"]}) == ()  # a corpus of one


def test_the_word_search_goes_without_the_labels_of_the_named_documents_only() -> None:
    question = "Can I charge money for GPL copies under the GNU licence, as the MPL says?"
    assert unnamed(question, LICENCES, ("gpl-3.0.txt",)) == "Can I charge money for   copies under the   licence, as the MPL says?"
    # names that many passages state are the document's topic and stay
    assert unnamed("Can zlib open .Z files?", LICENCES, ("zlib-faq.txt",)) == "Can zlib open .Z files?"
    # a title's word is a name only where written with a capital past the first word
    assert unnamed("Gnu general terms: is the GNU General licence public?", LICENCES, ("gpl-3.0.txt",)) == (
        "Gnu general terms: is the     licence public?")


def test_a_first_line_that_is_a_sentence_is_no_title() -> None:
    assert document_names("rivers.txt", "The Danube and the Sava meet at Belgrade. Ferries leave in summer.") == Names(
        frozenset({"rivers"}), frozenset(), frozenset(), "")
    assert document_names("notes.txt", " ".join(["Word"] * 17)).title == frozenset()
