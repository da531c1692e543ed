"""Files written whole or not at all: the one place that replaces a file atomically, with no import
beyond the standard library, so that any stage (the index, the evaluation, the embedder's export,
training on a machine without faiss) can use it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".part") -> Iterator[Path]:
    """A hidden temporary file beside `path` for the block to write (by name: a FAISS index, an ONNX
    graph, an .npz); when the block ends, it is flushed to disk and renamed over `path`, so a reader sees
    the old file or the new one, never half of it. A block that fails leaves nothing behind. `suffix`
    ends the temporary name (numpy's savez adds .npz to a name without it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (see `replacing`)."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
