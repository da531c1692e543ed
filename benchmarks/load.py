"""Load test of the web chat (not a test): N users at once, each a `gradio_client` session asking M
questions about the default document through the /chat endpoint, follow-ups with their history.

    .venv/bin/python benchmarks/load.py [--users 50] [--questions 10]
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860/     # a chat already served

Without --url the script serves a copy of corpus/ itself (`docqa serve` on a free port of 127.0.0.1,
its index built in a temporary folder) and stops it at the end. First a single user asks every
distinct question once; then all users ask at once, and every reply must be identical to the
single-user reply to the same question and history. Prints users, questions, errors, differing
replies, throughput and p50/p95 latency; exits 1 on any error or differing reply.

Bounded: at most MAX_USERS users and MAX_QUESTIONS questions each, and --deadline seconds for the
whole run. Only a loopback address (127.0.0.1, ::1, localhost) is ever contacted.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client

ROOT = Path(__file__).resolve().parent.parent
MAX_USERS = 200
MAX_QUESTIONS = 100
SERVER_START_SECONDS = 180
READY = "docqa: chat at "
LOG_LINE = "question at "

# About corpus/nato-relations-with-serbia.txt; a follow-up carries the question it follows.
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("When did Serbia join the Partnership for Peace?", ()),
    ("Which countries led the landmine destruction project?", ()),
    ("When did Serbia sign the transit agreement?", ()),
    ("What did it allow?", ("When did Serbia sign the transit agreement?",)),
    ("What is the population of Serbia?", ()),
    ("When did Belgrade formally apply to join the Partnership for Peace?", ()),
    ("At which summit did the Allies invite Serbia to join the PfP?", ()),
    ("When was the NATO Military Liaison Office in Belgrade opened?", ()),
    ("What does it support?", ("When was the NATO Military Liaison Office in Belgrade opened?",)),
    ("When did Serbia submit its PfP Presentation Document?", ()),
    ("How many anti-personnel landmines were removed from Serbian territory?", ()),
    ("When did Serbia agree its first Individual Partnership Programme?", ()),
)


@dataclass
class Tally:
    """What the users saw; appended to from every user thread under `lock`."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def loopback_url(url: str) -> str:
    """`url` with a trailing slash; raises SystemExit unless its host is a loopback address."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"load.py: refusing to load {url}: only a chat on 127.0.0.1 (or ::1) may be targeted.")
    return url if url.endswith("/") else url + "/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(corpus: Path, workdir: Path) -> Iterator[tuple[str, Path]]:
    """`docqa serve` over a copy of `corpus` on a free port of 127.0.0.1: (url, its log file)."""
    shutil.copytree(corpus, workdir / "corpus")
    log = workdir / "serve.log"
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("DOCQA_AUTH", None)
    with log.open("w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "docqa.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--corpus", str(workdir / "corpus"), "--index", str(workdir / "index")],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    try:
        started = time.monotonic()
        while READY not in log.read_text(encoding="utf-8"):
            if server.poll() is not None or time.monotonic() - started > SERVER_START_SECONDS:
                raise SystemExit(f"load.py: the server did not start; its log:\n{log.read_text(encoding='utf-8')}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/", log
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def ask(client: Client, question: str, history: tuple[str, ...], timeout: float) -> str:
    return client.submit(question, list(history), api_name="/chat").result(timeout=timeout)


def single_user(url: str, deadline: float) -> tuple[dict[tuple[str, tuple[str, ...]], str], list[float]]:
    """The reply to every distinct question asked alone, and the seconds each took."""
    client = Client(url, verbose=False)
    replies, seconds = {}, []
    for question, history in QUESTIONS:
        started = time.perf_counter()
        replies[(question, history)] = ask(client, question, history, max(1.0, deadline - time.monotonic()))
        seconds.append(time.perf_counter() - started)
    return replies, seconds


def user(number: int, url: str, questions: int, expected: dict, start: threading.Barrier, deadline: float,
         tally: Tally) -> None:
    """One session: its own client, asking `questions` questions in turn, starting at QUESTIONS[number]."""
    try:
        client = Client(url, verbose=False)
    except Exception as error:  # a user who cannot connect counts as errors, one per question
        with tally.lock:
            tally.errors += [f"user {number}: cannot connect: {error}"] * questions
        start.wait()
        return
    start.wait()
    for turn in range(questions):
        question, history = QUESTIONS[(number + turn) % len(QUESTIONS)]
        remaining = deadline - time.monotonic()
        started = time.perf_counter()
        try:
            if remaining <= 0:
                raise FutureTimeout()
            reply = ask(client, question, history, remaining)
        except FutureTimeout:
            with tally.lock:
                tally.errors.append(f"user {number}: {question!r}: no reply before the deadline")
            continue
        except Exception as error:
            with tally.lock:
                tally.errors.append(f"user {number}: {question!r}: {type(error).__name__}: {error}")
            continue
        elapsed = time.perf_counter() - started
        with tally.lock:
            tally.latencies.append(elapsed)
            if reply != expected[(question, history)]:
                tally.differing.append(f"user {number}: {question!r} (history {list(history)})")


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(url: str, users: int, questions: int, deadline: float) -> tuple[Tally, float, list[float]]:
    expected, alone = single_user(url, deadline)
    tally = Tally()
    start = threading.Barrier(users + 1)
    threads = [threading.Thread(target=user, args=(n, url, questions, expected, start, deadline, tally), daemon=True)
               for n in range(users)]
    for thread in threads:
        thread.start()
    start.wait()  # every user has connected: from here on only questions are timed
    began = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    return tally, time.perf_counter() - began, alone


def report(url: str, users: int, questions: int, tally: Tally, wall: float, alone: list[float]) -> str:
    asked = users * questions
    lines = [
        f"target: {url}",
        f"single user: {len(alone)} distinct questions, p50 {percentile(alone, 50) * 1000:.0f} ms, "
        f"max {max(alone) * 1000:.0f} ms",
        f"users {users} x questions {questions} = {asked} questions in {wall:.1f} s: "
        f"{len(tally.latencies) / wall:.2f} answered per second",
        f"errors {len(tally.errors)}, replies differing from the single-user reply {len(tally.differing)}",
    ]
    if tally.latencies:
        lines.append(f"latency p50 {percentile(tally.latencies, 50):.2f} s, p95 {percentile(tally.latencies, 95):.2f} s, "
                     f"max {max(tally.latencies):.2f} s")
    lines += [f"  error: {e}" for e in tally.errors[:5]] + [f"  differs: {d}" for d in tally.differing[:5]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help=f"concurrent sessions (1..{MAX_USERS}, default 50)")
    parser.add_argument("--questions", type=int, default=10,
                        help=f"questions per session (1..{MAX_QUESTIONS}, default 10)")
    parser.add_argument("--url", default=None, help="a chat already served on a loopback address; default: "
                                                    "serve a copy of --corpus on a free port")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="corpus to serve (default corpus/)")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds for the whole run (default 900)")
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.questions <= MAX_QUESTIONS:
        parser.error(f"need 1 <= --users <= {MAX_USERS} and 1 <= --questions <= {MAX_QUESTIONS}")
    deadline = time.monotonic() + args.deadline
    if args.url is not None:
        url = loopback_url(args.url)
        tally, wall, alone = run(url, args.users, args.questions, deadline)
        print(report(url, args.users, args.questions, tally, wall, alone))
    else:
        with tempfile.TemporaryDirectory(prefix="docqa-load-") as workdir, served(args.corpus, Path(workdir)) as (url, log):
            tally, wall, alone = run(url, args.users, args.questions, deadline)
            print(report(url, args.users, args.questions, tally, wall, alone))
            logged = sum(LOG_LINE in line for line in log.read_text(encoding="utf-8").splitlines())
            print(f"server log: {logged} question lines for {len(alone) + args.users * args.questions} questions asked")
    return 0 if not tally.errors and not tally.differing else 1


if __name__ == "__main__":
    sys.exit(main())
