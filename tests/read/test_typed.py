"""The question inside what a person typed (read/typed.py)."""

import pytest

from docqa.read.typed import the_question


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("Could you tell me who led the landmine project in Serbia?", "Who led the landmine project in Serbia?"),
        ("Hi, can you please let me know when the WIPO treaty was adopted? Thanks!", "When the WIPO treaty was adopted?"),
        ("Would you mind telling me what the package uses instead of catgets",
         "What the package uses instead of catgets?"),
        ("I'd like to know which package I need, please", "Which package I need?"),
        ("I'm writing a briefing for my boss about the balkans and NATO: at which summit were they invited?",
         "At which summit were they invited?"),
        ("our legal team is reviewing the licence because a vendor sent us a binary, and they want to know, if "
         "someone distributes the executable form, how much may they charge for the source code?",
         "If someone distributes the executable form, how much may they charge for the source code?"),
    ],
)
def test_greetings_thanks_wrappers_and_a_preamble_about_the_asker_are_set_aside(typed, question):
    assert the_question(typed) == question


@pytest.mark.parametrize(
    "typed",
    [
        "Could you tell me whether I must publish my changes?",  # a yes/no question as it stands
        "If the compiler's long type is 64 bits, what is the limit?",  # a condition of the question
        "Along with the smaller diameter of the upper trunk, what factor leads to thinner sapwood higher up?",
        "we run the app under valgrind at work and it keeps saying there are leaks, what should we export",  # no "?"
        "When did Serbia join the Partnership for Peace?",
        "who won jhalak dikhlaja 2017",
    ],
)
def test_a_question_with_nothing_to_set_aside_is_read_as_typed(typed):
    assert the_question(typed) == typed
