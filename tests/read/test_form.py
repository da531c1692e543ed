"""The question's form, rule by rule, the term a definition question asks about, and where a text
defines it: literal questions and texts, exact values."""

from __future__ import annotations

import pytest

from docqa.read.form import RULES, Definition, Form, asked_definition, defined_term, defines, fold, question_form


@pytest.mark.parametrize("question", [
    "Why does the GPL require changed versions to be marked?",
    "How come zlib has no configure script?",
    "For what reason did the Alliance act in 1999?",
    "What is the reason for the two formats?",
    "What was the purpose of sending peacekeepers into Kosovo?",
])
def test_why(question: str) -> None:
    assert question_form(question) is Form.WHY


@pytest.mark.parametrize("question", [
    "What happens if I do not comply?",
    "What will happen to my licence after a breach?",
    "What are the consequences of suing a contributor?",
    "What must I do if a law stops me from complying?",
])
def test_what_happens(question: str) -> None:
    assert question_form(question) is Form.WHAT_HAPPENS


@pytest.mark.parametrize("question, term", [
    ("What is meant by Covered Software?", "Covered Software"),
    ("What does \"Licensable\" mean?", "Licensable"),
    ("What does it mean to convey a work under the GPL?", "convey"),
    ("What is the meaning of Larger Work in the MPL?", "Larger Work"),
    ("Define copyleft.", "copyleft"),
    ("Who counts as a Contributor?", "Contributor"),
    ("Which licences count as Secondary Licences?", "Secondary Licences"),
    ("What counts as source code?", "source code"),
    ("Who qualifies as a contributor under the Mozilla Public License?", "contributor"),
    ("What is a Derivative Work under the Apache License?", "Derivative Work"),
    ("Who is the Licensor in the Apache License?", "Licensor"),
    ("What is object code according to the GPL?", "object code"),
    ("What are Invariant Sections?", "Invariant Sections"),
    ("What is \"Covered Software\"?", "Covered Software"),
    ("How is a Modified Version defined?", "Modified Version"),
    # whoever means it, the term is what follows "mean by"
    ("What does the GPL mean by a covered work?", "covered work"),
])
def test_definition_and_its_term(question: str, term: str) -> None:
    assert question_form(question) is Form.DEFINITION
    assert defined_term(question) == term


@pytest.mark.parametrize("question", [
    # a thing, a person or a number, not a meaning: "the" before a lower-case noun, a clause after the term
    "What is the population of Serbia?",
    "Who is the Secretary General of NATO?",
    "Who is the project supposed to help?",
    "What is a key subject in NATO's dialogue with Serbia?",
    "What was it meant to do for the Serbian authorities?",
    "What does SHAPE stand for?",
])
def test_not_a_definition(question: str) -> None:
    assert question_form(question) is Form.FACTOID
    assert defined_term(question) is None


@pytest.mark.parametrize("question", [
    "How do I install a shared zlib library on Unix?",
    "How can I get my rights back?",
    "How is JPEG pronounced?",
    "What do I need to do to meet that requirement?",
    "In what way is the document agreed?",
    # what must be done, said or included: a requirement, stated in a sentence
    "What must I state in the notice?",
    "What do I need to attach to a copy I sell?",
    "When the library changes, how do I update my program?",
])
def test_how(question: str) -> None:
    assert question_form(question) is Form.HOW


@pytest.mark.parametrize("question", ["How many mines were cleared?", "How long did the campaign last?",
                                      "How much does the textbook cost?", "How old is zlib?"])
def test_how_with_a_quantity_is_a_factoid(question: str) -> None:
    assert question_form(question) is Form.FACTOID


@pytest.mark.parametrize("question", [
    "List the conditions of redistribution.",
    "Name the sample programs.",
    "What are the conditions for redistributing copies?",
    "Which kinds of objects need better indexing?",
    "Which file formats are given as examples?",
    "Which compression processes does the software implement?",
    "Which ways of giving out object code does the GPL list?",
    "What details does the programme contain?",
])
def test_list(question: str) -> None:
    assert question_form(question) is Form.LIST


@pytest.mark.parametrize("question", [
    "What kind of operations did NATO carry out?",  # one kind: a factoid
    "Which index class does zoo provide for weekly data?",  # "class" is no plural
    "Which tribunal is Serbia expected to cooperate with?",
    "What does the transit deal let KFOR troops do?",  # "does" after what is no plural noun
])
def test_not_a_list(question: str) -> None:
    assert question_form(question) is not Form.LIST


@pytest.mark.parametrize("question", [
    "Can I use the software commercially?",
    "Is it allowed to sublicense?",
    "Do I need to accept the licence to run a copy?",
    "Must I mark the files I changed?",
    "Is zlib thread-safe?",
    "Are we allowed to fork it, or not?",
    "Doesn't the licence forbid that?",
    # a condition before the question: the question after its comma has the form
    "If I fork the project, can I keep its name?",
    "Once the licence has ended, may I keep my copies?",
    # "or" inside a longer phrase joins two things the question asks about; it offers no choice
    "Can I offer support or training to the people I sell copies to?",
])
def test_yes_or_no(question: str) -> None:
    assert question_form(question) is Form.YES_NO


@pytest.mark.parametrize("question", ["Is the sky blue or green?", "Was growth slower or more rapid?",
                                      "Is the library written in C or in C++?",
                                      "Does slow or rapid growth make light wood?",
                                      "Since knots weaken timber, would the heartwood or the sapwood be stronger?"])
def test_a_question_offering_a_choice_is_a_factoid(question: str) -> None:
    assert question_form(question) is Form.FACTOID


@pytest.mark.parametrize("question", ["When did Serbia join the Partnership for Peace?", "Who wrote Hamlet?",
                                      "What is the capital of France?", "Where is the liaison office?",
                                      "When the treaty was signed, who led NATO?", "What should I use instead?"])
def test_factoids(question: str) -> None:
    assert question_form(question) is Form.FACTOID


def test_the_rules_are_named_and_tried_in_order() -> None:
    assert [rule.name for rule in RULES] == ["why", "what happens", "definition", "how", "list", "yes or no"]
    # "Why" comes before yes/no: an auxiliary after it asks for a reason.
    assert question_form("Why is sublicensing not allowed?") is Form.WHY


def test_a_typographic_apostrophe_reads_as_a_straight_one() -> None:
    assert question_form("What’s the reason?") is question_form("What's the reason?")


@pytest.mark.parametrize("text, term, expected", [
    ('1.1. "Contributor" means each individual or legal entity', "Contributor", True),
    ('1.11. "Patent Claims" of a Contributor means any patent claim(s)', "Patent Claims", True),
    ('1.12. "Secondary License" means either the GNU General Public License', "Secondary Licences", True),
    ('To "convey" a work means any kind of propagation', "convey", True),
    ('A "contributor" is a copyright holder who authorizes use', "Contributor", True),
    ('A copy that is not "Transparent" is called "Opaque".', "Opaque", True),
    ('A program linked with it is called a "work that uses the Library".', "work that uses the Library", True),
    # the term's first words defined, the rest stated beside them
    ('A copy that is not "Transparent" is called "Opaque".', "opaque copy", True),
    ('A file that is not "Transparent" is called "Opaque".', "opaque copy", False),
    ('A "Transparent" copy of the Document means a machine-readable copy', "transparent copy", True),
    ("JPEG is lossy, meaning that the output pixels are not identical", "lossy", True),
    ('"Licensor" shall mean the copyright owner', "Licensor", True),
    ('"Derivative Works" shall mean any work', "Derivative Work", True),
    ('"Derivative Works" shall mean any work', "work", False),  # a word of a defined term is not the term
    ('1.2. "Contributor Version" means the combination', "Contributor", False),
    ("Each Contributor hereby grants You a license.", "Contributor", False),  # used, not defined
])
def test_defines(text: str, term: str, expected: bool) -> None:
    assert defines(text, term) is expected


def test_british_and_american_spellings_fold_together() -> None:
    assert (fold("licenc"), fold("defenc"), fold("licens"), fold("sync")) == ("licens", "defens", "licens", "syns")


def test_asked_definition_is_what_retrieval_searches_with() -> None:
    definition = asked_definition("Who counts as a Contributor?")
    assert definition == Definition("Contributor")
    assert definition('1.1. "Contributor" means each individual') is True
    assert definition("The Contributor grants a licence.") is False
    assert asked_definition("When was it signed?") is None
