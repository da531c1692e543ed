"""Files added to the corpus (uploaded in the chat, given to `docqa documents add`) and documents removed
from it: under a safe name, never half-written, never outside the corpus folder.

A file whose content the corpus already holds is refused ("already in the corpus as NAME"); a file
under the name of a document already there replaces it only when the caller says so (the chat asks
first, the command line wants --replace), else it is refused as a conflict. A replacement is atomic:
a question asked meanwhile reads the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from docqa.errors import OutsideCorpus, UploadRejected
from docqa.ingest.corpus import corpus_path, file_hash, list_corpus
from docqa.ingest.formats import ACCEPTED_SUFFIXES, UnreadableFile, announced_format, format_not_read
from docqa.names import display_name
from docqa.settings import ReadLimits

MAX_NAME_CHARS = 100
# Binary formats announce themselves in their first bytes; a mismatch is refused before it lands.
_MAGIC = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04", ".xlsx": b"PK\x03\x04"}
_UNSAFE_RUN = re.compile(r"[^\w.-]+")
# Why a file (at a path, to be stored under a name) cannot become a document, or None.
Check = Callable[[Path, str], str | None]


@dataclass(frozen=True)
class Upload:
    """What became of one file called `original`: stored in the corpus as `name` (`replaced`: over the
    document of that name), or refused, with `refused` saying why (exactly one of name and refused is
    None). `conflict`: refused only because a document of that name, with other content, is there:
    adding it again with replace=True replaces that document."""

    original: str
    name: str | None
    refused: str | None
    replaced: bool = False
    conflict: bool = False


@dataclass(frozen=True)
class Removal:
    """What became of one document asked to be removed: `removed`, or refused with the reason."""

    name: str
    removed: bool
    refused: str | None = None


def upload_name(original: str, size: int, max_bytes: int) -> str:
    """The safe corpus file name for a file called `original` of `size` bytes (at most `max_bytes`).

    Only the base name is kept (either slash separates folders); letters, digits, '-', '_' and
    '.' survive, other runs (spaces, newlines, control characters) become '_'; the suffix must be a
    readable format and is lower-cased. Raises UploadRejected with the reason.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", original))[-1]
    shown = display_name(base)
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in ACCEPTED_SUFFIXES:
        if suffix:  # a .csv, an .odt: the words the documents list says of such a file in the corpus
            raise UploadRejected(f"{shown!r}: {format_not_read(base)}.")
        raise UploadRejected(f"{shown!r} is not an accepted type; add {', '.join(ACCEPTED_SUFFIXES)} files.")
    if size > max_bytes:
        # Not its size: a server reads one byte past the limit and no further.
        raise UploadRejected(f"{shown!r} is larger than {max_bytes / 2**20:g} MB, the limit per file; split it into "
                             "smaller files.")
    if size == 0:
        raise UploadRejected(f"{shown!r} is empty.")
    safe = _UNSAFE_RUN.sub("_", stem).strip("._-")[:MAX_NAME_CHARS].rstrip("._-") or "document"
    return safe + suffix


def content_mismatch(suffix: str, data: bytes) -> str | None:
    """Why a file's bytes contradict its suffix (a .pdf that is no PDF), saying what they are where they
    say it (formats.announced_format), or None."""
    magic = _MAGIC.get(suffix)
    if magic is None or data.startswith(magic):
        return None
    announced = announced_format(data)
    if announced is None:
        return f"it does not look like a {suffix} file (check that it opens, or save it again from the program that made it)"
    return f"it is {announced[0]}, not a {suffix} file" + (f": rename it to {announced[1]}" if announced[1] else "")


def _same_name(name: str, root: Path) -> str | None:
    """The name of the file at the corpus's top that `name` would take the place of (the same name,
    ignoring case: on many disks they are one file), or None."""
    wanted = name.casefold()
    return next((entry for entry in sorted(os.listdir(root)) if entry.casefold() == wanted), None)


def store_upload(source: Path, corpus: Path, original: str | None = None, replace: bool = False,
                 contents: Mapping[str, str] | None = None, unreadable: Check | None = None,
                 max_bytes: int = ReadLimits().upload_mb * 2**20) -> Upload:
    """Copy `source` into the top of `corpus` under a safe name (see the module's docstring).

    `contents`: sha256 -> corpus path of what the corpus holds (corpus.scan_corpus's hashes, turned
    round): a file with one of those contents is refused. `unreadable(source, name)`: why the file
    cannot become a document (a damaged PDF, a zip bomb), or None; such a file is refused before it
    lands. Then `_write` stores it. Raises UploadRejected when the file cannot be stored; nothing is
    left behind then.
    """
    original = source.name if original is None else original
    root = corpus.resolve()
    shown = display_name(original)
    try:
        name = upload_name(original, source.stat().st_size, max_bytes)
        with source.open("rb") as data:  # the rest (at most max_bytes) only to say what a mismatched file is
            head = data.read(8)
            reason = content_mismatch(Path(name).suffix, head) and content_mismatch(Path(name).suffix,
                                                                                    head + data.read(max_bytes))
        digest = file_hash(source, ReadLimits())
    except (OSError, UnreadableFile) as error:
        raise UploadRejected(f"{shown!r} cannot be read ({getattr(error, 'strerror', None) or error}).") from None
    if reason:
        raise UploadRejected(f"{shown!r} is not what its name says: {reason}.")
    twin = (contents or {}).get(digest)
    if twin is not None:
        raise UploadRejected(f"{shown!r} is already in the corpus as {display_name(twin)}.")
    damaged = unreadable(source, name) if unreadable is not None else None
    if damaged:
        raise UploadRejected(f"{shown!r} cannot be read: {damaged}; nothing was added.")
    taken = _same_name(name, root)
    if taken is not None and not replace:
        return Upload(original, None, f"{display_name(taken)} is already in the corpus, with other content.",
                      conflict=True)
    return _write(source, root, taken or name, original, replacing=taken is not None)


def _write(source: Path, root: Path, name: str, original: str, replacing: bool) -> Upload:
    """Copy `source` to root/name: the bytes to a hidden `.part` file, flushed, then linked under the name
    (never over a file: a name taken meanwhile is a conflict) or, `replacing`, renamed over it."""
    shown = display_name(original)
    try:
        handle, part = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=root)
    except OSError as error:
        raise _not_stored(shown, root, error) from None
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(part, 0o644)
        target = root / name
        if target.parent != root:
            raise UploadRejected(f"{shown!r} would land outside the corpus folder.")
        if replacing:
            os.replace(part, target)  # atomic: a reader sees the old file or the new one
            return Upload(original, name, None, replaced=True)
        try:
            os.link(part, target)
        except FileExistsError:  # the name was taken meanwhile
            return Upload(original, None, f"{display_name(name)} is already in the corpus, with other content.",
                          conflict=True)
        return Upload(original, name, None)
    except OSError as error:
        raise _not_stored(shown, root, error) from None
    finally:
        Path(part).unlink(missing_ok=True)


def _not_stored(original: str, root: Path, error: OSError) -> UploadRejected:
    return UploadRejected(
        f"{original!r} could not be stored in {root} ({error.strerror or error}); nothing was added. "
        "Free some space or fix the folder's permissions, then add it again."
    )


def store_uploads(sources: Sequence[Path], corpus: Path, replace: bool = False,
                  contents: Mapping[str, str] | None = None, names: Sequence[str] | None = None,
                  unreadable: Check | None = None, max_bytes: int = ReadLimits().upload_mb * 2**20) -> list[Upload]:
    """Store every file in `corpus`, in order; one refused file does not stop the others. `names`:
    the names the files were given (an upload's own name; the path's name when None). Two files of the
    same content in one call: the second is refused as already in the corpus. Two whose safe names are
    one ("fire drill.txt", "fire?drill.txt"): the second is refused, even with `replace`, which replaces
    what was there before, never a file of the same call."""
    held = dict(contents or {})
    stored: dict[str, str] = {}  # safe name, case folded -> the original name of the file stored under it
    uploads = []
    for n, source in enumerate(sources):
        original = names[n] if names is not None else source.name
        try:
            name = upload_name(original, source.stat().st_size, max_bytes) if source.is_file() else None
            if name is not None and name.casefold() in stored:
                raise UploadRejected(f"{display_name(original)!r} would be stored as {name}, as "
                                     f"{display_name(stored[name.casefold()])!r} just was; rename it and add it again.")
            upload = store_upload(source, corpus, original, replace, held, unreadable, max_bytes)
        except UploadRejected as error:
            upload = Upload(original, None, str(error))
        if upload.name is not None:
            held[file_hash(corpus / upload.name, ReadLimits())] = upload.name
            stored[upload.name.casefold()] = original
        uploads.append(upload)
    return uploads


def listed_name(name: str, listed: set[str]) -> str:
    """The document of `listed` that `name` stands for: itself, its composed form (macOS pastes "é" as
    "e" and an accent), or, for a file's own name, the safe name `upload_name` stored it under ("Holiday
    Rota (final).md" -> "Holiday_Rota_final.md"); `name` as it is when none is listed."""
    candidates = [name, unicodedata.normalize("NFC", name)]
    if not re.search(r"[\\/]", name):
        with contextlib.suppress(UploadRejected):
            candidates.append(upload_name(name, 1, 1))
    return next((c for c in candidates if c in listed), name)


def remove_documents(names: Sequence[str], corpus: Path) -> list[Removal]:
    """Delete the corpus files `names` (paths inside the corpus, as the documents list shows them), in
    order; a name may be one `listed_name` knows. Only a file the corpus reads, or skips for its format,
    is removed (`list_corpus`): a name outside the corpus, a hidden file, a link or a name of no document
    is refused with the reason, and nothing else is touched."""
    listing = list_corpus(corpus)
    listed = {path.relative_to(corpus).as_posix() for path in listing.files}
    listed |= {s.path for s in listing.skipped if s.reason == format_not_read(s.path)}  # a .csv the user put there
    removals = []
    for given in names:
        name = listed_name(given, listed)
        try:
            path = corpus_path(corpus, name)
        except OutsideCorpus as error:
            removals.append(Removal(name, False, str(error)))
            continue
        if Path(name).as_posix() not in listed or path.is_symlink():
            removals.append(Removal(name, False, f"{display_name(name)!r} is no document of the corpus; "
                                                 "`docqa documents list` shows their names."))
            continue
        try:
            path.unlink()
        except OSError as error:
            removals.append(Removal(name, False, f"{display_name(name)!r} could not be removed ({error.strerror})."))
            continue
        removals.append(Removal(name, True))
    return removals
