"""Benchmark of a long scanned PDF added while questions are asked (not a test), issue #31's hostile case.

    .venv/bin/python benchmarks/hostile_scans.py [--pages 300]

An engine on a copy of corpus/ (index built first) answers the questions of evaluation/qa.jsonl, one
after another, alone; then a scanned PDF of --pages pages (images only: an inspection record a page,
drawn at 200 dpi, some 22 MB: over the chat's upload limit, so put into corpus/) is added to its corpus
and the engine rebuilds, as the chat's Rebuild button does, while the same questions go on being asked. Prints: the questions' p50 and p95 alone and during the rebuild (and
whether any failed), the progress lines the rebuild gave (how many, the longest silence between two),
OCR's pages a second, the peak resident memory of this process and its children (the reading sandbox,
Tesseract) against the memory before the rebuild, and a question answered from one page of the scan
with the page it cites, right or wrong. Exits 1 when a question failed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from docqa.engine import Engine
from docqa.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_corpus import tree_rss  # a sibling benchmark's sampler

ROOT = Path(__file__).resolve().parent.parent
INSPECTORS = ["Ana Petrovic", "Marko Ilic", "Jelena Savic", "Nikola Jovanovic", "Ivana Markovic", "Stefan Popovic"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
DPI = 200


def record(number: int, rng: random.Random) -> list[str]:
    """The lines of page `number`: which bridge was inspected, when, by whom, and what was found."""
    return [f"Inspection record {number}", "",
            f"Bridge number {number} over the river was inspected in {rng.choice(MONTHS)} {rng.randint(1990, 2020)}",
            f"by {INSPECTORS[number % len(INSPECTORS)]}, who found {rng.randint(2, 40)} cracks in its deck.",
            f"Its repair was estimated at {rng.randint(10, 900)} thousand euros."]


def scan(pages: int, target: Path) -> None:
    """A PDF of `pages` images of text (no text layer), one record a page."""
    rng = random.Random(0)
    font = ImageFont.load_default(size=36)
    images = []
    for number in range(1, pages + 1):
        image = Image.new("L", (int(8.5 * DPI), 11 * DPI), 255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(record(number, rng)):
            draw.text((200, 250 + 60 * row), line, fill=0, font=font)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=DPI)
    target.write_bytes(out.getvalue())


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def asking(engine: Engine, questions: list[str], until: threading.Event | None) -> tuple[list[float], int]:
    """Ask `questions` in turn (once each, or round and round until `until` is set): the seconds each
    took and how many failed."""
    took, failed, n = [], 0, 0
    while (until is None and n < len(questions)) or (until is not None and not until.is_set()):
        started = time.perf_counter()
        try:
            engine.ask(questions[n % len(questions)])
        except Exception as error:  # what the chat would have had to show
            print(f"question failed: {type(error).__name__}: {error}")
            failed += 1
        took.append(time.perf_counter() - started)
        n += 1
    return took, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--write-scan", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_scan is not None:
        scan(args.pages, args.write_scan)
        return 0
    work = Path(tempfile.mkdtemp(prefix="docqa-scans-"))
    try:
        shutil.copytree(ROOT / "corpus", work / "corpus")
        engine = Engine(Settings(corpus=work / "corpus", index=work / "index"))
        questions = [json.loads(line)["question"] for line in (ROOT / "evaluation" / "qa.jsonl").open() if line.strip()]
        alone, failed_alone = asking(engine, questions, None)
        # Drawn in a child process: the pages' images would otherwise stay in this one's memory.
        subprocess.run([sys.executable, __file__, "--pages", str(args.pages), "--write-scan", str(work / "inspections.pdf")],
                       check=True)
        print(f"scan: {args.pages} pages, {(work / 'inspections.pdf').stat().st_size / 2**20:.1f} MB")
        before = tree_rss(os.getpid())
        said: list[tuple[float, str]] = []
        done, peak = threading.Event(), [before]

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], tree_rss(os.getpid()))
                time.sleep(0.05)

        def build() -> None:
            try:
                shutil.copy(work / "inspections.pdf", work / "corpus" / "inspections.pdf")
                engine.rebuild(progress=lambda message: said.append((time.perf_counter(), message)))
            finally:
                done.set()

        threading.Thread(target=sample, daemon=True).start()
        started = time.perf_counter()
        builder = threading.Thread(target=build)
        builder.start()
        during, failed_during = asking(engine, questions, done)
        builder.join()
        seconds = time.perf_counter() - started
        ocr_times = [when for when, message in said if "OCR of page" in message]
        gaps = [b - a for a, b in zip([started] + [w for w, _ in said], [w for w, _ in said] + [started + seconds])]
        print(f"questions alone: {len(alone)}, p50 {percentile(alone, 50) * 1000:.0f} ms, p95 {percentile(alone, 95) * 1000:.0f} ms, "
              f"{failed_alone} failed")
        print(f"questions during the rebuild: {len(during)}, p50 {percentile(during, 50) * 1000:.0f} ms, "
              f"p95 {percentile(during, 95) * 1000:.0f} ms, {failed_during} failed")
        print(f"rebuild with the scan: {seconds:.1f} s; {len(said)} progress lines (first {said[0][1]!r}, last "
              f"{said[-1][1]!r}), the longest silence {max(gaps):.1f} s")
        if len(ocr_times) > 1:
            print(f"OCR: {len(ocr_times)} pages, {(len(ocr_times) - 1) / (ocr_times[-1] - ocr_times[0]):.2f} pages/s")
        print(f"memory (this process and its children): {before / 2**20:.0f} MB before, peak {peak[0] / 2**20:.0f} MB "
              "during the rebuild")
        page = min(137, args.pages)
        inspector = INSPECTORS[page % len(INSPECTORS)]
        reply = engine.ask(f"Who inspected bridge number {page}?")
        answer = reply.answer
        cited = (answer.text, answer.document, answer.page) if answer is not None else None
        right = answer is not None and (answer.text, answer.page) == (inspector, page)
        print(f"'Who inspected bridge number {page}?' -> {cited} (expected {inspector!r}, page {page}: "
              f"{'right' if right else 'wrong'})")
        return int(failed_alone + failed_during > 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
