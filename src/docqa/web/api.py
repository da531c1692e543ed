"""The JSON HTTP API beside the chat, under /api/: a thin FastAPI shell over the same Engine, with its
OpenAPI schema at /api/openapi.json (behind the same credentials).

    POST   /api/ask               {"question", "documents": [...], "history": [...]} -> the `docqa ask --json` shape
    GET    /api/documents         every document (the `docqa documents list --json` shape)
    POST   /api/documents         multipart files (and replace=true) -> what became of each; the index follows
    DELETE /api/documents/{name}  remove one document; the index follows
    GET    /api/status            documents, passages, when built, whether current, whether rebuilding
    POST   /api/rebuild           bring the index up to date -> what the build did
    GET    /api/pages/{name}?start=S&end=E   the page of a PDF holding characters S-E, drawn as PNG with them marked
    GET    /api/files/{name}      the original file, read-only (open a PDF at a page with #page=N)

An answer from a PDF names both in its `view` ({"page", "image", "file"}).

The same credentials as the chat (HTTP Basic with one of its user:password pairs); none on a loopback
address without them, as the chat. A request that changes the corpus is refused when a page of another
site sends it (its Origin is not this server), and the server answers only to its own host names on a
loopback address (server.py), so that no page the user visits meanwhile can use an open API. A DocqaError becomes {"error": message} with status 400 (404 for an
unknown document), never a traceback.
"""

from __future__ import annotations

import base64
import logging
import secrets
import tempfile
import threading
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    HTTPException,
    Query,
    Request,
    Response,
)
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from docqa.engine import Engine
from docqa.errors import BadQuestion, DocqaError, UnknownDocument, UnusableIndex
from docqa.ingest.corpus import corpus_path
from docqa.ingest.formats import read_plain, reader_for
from docqa.pageview import drawable, page_fragment
from docqa.types import Answer
from docqa.web.turns import ask_logged

log = logging.getLogger("docqa")
MAX_REQUEST_FILES = 20
# The body of a 500: what went wrong is in the log, never in the reply.
FAILED = {"error": "Something went wrong; the problem was logged."}


class AskRequest(BaseModel):
    # A misspelt field ("document" for "documents") is refused, not ignored: else every document answers.
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="the question, in plain English")
    documents: list[str] = Field(default_factory=list, description="answer from these documents only (all when empty)")
    history: list[str] = Field(default_factory=list, description="earlier questions of the conversation, oldest first")


class ErrorBody(BaseModel):
    error: str = Field(description="what went wrong and what to do")


# Every route's errors are {"error": ...}: the schema says so instead of FastAPI's {"detail": [...]}.
ERRORS = {code: {"model": ErrorBody, "description": text} for code, text in (
    (400, "a question or file docqa cannot take"), (401, "no or wrong credentials"),
    (403, "a page of another site"), (404, "no such document"), (422, "a request not of the route's shape"),
    (500, "an error, logged"), (503, "the index cannot be read until it is rebuilt (POST /rebuild)"))}
# A form's yes and no, as HTML forms and curl send them.
YES, NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _build_dict(report) -> dict:
    return {"passages": report.passages, "documents": len(report.added) + len(report.changed) + len(report.unchanged),
            "added": list(report.added), "changed": list(report.changed), "removed": list(report.removed),
            "unchanged": list(report.unchanged), "embedded": report.embedded, "seconds": round(report.seconds, 3),
            "skipped": list(report.skipped), "warnings": list(report.warnings)}


def _upload_dict(upload) -> dict:
    return {"file": upload.original, "name": upload.name, "refused": upload.refused, "replaced": upload.replaced,
            "conflict": upload.conflict}


MEDIA = {".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
         ".html": "text/plain; charset=utf-8", ".htm": "text/plain; charset=utf-8",  # shown as text, never run
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".csv": "text/plain; charset=utf-8", ".tsv": "text/plain; charset=utf-8",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".tif": "image/tiff", ".tiff": "image/tiff",
         ".gif": "image/gif", ".bmp": "image/bmp", ".webp": "image/webp"}


def view_of(answer: Answer | None) -> dict | None:
    """How an API client sees an answer from a PDF or an image on its page: the routes of the drawn page
    and of the original file (at that page, for a PDF); None for another format or no answer."""
    if answer is None or answer.page is None or not drawable(answer.document):
        return None
    name = urllib.parse.quote(answer.document)
    return {"page": answer.page, "image": f"/api/pages/{name}?start={answer.start}&end={answer.end}",
            "file": f"/api/files/{name}{page_fragment(answer.document, answer.page)}"}


def signed_in_as(header: str | None, credentials: Sequence[tuple[str, str]]) -> bool:
    """Whether an Authorization header gives one of `credentials` (HTTP Basic; user and password read
    as UTF-8, as the chat's sign-in takes them), compared in constant time."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(colon) and any(secrets.compare_digest(user.encode(), u.encode())
                               & secrets.compare_digest(password.encode(), p.encode()) for u, p in credentials)


def same_origin(request: Request) -> bool:
    """Whether a request that changes the corpus comes from this server's own pages or from no browser
    page at all (curl, a script): a browser names the page's origin, and a page elsewhere (any site the
    user visits meanwhile) must not add, remove or rebuild."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urllib.parse.urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


@dataclass(frozen=True)
class ApiState:
    """What the routes share: the engine, the credentials every request must give (None: an open API),
    and the lock that keeps two changes of the corpus apart."""

    engine: Engine
    credentials: Sequence[tuple[str, str]] | None
    changing: threading.Lock


def state_of(request: Request) -> ApiState:
    return request.app.state.docqa


def signed_in(request: Request) -> None:
    credentials = state_of(request).credentials
    if credentials is not None and not signed_in_as(request.headers.get("authorization"), credentials):
        raise HTTPException(401, "Sign in with the chat's credentials (HTTP Basic).", {"WWW-Authenticate": "Basic"})


def fresh(request: Request) -> None:
    """Switch to an index another process built (`docqa index`), as the chat does before a question."""
    try:
        state_of(request).engine.reload_if_changed()
    except DocqaError as error:
        log.warning("Keeping the current index: %s", error)


def changes(request: Request) -> None:
    signed_in(request)
    if not same_origin(request):
        raise HTTPException(403, "A page of another site may not change the documents.")


READING, CHANGING = [Depends(signed_in), Depends(fresh)], [Depends(changes)]
routes = APIRouter(responses=ERRORS)  # type: ignore[arg-type]


@routes.get("/openapi.json", dependencies=READING, include_in_schema=False)
def schema(request: Request) -> dict:
    return request.app.openapi()


@routes.post("/ask", dependencies=READING, summary="Answer a question from the documents")
def ask(asked: AskRequest, request: Request) -> dict:  # or a JSONResponse, which FastAPI sends as it is
    try:
        reply = ask_logged(state_of(request).engine, asked.question, asked.history, asked.documents)
    except DocqaError:
        raise
    except Exception:  # ask_logged logged it with its traceback; `failed` would log it a second time
        return JSONResponse(FAILED, status_code=500)
    return {**reply.to_dict(), "view": view_of(reply.answer)}


@routes.get("/pages/{name:path}", dependencies=READING, summary="A PDF's page drawn with characters start-end marked",
            response_class=Response, responses={200: {"content": {"image/png": {}}}})
def page(name: str, start: Annotated[int, Query(ge=0)], end: Annotated[int, Query(ge=1)], request: Request) -> Response:
    engine = state_of(request).engine
    view = engine.page_view(engine.answer_at(name, start, end))
    if view is None:
        raise BadQuestion(f"{name} has no pages to draw: only the answers of a PDF or an image are shown on their page.")
    return Response(view.image, media_type="image/png", headers={"X-Page": str(view.page)})


@routes.get("/files/{name:path}", dependencies=READING, summary="The original file of a document, read-only")
def original(name: str, request: Request) -> FileResponse:
    engine = state_of(request).engine
    path = corpus_path(engine.settings.corpus, name)
    names = [d.name for d in engine.documents() if d.state not in ("removed", "skipped")]
    if name not in names or not path.is_file() or path.is_symlink():
        raise UnknownDocument([name], names)
    plain = MEDIA[".txt"] if reader_for(path.name) is read_plain else "application/octet-stream"  # "LICENSE"
    return FileResponse(path, media_type=MEDIA.get(path.suffix.lower(), plain), content_disposition_type="inline")


@routes.get("/documents", dependencies=READING, summary="Every document of the corpus and the index")
def documents(request: Request) -> list[dict]:
    return [d.to_dict() for d in state_of(request).engine.documents()]


@routes.post("/documents", dependencies=CHANGING, summary="Add files to the corpus (and index them)",
             responses={409: {"model": ErrorBody, "description": "every file is in the corpus already, with other content"},
                        411: {"model": ErrorBody, "description": "no Content-Length"},
                        413: {"model": ErrorBody, "description": "over the files or megabytes of a request"}},
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["files"], "properties": {
                     "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                     "replace": {"type": "boolean", "description": "replace documents of the same names"}}}}}}})
async def add(request: Request) -> dict:
    # Bounded before the body is read: the multipart parser would spool any size to disk.
    size, most = request.headers.get("content-length"), state_of(request).engine.settings.limits.upload_mb
    if size is None or not size.isdigit():
        raise HTTPException(411, "Send the files with a Content-Length.")
    if int(size) > MAX_REQUEST_FILES * most * 2**20:
        raise HTTPException(413, f"At most {MAX_REQUEST_FILES} files of {most} MB a request.")
    form = await request.form(max_files=MAX_REQUEST_FILES, max_fields=4)
    files = [f for f in form.getlist("files") if not isinstance(f, str)]
    if not files:
        raise HTTPException(422, "Send one or more files in the multipart field `files`.")
    replace = str(form.get("replace", "false")).strip().lower()
    if replace not in YES + NO:
        raise HTTPException(422, f"replace is true or false, not {replace!r}.")
    added = await run_in_threadpool(_add, state_of(request), files, replace in YES)
    if all(f["name"] is None for f in added["files"]):  # nothing stored: the status says so, beside what became of each
        conflicts = all(f["conflict"] for f in added["files"])
        reasons = "; ".join(f["refused"] + (" Send replace=true to replace it." if f["conflict"] else "")
                            for f in added["files"])
        return JSONResponse({"error": f"No file was added: {reasons}", **added}, status_code=409 if conflicts else 400)  # type: ignore[return-value]
    return added


def _add(state: ApiState, files: list, replace: bool) -> dict:
    """Store the files and rebuild; what became of each, and the build (or why it failed: the files
    are in the corpus then, and the client must know)."""
    engine = state.engine
    with tempfile.TemporaryDirectory(prefix="docqa-api-") as folder, state.changing:
        paths, names = [], []
        for n, upload in enumerate(files):
            path = Path(folder) / f"{n}.upload"
            with path.open("wb") as out:
                out.write(upload.file.read(engine.settings.limits.upload_mb * 2**20 + 1))  # one byte over says so
            paths.append(path)
            names.append(upload.filename or "upload")
        done = engine.add_documents(paths, replace=replace, names=names)
        build, failed = None, None
        if any(u.name is not None for u in done):
            try:
                build = _build_dict(engine.rebuild())
            except DocqaError as error:
                failed = str(error)
    return {"files": [_upload_dict(u) for u in done], "build": build, "build_error": failed}


@routes.delete("/documents/{name:path}", dependencies=CHANGING, summary="Remove a document (and drop it from the index)")
def remove(name: str, request: Request) -> dict:
    state = state_of(request)
    with state.changing:
        done = state.engine.remove_documents([name])[0]
        if not done.removed:
            return JSONResponse({"error": done.refused}, status_code=404)  # type: ignore[return-value]
        return {"removed": name, "build": _build_dict(state.engine.rebuild())}


@routes.get("/status", dependencies=READING, summary="The index and whether it is current")
def status(request: Request) -> dict:
    s = state_of(request).engine.status()
    return {"documents": s.documents, "passages": s.passages, "built_at": s.built_at, "model": s.model,
            "stale": s.stale, "rebuilding": s.rebuilding}


@routes.post("/rebuild", dependencies=CHANGING, summary="Bring the index up to date with the corpus")
def rebuild(request: Request) -> dict:
    state = state_of(request)
    with state.changing:
        return _build_dict(state.engine.rebuild())


async def refused(request: Request, error: DocqaError) -> JSONResponse:
    # A damaged or missing index is the server's state, not the request's fault: 503 until it is rebuilt.
    status = 404 if isinstance(error, UnknownDocument) else 503 if isinstance(error, UnusableIndex) else 400
    return JSONResponse({"error": str(error)}, status_code=status)


async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"error": str(error.detail)}, status_code=error.status_code, headers=error.headers)


async def malformed(request: Request, error: RequestValidationError) -> JSONResponse:
    where = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in error.errors())
    return JSONResponse({"error": f"The request is not of this route's shape ({where}); see /api/openapi.json."},
                        status_code=422)


async def failed(request: Request, error: Exception) -> JSONResponse:
    log.error("API request %s failed", request.url.path, exc_info=error)
    return JSONResponse(FAILED, status_code=500)


def build_api(engine: Engine, credentials: Sequence[tuple[str, str]] | None) -> FastAPI:
    """The API app over `engine`; `credentials`: the user:password pairs one of which every request
    must give (HTTP Basic), or None for an open API (loopback only, as `serve` decides). Requests that
    change the corpus must also come from no other site's page (`same_origin`)."""
    # Mounted at /api/: the schema says so (`servers`), so that a client made from it calls /api/ask, not /ask.
    api = FastAPI(title="docqa", version="1", description="Ask questions about the documents; manage them.",
                  docs_url=None, openapi_url=None, redoc_url=None, servers=[{"url": "/api"}])
    api.state.docqa = ApiState(engine, credentials, threading.Lock())
    api.include_router(routes)
    for kind, handler in ((DocqaError, refused), (StarletteHTTPException, http_error),
                          (RequestValidationError, malformed), (Exception, failed)):
        api.add_exception_handler(kind, handler)  # type: ignore[arg-type]
    return api
