"""Shard jobs on a Ray cluster: one worker per node, each with its own embedder, builds the shards it is
handed (shards.build_shard) and writes their files into the build folder, which every node must see
(this machine, or storage shared by all nodes). Ray is an optional extra: `pip install 'docqa[ray]'`.

A worker takes all of its node's CPUs: the ONNX embedder runs one thread per core of the machine
(runtime.py), so two workers on one node would fight over the same cores.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from docqa.embed.embedder import Embedder
from docqa.errors import ClusterUnavailable, DocqaError
from docqa.index.shards import ShardJob, ShardResult, build_shard
from docqa.settings import Precision, Settings

try:
    import ray
    from ray.util import ActorPool
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError:  # the optional extra is not installed: RayWorkers says what to install
    ray = None

log = logging.getLogger("docqa")

AUTO = "auto"
# Twice as many shards as the cluster has CPUs: a worker that finishes early takes another shard.
SHARDS_PER_CPU = 2


def connect(address: str) -> None:
    """Connect this process to the Ray cluster at `address`; `auto` joins the cluster running on this
    machine, else starts one here that listens on 127.0.0.1 only. Raises ClusterUnavailable."""
    if ray is None:
        raise ClusterUnavailable("Ray is not installed. Run `pip install 'docqa[ray]'`, or build without --ray.")
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        return
    except ConnectionError as error:
        if address != AUTO:
            raise ClusterUnavailable(
                f"Cannot reach a Ray cluster at {address} ({error}). Start one with `ray start --head` there, "
                "or pass --ray auto to start one on this machine.") from error
    ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")


class _ShardWorker:
    """Holds one embedder and builds shards with it (a Ray actor)."""

    def __init__(self, model: str, precision: Precision = Precision.AUTO):
        self.encoder = Embedder(model, precision=precision)  # `auto` asks this node's CPU

    def build(self, job: ShardJob, settings: Settings) -> ShardResult:
        if not job.folder.is_dir():
            raise ClusterUnavailable(
                f"The build folder {job.folder} is not visible from the Ray node "
                f"{ray.util.get_node_ip_address()}. Put --index on storage every node shares.")
        return build_shard(job, settings, self.encoder)


class RayWorkers:
    """Builds shards on the Ray cluster at `address` (see connect): one worker per node with CPUs,
    started at the first build and kept for the next ones (`docqa index --watch`)."""

    def __init__(self, address: str, model: str, precision: Precision = Precision.AUTO):
        connect(address)
        self.model = model
        self.precision = precision
        self.workers: list = []
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.default_shards = max(2, SHARDS_PER_CPU * cpus)

    def _start(self) -> list:
        if not self.workers:
            remote = ray.remote(_ShardWorker)
            for node in ray.nodes():
                cpus = int(node.get("Resources", {}).get("CPU", 0))
                if node.get("Alive") and cpus > 0:
                    placement = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                    self.workers.append(remote.options(num_cpus=cpus, scheduling_strategy=placement).remote(self.model, self.precision))
            log.info("Ray: %d shard workers", len(self.workers))
        return self.workers

    def build(self, jobs: list[ShardJob], settings: Settings) -> list[ShardResult]:
        if not jobs:
            return []
        # A worker does not run in this process's folder: every path it gets is absolute.
        settings = settings.with_(corpus=settings.corpus.resolve(), index=settings.index.resolve())
        jobs = [replace(job, folder=job.folder.resolve(),
                        previous=job.previous.resolve() if job.previous is not None else None) for job in jobs]
        pool = ActorPool(self._start())
        try:
            done = {r.record.name: r for r in pool.map_unordered(lambda w, job: w.build.remote(job, settings), jobs)}
        except ray.exceptions.RayTaskError as error:
            if isinstance(error.cause, DocqaError):  # the worker's own message, without Ray's traceback
                raise error.cause from None
            raise
        return [done[job.name] for job in jobs]

    def close(self) -> None:
        for worker in self.workers:
            ray.kill(worker)
        self.workers = []
