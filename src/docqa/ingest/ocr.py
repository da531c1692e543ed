"""Scanned pages -> text: a PDF page without a text layer is drawn as an image (pypdfium2), and a page
saved as an image file is taken as it is (Pillow), and read by Tesseract (Debian's tesseract-ocr, run as
a command: its English model comes with the package, nothing is downloaded). Runs inside the reading
sandbox, so the file's time and memory limits hold for it too.

`make ocr` (part of `make run` and `make test`) installs Tesseract; without it a scanned PDF is skipped
with a message that says so.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from collections.abc import Callable

import pypdfium2
from PIL import Image

# Tesseract reads printed text best at about 300 dpi; 200 dpi read the test pages (12 pt Helvetica,
# benchmarks/page_view.py) word for word at half the time.
OCR_DPI = 200
# An image file's pages: the frames of a TIFF (a multi-page scan); of other formats the first frame only
# (an animated GIF's later frames are no pages). An image of more pixels than this (an A4 page scanned at
# 600 dpi is 35 million) is no page of text, and Pillow would take it for a decompression bomb.
PAGED_IMAGES = frozenset({"TIFF"})
MAX_IMAGE_PIXELS = 60_000_000
# One page a time: Tesseract's own threads only fight the build's other work on 2 cores.
_ENVIRONMENT = {"OMP_THREAD_LIMIT": "1"}
LANGUAGE = "eng"


class OcrFailed(Exception):
    """Tesseract could not read a page; the message says why."""


@functools.cache
def tesseract() -> str | None:
    """The path of the tesseract command with its English model, or None when it is not installed."""
    found = shutil.which("tesseract")
    if found is None:
        return None
    try:
        listed = subprocess.run([found, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if LANGUAGE in listed.stdout.split() else None


def page_image(document: pypdfium2.PdfDocument, number: int, dpi: int = OCR_DPI) -> bytes:
    """Page `number` (1-based) of `document` drawn in grey at `dpi`, as PNG bytes."""
    page = document[number - 1]
    try:
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def image_pages(data: bytes, check_pages: Callable[[int], None]) -> list[bytes]:
    """The pages of an image file, each in grey as PNG bytes (see PAGED_IMAGES); `check_pages` hears how
    many there are before any is drawn (and raises for too many, as for a PDF). Raises OcrFailed for an
    image that cannot be opened or of too many pixels."""
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1) if image.format in PAGED_IMAGES else 1
        check_pages(frames)
        pages = []
        for frame in range(frames):
            image.seek(frame)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise OcrFailed(f"its image is {image.width:,} x {image.height:,} pixels, over the "
                                f"{MAX_IMAGE_PIXELS:,} a page of text needs")
            out = io.BytesIO()
            image.convert("L").save(out, format="PNG")
            pages.append(out.getvalue())
    except (OSError, ValueError, EOFError, Image.DecompressionBombError) as error:
        raise OcrFailed(f"not a readable image ({type(error).__name__}: {str(error).strip()[:200]})") from None
    return pages


def read_image(png: bytes, seconds: float) -> str:
    """The text Tesseract reads in a PNG image (lines as it finds them); raises OcrFailed."""
    command = tesseract()
    if command is None:
        raise OcrFailed("Tesseract is not installed (`make ocr`: apt-get install tesseract-ocr)")
    try:
        done = subprocess.run([command, "stdin", "stdout", "-l", LANGUAGE, "--psm", "3"], input=png,
                              capture_output=True, timeout=seconds, env={**os.environ, **_ENVIRONMENT})
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"Tesseract took longer than {seconds:g} s on one page") from None
    except OSError as error:
        raise OcrFailed(f"Tesseract could not run ({error.strerror})") from None
    if done.returncode != 0:
        raise OcrFailed(f"Tesseract failed ({done.stderr.decode(errors='replace').strip()[:200]})")
    return done.stdout.decode("utf-8", errors="replace").replace("\f", "")
