"""Hits -> Answer with an extractive question-answering model (a SQuAD-style reader).

The model runs as an ONNX graph with onnxruntime when its folder holds `model.onnx` (docqa's own
trained reader ships so, and a question then never imports torch), else as a Hugging Face
`AutoModelForQuestionAnswering` with torch. Either way the (question, passage) pairs are cut into
strided windows by the model's fast tokenizer and the logits are decoded by the pure functions of
`docqa.span` with the SQuAD 2.0 null score.

Offsets: the tokenizer's offset mapping gives, for every context token, character offsets into the
passage text; an answer at passage characters [a, b) sits at document characters
[passage.start + a, passage.start + b), so `document_text[answer.start:answer.end] == answer.text`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from docqa.embed.onnx_cache import cpu_session
from docqa.errors import BadSettings, ReaderNotFound
from docqa.names import name_words
from docqa.read.decode import (
    MAX_ANSWER_TOKENS,
    MAX_LENGTH,
    MAX_QUESTION_TOKENS,
    STRIDE,
    Choice,
    Window,
    WindowResult,
    cell_result,
    choose,
    clip_question,
    model_inputs,
    on_scale,
    passage_runs,
    window_limit,
    window_result,
    windows,
)
from docqa.read.form import Definition, Form, asked_definition, question_form
from docqa.read.float_graph import float_graph
from docqa.read.question import (
    acronym_asked,
    key_terms,
    restates,
    states_number,
    unmentioned,
    wants_number,
    whole_name,
)
from docqa.read.sentences import (
    Evidence,
    SentenceChoice,
    Unit,
    choose_sentence,
    content_stems,
    enumeration,
    question_lines,
    unit_evidence,
    units,
)
from docqa.read.table_view import View, views
from docqa.read.verdict import verdict
from docqa.text import query_kind
from docqa.types import Answer, Passage

if TYPE_CHECKING:  # the hits' type only: reading needs no index (training runs where faiss is not installed)
    from docqa.types import Hit

# One window per run of the model: batched, every window paid for the longest one's padding, and the
# int8 graph quantizes its activations with one scale per run, so that a passage's answer depended on
# the passages read beside it. Per window, the median question of evaluation/qa.jsonl took 282-300 ms
# against 330-336 ms in batches of 16 on a 2-core AVX2 machine (benchmarks/latency.py, alternated).
BATCH_WINDOWS = 1
# Passages are read in the retrieval's order, and reading stops once a span is this sure: a later
# passage would have to be surer still to change the answer. Chosen with benchmarks/reader_choices.py
# on the seven evaluation sets: EM unchanged on six, 0.703 -> 0.701 on the SQuAD corpus, 26% fewer
# passages read (0.999: 40% fewer, each set moved by up to two questions either way).
SURE = 0.9999
# A keyword query (text.query_kind: lower-case words without a "?", as typed into a search box) answers
# where its surest span's confidence reaches QUERY_BAR, put on the scale of the reader's threshold
# (decode.on_scale), so that one threshold still decides. The reader learnt "no answer" on questions
# (SQuAD's, and the negatives generated from them, all end with a "?"): read as typed, a query keeps a
# sure span whether or not the documents answer it, so its bar is its own, and a query no passage comes
# near is declined before reading (index/search.py OFF_TOPIC). Both fitted together with
# benchmarks/fit_query_gate.py on Natural Questions training titles (see OFF_TOPIC).
QUERY_BAR = 0.7
# A table's row is read alone, a few words with its header's names (read/table_view.py): its cells are
# answered where the reader's confidence reaches CELL_BAR, put on the scale of its threshold as QUERY_BAR
# is. Set on the 32 questions of a walkthrough's tables (travel policy, price list, leave and roster .docx):
# its right cells stood at 0.92-0.998, its unanswerable questions' cells at 0.55 and 0.92; then tried once
# on 40 questions of a second set written blind (other documents, another writer), in docs/measurements.md.
CELL_BAR = 0.98
# A table's rows are read this many at a time (`NeuralReader.logits`): alike in length, they waste little
# padding. evaluation/tables, median question: 0.309 s with a run of the model per row, 0.261 s 16 at a
# time, 0.257 s 64 at a time (p95 0.489, 0.420, 0.354 s); 0.169-0.183 s reading the rows as they stand.
# Each row repeats its header's names: a table is read in more tokens than its text.
ROW_BATCH = 64
# A table row's cell whose column name, or row label, holds the question's words gains this in the choice
# of an answer (`cell_priors`), as a span's margin; its confidence stays the reader's. evaluation/tables:
# dev the same at 0, 1, 2 and 3; blind (its misses read before) 20, 21, 22, 22 of 40 right.
NAME_WEIGHT = 2.0
# A keyword query reads its first QUERY_PASSAGES passages only: its sure spans are less telling (see
# QUERY_BAR), and a lower-ranked passage's sure span took the answer from the right one. Chosen on NQ
# training titles (benchmarks/reader_choices.py: EM 0.467 reading 5, 0.488 reading 3), checked on held-out
# NQ queries through `docqa eval` (F1 0.589 -> 0.606; docs/measurements.md). Questions read every passage.
QUERY_PASSAGES = 3
# A reader without a card answers when its span outscores its null score (BERT's SQuAD 2.0 rule).
DEFAULT_THRESHOLD = 0.5
ONNX_FILE = "model.onnx"
CARD_FILE = "reader.json"


@dataclass(frozen=True)
class Encoded:
    """The windows of one question over some passages, and the padded model inputs (one row per window)."""

    windows: tuple[Window, ...]
    inputs: dict[str, np.ndarray]


class Backend(Protocol):
    """A loaded QA model: padded int64 inputs -> (start, end) float32 logits of shape (windows, tokens)."""

    input_names: tuple[str, ...]
    position_limit: int | None

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...


def _load_reason(name: str, error: Exception) -> str:
    path = Path(name).expanduser()
    looks_like_path = path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name
    if looks_like_path and not path.exists():
        return f"no folder {name}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class OnnxBackend:
    """An exported reader run by onnxruntime (no torch), an int8 graph with float arithmetic
    (read/float_graph.py: the same logits on every CPU). `threads` caps its intra-op threads."""

    def __init__(self, path: Path, position_limit: int | None, threads: int | None = None):
        source = float_graph(path)
        try:
            self.session = cpu_session(source, threads)
        except Exception:  # onnxruntime's own errors: a damaged copy in the cache folder is made again
            if not isinstance(source, Path) or source == path:
                raise
            source.unlink(missing_ok=True)
            self.session = cpu_session(float_graph(path), threads)
        self.input_names = tuple(i.name for i in self.session.get_inputs())
        self.position_limit = position_limit

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.session.run(["start_logits", "end_logits"], {k: inputs[k] for k in self.input_names})
        return start.astype(np.float32), end.astype(np.float32)


class TorchBackend:
    """A Hugging Face AutoModelForQuestionAnswering in eval mode, on the device its weights are on (the
    CPU, or a GPU while training there); torch is imported here only."""

    def __init__(self, model: object):
        self.model = model
        self.input_names = ("input_ids", "token_type_ids", "attention_mask")
        self.position_limit = getattr(model.config, "max_position_embeddings", None)  # type: ignore[attr-defined]

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        device = next(self.model.parameters()).device  # type: ignore[attr-defined]
        with torch.inference_mode():
            output = self.model(**{k: torch.from_numpy(inputs[k]).to(device) for k in self.input_names})  # type: ignore[operator]
        return output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()


def _load_torch(name: str) -> tuple[TorchBackend, object]:
    """(backend, tokenizers.Tokenizer) for a Hugging Face model folder or hub name."""

    import torch

    from docqa import offline  # noqa: F401  (Hugging Face's offline switches and no loading bars, set first)
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    path = Path(name).expanduser()
    source = str(path) if path.is_dir() else name
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model, info = AutoModelForQuestionAnswering.from_pretrained(source, dtype=torch.float32, output_loading_info=True)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ReaderNotFound(name, _load_reason(name, error)) from error
    if not tokenizer.is_fast:
        raise ReaderNotFound(name, "its tokenizer is not a fast tokenizer, which character offsets need")
    missing = sorted(info.get("missing_keys", ()))
    if missing:
        # A base model loads with a freshly initialised span head: its answers would be noise.
        raise ReaderNotFound(name, f"it is not a trained question-answering model: {', '.join(missing[:4])} missing")
    backend = TorchBackend(model.to("cpu").eval())
    limit = window_limit(tokenizer.model_max_length, backend.position_limit)
    backend.position_limit = limit
    return backend, tokenizer.backend_tokenizer


def read_card(folder: Path) -> dict:
    """The reader's card (reader.json): its training figures, calibration and load check; {} when absent."""
    path = folder / CARD_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ReaderNotFound(str(folder), f"its {CARD_FILE} cannot be read: {error}") from error


def _load_onnx(folder: Path, card: dict, threads: int | None) -> tuple[OnnxBackend, object]:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        backend = OnnxBackend(folder / ONNX_FILE, card.get("max_position_embeddings"), threads)
    except Exception as error:  # onnxruntime and tokenizers raise their own exception types
        raise ReaderNotFound(str(folder), _load_reason(str(folder), error)) from error
    return backend, tokenizer


def check_feed(input_ids: list[list[int]], token_type_ids: list[list[int]]) -> dict[str, np.ndarray]:
    """Model inputs for the load check's unpadded token ids (the attention mask is all ones)."""
    ids = np.array(input_ids, dtype=np.int64)
    return {"input_ids": ids, "token_type_ids": np.array(token_type_ids, dtype=np.int64),
            "attention_mask": np.ones_like(ids)}


def check_against_reference(backend: Backend, card: dict, name: str) -> float | None:
    """Run the card's check inputs through the backend and compare with the torch logits recorded at
    export; the largest absolute difference, None when the card records no check. Raises
    ReaderNotFound when it exceeds the card's tolerance (a damaged or mismatched model file)."""
    check = card.get("check")
    if not check:
        return None
    start, end = backend(check_feed(check["input_ids"], check["token_type_ids"]))
    difference = float(max(np.abs(start - np.array(check["start_logits"])).max(),
                           np.abs(end - np.array(check["end_logits"])).max()))
    if difference > check["tolerance"]:
        raise ReaderNotFound(
            name, f"its {ONNX_FILE} gives logits {difference:.3g} away from the torch model it was exported from "
                  f"(tolerance {check['tolerance']}); the file is damaged: reinstall docqa or export it again")
    return difference


# The forms a sure span may still answer: a reason or a way can be a clause ("to keep zlib as a very small
# and simple package", "make install"), a list its items ("hot cathode and cold cathode"), a meaning a
# phrase ("unenriched" for non-fissile) where no sentence of the passages defines the term in form ('"X"
# means ...', `form.defines`: then that entry answers). A consequence and a yes or no are sentences.
# Measured 2026-12-07: keeping no span for lists and definitions cost the held-out SQuAD corpus 15 right
# answers (EM 0.519 -> 0.499) and gained the sentence set one.
SPAN_FORMS = frozenset({Form.WHY, Form.HOW, Form.LIST, Form.DEFINITION})


def answer_form(question: str) -> Callable[[str], bool]:
    """Which span texts the question can take: one that states a number where it asks for one
    (question.wants_number), and never one that only repeats its own words (question.restates)."""
    number = wants_number(question)

    def fits(text: str) -> bool:
        return (not number or states_number(text)) and not restates(question, text)

    return fits


class NeuralReader:
    """A loaded extractive QA model. `read` may be called from several threads: the tokenizer's
    truncation is set per question, so tokenization holds a lock; the forward pass does not need one."""

    def __init__(
        self,
        name: str,
        max_length: int = MAX_LENGTH,
        stride: int = STRIDE,
        max_answer_tokens: int = MAX_ANSWER_TOKENS,
        max_question_tokens: int = MAX_QUESTION_TOKENS,
        batch_windows: int = BATCH_WINDOWS,
        threads: int | None = None,
        label: str | None = None,
        sure: float | None = SURE,
    ):
        if stride < 0 or max_answer_tokens < 1 or max_question_tokens < 1 or batch_windows < 1:
            raise BadSettings(
                "The reader needs stride >= 0, max_answer_tokens >= 1, max_question_tokens >= 1 and "
                f"batch_windows >= 1; got {stride}, {max_answer_tokens}, {max_question_tokens}, {batch_windows}."
            )
        if sure is not None and not 0.0 <= sure <= 1.0:
            raise BadSettings(f"The reader's sure must lie in [0, 1] (or be None to read every passage); got {sure}.")
        self.name = name
        self.label = name if label is None else label
        folder = Path(name).expanduser()
        self.card = read_card(folder) if folder.is_dir() else {}
        self.default_threshold = float(self.card.get("threshold", DEFAULT_THRESHOLD))
        if (folder / ONNX_FILE).is_file():
            self.backend, tokenizer = _load_onnx(folder, self.card, threads)
        else:
            self.backend, tokenizer = _load_torch(name)
        self.check_difference = check_against_reference(self.backend, self.card, name)
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        limit = self.backend.position_limit
        self.max_length = max_length if limit is None else min(max_length, limit)
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.max_question_tokens = max_question_tokens
        self.batch_windows = batch_windows
        self.sure = sure
        self.special_tokens = self.tokenizer.num_special_tokens_to_add(True)
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        if self.max_length - self.special_tokens - max_question_tokens < 1:
            raise BadSettings(
                f"The reader's window of {self.max_length} tokens leaves no room for a passage after "
                f"{max_question_tokens} question tokens; raise max_length or lower max_question_tokens."
            )
        self._lock = threading.Lock()

    def warm(self, passages: Iterable[str]) -> int:
        """Nothing to prepare per passage: a trained reader reads each question afresh. Returns 0."""
        return 0

    def encode(self, question: str, texts: Sequence[str]) -> Encoded:
        """Strided windows over each (question, text) pair, with the padded model inputs.

        Consecutive windows of one text share `stride` context tokens, lowered to half the room left
        after the question when the room is smaller, so that every window still moves forward.
        """
        with self._lock:
            self.tokenizer.no_truncation()
            question = clip_question(self.tokenizer, question, self.max_question_tokens)
            question_tokens = len(self.tokenizer.encode(question, add_special_tokens=False).ids)
            room = self.max_length - self.special_tokens - question_tokens
            self.tokenizer.enable_truncation(self.max_length, stride=min(self.stride, room // 2),
                                             strategy="only_second")
            rows = windows(self.tokenizer, question, texts, self.cls_id)
            self.tokenizer.no_truncation()
        inputs = model_inputs(rows, self.pad_id)
        return Encoded(tuple(rows), {k: v for k, v in inputs.items() if k in self.backend.input_names})

    def logits(self, inputs: dict[str, np.ndarray], batch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits, float32 arrays of shape (windows, tokens); a padding position's are 0.

        The model runs `batch` (else `batch_windows`) windows at a time (one by default), each batch cut
        to its own longest window, so that no batch pays for the padding of a longer one. `read` passes
        one passage's windows at a time, so a batch never spans two passages there, and a table's rows,
        short and alike, ROW_BATCH at a time."""
        mask = inputs["attention_mask"] if "attention_mask" in inputs else inputs["input_ids"] != self.pad_id
        starts = np.zeros(mask.shape, dtype=np.float32)
        ends = np.zeros(mask.shape, dtype=np.float32)
        lengths = mask.sum(axis=1)
        size = batch or self.batch_windows
        for first in range(0, mask.shape[0], size):
            rows = slice(first, first + size)
            width = int(lengths[rows].max())
            start, end = self.backend({key: value[rows, :width] for key, value in inputs.items()})
            starts[rows, :width] = start
            ends[rows, :width] = end
        return starts, ends

    def run_logits(self, encoded: Encoded, rows: range,
                   row_views: Sequence[bool]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The start and end logits of the windows `rows` of one passage: its own windows first, one at a
        time (`logits`), then its table's rows (`row_views` says which are), ROW_BATCH at a time."""
        first_row = next((k for k, row in enumerate(row_views) if row), len(row_views))
        parts = [self.logits({key: value[start:stop] for key, value in encoded.inputs.items()}, size)
                 for start, stop, size in ((rows.start, rows.start + first_row, None),
                                           (rows.start + first_row, rows.stop, ROW_BATCH)) if stop > start]
        return [row for part in parts for row in part[0]], [row for part in parts for row in part[1]]

    def keeps_span(self, form: Form, choice: Choice | None, candidates: Sequence[Sequence[Unit]],
                   defined: bool = False) -> bool:
        """Whether a question of another form than a factoid is still answered with the surest span: its
        form may take one (SPAN_FORMS; a definition only where no candidate sentence defines the term,
        `defined`), the reader is sure of the span (its own default threshold: then the span is the
        clause that answers, "to keep zlib as a very small and simple package" for a why), and it lies
        in a sentence that may answer (`within_unit`)."""
        return (form in SPAN_FORMS and not (form is Form.DEFINITION and defined) and choice is not None
                and choice.confidence >= self.default_threshold and within_unit(choice, candidates[choice.passage]))

    def read(self, question: str, hits: list[Hit], context: str = "") -> Answer | None:
        """The surest span over all windows of all hits' passages (`decode.choose`); confidence as in
        `span_confidence`. The passages are read in rank order, and once a span is `sure` (when not
        None) the rest are not read, unless the question asks what an acronym stands for. Every
        passage is tokenized first (a small part of the cost); only the model's runs stop early.

        A question of another form than a factoid (read/form.py) is answered with the sentence the
        reader's evidence and the question's words point to (`pick_sentence`), the whole enumeration
        for a list, unless the surest span still answers it (`keeps_span`). A yes/no answer carries
        the verdict its sentence states in words (read/verdict.py), or none.

        A keyword query's span answer is decided against its own bar (`query_confidence`).
        A table's rows are read one by one with their header's names (read/table_view.py); an answer from
        a row is its whole cell, decided against CELL_BAR, a cell the question names preferred (`cell_priors`).
        A follow-up's context is appended to the question, as QA models read one question string."""
        fits = answer_form(question)
        acronym = acronym_asked(question)
        form = question_form(question)
        asked = question
        if context:
            question = f"{question} ({context})"
        keywords = query_kind(asked) == "keywords"
        passages = [hit.passage for hit in hits if hit.passage.text.strip()]
        if keywords:
            passages = passages[:QUERY_PASSAGES]
        if not passages:
            return None
        # A table's rows are read apart, each with its header's names (read/table_view.py); the rest of a
        # passage as it stands, its tables blanked. Sentences are weighed in that text, passage by passage.
        every = views(passages)
        asked_stems = content_stems(asked)
        texts = [view.text for view in every if not view.row]  # one a passage
        shown = [view for view in every if view.row or view.text.strip()]
        encoded = self.encode(question, [view.text for view in shown])
        results: list[WindowResult] = []
        # A factoid's answer is a span: only the other forms weigh sentences.
        candidates = None if form is Form.FACTOID else answer_units(
            [replace(p, text=text) for p, text in zip(passages, texts)])
        evidence: list[Evidence] = []
        choice = None
        for rows in passage_runs(encoded.windows, [view.passage for view in shown]):
            batch = encoded.windows[rows.start:rows.stop]
            row_views = [shown[window.passage].row for window in batch]
            start_logits, end_logits = self.run_logits(encoded, rows, row_views)
            results += [
                cell_result(window, start_logits[k], end_logits[k], shown[window.passage].text,
                            shown[window.passage].within(), cell_priors(shown[window.passage], asked_stems),
                            self.max_answer_tokens, fits)
                if shown[window.passage].row else
                window_result(window, start_logits[k], end_logits[k], shown[window.passage].text,
                              self.max_answer_tokens, fits)
                for k, window in enumerate(batch)
            ]
            if candidates is not None:  # sentences are weighed in a passage's own text, not in its rows
                owned_windows = [(k, replace(window, passage=shown[window.passage].passage))
                                 for k, window in enumerate(batch) if not shown[window.passage].row]
                evidence += [item for k, window in owned_windows
                             for item in unit_evidence(window, start_logits[k], end_logits[k], candidates[window.passage])]
            choice = choose(results)
            # What an acronym stands for is read from the passage that spells it out (`whole_name`),
            # which need not be the first to give a sure part of it ("Supply Agency" for NAMSA).
            if self.sure is not None and not acronym and choice is not None and choice.confidence >= self.sure:
                break
        definition = asked_definition(asked) if form is Form.DEFINITION else None
        defined = definition is not None and any(definition(text[u.start:u.end])
                                                 for text, found in zip(texts, candidates) for u in found)
        view = shown[choice.passage] if choice is not None else None
        owned = replace(choice, passage=view.passage) if choice is not None else None
        confidence = None
        if choice is not None:
            bar = QUERY_BAR if keywords else CELL_BAR if view.row else None
            confidence = choice.confidence if bar is None else self.query_confidence(choice, bar)
        # A sure cell of a table answers whatever the form: a row holds no sentence to give instead.
        cell = view is not None and view.row and confidence >= self.default_threshold
        if candidates is not None and not cell and not self.keeps_span(form, owned, candidates, defined):
            sentence = pick_sentence(asked, form, passages, texts, evidence, definition, self.default_threshold)
            if sentence is not None:
                return sentence_answer(passages[sentence.passage], sentence, form, asked)
        if choice is None:
            return None
        p = passages[view.passage]
        if view.row:
            a, b = view.cell_at(choice.span.char_start, choice.span.char_end)
        else:
            a, b = whole_name(p.text, choice.span.char_start, choice.span.char_end, acronym)
        return Answer.within(p, a, b, confidence)

    def query_confidence(self, choice: Choice, bar: float = QUERY_BAR) -> float:
        """A keyword query's span confidence (or a table cell's, with CELL_BAR): its margin over its null
        score on the scale of the reader's threshold, `bar` landing on it (`decode.on_scale`); its plain
        confidence where that threshold is 0 or 1."""
        if not 0.0 < self.default_threshold < 1.0:
            return choice.confidence
        return on_scale(choice.span.score - choice.null, bar, self.default_threshold)


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def cell_priors(view: View, question: frozenset[str]) -> tuple[float, ...]:
    """What each cell of a table row's view gains in the choice (not in its confidence) for being named by
    the question's words: NAME_WEIGHT times the share of its column's name's content stems the question
    holds, plus as much for the row's label ("How heavy is ...?" finds no "Weight", but "How big is the
    battery ...?" the row "Battery (Wh)" of a table whose columns are laptops)."""
    def share(text: str) -> float:
        stems = {stem for stem in content_stems(text) if not any(ch.isdigit() for ch in stem)}
        return len(stems & question) / len(stems) if stems else 0.0

    def named(text: str) -> float:  # a unit in brackets may be left out: "Child 6-15 (GBP)" is "Child"
        return max(share(text), share(_BRACKETED.sub(" ", text)))

    row = named(view.label)
    return tuple(NAME_WEIGHT * (named(name) + row) for name in view.names)


def answer_units(passages: Sequence[Passage]) -> list[list[Unit]]:
    """Each passage's candidate units (sentences.units), less those that lie in a question of an FAQ
    that another passage holds whole: a passage that ends inside a question line does not show its
    "?" ('24. The license says ... "plainly marked".' ends one passage, "So what ...?" opens the next)."""
    asked = [(p.document, p.start + a, p.start + b) for p in passages for a, b in question_lines(p.text)]
    return [[unit for unit in units(p.text)
             if not any(document == p.document and a < p.start + unit.end and p.start + unit.start < b
                        for document, a, b in asked)]
            for p in passages]


def within_unit(choice: Choice, candidates: Sequence[Unit]) -> bool:
    """Whether the chosen span lies inside one of its passage's candidate units: not in an FAQ's own
    question, a heading or a fragment, which answer nothing."""
    return any(unit.start <= choice.span.char_start and choice.span.char_end <= unit.end for unit in candidates)


def passage_context(passage: Passage) -> str:
    """What stands around a passage's words for the question's names and topic: its document's name (its
    file name's stem, "_" and "-" as spaces) and its section heading, as engine.unstated_terms reads them."""
    return "\n".join((name_words(passage.document), passage.section or ""))


def pick_sentence(question: str, form: Form, passages: Sequence[Passage], texts: Sequence[str],
                  evidence: Sequence[Evidence], definition: Definition | None = None,
                  threshold: float = DEFAULT_THRESHOLD) -> SentenceChoice | None:
    """The sentence that answers a question of `form` (not a factoid) from the reader's evidence
    (`sentences.choose_sentence`): for a definition the one defining the term where one does, else the
    best of the passages that state the question's names, a sentence that says the answer in words (a
    verdict for a yes/no question, the definition) counting more. `definition`: the term a definition
    question asks about (form.asked_definition), as `read` worked it out. `threshold`: the reader's own,
    on whose scale the sentence's confidence is put (sentences.sentence_confidence)."""
    contexts = [passage_context(p) for p in passages]
    terms = key_terms(question)
    stated = [not unmentioned(terms, f"{p.text}\n{context}") for p, context in zip(passages, contexts)]
    says = {Form.DEFINITION: definition, Form.YES_NO: lambda text: verdict(question, text) is not None}.get(form)
    return choose_sentence(evidence, texts, contexts, content_stems(question), stated, definition, says,
                           threshold=threshold, narrow=form is not Form.LIST)


def sentence_answer(passage: Passage, sentence: SentenceChoice, form: Form, question: str) -> Answer:
    """The Answer that quotes a chosen sentence of `passage`: for a list its whole enumeration
    (sentences.enumeration), for a yes/no question with the verdict its words state."""
    unit = enumeration(passage.text, sentence.unit) if form is Form.LIST else sentence.unit
    text = passage.text[unit.start:unit.end]
    return Answer.within(passage, unit.start, unit.end, sentence.confidence,
                         verdict(question, text) if form is Form.YES_NO else None)
