"""Yes or no only where the sentence says it in words: permission granted and denied, a requirement
stated and waived, a prohibition, an FAQ's opening "Yes."/"No.", both ways, and no verdict where the
sentence speaks of something else, disagrees with itself, or the question is negated."""

from __future__ import annotations

import pytest

from docqa.read.verdict import Asks, Says, action, asks, clauses, statements, verbs, verdict


@pytest.mark.parametrize("question, kind", [
    ("Can I sell copies of the program?", Asks.PERMITTED),
    ("Am I allowed to strip the notices?", Asks.PERMITTED),
    ("Is sublicensing permitted under the GPL?", Asks.PERMITTED),
    ("Does the Apache License let me use the trademarks?", Asks.PERMITTED),
    ("Does the licence give me any rights to the trademarks?", Asks.PERMITTED),
    ("Do I need to accept the licence to run a copy?", Asks.REQUIRED),
    ("Must I mark the files I changed?", Asks.REQUIRED),
    ("Am I responsible for making third parties comply?", Asks.REQUIRED),
    ("Is it forbidden to charge a fee?", Asks.FORBIDDEN),
    ("Is zlib thread-safe?", None),
    ("Can't I sell copies?", None),
    ("Is it not allowed to sell copies?", None),
])
def test_what_a_question_asks(question: str, kind: Asks | None) -> None:
    assert asks(question) is kind


def test_statements_read_the_longest_wording_first() -> None:
    sentence = "You may not impose a fee, and you may offer support; you are not required to accept it."
    assert [(kind, sentence[a:b]) for kind, a, b in statements(sentence)] == [
        (Says.DENIES, "may not"), (Says.GRANTS, "may"), (Says.WAIVES, "not required")]


def test_clauses() -> None:
    assert clauses("You may A, and you may not B; unless C. Then D") == ["You may A", "you may not B", " unless C", " Then D"]
    assert clauses("You may not impose a fee, royalty, or other charge, unless agreed.") == [
        "You may not impose a fee, royalty, or other charge", " agreed"]


def test_the_action_leaves_out_the_questions_names() -> None:
    assert action("Can I charge money for copies of GPL software?") == frozenset({"charg", "money", "copi", "softwar"})


@pytest.mark.parametrize("question, expected", [
    ("Am I allowed to strip the copyright notices?", {"strip"}),
    ("Do I need to agree to the GPL to run a copy?", {"agre"}),
    ("Does the Apache License let me use the trademarks?", {"use"}),
    ("Is it possible to sell copies?", {"sell"}),
    ("Must I mark the files I changed?", {"mark"}),
    ("Does the licence give me any rights to the trademarks?", set()),
])
def test_the_verb_of_the_questions_action(question: str, expected: set[str]) -> None:
    assert verbs(question) == frozenset(expected)


@pytest.mark.parametrize("question, sentence, expected", [
    # permission, granted and denied
    ("Can I charge money for copies of the program?",
     "You may charge any price or no price for each copy that you convey.", "yes"),
    ("Can I charge a licence fee for the rights I pass on?",
     "For example, you may not impose a license fee, royalty, or other charge for exercise of rights.", "no"),
    ("Is sublicensing permitted under the GPL?", "Sublicensing is not allowed; section 10 makes it unnecessary.", "no"),
    ("Is sublicensing permitted under the GPL?", "Sublicensing is permitted.", "yes"),
    ("Can I combine GPL code with code under the Affero licence?",
     "You have permission to link or combine any covered work with a work licensed under the Affero licence.", "yes"),
    ("Does the Apache License let me use the Licensor's trademarks?",
     "This License does not grant permission to use the trade names, trademarks, service marks of the Licensor.", "no"),
    ("Can I use the author's name in advertising for my product?",
     "Permission is NOT granted for the use of any author's name in advertising relating to this software.", "no"),
    # a requirement, stated and waived
    ("Do I need to accept the licence to run a copy?",
     "You are not required to accept this License in order to receive or run a copy of the Program.", "no"),
    ("Do I need to accept the licence to run a copy?",
     "You are required to accept this License in order to run a copy of the Program.", "yes"),
    ("Must I mark the files I changed?",
     "(b) You must cause any modified files to carry prominent notices stating that You changed the files; and", "yes"),
    ("Must I mark the files I changed?", "You need not mark the files you changed.", "no"),
    ("Am I responsible for making third parties comply with the GPL?",
     "You are not responsible for enforcing compliance by third parties with this License.", "no"),
    # a prohibition asked about
    ("Is it forbidden to charge a fee for copies?", "You may not charge a fee for copies.", "yes"),
    ("Is it forbidden to charge a fee for copies?", "You may charge a fee for copies.", "no"),
    # an FAQ answers first
    ("Is the valgrind warning about deflate a bug?", "No. That is intentional for performance reasons.", "no"),
    ("Is zlib thread-safe?", "Yes. However any library routines that zlib uses must also be thread-safe.", "yes"),
    ("Can zlib handle .zip archives?", "Not by itself, no. See the directory contrib/minizip.", "no"),
    # a negated subject turns the modal: "neither ... nor ... may" and "no one may" deny, "nobody is required" waives
    ("Can I use the name of the University to endorse my product?",
     "3. Neither the name of the University nor the names of its contributors may be used to endorse or promote "
     "products derived from this software without specific prior written permission.", "no"),
    ("Can I sell copies?", "Nobody may sell copies.", "no"),
    ("Do I have to pay for copies?", "Nobody is required to pay for copies.", "no"),
    # a condition on a grant leaves it a grant
    ("Can I distribute copies?", "You may distribute copies, provided that you keep this notice.", "yes"),
    # "no later than", "no matter", "no more than" open no negated subject
    ("Do I have to provide the source?", "No later than thirty days after distribution, you must provide the source.",
     "yes"),
    ("Do I have to include the notice?", "No matter how you distribute it, you must include the notice.", "yes"),
    ("Can I make copies?", "No more than three copies may be made.", "yes"),
    # an exception in a later clause of its own leaves an earlier denial standing
    ("Can I sublicense the software?", "You may not sublicense the software; you may copy it unless told otherwise.",
     "no"),
    # "except that" carves out another act: the denial of this one stands
    ("Am I allowed to strip the copyright notices out of MPL source files?",
     "You may not remove or alter the substance of any license notices (including copyright notices) contained "
     "within the Source Code Form, except that You may alter any license notices to the extent required to remedy "
     "known factual inaccuracies.", "no"),
])
def test_a_verdict_where_the_sentence_says_it(question: str, sentence: str, expected: str) -> None:
    assert verdict(question, sentence) == expected


@pytest.mark.parametrize("question, sentence", [
    # another act on the same things: including a notice is not stripping one
    ("Am I allowed to strip the copyright notices out of the source files?",
     "You may include the notice in a location (such as a LICENSE file) where a recipient would look for it."),
    # a right of someone else, with "license" and "right" in common
    ("Does the licence give me any rights to the contributors' trademarks?",
     "No one other than the license steward has the right to modify or publish new versions of this License."),
    # "ask" is not "impose", and two of seven words are not half: no verdict rather than a guess
    ("May I ask for a licence fee from people who receive the code?",
     "For example, you may not impose a license fee, royalty, or other charge for exercise of rights."),
    # a "may" about something else: "fee" alone is not "licence fee" received by people
    ("May I ask for a licence fee from people who receive the code?",
     "You may offer support or warranty protection for a fee."),
    # "cannot" about patents says nothing of whether one must accept the licence
    ("Do I need to agree to the GPL just to run a copy of a program?",
     "To prevent this, the GPL assures that patents cannot be used to render the program non-free."),
    # a permission does not answer whether something is required
    ("Must I keep the notices?", "You may keep the notices."),
    # the sentence grants and denies the same action
    ("Can I copy the manual?", "You may copy the manual, but you may not copy the manual for sale."),
    # a fact, not a permission
    ("Is zlib thread-safe?", "zlib's functions use the library memory allocation routines by default."),
    # a negated question
    ("Can't I sell copies?", "You may sell copies."),
    # "No" as a determiner opens no verdict
    ("Can a contributor make additional grants?", "No Contributor makes additional grants as a result of Your choice."),
    # a denial with an exception is no plain "no"
    ("Can I use the Apache licensed code in a commercial product?",
     "You may not use this file except in compliance with the License."),
    ("Can I distribute copies?", "You may not distribute copies, unless you keep this notice."),
])
def test_no_verdict_is_guessed(question: str, sentence: str) -> None:
    assert verdict(question, sentence) is None
