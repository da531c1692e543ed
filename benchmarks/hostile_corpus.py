"""Benchmark of `docqa index` on a hostile corpus beside the good one (not a test): time and peak memory.

    .venv/bin/python benchmarks/hostile_corpus.py [--runs 1] [--keep DIR]

Two corpora, each indexed from nothing by the `docqa index` command in a fresh process:
  good      a copy of corpus/ (the default document);
  hostile   the same, plus what issue #28 found: a link to /etc/passwd, a 50 MB text of one line
            without a space, a .docx whose word/document.xml decompresses to 1 GB (about 1 MB on disk),
            a .docx of 200 KB that decompresses to 50 MB, a link to a folder outside the corpus, a hidden
            file, and a text with one byte that is not UTF-8.
Peak memory is the largest sum of the resident memory of `docqa index` and every process it started,
sampled every 20 ms from /proc (the reading sandbox is a child process), and the largest resident
memory of one of them (getrusage). Prints one line per corpus and run and the summary lines the build
printed; exits 1 when the hostile build indexed other documents than the good one, or when a file of
the hostile corpus was indexed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import docx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DOCUMENT = "word/document.xml"
_OPEN = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w='
         b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
_CLOSE = b"</w:t></w:r></w:p></w:body></w:document>"


def docx_bomb(path: Path, expanded_bytes: int) -> None:
    """A .docx (python-docx's empty document) whose word/document.xml is one paragraph of
    `expanded_bytes` letters, deflated: it expands about a thousand times."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for part in source.infolist():
            if part.filename != DOCUMENT:
                bomb.writestr(part, source.read(part))
        with bomb.open(DOCUMENT, "w", force_zip64=True) as out:
            out.write(_OPEN)
            block = b"A" * (1 << 20)
            for _ in range(expanded_bytes // len(block)):
                out.write(block)
            out.write(_CLOSE)


def no_space_text(path: Path, size: int) -> None:
    """A text of `size` bytes on one line, without a space."""
    with path.open("wb") as out:
        block = b"x" * (1 << 20)
        for _ in range(size // len(block)):
            out.write(block)


def make_hostile(corpus: Path, outside: Path) -> None:
    """Add the hostile files of the module's docstring to `corpus`; `outside` is a folder beside it."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text("The secret password is swordfish.\n", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "elsewhere").symlink_to(outside.resolve(), target_is_directory=True)
    no_space_text(corpus / "one-line.txt", 50 * 2**20)
    docx_bomb(corpus / "bomb-1gb.docx", 2**30)
    docx_bomb(corpus / "bomb-50mb.docx", 50 * 2**20)
    (corpus / ".hidden.txt").write_text("Hidden text.\n", encoding="utf-8")
    (corpus / "latin1.txt").write_bytes("Belgrade hosted the caf\xe9 workshop in 2005.\n".encode("latin-1"))


def tree_rss(pid: int) -> int:
    """Resident bytes of process `pid` and all its descendants (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def index_once(corpus: Path, index: Path) -> tuple[float, int, str]:
    """(seconds, peak resident bytes of the process tree, what the command printed) of one build."""
    started = time.perf_counter()
    process = subprocess.Popen([str(VENV_BIN / "docqa"), "index", "--corpus", str(corpus), "--index", str(index)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    output = process.stdout.read()  # type: ignore[union-attr]
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"docqa index failed on {corpus}:\n{output}")
    return seconds, peak, output


def indexed(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Index "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="build the corpora here and keep them")
    args = parser.parse_args()
    work = args.keep if args.keep is not None else Path(tempfile.mkdtemp(prefix="docqa-hostile-"))
    try:
        good, hostile = work / "good", work / "hostile"
        for corpus in (good, hostile):
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.copytree(ROOT / "corpus", corpus / "corpus")
        make_hostile(hostile / "corpus", hostile / "outside")
        results: dict[str, list[tuple[float, int]]] = {"good": [], "hostile": []}
        outputs = {}
        for run in range(args.runs):
            for name, folder in (("good", good), ("hostile", hostile)):
                shutil.rmtree(folder / "index", ignore_errors=True)
                seconds, peak, outputs[name] = index_once(folder / "corpus", folder / "index")
                results[name].append((seconds, peak))
                print(f"run {run + 1} {name:8s} {seconds:6.1f} s, peak {peak / 2**20:7.0f} MB (process tree)", flush=True)
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        for name, runs in results.items():
            print(f"{name:8s} median {statistics.median(s for s, _ in runs):6.1f} s, "
                  f"median peak {statistics.median(p for _, p in runs) / 2**20:7.0f} MB")
        print(f"largest single process: {largest:.0f} MB")
        print("\n--- hostile build printed:\n" + outputs["hostile"])
        documents = sorted(json.loads(next((hostile / "index").glob("build-*/manifest.json")).read_text())["documents"])
        print(f"hostile index holds: {', '.join(documents)}")
        return 0 if documents == ["latin1.txt", "nato-relations-with-serbia.txt"] else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
