"""index/spelling.py: a question's misspelt words read as the documents' words."""

from docqa.index.spelling import (
    Correction,
    Spelled,
    corrected,
    correction,
    edits,
    meant_note,
    names_meant,
    respelled,
    spelling_note,
)

# How many passages state each word (by stem, as the index's BM25 counts them), for a small corpus.
PASSAGES = {"option": 12, "values": 3, "value": 3, "project": 9, "projects": 9, "norwegian": 2, "which": 40,
            "color": 5, "emission": 3, "serbian": 4, "optic": 1, "form": 30, "from": 50, "fork": 2}


def frequency(word: str) -> int:
    return PASSAGES.get(word, 0)


def test_edits_are_one_letter_dropped_swapped_changed_or_added_past_the_first():
    assert edits("abc") == ({"ac", "ab", "acb", "bac"} | {f"a{x}c" for x in "abcdefghijklmnopqrstuvwxyz"}
                            | {f"ab{x}" for x in "abcdefghijklmnopqrstuvwxyz"}
                            | {f"a{x}bc" for x in "abcdefghijklmnopqrstuvwxyz"}
                            | {f"ab{x}c" for x in "abcdefghijklmnopqrstuvwxyz"}
                            | {f"abc{x}" for x in "abcdefghijklmnopqrstuvwxyz"}) - {"abc"}
    assert len(edits("optoin")) == len({*edits("optoin")})
    assert "option" in edits("optoin") and "options" not in edits("optoin")


def test_a_word_no_passage_states_is_read_as_the_one_an_edit_away():
    assert correction("optoin", frequency) == "option"       # two letters swapped
    assert correction("projet", frequency) == "project"      # a letter dropped
    assert correction("norwegain", frequency) == "norwegian"
    assert correction("valeus", frequency) == "values"


def test_words_left_as_typed():
    assert correction("option", frequency) is None      # the documents state it
    assert correction("colour", frequency) is None      # an ordinary English word, not a typo of "color"
    assert correction("wat", frequency) is None         # too short: one edit from too many words
    assert [correction(w, frequency) for w in ("teh", "hte", "adn", "wehn", "thier")] == [
        "the", "the", "and", "when", "their"]           # the words of a question's frame, in every text
    assert correction("nad", frequency) is None         # three letters and English
    assert correction("rpoject", frequency) == "project"  # the first two letters swapped
    assert correction("copyrite", frequency) is None    # no word of the documents one edit away
    assert correction("omission", frequency) is None    # English, though no passage states it
    assert correction("vorm", frequency) is None        # "form" is one edit away, but at the first letter
    assert correction("forn", frequency) == "form"      # a word the documents state before one of the frame
    assert correction("frmo", frequency) == "from"


def test_a_capitalised_word_past_the_first_is_a_name_and_stays():
    spelled = corrected("When did Serbain troops join?", frequency)
    assert spelled == Spelled("When did Serbain troops join?", "When did Serbain troops join?", ())
    assert corrected("Optoin for origins?", frequency).text == "Option for origins?"


def test_the_question_is_respelt_at_the_typed_words_places():
    question = 'wich memcheck "optoin" shows valeus?'
    spelled = corrected(question, frequency)
    assert spelled.text == 'which memcheck "option" shows values?'
    assert spelled.corrections == (Correction("wich", "which", 0, 4), Correction("optoin", "option", 15, 21),
                                   Correction("valeus", "values", 29, 35))
    assert respelled(question, spelled.corrections) == spelled.text
    assert spelling_note(spelled.corrections) == 'Read "wich" as "which", "optoin" as "option", "valeus" as "values".'
    assert spelling_note(()) is None


def test_words_with_digits_or_inside_options_are_not_words_to_respell():
    assert corrected("what does --optoin do in lme4 and optoin2", frequency).corrections == ()


def test_ordinary_words_with_endings_or_other_spellings_are_no_typos():
    # a paper that misspells "replacates", a text written in American spelling
    def corpus(word: str) -> int:
        return {"replacates": 1, "modernizing": 2, "modernising": 0}.get(word, 0)

    assert [correction(w, corpus) for w in ("replicates", "modernising", "replcates")] == [None, None, "replacates"]


def test_a_decline_suggests_the_name_the_documents_write_one_edit_away():
    def corpus(word: str) -> int:
        return {"serbia": 7, "nato": 9}.get(word, 0)

    question = "When did Serbai and CROATIA join NTAO?"
    assert names_meant(question, ("Serbai", "CROATIA", "NTAO"), corpus) == (
        Correction("Serbai", "Serbia", 9, 15), Correction("NTAO", "NATO", 33, 37))
    assert meant_note(names_meant(question, ("Serbai",), corpus)) == 'No passage writes "Serbai"; did you mean "Serbia"?'
    assert meant_note(()) is None
