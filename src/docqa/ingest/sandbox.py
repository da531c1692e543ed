"""Corpus files -> Documents, read in a child process that holds the limits of time and memory.

A format's reader (pypdf, python-docx, BeautifulSoup) parses bytes that anyone may have put into the
corpus. The build's own process never parses a file: it sends the file's path to a child process and
gets back the Document, or the reason the file was skipped. The child caps its own address space at
`ReadLimits.memory_mb`, so that a file needing more fails there (and the next file gets a new child),
and a file that takes longer than `ReadLimits.seconds` is abandoned together with the child. The build
goes on with the other files either way.

The child is `python -m docqa.ingest.sandbox LIMITS CORPUS`; requests and answers are JSON lines on its
standard input and output (no pickle: the answer is data, never code). Before its answer the child may
say how a long file is going ({"progress": "OCR of page 3 ..."}): the time limit holds between two
such lines, so a scanned PDF of 300 pages gets `seconds` for each page, never more for one.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

from docqa.errors import DocqaError, SandboxUnavailable
from docqa.ingest.clean import Section
from docqa.ingest.corpus import Document, corpus_path, load_document
from docqa.ingest.formats import UnreadableFile
from docqa.names import display_name
from docqa.settings import ReadLimits

# A child that does not start within this many seconds (python and the format readers' imports take
# about 0.4 s here) is refused as broken rather than waited for.
START_SECONDS = 60.0
READY = b'{"ready": true}'


def document_json(document: Document) -> dict:
    return {**asdict(document), "sections": [[s.title, s.start] for s in document.sections]}


def document_from_json(data: dict) -> Document:
    return Document(
        path=data["path"], text=data["text"], sha256=data["sha256"], pages=tuple(data["pages"]),
        sections=tuple(Section(title, start) for title, start in data["sections"]), notes=tuple(data["notes"]),
        ocr_pages=tuple(data["ocr_pages"]),
    )


class Sandbox:
    """Reads the files of `corpus` one after another in a child process within `limits`; one child
    serves every file until one fails it (a timeout, a crash, a MemoryError). Use it in a `with`."""

    def __init__(self, corpus: Path, limits: ReadLimits, progress: Callable[[str], None] | None = None):
        """`progress` hears what the child says of a long file ("OCR of page 3 ..."), with its name."""
        self.corpus = corpus
        self.limits = limits
        self.progress = progress
        self._child: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the child, if one runs: it ends when its input closes, or is killed."""
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()  # type: ignore[union-attr]
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        child.stdout.close()  # type: ignore[union-attr]

    def _start(self) -> subprocess.Popen[bytes]:
        limits = json.dumps(asdict(self.limits))
        child = subprocess.Popen(
            [sys.executable, "-m", "docqa.ingest.sandbox", limits, str(self.corpus)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )
        self._child, self._buffer = child, bytearray()
        # The first file's time starts once the child is ready, not while Python starts.
        if self._line(START_SECONDS) != READY:
            self._kill()
            raise SandboxUnavailable(f"{sys.executable} -m docqa.ingest.sandbox")
        return child

    def read(self, relative: str, trial: bool = False) -> Document:
        """The document at `relative` (a path inside the corpus), read and cleaned in the child;
        raises UnreadableFile with the reason, including a time or memory limit hit, and
        SandboxUnavailable when no child can be started (the build stops: no file is to blame).
        A `trial` only tells whether the file is readable (corpus.load_document)."""
        child = self._child if self._child is not None else self._start()
        try:
            child.stdin.write(json.dumps({"path": relative, "trial": trial}).encode("utf-8") + b"\n")  # type: ignore[union-attr]
            child.stdin.flush()  # type: ignore[union-attr]
        except OSError:
            return self._failed(UnreadableFile(self._ended()))
        while True:  # the time limit holds between two signs of progress (each page read by OCR is one)
            line = self._line(self.limits.seconds)
            if line is None:
                self._kill()
                raise UnreadableFile(f"reading it took longer than the limit of {self.limits.named('seconds')} "
                                     "(for one file, or one page read by OCR)")
            if not line:
                return self._failed(UnreadableFile(self._ended()))
            answer = json.loads(line)
            if "progress" not in answer:
                break
            if self.progress is not None:
                self.progress(f"{display_name(relative)}: {answer['progress']}")
        if "document" in answer:
            return document_from_json(answer["document"])
        if answer.get("fatal"):
            self.close()  # the child exits after a MemoryError: a new one reads the next file
        raise UnreadableFile(answer["skipped"])

    def _failed(self, error: UnreadableFile) -> NoReturn:
        self._kill()
        raise error

    def _ended(self) -> str:
        code = self._child.poll() if self._child is not None else None
        how = f" (it ended with {code})" if code is not None else ""
        return (f"reading it stopped the reading process{how}: it needed more memory than the limit of "
                f"{self.limits.named('memory_mb')}, or its format's reader crashed")

    def _kill(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
            child.stdin.close()  # type: ignore[union-attr]
            child.stdout.close()  # type: ignore[union-attr]

    def _line(self, seconds: float) -> bytes | None:
        """The child's next line of output; b"" when it ended, None when `seconds` passed first."""
        deadline = time.monotonic() + seconds
        out = self._child.stdout  # type: ignore[union-attr]
        searched = 0  # the buffer holds no newline before this: a long answer is scanned once
        while (end := self._buffer.find(b"\n", searched)) < 0:
            searched = len(self._buffer)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([out], [], [], left)[0]:
                return None
            chunk = os.read(out.fileno(), 1 << 20)
            if not chunk:
                return b""
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        return line


def _say(answer: dict) -> None:
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()


def _answer(corpus: Path, relative: str, limits: ReadLimits, trial: bool = False) -> dict:
    try:
        document = load_document(corpus_path(corpus, relative), corpus, limits=limits,
                                 progress=lambda message: _say({"progress": message}), trial=trial)
        return {"document": document_json(document)}
    except (UnreadableFile, DocqaError) as error:
        return {"skipped": str(error)}
    except MemoryError:
        return {"skipped": f"reading it needed more memory than the limit of {limits.named('memory_mb')}",
                "fatal": True}
    except RecursionError:
        return {"skipped": "its structure is nested too deeply to read"}
    except Exception as error:  # a reader's own bug on odd bytes: this file is skipped, the build goes on
        return {"skipped": f"could not be read ({type(error).__name__}: {str(error)[:200]})"}


def main(argv: list[str]) -> int:
    """The child: read the files named on standard input, one JSON line each, and answer each."""
    # Ctrl-C in the terminal is the parent's to handle: it closes our input or kills us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limits = ReadLimits(**json.loads(argv[0]))
    corpus = Path(argv[1])
    cap = limits.memory_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    sys.stdout.buffer.write(READY + b"\n")
    sys.stdout.buffer.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        answer = _answer(corpus, request["path"], limits, bool(request.get("trial")))
        _say(answer)
        if answer.get("fatal"):
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
