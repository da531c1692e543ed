"""Files uploaded from the chat -> the corpus folder: under a safe name, never over an existing file,
never half-written, refused with the reason when they cannot become a corpus document."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from docqa.errors import UploadRejected
from docqa.ingest.formats import ACCEPTED_SUFFIXES

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


MAX_NAME_CHARS = 100


# Binary formats announce themselves in their first bytes; a mismatch is refused before it lands.
_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}


_UNSAFE_RUN = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Upload:
    """What became of one uploaded file called `original`: stored in the corpus as `name`, or
    refused, with `refused` saying why (exactly one of the two is None)."""

    original: str
    name: str | None
    refused: str | None


def unique_name(name: str, existing: Collection[str]) -> str:
    """`name`, or 'stem-2.suffix', 'stem-3.suffix', ... : the first not in `existing` (ignoring case)."""
    taken = {n.casefold() for n in existing}
    stem, _, suffix = name.rpartition(".")
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{stem}-{n}.{suffix}", n + 1
    return candidate


def upload_name(original: str, size: int, existing: Collection[str]) -> str:
    """The safe corpus file name for an upload called `original` of `size` bytes.

    Only the base name is kept (either slash separates folders); letters, digits, '-', '_' and
    '.' survive, other runs become '_'; the suffix must be a readable format and is lower-cased.
    A name already in `existing` (compared case-insensitively) gets '-2', '-3', ... before the
    suffix. Raises UploadRejected with the reason.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", original))[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in ACCEPTED_SUFFIXES:
        raise UploadRejected(f"{base!r} is not an accepted type; upload {', '.join(ACCEPTED_SUFFIXES)} files.")
    if size > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"{base!r} is {size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB per file."
        )
    if size == 0:
        raise UploadRejected(f"{base!r} is empty.")
    safe = _UNSAFE_RUN.sub("_", stem).strip("._-")[:MAX_NAME_CHARS].rstrip("._-") or "document"
    return unique_name(safe + suffix, existing)


def content_mismatch(suffix: str, head: bytes) -> str | None:
    """Why a file's first bytes contradict its suffix (a .pdf that is no PDF), or None."""
    magic = _MAGIC.get(suffix)
    if magic is not None and not head.startswith(magic):
        return f"it does not look like a {suffix} file"
    return None


def store_upload(source: Path, corpus: Path, original: str | None = None) -> str:
    """Copy the uploaded file `source` into `corpus` under a safe name and return that name.

    Never overwrites and never leaves half a file: the bytes go to a hidden `.part` file (a suffix no
    reader takes, so a rebuild never reads it), flushed to disk, then linked under the first free
    name (a link fails when the name exists, and a name taken meanwhile gets a counter). Raises
    UploadRejected with the reason when the file cannot be stored; nothing is left behind then.
    """
    original = source.name if original is None else original
    root = corpus.resolve()
    base = upload_name(original, source.stat().st_size, ())
    taken = set(os.listdir(root))
    with source.open("rb") as data:
        reason = content_mismatch(Path(base).suffix, data.read(8))
        if reason:
            raise UploadRejected(f"{original!r} was refused: {reason}.")
        data.seek(0)
        try:
            handle, part = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=root)
        except OSError as error:
            raise _not_stored(original, root, error) from None
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(part, 0o644)
            while True:
                name = unique_name(base, taken)
                target = root / name
                if target.parent != root:
                    raise UploadRejected(f"{original!r} would land outside the corpus folder.")
                try:
                    os.link(part, target)
                    return name
                except FileExistsError:
                    taken.add(name)
        except OSError as error:
            raise _not_stored(original, root, error) from None
        finally:
            Path(part).unlink(missing_ok=True)


def _not_stored(original: str, root: Path, error: OSError) -> UploadRejected:
    return UploadRejected(
        f"{original!r} could not be stored in {root} ({error.strerror or error}); nothing was added. "
        "Free some space or fix the folder's permissions, then upload it again."
    )


def store_uploads(sources: Sequence[Path], corpus: Path) -> list[Upload]:
    """Store every uploaded file in `corpus`, in order; one refused file does not stop the others."""
    uploads = []
    for source in sources:
        try:
            uploads.append(Upload(source.name, store_upload(source, corpus), None))
        except UploadRejected as error:
            uploads.append(Upload(source.name, None, str(error)))
    return uploads
