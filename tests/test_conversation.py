"""Follow-up resolution: pure string functions."""

import pytest

from docqa.conversation import (
    Query,
    elliptical,
    may_mean_answer,
    needs_context,
    resolve_followup,
    topic_of,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did it allow?", True),
        ("When was that summit held?", True),
        ("Which countries led them?", True),
        ("When did Serbia join the Partnership for Peace?", False),
        ("Italy or Austria?", False),
        # a possessive of a noun the question names before it refers to nothing earlier
        ("Who gives new engineers a laptop on their first day?", False),
        ("What does the company pay for its staff's lunches?", False),
        ("When did the Allies hold their summit?", False),
        # ... but one of no such noun, or of a noun it cannot stand for, does
        ("What is their population?", True),
        ("What is its capital?", True),
        ("How many members does its council have?", True),
        ("Who does this mean for their families?", True),
        ("What is the population of its capital?", True),
        ("How many members of their team came?", True),
    ],
)
def test_needs_context(question, expected):
    assert needs_context(question) is expected


def test_topic_drops_the_wh_word_and_auxiliary():
    assert topic_of("When did Serbia sign the transit agreement?") == "Serbia sign the transit agreement"
    # Without an auxiliary the question is kept whole: its wh-word is a stop word for the reader.
    assert topic_of("Which agency executed the landmine project?") == "Which agency executed the landmine project"


def test_standalone_question_is_kept_whole():
    assert resolve_followup("When did Serbia join the PfP?", ["Who led the project?"]) == Query(
        "When did Serbia join the PfP?"
    )


def test_followup_gets_the_latest_topic_as_context():
    query = resolve_followup("What did it allow?", ["Who led the project?", "When did Serbia sign the transit agreement?"])
    assert query == Query("What did it allow?", "Serbia sign the transit agreement")
    assert query.search_text == "What did it allow? (Serbia sign the transit agreement)"


def test_followup_without_history_stays_as_asked():
    assert resolve_followup("What did it allow?", []) == Query("What did it allow?")


def test_the_project_of_the_previous_question_is_a_followup():
    earlier = ["Who is the implementing agent for the Trust Fund project on alternative livelihoods?"]
    assert resolve_followup("Who is the project supposed to help?", earlier) == Query(
        "Who is the project supposed to help?", "the implementing agent for the Trust Fund project on alternative livelihoods"
    )
    # a question naming its own topic, or about something the previous one did not mention, stands alone
    assert resolve_followup("When did Serbia join the project?", earlier) == Query("When did Serbia join the project?")
    assert resolve_followup("Who is the agency?", earlier) == Query("Who is the agency?")


@pytest.mark.parametrize(
    ("question", "previous", "expected"),
    [
        ("When was it set up?", "What has been a vehicle for defence reforms?", True),
        ("When was it set up?", "Which office did the agreement provide for?", True),
        ("How much does it cost?", "Who wrote The Data Compression Book?", False),  # "it" is no person
        ("When did they meet?", "Who led the project?", True),
        ("What did it allow?", "When did Serbia sign the transit agreement?", False),  # a date is no referent
    ],
)
def test_a_pronoun_may_stand_for_the_previous_answer(question, previous, expected):
    assert may_mean_answer(question, previous) is expected


@pytest.mark.parametrize(("question", "expected"), [
    ("At what time?", True), ("Where exactly?", True), ("How much?", True), ("And why?", True), ("What year?", True),
    ("What is sublicensing?", False), ("At what time does the ferry leave?", False), ("Why not Austria?", False),
    ("Fine.", False),
])
def test_a_question_of_a_wh_word_and_no_name_is_elliptical(question, expected):
    assert elliptical(question) is expected


def test_an_elliptical_question_takes_the_previous_topic_and_only_after_one():
    earlier = ["When will the annual general meeting be held?"]
    assert resolve_followup("At what time?", earlier) == Query("At what time?", "the annual general meeting be held")
    assert resolve_followup("At what time?", []) == Query("At what time?")
    assert resolve_followup("What is sublicensing?", earlier) == Query("What is sublicensing?")


def test_a_question_that_states_the_whole_previous_topic_stands_alone():
    earlier = ["How much did the spring plant sale raise?"]
    assert resolve_followup("How much did the spring plant sale raise?", earlier) == Query(
        "How much did the spring plant sale raise?")
    assert resolve_followup("Who ran the stall at the spring plant sale?", earlier) == Query(
        "Who ran the stall at the spring plant sale?", "the spring plant sale raise")
