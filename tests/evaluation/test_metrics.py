"""evaluation/metrics.py: SQuAD v2.0 normalisation, exact match and F1 on hand-computed cases; retrieval hits;
percentiles."""

from __future__ import annotations

import pytest

from docqa.evaluation.metrics import (
    contains_answer,
    contains_words,
    exact_match,
    f1_score,
    first_hit,
    normalize_answer,
    percentile,
    sentence_match,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Cat", "cat"),                          # case and a leading article
        ("a, an; the.", ""),                         # only articles and punctuation
        ("Anthem of the theatre", "anthem of theatre"),  # articles only as whole words
        ("U.S.A.", "usa"),                           # punctuation removed, not replaced by spaces
        ("  December\t\n 2006 ", "december 2006"),   # whitespace collapsed
        ("An apple a day", "apple day"),
        ("rock-and-roll", "rockandroll"),
        ("NATO’s role", "nato’s role"),              # the script strips ASCII punctuation only
    ],
)
def test_normalize_answer_follows_the_squad_script(text, expected):
    assert normalize_answer(text) == expected


def test_exact_match_is_best_over_the_gold_answers():
    golds = ["the International Criminal Tribunal", "ICTY"]
    assert exact_match("International criminal tribunal!", golds) == 1.0
    assert exact_match("icty", golds) == 1.0
    assert exact_match("the Tribunal", golds) == 0.0
    assert exact_match(None, golds) == 0.0


def test_unanswerable_scores_one_only_when_declined():
    assert exact_match(None, []) == 1.0
    assert f1_score(None, []) == 1.0
    assert exact_match("Belgrade", []) == 0.0
    assert f1_score("Belgrade", []) == 0.0
    # As in the script, a gold that normalises to nothing does not count: the item is unanswerable.
    assert exact_match(None, ["the"]) == 1.0


def test_f1_counts_shared_tokens_by_hand():
    # prediction [december, 2006, meeting], gold [december, 2006]: p = 2/3, r = 1, F1 = 0.8
    assert f1_score("the December 2006 meeting", ["December 2006"]) == pytest.approx(0.8)
    # repeated tokens count once per occurrence in both: p = 1/2, r = 1, F1 = 2/3
    assert f1_score("NATO NATO", ["NATO"]) == pytest.approx(2 / 3)
    # best over golds: 0 against the first, 2*(1/2*1/1)/(1/2+1) = 2/3 against the second
    assert f1_score("KFOR force", ["Belgrade", "KFOR"]) == pytest.approx(2 / 3)
    assert f1_score("Belgrade", ["KFOR"]) == 0.0
    assert f1_score(None, ["KFOR"]) == 0.0
    assert f1_score("the", ["KFOR"]) == 0.0  # an answer of only an article shares no token


def test_a_passage_holds_an_answer_as_whole_normalised_words():
    assert contains_answer("In December, 2006 Serbia joined.", ["December 2006"])
    assert not contains_answer("Code 20061 was used.", ["2006"])
    assert not contains_answer("anything", [])
    assert first_hit(["No.", "Still no.", "KFOR stays."], ["the KFOR"]) == 3
    assert first_hit(["No."], ["KFOR"]) is None
    # Typographic quotes and dashes fold to ASCII; a hyphen between words of two characters or more
    # parts them, and the hyphen dropped (SQuAD's way) counts too.
    assert contains_answer("What have become known as \u201cHenderson\u2019s mixed-model equations\u201d are given",
                           ["Henderson\u2019s mixed-model equations"])
    assert contains_answer("Father John Francis O\u2019Hara", ["O'Hara"])
    assert contains_answer("a Norwegian-led Trust Fund project", ["Norwegian"])
    assert contains_answer("in the 2006\u20132007 season", ["2006"])
    assert contains_answer('a Church of England "Royal Peculiar"\u2014a church', ["Royal Peculiar"])
    assert contains_answer("send an e-mail", ["email"]) and contains_answer("send an email", ["e-mail"])
    assert not contains_answer("send an e-mail", ["mail"])  # one letter before the hyphen joins
    assert not contains_answer("the X-15 plane", ["15"]) and not contains_answer("on 12/2006", ["12"])
    assert contains_answer("version 1.1.3 and before", ["1.1.3"])
    assert not contains_answer("version 1.1.3 and before", ["1.1"])  # a dot still joins a number


def test_percentile_interpolates_like_numpy():
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)
    # position (5 - 1) * 0.95 = 3.8: 4 + 0.8 * (10 - 4) = 8.8
    assert percentile([1.0, 2.0, 3.0, 4.0, 10.0], 95) == pytest.approx(8.8)
    assert percentile([7.0], 95) == 7.0


SENTENCE = "You are not required to accept this License in order to run a copy of the Program."


@pytest.mark.parametrize(("prediction", "keys", "expected"), [
    (SENTENCE, ["not required to accept"], 1.0),
    ("not required to accept this License", ["not required to accept"], 1.0),  # a clause holding the keys
    ("not required", ["not required to accept"], 0.0),  # a fragment without the keys
    # the sentence (14 words once articles go) and a short neighbour: 14 of 20 words are the sentence's
    (SENTENCE + " Ancillary propagation does not require acceptance.", ["not required to accept"], 1.0),
    # a whole passage around it: 14 of 34 words
    ("Some other words here. " * 5 + SENTENCE, ["not required to accept"], 0.0),
    ("You are required to accept this License.", ["not required to accept"], 0.0),
    # without keys: token F1 against the sentence, 0.5 or more
    ("You are not required to accept this License", [], 1.0),  # P 1, R 8/14: F1 0.727
    ("You are not required", [], 0.0),  # P 1, R 4/14: F1 0.444
    (None, ["not required to accept"], 0.0),
])
def test_sentence_match(prediction, keys, expected):
    assert sentence_match(prediction, [SENTENCE], keys) == expected


def test_sentence_match_of_an_unanswerable_item_is_a_decline():
    assert (sentence_match(None, []), sentence_match("Anything.", [])) == (1.0, 0.0)


def test_contains_words_as_whole_normalised_words():
    assert contains_words("You don't have to pay us.", "don't have to pay")
    assert not contains_words("You may charge a fee.", "char")
