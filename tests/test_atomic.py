"""The one atomic writer: a file is replaced whole or not at all, and a failed write leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from docqa.atomic import replacing, write_text_atomically


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    write_text_atomically(target, "old")
    write_text_atomically(target, "new")
    assert (target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())) == ("new", ["report.json"])


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "vectors.faiss"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with replacing(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("disk full")
    assert (target.read_bytes(), sorted(p.name for p in tmp_path.iterdir())) == (b"old", ["vectors.faiss"])


def test_a_writer_that_needs_a_suffix_gets_it(tmp_path: Path) -> None:
    with replacing(tmp_path / "outputs.npz", suffix=".part.npz") as temporary:
        assert temporary.name.startswith(".outputs.npz.") and temporary.name.endswith(".part.npz")
        temporary.write_bytes(b"x")
    assert (tmp_path / "outputs.npz").read_bytes() == b"x"
