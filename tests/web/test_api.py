"""The JSON API beside the chat, through a real HTTP client against a running `docqa serve`: its schema,
asking (within chosen documents), the documents (list, add, replace, remove), status and rebuild, and
errors as JSON with what to do, never a traceback."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "nato-relations-with-serbia.txt"
PFP = "When did Serbia join the Partnership for Peace?"
ZOO = "The Belgrade zoo keeps a white lion named Zoran, who arrived from Pretoria in 2011.\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(root: Path, corpus: Path) -> Iterator[str]:
    """`docqa serve` over `corpus` (its index and log in `root`) on a free port, until the block ends:
    the chat's URL."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("DOCQA_AUTH", None)
    log = root / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "docqa.cli", "serve", "--port", str(port), "--corpus",
                                   str(corpus), "--index", str(root / "index")],
                                  stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        started = time.monotonic()
        while "docqa: chat at" not in log.read_text():
            assert server.poll() is None and time.monotonic() - started < 180, log.read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """`docqa serve` over a copy of corpus/: (the API's URL, the corpus folder)."""
    root = tmp_path_factory.mktemp("api")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    with serving(root, root / "corpus") as url:
        yield f"{url}/api", root / "corpus"


def test_the_schema_names_every_route(api):
    url, _ = api
    schema = httpx.get(f"{url}/openapi.json").json()
    assert schema["servers"] == [{"url": "/api"}]  # the paths below are under /api/
    assert {path: sorted(methods) for path, methods in schema["paths"].items()} == {
        "/ask": ["post"], "/documents": ["get", "post"], "/documents/{name}": ["delete"],
        "/status": ["get"], "/rebuild": ["post"], "/pages/{name}": ["get"], "/files/{name}": ["get"]}
    # Errors are {"error": ...} on every route, as the schema says (not FastAPI's {"detail": [...]}).
    assert schema["paths"]["/ask"]["post"]["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}
    assert sorted(schema["components"]["schemas"]) == ["AskRequest", "ErrorBody"]
    assert sorted(schema["paths"]["/documents"]["post"]["responses"]) == [
        "200", "400", "401", "403", "404", "409", "411", "413", "422", "500", "503"]


def test_ask_returns_the_json_of_docqa_ask(api):
    url, corpus = api

    def logged() -> list[str]:
        return [line for line in (corpus.parent / "serve.log").read_text().splitlines() if "question at " in line]

    before = len(logged())
    reply = httpx.post(f"{url}/ask", json={"question": PFP}, timeout=60).json()
    assert (reply["answer"], reply["source"]["document"], reply["source"]["start"], reply["notice"], reply["documents"]) == (
        "December 2006", DOCUMENT, 109, None, [])
    follow = httpx.post(f"{url}/ask", json={"question": "What did it allow?",
                                            "history": ["When did Serbia sign the transit agreement?"]}, timeout=60).json()
    # "it" is the transit agreement of the question before ("... sign a transit agreement for KFOR forces")
    assert (follow["answer"], follow["source"]["start"]) == ("KFOR forces", 7419)
    # one log line per question, as the chat writes
    lines = logged()[before:]
    assert len(lines) == 2 and all(": answered in " in line and line.endswith(f"top source {DOCUMENT}") for line in lines)


def test_errors_are_json_that_say_what_to_do(api):
    url, _ = api
    empty = httpx.post(f"{url}/ask", json={"question": "  "}, timeout=60)
    assert (empty.status_code, empty.json()) == (400, {"error": "The question is empty. Type a question about your documents."})
    unknown = httpx.post(f"{url}/ask", json={"question": PFP, "documents": ["nope.txt"]}, timeout=60)
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("No document 'nope.txt' in the index.")
    malformed = httpx.post(f"{url}/ask", json={"text": PFP})  # not the request's shape
    assert (malformed.status_code, malformed.json()) == (422, {"error": "The request is not of this route's shape "
                                                                       "(body.question: Field required; body.text: Extra inputs "
                                                                       "are not permitted); see /api/openapi.json."})
    # A misspelt field is refused: ignored, "document" would have the question asked of every document.
    misspelt = httpx.post(f"{url}/ask", json={"question": PFP, "document": ["nope.txt"]}, timeout=60)
    assert (misspelt.status_code, misspelt.json()) == (422, {"error": "The request is not of this route's shape "
                                                                       "(body.document: Extra inputs are not permitted); "
                                                                       "see /api/openapi.json."})


def test_documents_are_added_replaced_asked_within_and_removed(api):
    url, corpus = api
    listed = httpx.get(f"{url}/documents").json()
    assert [(d["name"], d["kind"], d["passages"], d["state"]) for d in listed] == [(DOCUMENT, "text", 15, "indexed")]
    added = httpx.post(f"{url}/documents", files=[("files", ("zoo notes.txt", ZOO.encode(), "text/plain")),
                                                  ("files", ("../../evil.txt", b"Evil text.", "text/plain")),
                                                  ("files", ("again.txt", (corpus / DOCUMENT).read_bytes(), "text/plain"))],
                       timeout=120).json()
    assert [(f["file"], f["name"], f["refused"]) for f in added["files"]] == [
        ("zoo notes.txt", "zoo_notes.txt", None), ("../../evil.txt", "evil.txt", None),
        ("again.txt", None, f"'again.txt' is already in the corpus as {DOCUMENT}.")]
    assert added["build"]["added"] == ["evil.txt", "zoo_notes.txt"]
    assert sorted(p.name for p in corpus.iterdir()) == ["evil.txt", DOCUMENT, "zoo_notes.txt"]
    lion = {"question": "What is the name of the white lion?", "documents": ["zoo_notes.txt"]}
    assert httpx.post(f"{url}/ask", json=lion, timeout=60).json()["answer"] == "Zoran"
    conflict = httpx.post(f"{url}/documents", files=[("files", ("zoo_notes.txt", b"The lion is called Leo.", "text/plain"))],
                          timeout=60)
    assert (conflict.status_code, conflict.json()["files"][0]["conflict"], conflict.json()["build"]) == (409, True, None)
    assert conflict.json()["error"] == ("No file was added: zoo_notes.txt is already in the corpus, with other content. "
                                        "Send replace=true to replace it.")
    empty = httpx.post(f"{url}/documents", files=[("files", ("empty.txt", b"", "text/plain"))], timeout=60)
    assert (empty.status_code, empty.json()["build"]) == (400, None)
    assert empty.json()["error"].startswith("No file was added: ")
    maybe = httpx.post(f"{url}/documents", data={"replace": "maybe"},
                       files=[("files", ("zoo_notes.txt", b"The lion is called Leo.", "text/plain"))], timeout=60)
    assert (maybe.status_code, maybe.json()) == (422, {"error": "replace is true or false, not 'maybe'."})
    replaced = httpx.post(f"{url}/documents", data={"replace": "true"},
                          files=[("files", ("zoo_notes.txt", b"The lion is called Leo.", "text/plain"))], timeout=120).json()
    assert (replaced["files"][0]["replaced"], replaced["build"]["changed"]) == (True, ["zoo_notes.txt"])
    removed = httpx.delete(f"{url}/documents/zoo_notes.txt", timeout=120).json()
    assert (removed["removed"], removed["build"]["removed"]) == ("zoo_notes.txt", ["zoo_notes.txt"])
    outside = httpx.delete(f"{url}/documents/..%2F..%2Fetc%2Fpasswd", timeout=60)
    assert outside.status_code == 404 and "is not a file of the corpus" in outside.json()["error"]
    assert httpx.delete(f"{url}/documents/evil.txt", timeout=120).status_code == 200
    status = httpx.get(f"{url}/status").json()
    assert (status["documents"], status["passages"], status["stale"], status["rebuilding"]) == (1, 15, None, None)
    assert httpx.post(f"{url}/rebuild", timeout=120).json()["documents"] == 1


def test_credentials_are_read_as_utf8_and_compared_whole():
    from docqa.web.api import signed_in_as

    def basic(user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    pairs = [("alice", "pässwörd"), ("bob", "secret")]
    assert signed_in_as(basic("alice", "pässwörd"), pairs) and signed_in_as(basic("bob", "secret"), pairs)
    for header in (basic("alice", "secret"), basic("alice", "pässwörd!"), "Basic !!", "Bearer x", None,
                   "Basic " + base64.b64encode(b"alice").decode()):
        assert not signed_in_as(header, pairs)


def test_a_page_of_another_site_may_not_change_the_documents():
    from starlette.requests import Request

    from docqa.web.api import same_origin

    def request(headers: dict[str, str]) -> Request:
        return Request({"type": "http", "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})

    assert same_origin(request({"host": "127.0.0.1:7860"}))  # curl, a script: no page at all
    assert same_origin(request({"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:7860"}))
    assert not same_origin(request({"host": "127.0.0.1:7860", "origin": "http://evil.example"}))
    assert not same_origin(request({"host": "127.0.0.1:7860", "origin": "http://127.0.0.1:8000"}))


def test_a_failed_question_is_logged_once_with_its_traceback(tmp_path, caplog):
    """/api/ask answers 500 with no detail; the log holds the question's line and one traceback, not two."""
    from standins import WordReader
    from starlette.testclient import TestClient

    from docqa.engine import Engine
    from docqa.settings import Settings
    from docqa.web.api import FAILED, build_api

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "zoo.txt").write_text(ZOO, encoding="utf-8")
    engine = Engine(Settings(corpus=tmp_path / "corpus", index=tmp_path / "index"), reader=WordReader("Zoran"))

    def broken(question, history=(), documents=()):
        raise RuntimeError("index exploded")

    engine.ask = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO, logger="docqa"), TestClient(build_api(engine, None)) as client:
        response = client.post("/ask", json={"question": "Who arrived from Pretoria?"})
    assert (response.status_code, response.json()) == (500, FAILED)
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert len(tracebacks) == 1 and ": failed in " in tracebacks[0].getMessage()
    assert tracebacks[0].exc_info[0] is RuntimeError
