"""read/question.py on literal questions: numbers wanted and stated, restated answers, the names and
numbers a passage must state, acronyms to spell out."""

import pytest

from docqa.read.question import (
    KeyTerms,
    acronym_asked,
    key_terms,
    restates,
    spelled_out_names,
    states_number,
    in_english,
    unmentioned,
    wants_number,
    whole_name,
)


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("How many troops does the mission have?", True),
        ("What is the population of the capital?", True),
        ("In what year was the treaty signed?", True),
        ("What percentage of the vote did it win?", True),
        ("How much money did the fund receive?", True),
        ("How much grant money has Serbia been awarded?", True),
        ("How much federal research funding went to the lab?", True),
        ("How much moneyless trade was there?", False),
        ("How much did the project cost?", True),
        ("How much does the country spend on defence each year?", True),
        ("How much influence did the council have?", False),
        ("how much disk space do i need to build gdb", True),
        ("How much RAM does the board have?", True),
        ("How much spacetime curvature is there?", False),
        ("How much of the wood is sapwood?", False),
        ("When was the treaty signed?", False),
        ("Who leads the office?", False),
    ],
)
def test_wants_number_takes_counts_money_space_shares_populations_and_years(question, wanted):
    assert wants_number(question) is wanted


@pytest.mark.parametrize(
    ("answer", "stated"),
    [("1.4 million", True), ("December 2006", True), ("twenty", True), ("the second", True), ("40%", True),
     ("several hundred", True), ("ethnic Albanian", False), ("Over the years", False), ("grant awards", False),
     ("someone", False), ("Twentieth Century Fox", True)],
)
def test_states_number_looks_for_digits_number_words_and_ordinals(answer, stated):
    assert states_number(answer) is stated


@pytest.mark.parametrize(
    ("question", "answer", "restated"),
    [
        ("Which index class does zoo provide for weekly data, analogous to yearmon and yearqtr?", "yearmon", True),
        ("What is the Kosovo Force?", "the Kosovo Force", True),
        ("Who founded NATO’s liaison office?", "NATO's liaison office", True),  # apostrophes and case folded
        ("Who founded NATO?", "NATO headquarters", False),  # more than the question says
        ("Which metro line did Valencia open?", "Line 1", False),
        ("Was the growth slower or more rapid?", "more rapid", False),  # the question offers its answers
        ("Between Rome and Milan, which is older?", "Rome", False),
        ("When did Serbia join the PfP?", "December 2006", False),
        ("When did Serbia join?", "", False),
    ],
)
def test_restates_finds_answers_that_only_repeat_the_question(question, answer, restated):
    assert restates(question, answer) is restated


def test_the_number_forms_do_not_load_spacy():
    import subprocess
    import sys

    code = "import sys, docqa.read.question; assert 'spacy' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize(
    ("question", "names", "numbers"),
    [
        ("When did Alfonso XXII reach Valencia?", (("Alfonso", "XXII"), ("Valencia",)), ()),
        ("What does the Partnership for Peace offer Serbian officers?", (("Partnership", "for", "Peace"),), ()),
        ("Who destroyed 28,000 small arms in 2005?", (), ("28000", "2005")),
        ("What was the payment of 412,80 for, of 1,234,567 in all?", (), ("412,80", "1234567")),  # a decimal comma
        ("When was version 1.1 of the Apache License released?", (("Apache", "License"),), ("1.1",)),
        # Not numbers: one digit, an ordinal, a digit inside a word.
        ("What reached 1 billion in the 20th century after ww1 and 238U?", (), ()),
        ("In which year did Poland declassify its Warsaw Pact-era archives?", (("Poland",), ("Warsaw", "Pact")), ()),
        ("What does Notre Dame du Lac translate to in English?", (("Notre", "Dame", "du", "Lac"),), ()),
        ("who is the winner of jhalak dikhlaja 2017", (), ("2017",)),
        ("WHEN DID SERBIA JOIN THE PFP IN 2006?", (), ("2006",)),
        ("Who Wrote Hamlet In 1601?", (), ("1601",)),  # title case: numbers only
        ("Thanks. Now, what I'm allowed to do, Mr. Smith?", (("Smith",),), ()),
        ("Who founded O’Reilly Media?", (("O'Reilly", "Media"),), ()),
        ("What happened in 2019-20 and on 2006-05-12?", (), ("2019", "2006")),
        ("Who commanded Jean-Luc Picard?", (("Jean", "Luc", "Picard"),), ()),
        ("When was the European Union founded?", (("European", "Union"),), ()),
    ],
)
def test_key_terms_are_the_names_and_numbers_a_question_states(question, names, numbers):
    assert key_terms(question) == KeyTerms(names, numbers)


TEXT = ("Serbia joined the PfP in December 2006 and destroyed 28,000 small arms. Its high-definition "
        "archive of the Warsaw Pact is at the Kármán institute. Below 99.0% a credit of 25.5% is due.")


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("When did Serbia join the Partnership for Peace?", ()),  # initials: PfP
        ("When did Croatia join the Partnership for Peace?", ("Croatia",)),
        ("What did the Serbian army destroy 28,000 of?", ()),  # "Serbian": Serbia less two letters
        ("What did it destroy 29,000 of, in 2006?", ("29000",)),
        ("Where is the HD archive of the Warsaw Pact?", ()),  # an acronym spelt by initials
        ("Where is the Karman institute?", ()),  # accents aside
        ("What is the CIA archive of the Warsaw Treaty?", ("CIA", "Warsaw Treaty")),
        ("What happened in 200?", ("200",)),  # 2006 does not state 200
        ("What did the U.S. archive of the Warsaw Pact hold?", ("U.S",)),
        ("When did Austria destroy small arms?", ("Austria",)),
        ("What credit is due below 99%?", ()),  # 99.0 is 99
        ("Where are the archives of the Warsaw Pacts?", ()),  # a plural, the singular in the text
        ("Which PfPs did Serbia join?", ()),  # an acronym's plural, the singular in the text
        ("Which PFs did Serbia join?", ("PFs",)),
        ("What credit is due below 25%?", ("25",)),  # 25.5 is not
    ],
)
def test_unmentioned_lists_what_the_text_does_not_state(question, missing):
    assert unmentioned(key_terms(question), TEXT) == missing


@pytest.mark.parametrize(
    ("question", "text", "missing"),
    [
        ("When did Austria join?", "Australia joined in 1901.", ("Austria",)),
        ("When did India join?", "Indiana joined in 1816.", ("India",)),
        ("What did the Yugoslav army do?", "The army of Yugoslavia withdrew.", ()),
        ("What did the US do?", "It used the road.", ("US",)),
        ("What did the US do?", "The United States built the road.", ()),
        ("What did the U.S. do?", "The United States built the road.", ()),
        ("Who did the Japanese army fight?", "Japan fought Russia.", ()),  # one word of a nationality: not checked
        ("When did the Canadian Senate meet?", "The Senate of Canada met.", ()),
        ("When was the European Union founded?", "The Soviet Union was founded in 1922.", ("European Union",)),
        ("When was the European Union founded?", "Europe's union began in 1993.", ()),
        ("Who founded O'Reilly Media?", "O’Reilly Media was founded by Tim O’Reilly.", ()),
        ("How far is 5,000 km?", "It is 5 000 km.", ()),
        # One letter, a language or a symbol, as written: once never found at all.
        ("Which R package wraps BOBYQA?", "The minqa package for R wraps BOBYQA.", ()),
        ("Which R package wraps BOBYQA?", "The minqa package wraps BOBYQA.", ("R",)),
        ("Which C++ library does it use?", "Its C++ code uses Eigen.", ()),
        ("What is the matrix Z?", "The matrix z is sparse.", ("Z",)),
        # Initials count only in a name of nothing else.
        ("What did George H. W. Bush say?", "George Bush said it.", ()),
        ("When did Letters J. Shea graduate?", "Frank J. Shea graduated in 1904.", ("Letters J Shea",)),
        # A month's or a weekday's short form: the whole word states it, another month does not.
        ("Where did they go in Jan 2002?", "In January 2002 they went to Manila.", ()),
        ("Where did they go in Jan. 2002?", "In June 2002 they went to Manila.", ("Jan",)),
        ("What opened on Sept 3?", "It opened on Wednesday, 3 September.", ()),
    ],
)
def test_names_are_whole_words_give_or_take_a_nationalitys_ending(question, text, missing):
    assert unmentioned(key_terms(question), text) == missing


@pytest.mark.parametrize(
    ("question", "acronym"),
    [
        ("What does SHAPE stand for?", "SHAPE"),
        ("What is NCSA short for?", "NCSA"),
        ("What does the acronym PfP mean?", "PfP"),
        ("Which words does the abbreviation IOM stand for?", "IOM"),
        ("When was the FDA founded?", None),  # asks something else
        ("What do NATO and SHAPE stand for?", None),  # two acronyms: which one is not clear
        ("What does it stand for?", None),
        ("Which acronym does NATO use for its headquarters?", None),  # asks for an acronym
        ("What is the abbreviation for the Partnership for Peace?", None),
        ("What is SHAPE an acronym for?", "SHAPE"),
        ("What is the PfP Planning and Review Process abbreviated as?", None),
    ],
)
def test_the_acronym_a_question_asks_to_spell_out(question, acronym):
    assert acronym_asked(question) == acronym


NAMES = "a liaison office at the Supreme Headquarters Allied Powers Europe (SHAPE) and the PfP Planning and Review Process (PARP)."
UCLA = "She studied at the University of California, Los Angeles (UCLA), then at the U.S. Food and Drug Administration (FDA)."


@pytest.mark.parametrize(
    ("text", "span", "acronym", "answer"),
    [
        # asked what an acronym stands for, a span overlapping its spelled-out name becomes that name
        (NAMES, "Allied Powers Europe", "SHAPE", "Supreme Headquarters Allied Powers Europe"),
        (NAMES, "Supreme Headquarters", "SHAPE", "Supreme Headquarters Allied Powers Europe"),
        (NAMES, "SHAPE", "SHAPE", "Supreme Headquarters Allied Powers Europe"),
        (NAMES, "Review Process", "PARP", "Planning and Review Process"),  # "and" stands for its A
        (NAMES, "PfP Planning and Review Process", "PARP", "Planning and Review Process"),
        (NAMES, "liaison office", "SHAPE", "liaison office"),  # outside the name
        (NAMES, "Allied Powers Europe", "PARP", "Allied Powers Europe"),  # another acronym's name
        ("in Applied and Computational Mathematics and Statistics (ACMS) at", "Mathematics and Statistics", "ACMS",
         "Applied and Computational Mathematics and Statistics"),  # not "and Computational ..."
        ("the Science for Peace and Security (SPS) Programme", "Peace and Security (SPS) Programme", "SPS",
         "Science for Peace and Security"),
        ("by a thermocouple or Resistance Temperature Detector (RTD).", "thermocouple or Resistance Temperature Detector",
         "RTD", "Resistance Temperature Detector"),
        (UCLA, "Los Angeles", "UCLA", "University of California, Los Angeles"),
        (UCLA, "U.S. Food and Drug Administration", "FDA", "Food and Drug Administration"),  # the name starts after "U.S. "
        # for any other question the span stays: "Los Angeles" answers "Where?"
        (UCLA, "Los Angeles", None, "Los Angeles"),
        (NAMES, "Allied Powers Europe", None, "Allied Powers Europe"),
        # a name does not run across a sentence's end
        ("He lived in Bern. Swiss Federal Railways (BSFR) run trains.", "Swiss Federal Railways", "BSFR",
         "Swiss Federal Railways"),
    ],
)
def test_a_question_asking_what_an_acronym_stands_for_gets_the_whole_spelled_out_name(text, span, acronym, answer):
    start = text.index(span)
    a, b = whole_name(text, start, start + len(span), acronym)
    assert text[a:b] == answer


def test_names_before_acronyms_are_found_in_one_pass_over_hostile_text():
    # every "of" fits the acronym's letter and may also be skipped: without memoising, 2^12 paths
    assert spelled_out_names("of " * 2000 + "(" + "O" * 12 + ")") == []
    # no acronym has hundreds of letters; an open bracket before a long run of capitals closes nothing
    assert spelled_out_names("a " * 498 + "(" + "A" * 498 + ")") == []
    assert spelled_out_names("(" + "A" * 20000) == []
    # the name starts at a word's start, never inside a word longer than the search reaches back
    assert spelled_out_names("the Zyyyya" + "x" * 71 + " Centre (AC)") == []
    found = spelled_out_names("the Office of Oversight (OO) and the Supreme Headquarters Allied Powers Europe (SHAPE).")
    assert [(n.acronym, n.start, n.end, n.bracket_end) for n in found] == [("OO", 4, 23, 28), ("SHAPE", 37, 78, 86)]


@pytest.mark.parametrize("question, english", [
    ("When did Serbia join the Partnership for Peace?", True),
    ("kalemegdan football scores", True),  # a search-box query of a name and English words
    ("lme4 glmer", True),  # two names: too few words to tell
    ("Name a biotrophic organism.", True),
    ("¿Quién escribió ls?", False),
    ("Wo steht die Kaffeemaschine?", False),
    ("Qui a écrit ls?", False),
    ("北京在哪里", False),
    ("Кто написал ls?", False),
    ("Was ist die Hauptstadt von Serbien?", True),  # "was" and "die": German that reads as English
])
def test_in_english_tells_a_question_in_another_language(question, english):
    assert in_english(question) is english


def test_words_the_documents_use_count_as_understood():
    documents = {"valgrind", "jit", "java"}
    assert in_english("valgrind java jit option") is False
    assert in_english("valgrind java jit option", documents.__contains__) is True
    assert in_english("Wo steht die Kaffeemaschine?", documents.__contains__) is False
