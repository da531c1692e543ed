"""Suite-wide setup: the ONNX export of the embedding model goes to a folder of this test run."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _export_cache(tmp_path_factory: pytest.TempPathFactory):
    before = os.environ.get("DOCQA_CACHE")
    os.environ["DOCQA_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop("DOCQA_CACHE", None)
    else:
        os.environ["DOCQA_CACHE"] = before
