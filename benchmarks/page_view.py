"""Benchmark of the page view and of OCR (not a test).

    .venv/bin/python benchmarks/page_view.py [--pages 20]

(a) The page view: every question of evaluation/papers/qa.jsonl that docqa answers from a PDF, asked of
    an index of evaluation/papers/corpus, then its page drawn with the answer marked
    (Engine.page_view, cache off): p50 and p95 of the question's own time and of the drawing, side by
    side, and how many answers were found on their page to mark.
(b) OCR: the first --pages pages of lmer.pdf drawn as images and wrapped as a scanned PDF (no text
    layer), then indexed alone by `docqa index` in a fresh process: pages read by OCR a second, and
    OCR's share of the build (the reading sandbox's time against the whole command's).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2

from docqa.engine import Engine
from docqa.ingest.corpus import load_document
from docqa.ingest.ocr import OCR_DPI
from docqa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "evaluation" / "papers"
VENV_BIN = Path(sys.executable).parent


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def page_view(work: Path) -> None:
    engine = Engine(Settings(corpus=PAPERS / "corpus", index=work / "index"))
    asked, drawn, marked, answered = [], [], 0, 0
    for line in (PAPERS / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        started = time.perf_counter()
        reply = engine.ask(item["question"], history=item.get("history", []))
        asked.append(time.perf_counter() - started)
        if reply.answer is None:
            continue
        answered += 1
        engine._views = type(engine._views)(1)  # every page drawn afresh: no cache
        started = time.perf_counter()
        view = engine.page_view(reply.answer)
        drawn.append(time.perf_counter() - started)
        marked += bool(view.boxes)
    print(f"questions {len(asked)}: p50 {percentile(asked, 50) * 1000:.0f} ms, p95 {percentile(asked, 95) * 1000:.0f} ms")
    print(f"pages drawn {len(drawn)} (of {answered} answers): p50 {percentile(drawn, 50) * 1000:.0f} ms, "
          f"p95 {percentile(drawn, 95) * 1000:.0f} ms; the answer marked on {marked}")


def scanned(source: Path, pages: int, target: Path) -> None:
    document = pypdfium2.PdfDocument(str(source))
    images = [document[n].render(scale=OCR_DPI / 72, grayscale=True).to_pil() for n in range(min(pages, len(document)))]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=OCR_DPI)
    target.write_bytes(out.getvalue())


def ocr(work: Path, pages: int) -> None:
    corpus = work / "scan"
    corpus.mkdir()
    scanned(PAPERS / "corpus" / "lmer.pdf", pages, corpus / "lmer-scanned.pdf")
    times: list[float] = []
    started = time.perf_counter()
    document = load_document(corpus / "lmer-scanned.pdf", corpus, progress=lambda _: times.append(time.perf_counter()))
    reading = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run([str(VENV_BIN / "docqa"), "index", "--corpus", str(corpus), "--index", str(work / "scan-index")],
                          capture_output=True, text=True)
    build = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    per_page = [b - a for a, b in zip(times, times[1:])]
    print(f"OCR: {len(document.ocr_pages)} of {len(times)} pages read in {reading:.1f} s "
          f"({len(times) / reading:.2f} pages/s, median {statistics.median(per_page):.2f} s a page); "
          f"`docqa index` of that file {build:.1f} s, so OCR is about {reading / build:.0%} of its build")
    print(done.stdout.strip().splitlines()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docqa-pages-"))
    try:
        page_view(work)
        ocr(work, args.pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
