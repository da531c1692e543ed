"""Multi-passage training: question groups from literal paragraphs, batches that keep a group whole, the
shared-normalisation loss on literal logits, and a few real steps of the tiny model on groups."""

from __future__ import annotations

import math
import random

import pytest
import torch

from docqa.train.groups import passage_groups
from docqa.train.loop import TrainConfig, Trainer, shared_norm_loss, window_loss
from docqa.train.windows import NO_LABEL, batch_order, load_tokenizers, make_windows, pad
from train.test_training import CONTEXT, example, tiny_base  # noqa: F401  (tiny_base is a fixture)

LECTURE = "Röntgen gave no lecture on the Physics prize he won; the first prize money went to his university."
PRIZE = "The Nobel Prize in Physics is awarded by the Royal Swedish Academy of Sciences."
CHEMISTRY = "The first Nobel Prize in Chemistry was won by Jacobus van 't Hoff."


def nobel_examples():
    return [example(), example("Who awards the Nobel Prize in Physics?", "Royal Swedish Academy of Sciences", PRIZE),
            example("Who won the first Nobel Prize in Chemistry?", "Jacobus van 't Hoff", CHEMISTRY, "Chemistry"),
            example("What did Röntgen not give?", "lecture", LECTURE)]


def test_a_group_is_the_questions_paragraph_and_the_best_ranked_ones_without_its_answer():
    groups = passage_groups(nobel_examples(), beside=2, count=10, seed=1)
    assert [[(e.context, e.answer_text, e.source) for e in group] for group in groups] == [
        [(PRIZE, "Royal Swedish Academy of Sciences", "squad"), (CONTEXT, None, "beside"), (CHEMISTRY, None, "beside")],
        [(CHEMISTRY, "Jacobus van 't Hoff", "squad"), (CONTEXT, None, "beside"), (LECTURE, None, "beside")],
        # PRIZE ranks below the two kept; "Wilhelm Röntgen" stands in no paragraph beside
        [(CONTEXT, "Wilhelm Röntgen", "squad"), (CHEMISTRY, None, "beside"), (LECTURE, None, "beside")],
        [(LECTURE, "lecture", "squad"), (CONTEXT, None, "beside")],
    ]
    assert groups[1][1].id == "Chemistry:Who won the first Nobel Prize in Chemistry?:beside0"
    assert all(e.question == group[0].question for group in groups for e in group)
    assert groups == passage_groups(nobel_examples(), beside=2, count=10, seed=1)
    assert len(passage_groups(nobel_examples(), beside=2, count=2, seed=1)) == 2


def test_a_paragraph_holding_the_answer_in_other_case_is_never_beside_it():
    shouting = "WILHELM RÖNTGEN WON THE FIRST NOBEL PRIZE IN PHYSICS, SAID THE HEADLINE."
    items = [example(), example("Which headline?", "THE HEADLINE", shouting, "Press")]
    for group in passage_groups(items, beside=3, count=10, seed=4):
        if group[0].answer_text == "Wilhelm Röntgen":
            assert shouting not in [e.context for e in group]


def test_batches_keep_each_group_whole_and_cover_every_window_once():
    rng = random.Random(2)
    groups = [g for g in range(300) for _ in range(rng.randint(1, 5))] + [-1] * 200
    lengths = [rng.randint(20, 256) for _ in groups]
    order = batch_order(lengths, 16, seed=3, groups=groups)
    assert sorted(k for batch in order for k in batch) == list(range(len(groups)))
    assert all(len(batch) <= 16 for batch in order)
    where = {}
    for n, batch in enumerate(order):
        for k in batch:
            if groups[k] >= 0:
                assert where.setdefault(groups[k], n) == n  # every window of a group in the same batch
    assert order == batch_order(lengths, 16, seed=3, groups=groups) != batch_order(lengths, 16, seed=4, groups=groups)
    # without groups the order is the one-paragraph run's
    assert batch_order(lengths, 16, seed=3, groups=[-1] * len(groups)) == batch_order(lengths, 16, seed=3)


def test_windows_carry_their_group_into_the_batch(tiny_base):  # noqa: F811
    _, pair = load_tokenizers(tiny_base, 64, 16)
    group = passage_groups(nobel_examples(), beside=2, count=10, seed=1)[2]
    windows = make_windows(pair, [*group, example("When?", "1901"), example("Who?", None)], 64, 16,
                           groups=[7, 7, 7, -1, -1])
    # the passages beside the question's own have no label of their own; a negative's points at [CLS]
    assert [(w.group, w.start > 0, w.start == NO_LABEL) for w in windows] == [
        (7, True, False), (7, False, True), (7, False, True), (-1, True, False), (-1, False, False)]
    assert pad(windows, 0)["groups"].tolist() == [7, 7, 7, -1, -1]
    assert "groups" not in pad(windows[3:], 0)


def test_shared_normalisation_scores_the_answer_against_every_passage_of_its_question():
    context = torch.tensor([[False, True, True, True]] * 4)
    starts, ends = torch.tensor([2, 0, 0, 1]), torch.tensor([3, 0, 0, 1])
    flat = torch.zeros(4, 4)
    # group 0: the answer in window 0 against 6 equal context tokens of windows 0 and 1
    assert float(shared_norm_loss(flat, flat, context, starts, ends, torch.tensor([0, 0, -1, -1]))) == (
        pytest.approx(math.log(6)))
    # a window beside the question's own (no label) counts in the normaliser all the same
    beside = torch.tensor([2, NO_LABEL, NO_LABEL, 1])
    assert float(shared_norm_loss(flat, flat, context, beside, torch.tensor([3, NO_LABEL, NO_LABEL, 1]),
                                  torch.tensor([0, 0, -1, -1]))) == pytest.approx(math.log(6))
    # a window without a group, or a group whose windows all lack the answer, adds nothing
    assert float(shared_norm_loss(flat, flat, context, starts, ends, torch.tensor([-1, 1, 1, -1]))) == 0.0
    # the answer in two windows of one group (overlapping stretches): their mass counts together
    assert float(shared_norm_loss(flat, flat, context, starts, ends, torch.tensor([0, 0, 0, 0]))) == (
        pytest.approx(math.log(12 / 2)))
    # the answer's logit raised by ln 3 in window 0: e^ln3 / (3 + 5) for the start, 1/8 for the end
    raised = flat.clone()
    raised[0, 2] = math.log(3)
    assert float(shared_norm_loss(raised, flat, context, starts, ends, torch.tensor([0, 0, -1, -1]))) == (
        pytest.approx((math.log(8 / 3) + math.log(6)) / 2))
    # the [CLS] logit never enters the normaliser: the window's own loss decides the null
    cls = flat.clone()
    cls[:, 0] = 50.0
    assert float(shared_norm_loss(cls, cls, context, starts, ends, torch.tensor([0, 0, -1, -1]))) == (
        pytest.approx(math.log(6)))


def test_a_windows_own_loss_leaves_out_the_windows_without_a_label():
    logits = torch.log(torch.tensor([[1.0, 1.0, 2.0], [1.0, 1.0, 1.0], [5.0, 1.0, 1.0]]))
    starts, ends = torch.tensor([2, NO_LABEL, 0]), torch.tensor([2, NO_LABEL, 1])
    # window 0: start and end 2 of 4 (ln 2 each); window 2: start 5 of 7, end 1 of 7; window 1 left out
    expected = (2 * math.log(2) + math.log(7 / 5) + math.log(7)) / 4
    assert float(window_loss(logits, logits, starts, ends)) == pytest.approx(expected)
    assert float(window_loss(logits, logits, torch.tensor([NO_LABEL] * 3), torch.tensor([NO_LABEL] * 3))) == 0.0


def test_a_few_steps_on_question_groups_lower_the_loss(tiny_base, tmp_path):  # noqa: F811
    _, pair = load_tokenizers(tiny_base, 64, 16)
    groups = passage_groups(nobel_examples(), beside=2, count=10, seed=1)
    items = [e for group in groups for e in group]
    windows = make_windows(pair, items, 64, 16, groups=[n for n, group in enumerate(groups) for _ in group])
    config = TrainConfig(base_model=str(tiny_base), examples=8 * 40, batch_size=8, peak_lr=3e-3, warmup=0.1,
                         bf16=False, passages=2)
    trainer = Trainer(config, tmp_path / "groups", threads=1)
    trainer.run(windows, 0, log=lambda line: None)
    assert trainer.step == 40
    assert sum(trainer.losses[-5:]) / 5 < 0.5 * sum(trainer.losses[:5]) / 5


def test_a_checkpoint_written_before_multi_passage_training_still_resumes():
    saved = {"base_model": "base", "examples": 64, "batch_size": 32, "peak_lr": 1e-4, "warmup": 0.06,
             "weight_decay": 0.01, "max_length": 256, "stride": 128, "negative_fraction": 0.2, "seed": 13,
             "bf16": True}
    assert TrainConfig.completed(saved) == {**saved, "passages": 0, "as_queries": 0.0}
    assert TrainConfig.completed({**saved, "passages": 3})["passages"] == 3
