"""Splitting: offsets into the cleaned text, whole sentences, sections respected, stable ids."""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

import pytest

from docqa.ingest.clean import CleanText, clean_pages, clean_text
from docqa.ingest.split import (
    Sentence,
    passage_id,
    segments,
    split_passages,
    split_sentences,
)
from docqa.settings import SplitSettings
from docqa.types import Answer, Passage

DEFAULT_DOCUMENT = Path(__file__).resolve().parents[2] / "corpus" / "nato-relations-with-serbia.txt"
NAME = "nato-relations-with-serbia.txt"
SETTINGS = SplitSettings()


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(scope="module")
def default_clean() -> CleanText:
    return clean_text(DEFAULT_DOCUMENT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def default_passages(default_clean: CleanText) -> list[Passage]:
    return split_passages(NAME, default_clean, SETTINGS)


LONG_SENTENCE = " ".join(f"word{i}" for i in range(500))
AWKWARD = {
    "single sentence": "Serbia joined the Partnership for Peace in December 2006.",
    "500 words without punctuation": LONG_SENTENCE,
    "empty section": "Intro.\n\nKey areas of cooperation\n\nSecurity cooperation\n\nIn July 2005, the country signed.",
    "unicode": (
        "Ça va? Die Straße ist schön. 北约与塞尔维亚的关系。 Ελληνικά κείμενα εδώ.\n\n"
        "Emoji 🎉 are fine. Ünïcödé ends here, with “quotes” and a dash — too."
    ),
    "heading only": "Key milestones\n\n",
    "empty": "",
}


def sentences_within(sentences: list[Sentence], passage: Passage) -> list[Sentence]:
    return [s for s in sentences if passage.start <= s.start and s.end <= passage.end]


def test_default_document_passages_slice_the_cleaned_text(default_clean, default_passages) -> None:
    assert len(default_passages) == 15
    for p in default_passages:
        assert default_clean.text[p.start : p.end] == p.text
        assert p.document == NAME
        assert p.text == p.text.strip()


@pytest.mark.parametrize("name", list(AWKWARD))
def test_awkward_inputs_keep_the_offsets_invariant(name: str) -> None:
    clean = clean_text(AWKWARD[name])
    passages = split_passages("awkward.txt", clean, SETTINGS)
    for p in passages:
        assert clean.text[p.start : p.end] == p.text
    # Every word outside the headings lands in some passage.
    headings = {s.title for s in clean.sections}
    body = [b for b in clean.text.split("\n\n") if b and b not in headings]
    covered = " ".join(p.text for p in passages)
    assert set(" ".join(body).split()) == set(covered.split())


def test_awkward_inputs_exact_passages() -> None:
    def spans(raw: str) -> list[tuple[int, int, str | None]]:
        return [(p.start, p.end, p.section) for p in split_passages("a.txt", clean_text(raw), SETTINGS)]

    assert spans(AWKWARD["single sentence"]) == [(0, 57, None)]
    assert spans(AWKWARD["500 words without punctuation"]) == [
        (0, 849, None), (850, 1809, None), (1810, 2769, None), (2770, 3729, None), (3730, 3889, None)
    ]
    assert spans(AWKWARD["empty section"]) == [(0, 6, None), (56, 89, "Security cooperation")]
    assert spans(AWKWARD["heading only"]) == []
    assert spans(AWKWARD["empty"]) == []


def test_passages_never_cross_a_section(default_clean, default_passages) -> None:
    starts = [s.start for s in default_clean.sections]
    for p in default_passages:
        assert default_clean.section_at(p.start) == p.section == default_clean.section_at(p.end - 1)
        assert not any(p.start <= start < p.end for start in starts)
    assert [p.section for p in default_passages] == [
        "NATO’s relations with Serbia", "NATO’s relations with Serbia",
        "Framework for cooperation", "Framework for cooperation",
        "Security cooperation", "Security cooperation", "Security cooperation",
        "Defence and security sector reform", "Defence and security sector reform",
        "Defence and security sector reform",
        "Science and environment", "Public information", "Evolution of relations",
        "Key milestones", "Key milestones",
    ]


def test_word_counts_within_bounds(default_passages) -> None:
    # Every passage closes between min_words and max_words, except the last of its section,
    # which holds what is left (and may be short).
    for p, nxt in zip(default_passages, default_passages[1:] + [None]):
        assert words(p.text) <= SETTINGS.max_words
        if nxt is not None and nxt.section == p.section:
            assert words(p.text) >= SETTINGS.min_words
    assert [words(p.text) for p in default_passages] == [
        109, 107, 103, 78, 94, 116, 25, 102, 111, 68, 55, 44, 101, 117, 111
    ]


def test_over_long_sentence_is_cut_into_max_word_pieces() -> None:
    passages = split_passages("a.txt", clean_text(LONG_SENTENCE), SETTINGS)
    assert [words(p.text) for p in passages] == [120, 120, 120, 120, 20]
    assert passages[0].text.split()[-1] == "word119" and passages[1].text.split()[0] == "word120"


def test_a_passage_that_starts_inside_a_table_knows_its_header() -> None:
    rows = "".join(f"\n\nItem {n} | {n}.00 EUR | in stock" for n in range(1, 41))
    clean = clean_text(f"Prices\n\nOur prices this spring.\n\nItem | Price | Stock{rows}\n\nEnd of the list.")
    passages = split_passages("prices.txt", clean, SplitSettings(max_words=60, min_words=10, overlap_sentences=0))
    assert [p.table_header for p in passages] == [None] + ["Item | Price | Stock"] * 5
    assert [p.text[:7] for p in passages] == ["Our pri", "Item 7 ", "Item 14", "Item 21", "Item 28", "Item 35"]


def test_short_sentence_before_an_over_long_one_stays_within_max_words() -> None:
    raw = "A short opening sentence with exactly ten words in it. " + LONG_SENTENCE
    counts = [words(p.text) for p in split_passages("a.txt", clean_text(raw), SETTINGS)]
    assert counts == [10, 120, 120, 120, 120, 20]


def test_consecutive_passages_of_a_section_overlap_by_one_sentence(default_clean, default_passages) -> None:
    pairs = [(p, q) for p, q in zip(default_passages, default_passages[1:]) if p.section == q.section]
    assert len(pairs) == 7
    sentences = split_sentences(default_clean.text)
    for p, q in pairs:
        in_p, in_q = sentences_within(sentences, p), sentences_within(sentences, q)
        shared = [s for s in in_p if s in in_q]
        assert shared == [in_p[-1]] == [in_q[0]]
        assert default_clean.text[q.start : p.end] == shared[0].text


def test_no_overlap_across_sections(default_passages) -> None:
    for p, q in zip(default_passages, default_passages[1:]):
        if p.section != q.section:
            assert p.end < q.start


def test_passage_ids_are_stable_and_follow_the_text(default_clean, default_passages) -> None:
    again = split_passages(NAME, clean_text(DEFAULT_DOCUMENT.read_text(encoding="utf-8")), SETTINGS)
    assert [p.id for p in again] == [p.id for p in default_passages]
    assert all(re.fullmatch(r"[0-9a-f]{16}", p.id) for p in default_passages)
    assert len({p.id for p in default_passages}) == len(default_passages)

    # Same length, so only the passage holding the edit moves: every other id is kept.
    edited = DEFAULT_DOCUMENT.read_text(encoding="utf-8").replace("removed 1.4", "removed 1.5")
    changed = split_passages(NAME, clean_text(edited), SETTINGS)
    assert [p.id == q.id for p, q in zip(default_passages, changed)] == [True] * 14 + [False]
    assert "1.5 million" in changed[-1].text

    # The same text in another document gets other ids.
    assert split_passages("copy.txt", default_clean, SETTINGS)[0].id != default_passages[0].id


def test_passage_id_depends_on_every_part() -> None:
    base = passage_id("a.txt", 0, 5, "Hello")
    assert base == passage_id("a.txt", 0, 5, "Hello")
    assert len({base, passage_id("b.txt", 0, 5, "Hello"), passage_id("a.txt", 1, 6, "Hello"),
                passage_id("a.txt", 0, 5, "Hallo")}) == 4


SMALL = SplitSettings(min_words=6, max_words=12, overlap_sentences=1)
NOTES = (
    "Intro\n\n"
    "Serbia joined the PfP in 2006. It opened an office in Belgrade.\n"
    "The office supports reform. Trust funds destroyed landmines.\n\n"
    "Key milestones\n\n"
    "2009 Serbia agrees its first programme.\n"
)


def test_exact_passages_of_a_small_text() -> None:
    clean = clean_text(NOTES)
    passages = split_passages("notes.txt", clean, SMALL)
    assert [(p.start, p.end, p.text, p.section) for p in passages] == [
        (7, 70, "Serbia joined the PfP in 2006. It opened an office in Belgrade.", "Intro"),
        (38, 98, "It opened an office in Belgrade. The office supports reform.", "Intro"),
        (71, 131, "The office supports reform. Trust funds destroyed landmines.", "Intro"),
        (149, 188, "2009 Serbia agrees its first programme.", "Key milestones"),
    ]
    assert [p.id for p in passages] == [passage_id("notes.txt", p.start, p.end, p.text) for p in passages]
    assert passages[3].search_text == "Key milestones. 2009 Serbia agrees its first programme."


def test_without_overlap_passages_follow_each_other() -> None:
    passages = split_passages("notes.txt", clean_text(NOTES), SplitSettings(6, 12, 0))
    assert [p.text for p in passages] == [
        "Serbia joined the PfP in 2006. It opened an office in Belgrade.",
        "The office supports reform. Trust funds destroyed landmines.",
        "2009 Serbia agrees its first programme.",
    ]


def test_passage_without_section_searches_its_text() -> None:
    (passage,) = split_passages("a.txt", clean_text(AWKWARD["single sentence"]), SETTINGS)
    assert passage.section is None
    assert passage.search_text == passage.text


def test_split_sentences_offsets_and_paragraphs() -> None:
    text = "Serbia joined in 2006. NATO opened an office.\n\nA new paragraph without an end"
    assert split_sentences(text) == [
        Sentence(0, 22, "Serbia joined in 2006."),
        Sentence(23, 45, "NATO opened an office."),
        Sentence(47, 77, "A new paragraph without an end"),
    ]


def test_a_dot_that_starts_a_word_ends_no_sentence() -> None:
    # pysbd ends a sentence at "the ." of "the .xz format"; a sentence's end is followed by a space
    text = "It reads the .xz format and a .tar.gz file. The .NET port is new."
    assert [s.text for s in split_sentences(text)] == [
        "It reads the .xz format and a .tar.gz file.", "The .NET port is new."]


def test_threads_splitting_at_once_get_their_own_sentences(default_passages) -> None:
    # A pysbd Segmenter keeps the text it splits on itself; shared between the web chat's threads it
    # handed one question's passages the sentences of another's. Frequent thread switches make the
    # overlap certain.
    texts = [p.text for p in default_passages]
    expected = [split_sentences(text) for text in texts]
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    wrong: list[int] = []

    def split_all(first: int) -> None:
        for n in range(len(texts)):
            i = (first + n) % len(texts)
            if split_sentences(texts[i]) != expected[i]:
                wrong.append(i)

    try:
        threads = [threading.Thread(target=split_all, args=(first,)) for first in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert wrong == []


# ---- whatever the input, no passage over the maximum ------------------------------------------------

def test_a_run_without_spaces_is_in_no_passage_and_the_text_around_it_is() -> None:
    text = "Serbia joined in 2006. " + "x" * 100_000 + " It hosts a trust fund. " + "y" * 300
    clean = CleanText(text, ())
    passages = split_passages("a.txt", clean, SETTINGS)
    assert [p.text for p in passages] == ["Serbia joined in 2006.", "It hosts a trust fund."]
    assert all(text[p.start:p.end] == p.text for p in passages)


def test_segments_cut_a_long_paragraph_after_a_sentence_end() -> None:
    sentence = "Serbia joined the Partnership for Peace in December 2006. "  # 58 characters
    text = sentence * 300  # 17,400 characters, one paragraph
    pieces = segments(text)
    assert [hi - lo for lo, hi in pieces] == [9_976, 7_424]
    assert text[pieces[0][0]:pieces[0][1]].endswith("2006. ") and pieces[0][1] == pieces[1][0]
    assert segments("z" * 201 + " a b " + "q" * 250) == [(201, 206)]


def test_a_paragraph_of_megabytes_is_split_fast_and_bounded() -> None:
    text = "word " * 400_000  # 2 MB without a sentence end or a line break
    started = time.perf_counter()
    passages = split_passages("a.txt", CleanText(text.strip(), ()), SETTINGS)
    assert time.perf_counter() - started < 60
    assert max(words(p.text) for p in passages) == SETTINGS.max_words
    assert sum(words(p.text) for p in passages) == 400_000


def test_a_text_written_without_spaces_is_kept_and_cut_a_character_at_a_time():
    # Chinese has no spaces between words: its long runs are text, not a blob to drop.
    sentence = "北约与塞尔维亚的关系自科索沃危机以来稳步改善。"  # 23 characters
    clean = clean_text(sentence * 30)
    assert (clean.text, clean.notes) == (sentence * 30, ())
    passages = split_passages("zh.txt", clean, SETTINGS)
    assert all(clean.text[p.start:p.end] == p.text for p in passages)
    assert max(len(p.text) for p in passages) == SETTINGS.max_words - 5  # whole sentences of 23 characters
    assert clean_text("x" * 300 + " 北约" + "y" * 250).text == "北约"  # blobs around it still go


def test_a_passage_that_runs_onto_the_next_page_gives_an_answer_there_that_page() -> None:
    clean = clean_pages(["The alias of audio/midi is given on the next", "page: audio/x-midi. Nothing else.",
                         "A third page."])
    (passage,) = split_passages("spec.pdf", clean, SETTINGS)
    assert (passage.page, passage.page_breaks, clean.pages) == (1, (45, 80), (0, 45, 80))
    at = passage.text.index("audio/x-midi")
    assert [passage.page_at(offset) for offset in (0, 44, 45, at, 79, 80)] == [1, 1, 2, 2, 2, 3]
    assert Answer.within(passage, at, at + len("audio/x-midi"), 0.9).page == 2
    assert Answer.within(passage, 4, 9, 0.9).page == 1
