"""Builds on a real local Ray cluster (2 CPUs, 127.0.0.1): the same passages, vectors (within 1e-5)
and answers as the build in process; an edit rebuilds only its document's shard; without Ray, a message
that says what to install."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from index.test_build import BAKERS, FACTS, make_corpus
from index.test_shards import by_passage

import docqa.index.cluster
from docqa.embed.embedder import Embedder
from docqa.engine import Engine
from docqa.errors import ClusterUnavailable
from docqa.index.build import build_index

ray = pytest.importorskip("ray")

DEFAULT_DOCUMENT = Path(__file__).resolve().parents[2] / "corpus" / "nato-relations-with-serbia.txt"
QUESTIONS = ["When did Serbia join the Partnership for Peace?", "When was the lighthouse at Point Reyes built?",
             "What do bakers feed the starter with?"]


@pytest.fixture(scope="module")
def workers():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        workers = docqa.index.cluster.RayWorkers("auto", "all-MiniLM-L6-v2")
        yield workers
        workers.close()
    finally:
        ray.shutdown()


def answers(settings, embedder: Embedder) -> list[tuple[str | None, float]]:
    engine = Engine(settings, embedder=embedder, auto_build=False)
    replies = [engine.ask(question) for question in QUESTIONS]
    return [(r.answer.text if r.answer else None, round(r.confidence, 4)) for r in replies]


def test_a_build_on_ray_equals_the_build_in_process(tmp_path: Path, workers) -> None:
    files = {**FACTS, "beta.txt": FACTS["beta.txt"] + BAKERS,
             "nato.txt": DEFAULT_DOCUMENT.read_text(encoding="utf-8").strip()}
    single, clustered = make_corpus(tmp_path / "single", files), make_corpus(tmp_path / "ray", files)
    embedder = Embedder()
    build_index(single, embedder)
    assert workers.default_shards == 4
    report = build_index(clustered, None, workers=workers)
    assert (report.shards, report.shard_count, report.passages) == (("000", "001", "002", "003"), 4, 19)
    ours, theirs = by_passage(clustered), by_passage(single)
    assert sorted(ours) == sorted(theirs)
    assert all(ours[key][0] == theirs[key][0] for key in ours)
    assert max(float(np.abs(ours[key][1] - theirs[key][1]).max()) for key in ours) <= 1e-5
    assert answers(clustered, embedder) == answers(single, embedder)
    assert answers(single, embedder)[0][0] == "December 2006"

    # One edited document: only its shard is built again, on Ray.
    (clustered.corpus / "gamma.txt").write_text(FACTS["gamma.txt"] + " It welcomes beginners.\n", encoding="utf-8")
    again = build_index(clustered, None, workers=workers)
    assert (again.changed, again.shards, again.embedded) == (("gamma.txt",), ("001",), 1)


def test_without_ray_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docqa.index.cluster, "ray", None)
    with pytest.raises(ClusterUnavailable, match=r"Ray is not installed\. Run `pip install 'docqa\[ray\]'`"):
        docqa.index.cluster.RayWorkers("auto", "all-MiniLM-L6-v2")
