"""BM25: tokens, scores against bm25s's own retrieval, ties, idf by hand, the files on disk, and work
that follows the question's words rather than the corpus."""

from __future__ import annotations

import json
import math
from pathlib import Path

import bm25s
import numpy as np
import pytest

from docqa.index.lexical import (
    FOLDER,
    IDF_FLOOR,
    QUESTION_WORDS,
    WORDS,
    DamagedLexicalIndex,
    LexicalIndex,
    idf,
    lexical_tokens,
    query_stems,
    spellings,
)

TEXTS = [
    "Serbia joined the Partnership for Peace in December 2006.",
    "The Partnership for Peace is a programme of practical cooperation.",
    "Landmines were destroyed in Serbia with help from Canada and Austria.",
    "Serbia joined the Partnership for Peace in December 2006.",  # the first again: a tie
    "Nothing here but stop words: it is what it is.",
]


def test_lexical_tokens_stem_and_drop_stop_words() -> None:
    assert lexical_tokens(["When did Serbia join the Partnership for Peace?", "Is it that they are?"]) == [
        ["when", "did", "serbia", "join", "partnership", "peac"],
        [],
    ]


def test_question_words_are_no_evidence_for_bm25() -> None:
    assert lexical_tokens(["How much does the Pennebaker and Mitchell textbook cost?"], QUESTION_WORDS) == [
        ["pennebak", "mitchel", "textbook", "cost"]]
    assert lexical_tokens(["Where should I send my bug reports?", "Who can do what?"], QUESTION_WORDS) == [
        ["send", "bug", "report"], []]


def bm25s_ranking(texts: list[str], question: str, k: int) -> list[tuple[int, float]]:
    """The ranking docqa took from bm25s.BM25.retrieve before it scored from the stored arrays."""
    reference = bm25s.BM25()
    reference.index(lexical_tokens(texts), show_progress=False)
    ids, scores = reference.retrieve(lexical_tokens([question], QUESTION_WORDS), k=k, show_progress=False,
                                     n_threads=1)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]


@pytest.mark.parametrize("question", ["When did Serbia join the Partnership for Peace?",
                                      "Which countries helped destroy landmines?", "peace peace cooperation"])
def test_scores_are_those_of_bm25s(question: str) -> None:
    ours = LexicalIndex.build(TEXTS).search(question, 5)
    assert sorted(ours) == sorted(bm25s_ranking(TEXTS, question, 5))  # the same floats, to the last bit
    assert [s for _, s in ours] == sorted((s for _, s in ours), reverse=True)


def test_equal_scores_rank_in_passage_order() -> None:
    hits = LexicalIndex.build(TEXTS).search("When did Serbia join the Partnership for Peace?", 2)
    assert [i for i, _ in hits] == [0, 3] and hits[0][1] == hits[1][1]
    # Cut between two equal scores: the earlier passage stays.
    assert [i for i, _ in LexicalIndex.build(TEXTS).search("December 2006", 1)] == [0]


def test_questions_without_known_words() -> None:
    index = LexicalIndex.build(TEXTS)
    assert index.search("Is it that they are?", 5) == []
    assert index.search("Xylophone quasar?", 5) == []
    assert index.search("Serbia", 0) == []
    assert LexicalIndex.build([]).search("Serbia", 5) == []


def test_idf_by_hand() -> None:
    # "serbia": 3 of 5 passages -> log(1 + 2.5 / 3.5); "canada": 1 of 5 -> log(1 + 4.5 / 1.5) = log 4.
    table = LexicalIndex.build(TEXTS).idf
    assert round(table["serbia"], 6) == round(math.log(1 + 2.5 / 3.5), 6) == 0.538997
    assert round(table["canada"], 6) == round(math.log(4.0), 6) == 1.386294
    assert "" not in table and "it" not in table
    assert idf(1000, 1000) == IDF_FLOOR


def test_save_and_load_memory_mapped(tmp_path: Path) -> None:
    built = LexicalIndex.build(TEXTS)
    paths = built.save(tmp_path)
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir()) == sorted(p.name for p in paths) == [
        "passages.npy", "scores.npy", "starts.npy", "words.json"]
    loaded = LexicalIndex.load(tmp_path, len(TEXTS))
    assert isinstance(loaded.scores, np.memmap) and isinstance(loaded.passages, np.memmap)
    assert loaded.words == built.words and loaded.idf == built.idf
    for question in ("Serbia December", "cooperation programme", "Austria"):
        assert loaded.search(question, 3) == built.search(question, 3)


def test_a_question_reads_its_own_columns_only() -> None:
    # Two words over a "corpus" of a trillion passages: any work in step with the corpus would not finish.
    index = LexicalIndex(["peac", "serbia"], np.array([0, 2, 3], np.int64), np.array([7, 2_000_000_000, 7], np.int32),
                         np.array([1.0, 2.0, 0.5], np.float32), size=10**12)
    assert index.search("Peace in Serbia", 5) == [(2_000_000_000, 2.0), (7, 1.5)]


def test_damaged_files(tmp_path: Path) -> None:
    LexicalIndex.build(TEXTS).save(tmp_path)
    with pytest.raises(DamagedLexicalIndex, match="built over 5 passages, the index holds 4"):
        LexicalIndex.load(tmp_path, 4)
    (tmp_path / FOLDER / WORDS).write_text(json.dumps({"passages": 5, "words": ["a"]}), encoding="utf-8")
    with pytest.raises(DamagedLexicalIndex, match=r"^1 words, \d+ column starts ending at \d+, \d+ passage numbers"):
        LexicalIndex.load(tmp_path, 5)
    with pytest.raises(FileNotFoundError):
        LexicalIndex.load(tmp_path / "elsewhere", 5)
    index = LexicalIndex(["serbia"], np.array([0, 1], np.int64), np.array([9], np.int32), np.ones(1, np.float32), 5)
    with pytest.raises(DamagedLexicalIndex, match="passage 9 of 5"):
        index.search("Serbia", 3)


def test_british_and_american_spellings_find_each_other() -> None:
    assert [spellings(w) for w in ("licence", "license", "colour", "organised", "analyse", "centre", "fee")] == [
        ["license"], ["licence"], ["color"], ["organized"], ["analyze"], ["center"], []]
    known = {"licens", "fee", "ask"}.__contains__
    # "licence" is in no passage: its other spelling's stem is looked up; "fee" is, and stays as it is
    assert query_stems("May I ask for a licence fee?", known) == ["ask", "licens", "fee"]
    # a variant no passage holds changes nothing
    assert query_stems("What colour is it?", known) == ["colour"]


def test_a_question_in_british_spelling_finds_the_american_text(tmp_path) -> None:
    index = LexicalIndex.build(["You may not impose a license fee.", "The colour of the sky."])
    assert [i for i, _ in index.search("Can I charge a licence fee?", 2)] == [0]
    assert [i for i, _ in index.search("What color is the sky?", 2)] == [1]
