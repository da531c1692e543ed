"""The embedder under concurrent use: its cache of recent texts stays consistent across threads."""

from __future__ import annotations

import threading

import numpy as np

from docqa import embed
from docqa.embed import Embedder


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


class HeldModel:
    """Stands in for the torch model: a vector per text. Encoding "slow" says it started, then
    waits until another thread has found the embedder's lock held."""

    def __init__(self, lock: WatchedLock) -> None:
        self.lock = lock
        self.slow_started = threading.Event()

    def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
        if texts == ["slow"]:
            self.slow_started.set()
            assert self.lock.contended.wait(10), "no other thread came for the lock"
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def test_a_cached_text_evicted_while_waiting_for_the_lock_is_embedded_again(monkeypatch) -> None:
    # Thread B holds the lock while it embeds "slow"; the main thread asks for the cached "a" and
    # finds the lock held; B caches "slow", which evicts "a" (a cache of one), and only then is the
    # main thread let in. Checking the cache before taking the lock and reading it after raised
    # KeyError('a') here: a failed question in the web chat.
    embedder = Embedder()
    lock = WatchedLock()
    model = HeldModel(lock)
    monkeypatch.setattr(embed, "RECENT_TEXTS", 1)
    monkeypatch.setattr(embedder, "_lock", lock)
    monkeypatch.setattr(embedder, "model", model)
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
    assert list(embedder._recent) == ["a"]
