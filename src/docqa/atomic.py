"""Files written whole or not at all: the one place that writes a small text file atomically, with no
import beyond the standard library, so that any stage (the index, the evaluation, training on a
machine without faiss) can use it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to a hidden temporary file beside `path`, flushed to disk, then rename it into
    place: a reader sees the old file or the new one, never half of it; a failed write leaves nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
