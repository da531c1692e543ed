"""The JSON HTTP API beside the chat, under /api/: a thin FastAPI shell over the same Engine, with its
OpenAPI schema at /api/openapi.json and its pages at /api/docs.

    POST   /api/ask               {"question", "documents": [...], "history": [...]} -> the `docqa ask --json` shape
    GET    /api/documents         every document (the `docqa documents list --json` shape)
    POST   /api/documents         multipart files (and replace=true) -> what became of each; the index follows
    DELETE /api/documents/{name}  remove one document; the index follows
    GET    /api/status            documents, passages, when built, whether current, whether rebuilding
    POST   /api/rebuild           bring the index up to date -> what the build did

The same credentials as the chat (HTTP Basic with one of its user:password pairs); none on a loopback
address without them, as the chat. A DocqaError becomes {"error": message} with status 400 (404 for an
unknown document), never a traceback.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from docqa.engine import Engine
from docqa.errors import DocqaError, UnknownDocument
from docqa.ingest.uploads import MAX_UPLOAD_BYTES

log = logging.getLogger("docqa")
# A request without credentials reaches `signed_in`, which refuses it unless the API is open.
BASIC = HTTPBasic(auto_error=False)


class AskRequest(BaseModel):
    question: str = Field(description="the question, in plain English")
    documents: list[str] = Field(default_factory=list, description="answer from these documents only (all when empty)")
    history: list[str] = Field(default_factory=list, description="earlier questions of the conversation, oldest first")


def _build_dict(report) -> dict:
    return {"passages": report.passages, "documents": len(report.added) + len(report.changed) + len(report.unchanged),
            "added": list(report.added), "changed": list(report.changed), "removed": list(report.removed),
            "unchanged": list(report.unchanged), "embedded": report.embedded, "seconds": round(report.seconds, 3),
            "skipped": list(report.skipped), "warnings": list(report.warnings)}


def _upload_dict(upload) -> dict:
    return {"file": upload.original, "name": upload.name, "refused": upload.refused, "replaced": upload.replaced,
            "conflict": upload.conflict}


def build_api(engine: Engine, credentials: Sequence[tuple[str, str]] | None) -> FastAPI:
    """The API app over `engine`; `credentials`: the user:password pairs one of which every request
    must give (HTTP Basic), or None for an open API (loopback only, as `serve` decides)."""
    api = FastAPI(title="docqa", version="1", description="Ask questions about the documents; manage them.",
                  docs_url="/docs", openapi_url="/openapi.json", redoc_url=None)
    changing = threading.Lock()

    def signed_in(given: Annotated[HTTPBasicCredentials | None, Depends(BASIC)]) -> None:
        if credentials is None:
            return
        if given is not None and any(
                secrets.compare_digest(given.username.encode(), user.encode())
                and secrets.compare_digest(given.password.encode(), password.encode()) for user, password in credentials):
            return
        raise HTTPException(401, "Sign in with the chat's credentials (HTTP Basic).", {"WWW-Authenticate": "Basic"})

    @api.exception_handler(DocqaError)
    async def refused(request: Request, error: DocqaError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=404 if isinstance(error, UnknownDocument) else 400)

    @api.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        log.error("API request %s failed", request.url.path, exc_info=error)
        return JSONResponse({"error": "Something went wrong; the problem was logged."}, status_code=500)

    guarded = [Depends(signed_in)]

    @api.post("/ask", dependencies=guarded, summary="Answer a question from the documents")
    def ask(request: AskRequest) -> dict:
        return engine.ask(request.question, history=request.history, documents=request.documents).to_dict()

    @api.get("/documents", dependencies=guarded, summary="Every document of the corpus and the index")
    def documents() -> list[dict]:
        return [d.to_dict() for d in engine.documents()]

    @api.post("/documents", dependencies=guarded, summary="Add files to the corpus (and index them)")
    def add(files: Annotated[list[UploadFile], File(description="the files to add")],
            replace: Annotated[bool, Form(description="replace documents of the same names")] = False) -> dict:
        with tempfile.TemporaryDirectory(prefix="docqa-api-") as folder, changing:
            paths, names = [], []
            for n, upload in enumerate(files):
                path = Path(folder) / f"{n}.upload"
                with path.open("wb") as out:
                    out.write(upload.file.read(MAX_UPLOAD_BYTES + 1))  # one byte past the limit says it is over
                paths.append(path)
                names.append(upload.filename or "upload")
            done = engine.add_documents(paths, replace=replace, names=names)
            build = _build_dict(engine.rebuild()) if any(u.name is not None for u in done) else None
        return {"files": [_upload_dict(u) for u in done], "build": build}

    @api.delete("/documents/{name:path}", dependencies=guarded, summary="Remove a document (and drop it from the index)")
    def remove(name: str) -> dict:
        with changing:
            done = engine.remove_documents([name])[0]
            if not done.removed:
                return JSONResponse({"error": done.refused}, status_code=404)  # type: ignore[return-value]
            return {"removed": name, "build": _build_dict(engine.rebuild())}

    @api.get("/status", dependencies=guarded, summary="The index and whether it is current")
    def status() -> dict:
        s = engine.status()
        return {"documents": s.documents, "passages": s.passages, "built_at": s.built_at, "model": s.model,
                "stale": s.stale, "rebuilding": s.rebuilding}

    @api.post("/rebuild", dependencies=guarded, summary="Bring the index up to date with the corpus")
    def rebuild() -> dict:
        with changing:
            return _build_dict(engine.rebuild())

    return api
