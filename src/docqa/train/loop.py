"""Labelled windows -> a fine-tuned extractive reader: `train_reader` is `docqa train-reader`, from QA files
to a model folder with its card. Here too: the run's settings (`TrainConfig`), the learning-rate schedule,
the `Trainer` that checkpoints every few minutes and resumes a stopped run from its last checkpoint, and
the choice of device and bf16 autocast. A multi-passage run (`TrainConfig.passages`) trains question
groups (`train.groups`) with `shared_norm_loss` beside each window's own loss.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from docqa.atomic import write_text_atomically
from docqa.embed.embedder import cpu_flags, native_bf16
from docqa.errors import BadTrainingData
from docqa.train.card import CARD_MD, model_card
from docqa.train.data import TrainingData, gather
from docqa.train.groups import passage_groups
from docqa.train.model_folders import position_limit, save_model
from docqa.train.queries import typed_as_queries
from docqa.train.unanswerable import negatives
from docqa.train.validation import Validate, mean, validator
from docqa.train.windows import (
    NO_LABEL,
    TRAIN_MAX_LENGTH,
    TRAIN_STRIDE,
    Window,
    batch_order,
    load_tokenizers,
    make_windows,
    pad,
)


def learning_rate(step: int, total: int, peak: float, warmup: float) -> float:
    """Linear warm-up over the first `warmup` fraction of `total` steps, then linear decay to 0."""
    ramp = max(1, round(warmup * total))
    if step < ramp:
        return peak * (step + 1) / ramp
    return peak * max(0.0, (total - step) / max(1, total - ramp))


@dataclass(frozen=True)
class TrainConfig:
    """What a run is: its data, its length and its optimiser. Written into every checkpoint and the
    model card; a resumed run must have the same."""

    base_model: str
    examples: int  # windows to train on (steps = examples // batch_size)
    batch_size: int = 32
    peak_lr: float = 1e-4
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_length: int = TRAIN_MAX_LENGTH
    stride: int = TRAIN_STRIDE
    negative_fraction: float = 0.2
    seed: int = 13
    bf16: bool = True
    passages: int = 0  # multi-passage groups: the question's paragraph and this many retrieved beside it
    as_queries: float = 0.0  # share of the examples whose question is written as a search-box query

    @classmethod
    def completed(cls, saved: dict) -> dict:
        """A checkpoint's config with the fields added since it was written at their defaults."""
        defaults = asdict(cls(base_model=saved.get("base_model", ""), examples=saved.get("examples", 0)))
        return {**defaults, **saved}

    @property
    def steps(self) -> int:
        return max(1, self.examples // self.batch_size)


@dataclass(frozen=True)
class Progress:
    """One line of the training log."""

    step: int
    steps: int
    loss: float
    lr: float
    elapsed_s: float
    eta_s: float


def format_progress(p: Progress, width: int = 30) -> str:
    """A one-line progress bar: `[#####.....] step 120/1500  loss 2.314  lr 9.8e-05  12m05s, ETA 1h23m`."""
    done = round(width * p.step / max(1, p.steps))
    return (
        f"[{'#' * done}{'.' * (width - done)}] step {p.step}/{p.steps}  loss {p.loss:.3f}  lr {p.lr:.1e}  "
        f"{_clock(p.elapsed_s)}, ETA {_clock(p.eta_s)}"
    )


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def window_loss(start_logits, end_logits, starts, ends):
    """Each window's own loss, as transformers' question-answering head computes it (cross-entropy of
    the start and of the end label, averaged), over the windows that have a label (not NO_LABEL); 0
    when none has."""
    import torch

    labelled = starts != NO_LABEL
    if not bool(labelled.any()):
        return start_logits.new_zeros(())
    cross_entropy = torch.nn.functional.cross_entropy
    return (cross_entropy(start_logits[labelled], starts[labelled])
            + cross_entropy(end_logits[labelled], ends[labelled])) / 2


def shared_norm_loss(start_logits, end_logits, context, starts, ends, groups):
    """The loss of shared normalisation (Clark & Gardner 2018, §3.3) over a batch of torch tensors:
    for each question group that holds its answer, -log of the softmax mass of the answer's start
    positions over the start logits of every context token of all the group's windows, and the same
    for the end; their mean over groups and both ends (0 when no group holds its answer). `context`
    (batch, length) marks context tokens; `starts`/`ends` (batch,) are the window labels, 0 where a
    window does not hold the answer (NO_LABEL beside the question's own paragraph); `groups` (batch,)
    numbers the windows' groups, -1 for none. A window's own loss still decides its null; this term
    makes a span's score compare across the passages of one question."""
    import torch

    terms = []
    for group in torch.unique(groups[groups >= 0]):
        rows = groups == group
        holding = rows & (starts > 0)
        if not bool(holding.any()):
            continue
        for logits, gold in ((start_logits, starts), (end_logits, ends)):
            everything = torch.logsumexp(logits[rows][context[rows]], dim=0)
            answers = torch.logsumexp(logits[holding, gold[holding]], dim=0)
            terms.append(everything - answers)
    if not terms:
        return start_logits.new_zeros(())
    return torch.stack(terms).mean()


class Trainer:
    """Fine-tunes a BERT-style encoder with a span head (start/end logits) on labelled windows.

    The run's folder holds `checkpoint.pt` (model, optimiser, step, losses, the validation curve),
    replaced atomically every `checkpoint_minutes`; a run started again on the same folder with the
    same config continues from it, batch for batch, as if it had not stopped."""

    def __init__(self, config: TrainConfig, folder: Path, threads: int | None = None, device: str = "cpu"):
        import torch
        from transformers import AutoModelForQuestionAnswering

        if threads is not None:
            torch.set_num_threads(threads)
        torch.manual_seed(config.seed)
        self.torch = torch
        self.device = torch.device(device)
        self.config = config
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        model = AutoModelForQuestionAnswering.from_pretrained(config.base_model, dtype=torch.float32)
        self.model = model.to(self.device)
        decay, no_decay = [], []
        for name, parameter in self.model.named_parameters():
            (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=config.peak_lr,
        )
        self.step = 0
        self.losses: list[float] = []
        self.curve: list[dict] = []
        self.elapsed = 0.0

    @property
    def checkpoint_path(self) -> Path:
        return self.folder / "checkpoint.pt"

    def resume(self) -> bool:
        """Load the folder's checkpoint when there is one; False when the run starts afresh."""
        if not self.checkpoint_path.exists():
            return False
        state = self.torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
        saved = TrainConfig.completed(state["config"])
        if saved != asdict(self.config):
            differ = {key for key, value in asdict(self.config).items() if saved.get(key) != value}
            if differ == {"bf16"}:  # begun on other hardware: bf16's default follows the machine
                began, flag, other = ("with", "--bf16", "--no-bf16") if state["config"]["bf16"] else ("without", "--no-bf16", "--bf16")
                raise BadTrainingData(f"{self.checkpoint_path} belongs to a run begun {began} bf16 autocast: "
                                      f"continue it with {flag} (and not {other}).")
            raise BadTrainingData(
                f"{self.checkpoint_path} belongs to a run with other settings ({state['config']}). Use "
                "another --out folder, or delete the checkpoint to start over."
            )
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.losses, self.curve = state["step"], state["losses"], state["curve"]
        self.elapsed = state["elapsed"]
        if "rng" in state:
            self.torch.set_rng_state(state["rng"])  # dropout continues as if the run had not stopped
        if self.device.type == "cuda" and "cuda_rng" in state:
            self.torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        return True

    def save(self) -> None:
        partial = self.checkpoint_path.with_name("checkpoint.pt.partial")
        self.torch.save(
            {
                "config": asdict(self.config),
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "step": self.step,
                "losses": self.losses,
                "curve": self.curve,
                "elapsed": self.elapsed,
                "rng": self.torch.get_rng_state(),
                **({"cuda_rng": self.torch.cuda.get_rng_state(self.device)} if self.device.type == "cuda" else {}),
            },
            partial,
        )
        partial.replace(self.checkpoint_path)

    def train_step(self, batch: dict[str, np.ndarray]) -> float:
        torch = self.torch
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.step, self.config.steps, self.config.peak_lr, self.config.warmup)
        self.model.train()
        inputs = {key: torch.from_numpy(value).to(self.device) for key, value in batch.items()}
        groups = inputs.pop("groups", None)
        if groups is None:
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
                loss = self.model(**inputs).loss.float()
        else:  # question groups: windows beside a question's own have no label, only the shared normaliser
            starts, ends = inputs.pop("start_positions"), inputs.pop("end_positions")
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16):
                output = self.model(**inputs)
            start_logits, end_logits = output.start_logits.float(), output.end_logits.float()
            context = (inputs["token_type_ids"] == 1) & (inputs["attention_mask"] == 1)
            loss = (window_loss(start_logits, end_logits, starts, ends)
                    + shared_norm_loss(start_logits, end_logits, context, starts, ends, groups))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.step += 1
        value = float(loss.detach())
        self.losses.append(value)
        return value

    def run(
        self,
        windows: Sequence[Window],
        pad_id: int,
        validate: Validate | None = None,
        validate_every: int = 0,
        checkpoint_minutes: float = 10.0,
        log: Callable[[str], None] = print,
        stop_after: int | None = None,
    ) -> None:
        """Train from the current step to config.steps (or `stop_after` steps in all), walking the
        windows epoch by epoch in `batch_order`; validate every `validate_every` steps and at the end."""
        lengths = [len(w.input_ids) for w in windows]
        groups = [w.group for w in windows]
        per_epoch = max(1, len(batch_order(lengths, self.config.batch_size, self.config.seed, groups=groups)))
        last_save = time.monotonic()
        started = time.monotonic() - self.elapsed
        target = self.config.steps if stop_after is None else min(self.config.steps, stop_after)
        epoch_order: list[list[int]] = []
        epoch = -1
        while self.step < target:
            if self.step // per_epoch != epoch:
                epoch = self.step // per_epoch
                epoch_order = batch_order(lengths, self.config.batch_size, self.config.seed + epoch, groups=groups)
            batch = pad([windows[k] for k in epoch_order[self.step % per_epoch % len(epoch_order)]], pad_id)
            self.train_step(batch)
            self.elapsed = time.monotonic() - started
            if self.step % 10 == 0 or self.step == target:
                rate = self.elapsed / max(1, self.step)
                log(format_progress(Progress(self.step, self.config.steps, mean(self.losses[-50:]),
                                             learning_rate(self.step - 1, self.config.steps, self.config.peak_lr,
                                                           self.config.warmup),
                                             self.elapsed, rate * (self.config.steps - self.step))))
            if validate is not None and validate_every and self.step % validate_every == 0 and self.step < target:
                self._validate(validate, log)
            if time.monotonic() - last_save >= checkpoint_minutes * 60:
                self.save()
                last_save = time.monotonic()
        if validate is not None and (not self.curve or self.curve[-1]["step"] != self.step):
            self._validate(validate, log)
        self.save()

    def _validate(self, validate: Validate, log: Callable[[str], None]) -> None:
        self.model.eval()
        figures = validate(self.model, self.step)
        point = {"step": self.step, "windows_seen": self.step * self.config.batch_size, **figures}
        self.curve.append(point)
        log("validation " + json.dumps(point))
        self.save()


def train_reader(
    data: TrainingData,
    config: TrainConfig,
    out: Path,
    validate_every: int = 0,
    validation_size: tuple[int, int] = (600, 300),
    checkpoint_minutes: float = 10.0,
    threads: int | None = None,
    log: Callable[[str], None] = print,
    stop_after: int | None = None,
    device: str = "cpu",
) -> dict:
    """Fine-tune `config.base_model` for extractive QA on `data` into `out`: checkpoint.pt while it
    runs (resumed when present), then model/ (weights and tokenizer), card.json and MODEL_CARD.md.
    Returns the card's data."""
    base = Path(config.base_model)
    if config.passages < 0:
        raise BadTrainingData(f"--passages must be 0 (one paragraph per question) or more, not {config.passages}.")
    if not 0.0 <= config.as_queries <= 1.0:
        raise BadTrainingData(f"--as-queries is a share of the questions, from 0 to 1, not {config.as_queries}.")
    train, validation, counts = gather(data, log)
    groups: list[tuple] = []
    if config.passages:
        started = time.monotonic()
        groups = passage_groups(train, config.passages, math.ceil(config.examples / (config.passages + 1)), config.seed)
        made = negatives([group[0] for group in groups], config.negative_fraction, config.seed)
        log(f"question groups: {len(groups)}, each with up to {config.passages} retrieved passages beside its "
            f"paragraph ({time.monotonic() - started:.0f} s)")
        examples = [e for group in groups for e in group] + made
        numbers = [n for n, group in enumerate(groups) for _ in group] + [-1] * len(made)
    else:
        made = negatives(train, config.negative_fraction, config.seed)
        examples, numbers = train + made, None
    log(f"examples: {len(train)} answerable for training, {len(made)} generated negatives, "
        f"{len(validation)} for validation")
    typed = 0
    if config.as_queries:
        written = typed_as_queries(examples, config.as_queries, config.seed, numbers)
        typed = sum(a.question != b.question for a, b in zip(examples, written))
        examples = written
        log(f"questions written as search-box queries: {typed} of {len(examples)} examples")
    limit = position_limit(base)
    length = min(config.max_length, limit)
    question_tokenizer, pair_tokenizer = load_tokenizers(base, length, min(config.stride, length // 2))
    started = time.monotonic()
    windows = make_windows(pair_tokenizer, examples, length, min(config.stride, length // 2), groups=numbers)
    seen = (f"{config.steps * config.batch_size} of them ({config.steps} steps of {config.batch_size})" if not groups
            else f"{config.steps} batches of them, of at most {config.batch_size} windows (whole question groups)")
    log(f"windows: {len(windows)} ({time.monotonic() - started:.0f} s to tokenize); training on {seen}")
    trainer = Trainer(config, out, threads=threads, device=device)
    log(f"training on {device}")
    if trainer.resume():
        log(f"resumed from {trainer.checkpoint_path} at step {trainer.step}")
    validate = validator(question_tokenizer, base, limit, validation, validation_size, config.seed)
    trainer.run(windows, pair_tokenizer.token_to_id("[PAD]"), validate, validate_every, checkpoint_minutes, log,
                stop_after)
    if trainer.step < config.steps:
        log(f"stopped at step {trainer.step} of {config.steps}; run the same command again to continue.")
        return {}
    card = {
        "base_model": str(base.name if base.name != "model" else base.parent.name),
        "config": asdict(config),
        "data": counts,
        "negatives": len(made),
        "negative_kinds": dict(sorted(Counter(e.source for e in made).items())),
        **({"groups": len(groups), "grouped_windows": sum(w.group >= 0 for w in windows)} if groups else {}),
        **({"typed_queries": typed} if config.as_queries else {}),
        "windows": len(windows),
        "train_seconds": round(trainer.elapsed),
        "device": device,
        **({"cpu_cores": os.cpu_count()} if device == "cpu" else {}),
        "curve": trainer.curve,
        "validation": trainer.curve[-1] if trainer.curve else None,
    }
    save_model(trainer.model, base, out / "model")
    write_text_atomically(out / "card.json", json.dumps(card, indent=2) + "\n")
    (out / CARD_MD).write_text(model_card({"format": "safetensors (torch)", "training": card}), encoding="utf-8")
    return card


def training_device(asked: str, cuda_available: bool) -> str:
    """The torch device `--device` names: "auto" is a CUDA GPU when torch sees one, else the CPU. A run
    resumes on either: its checkpoint holds no device."""
    if asked == "auto":
        return "cuda" if cuda_available else "cpu"
    if asked == "cuda" and not cuda_available:
        raise BadTrainingData("--device cuda, but torch sees no CUDA GPU here: use --device cpu (or auto)")
    return asked


def fast_bf16(device: str, cuda_bf16: bool, flags: str | None = None) -> bool:
    """Whether bf16 autocast speeds training up on `device`: on a CUDA GPU that supports bf16
    (`cuda_bf16`), and on a CPU with bf16 instructions (AVX512-BF16 or AMX; `flags`: /proc/cpuinfo's,
    this machine's by default). On a CPU without them torch emulates bf16 and a step costs ten times
    float32's: 4 steps of 32 windows took 7 min 32 s against 42 s on an AVX2 EPYC."""
    if device == "cuda":
        return cuda_bf16
    return native_bf16(cpu_flags() if flags is None else flags)
