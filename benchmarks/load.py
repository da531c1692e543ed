"""Load test of the web chat (not a test): N users at once, each a `gradio_client` session asking M
questions about the default document through the /chat endpoint, follow-ups with their history.

    .venv/bin/python benchmarks/load.py [--users 50] [--questions 10]
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860/     # a chat already served
    .venv/bin/python benchmarks/load.py --churn    # while the corpus changes and `docqa index` rebuilds it

Without --url the script serves a copy of corpus/ itself (`docqa serve` on a free port of 127.0.0.1,
its index built in a temporary folder) and stops it at the end. First a single user asks every
distinct question once; then all users ask at once, and every reply must be identical to the
single-user reply to the same question and history. Prints users, questions, errors, differing
replies, throughput and p50/p95 latency; exits 1 on any error or differing reply.

--churn (with the served copy only): the single-user replies are taken twice, on the corpus as it is
(old) and with CHURN_DOCUMENT added and indexed (new); then, while the users ask, a churn thread adds
and removes that document again and again and runs `docqa index` (another process) after each change,
which the chat switches to. Every reply, its note that the index is behind the corpus set aside, must
be the old corpus's reply or the new one's, never a mix and never an error; the question about the
added document is asked among the others.

Bounded: at most MAX_USERS users and MAX_QUESTIONS questions each, and --deadline seconds for the
whole run. Only a loopback address (127.0.0.1, ::1, localhost) is ever contacted.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
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
CHURN_DOCUMENT = ("tesla.txt", "The Nikola Tesla Museum in Belgrade keeps the ashes of Nikola Tesla in a golden "
                               "sphere. The museum opened in 1952.\n")
CHURN_QUESTION = ("Where are the ashes of Nikola Tesla kept?", ())
# The chat's last paragraph when the index is behind the corpus (engine.Engine.notice): set aside.
_NOTICE = re.compile(r"<p><i>The (?:index is behind the corpus|corpus cannot be checked).*?</i></p>$", re.DOTALL)


@dataclass
class Tally:
    """What the users saw; appended to from every user thread under `lock`."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    noted: int = 0  # replies that said the index was behind the corpus
    rebuilds: int = 0  # `docqa index` runs of the churn thread
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


Question = tuple[str, tuple[str, ...]]


def without_notice(reply: str) -> str:
    return _NOTICE.sub("", reply)


def single_user(url: str, questions: tuple[Question, ...], deadline: float) -> tuple[dict[Question, str], list[float]]:
    """The reply to every distinct question asked alone (its notice set aside), and the seconds each took."""
    client = Client(url, verbose=False)
    replies, seconds = {}, []
    for question, history in questions:
        started = time.perf_counter()
        replies[(question, history)] = without_notice(ask(client, question, history, max(1.0, deadline - time.monotonic())))
        seconds.append(time.perf_counter() - started)
    return replies, seconds


def index_command(workdir: Path) -> None:
    """`docqa index` of the served copy, in another process, as a person would run it."""
    subprocess.run([sys.executable, "-m", "docqa.cli", "index", "--corpus", str(workdir / "corpus"),
                    "--index", str(workdir / "index")], check=True, capture_output=True)


def change(workdir: Path, present: bool) -> None:
    """Add (present) or remove CHURN_DOCUMENT in the served copy's corpus."""
    path = workdir / "corpus" / CHURN_DOCUMENT[0]
    if present:
        path.write_text(CHURN_DOCUMENT[1], encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def churn(workdir: Path, stop: threading.Event, tally: Tally) -> None:
    """Add and remove CHURN_DOCUMENT in turn, `docqa index` after each change, until `stop`."""
    present = False
    while not stop.is_set():
        present = not present
        change(workdir, present)
        stop.wait(1.0)  # questions meanwhile find the index behind the corpus
        try:
            index_command(workdir)
        except subprocess.CalledProcessError as error:
            with tally.lock:
                tally.errors.append(f"churn: docqa index failed: {error.stderr.decode()[-300:]}")
        with tally.lock:
            tally.rebuilds += 1
    change(workdir, False)


def user(number: int, url: str, questions: int, asked: tuple[Question, ...], expected: dict[Question, set[str]],
         start: threading.Barrier, deadline: float, tally: Tally) -> None:
    """One session: its own client, asking `questions` questions in turn, starting at asked[number]; each
    reply must be one of `expected`'s for its question."""
    try:
        client = Client(url, verbose=False)
    except Exception as error:  # a user who cannot connect counts as errors, one per question
        with tally.lock:
            tally.errors += [f"user {number}: cannot connect: {error}"] * questions
        start.wait()
        return
    start.wait()
    for turn in range(questions):
        question, history = asked[(number + turn) % len(asked)]
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
            tally.noted += reply != without_notice(reply)
            if without_notice(reply) not in expected[(question, history)]:
                tally.differing.append(f"user {number}: {question!r} (history {list(history)})")


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(url: str, users: int, questions: int, deadline: float,
        workdir: Path | None = None) -> tuple[Tally, float, list[float]]:
    """The load; with `workdir` (the served copy) the corpus churns meanwhile (see the module's docstring)."""
    asked = QUESTIONS if workdir is None else (*QUESTIONS, CHURN_QUESTION)
    old, alone = single_user(url, asked, deadline)
    expected = {question: {reply} for question, reply in old.items()}
    tally = Tally()
    if workdir is not None:
        change(workdir, True)
        index_command(workdir)
        new, _ = single_user(url, asked, deadline)
        change(workdir, False)
        index_command(workdir)
        for question, reply in new.items():
            expected[question].add(reply)
        if old[CHURN_QUESTION] == new[CHURN_QUESTION]:
            raise SystemExit("load.py: the added document changed no reply: the churn would test nothing")
    start = threading.Barrier(users + 1)
    threads = [threading.Thread(target=user, args=(n, url, questions, asked, expected, start, deadline, tally),
                                daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    stop = threading.Event()
    churning = threading.Thread(target=churn, args=(workdir, stop, tally), daemon=True) if workdir else None
    start.wait()  # every user has connected: from here on only questions are timed
    began = time.perf_counter()
    if churning is not None:
        churning.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 5)
    wall = time.perf_counter() - began
    if churning is not None:
        stop.set()
        churning.join()
    return tally, wall, alone


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
    if tally.rebuilds:
        lines.append(f"churn: {tally.rebuilds} rebuilds by `docqa index` meanwhile; {tally.noted} replies said the "
                     "index was behind the corpus; every other difference counts above")
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
    parser.add_argument("--churn", action="store_true",
                        help="change the served copy's corpus and rebuild it with `docqa index` while the users ask")
    args = parser.parse_args()
    if args.churn and args.url is not None:
        parser.error("--churn changes the corpus of the copy it serves: leave out --url")
    if not 1 <= args.users <= MAX_USERS or not 1 <= args.questions <= MAX_QUESTIONS:
        parser.error(f"need 1 <= --users <= {MAX_USERS} and 1 <= --questions <= {MAX_QUESTIONS}")
    deadline = time.monotonic() + args.deadline
    if args.url is not None:
        url = loopback_url(args.url)
        tally, wall, alone = run(url, args.users, args.questions, deadline)
        print(report(url, args.users, args.questions, tally, wall, alone))
    else:
        with tempfile.TemporaryDirectory(prefix="docqa-load-") as workdir, served(args.corpus, Path(workdir)) as (url, log):
            tally, wall, alone = run(url, args.users, args.questions, deadline, Path(workdir) if args.churn else None)
            print(report(url, args.users, args.questions, tally, wall, alone))
            logged = sum(LOG_LINE in line for line in log.read_text(encoding="utf-8").splitlines())
            print(f"server log: {logged} question lines for {len(alone) + args.users * args.questions} questions asked")
    return 0 if not tally.errors and not tally.differing else 1


if __name__ == "__main__":
    sys.exit(main())
