"""Serving the chat and the API, safely: on 127.0.0.1 unless told otherwise, with credentials for any
other address (the same for the chat's sign-in and the API's HTTP Basic), never a public share link.
The chat (Gradio) is mounted at / and the JSON API (web/api.py) at /api/ of one FastAPI app, run by
uvicorn."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from docqa.embed.onnx_cache import cache_dir
from docqa.engine import Engine, Freshness
from docqa.errors import AuthRequired, BadSettings, ServeFailed
from docqa.settings import ReadLimits, Settings
from docqa.web.api import build_api
from docqa.web.chat import CSS, build_app

log = logging.getLogger("docqa")
# Seconds the server may take to listen before serve gives up (a port in use fails at once).
START_SECONDS = 60.0


# ---- safe serving --------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_credentials(text: str, origin: str) -> list[tuple[str, str]]:
    """'user:password' lines (blank lines and # comments ignored) -> [(user, password), ...]."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon or not user or not password:
            raise BadSettings(f"{origin} must hold user:password (one pair per line).")
        pairs.append((user, password))
    if not pairs:
        raise BadSettings(f"{origin} holds no user:password pair.")
    return pairs


def resolve_auth(
    host: str, no_auth: bool, auth_file: Path | None, auth_env: str | None,
) -> list[tuple[str, str]] | None:
    """The credentials to require, or None for an open server.

    Credentials come from `auth_file`, else from the DOCQA_AUTH value `auth_env`. A loopback host
    needs none; any other host needs some unless `no_auth` is given explicitly.
    """
    if auth_file is not None:
        try:
            return parse_credentials(auth_file.read_text(encoding="utf-8"), f"The auth file {auth_file}")
        except OSError as error:
            raise BadSettings(f"Cannot read the auth file {auth_file}: {error.strerror}.") from error
    if auth_env:
        return parse_credentials(auth_env, "DOCQA_AUTH")
    if is_loopback(host) or no_auth:
        return None
    raise AuthRequired(
        f"Refusing to serve on {host} without credentials: anyone who can reach it could read your "
        "documents. Set DOCQA_AUTH=user:password or pass --auth-file FILE, or pass --no-auth if the "
        "network is trusted."
    )


@dataclass
class Served:
    """A running server: its local URL, and `close` to stop it."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class LoopbackHosts:
    """On a loopback address, answer only requests made to a loopback name: a page elsewhere that points
    its own host name at 127.0.0.1 (DNS rebinding) must not reach the chat, the API or the documents."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            name = urllib.parse.urlsplit(f"//{host}").hostname or ""
            if name not in LOOPBACK_NAMES:
                refusal = "docqa answers on 127.0.0.1, ::1 or localhost only."
                api = scope.get("path", "").startswith("/api/")  # the API's errors are JSON, as everywhere else in it
                response = JSONResponse({"error": refusal}, 421) if api else PlainTextResponse(refusal, status_code=421)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def chat_secret(folder: Path) -> str | None:
    """The key the browser's copy of a conversation is encrypted with, kept in `folder` (docqa's cache)
    so that a conversation outlives a restart of the server; None (a key for this run only) when the
    folder cannot be written."""
    path = folder / "chat-secret"
    try:
        if not path.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(secrets.token_hex(32))
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as error:
        log.warning("Conversations are kept only until the server restarts (cannot keep a key in %s: %s)",
                    folder, error.strerror)
        return None


def launch(app: gr.Blocks, host: str, port: int, auth: list[tuple[str, str]] | None,
           api: FastAPI | None = None, block: bool = False, max_file_mb: int = ReadLimits().upload_mb) -> Served:
    """Serve `app` at / (and `api` at /api/) on host:port; returns once it listens (or, with `block`,
    when it is stopped)."""
    root = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    if is_loopback(host):
        root.add_middleware(LoopbackHosts)
    if api is not None:
        root.mount("/api", api)
    root = gr.mount_gradio_app(
        root, app, path="/", auth=auth,
        auth_message="docqa: sign in with the credentials set by DOCQA_AUTH or --auth-file." if auth else None,
        max_file_size=max_file_mb * 2**20, show_error=False, ssr_mode=False, css=CSS, footer_links=[],
    )
    server = uvicorn.Server(uvicorn.Config(root, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="docqa-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServeFailed(f"{host}:{port}")
        time.sleep(0.05)
    shown = f"[{host}]" if ":" in host else host
    served = Served(f"http://{shown}:{port}/", server, thread)
    if block:
        print(f"docqa: chat at {served.url} (listening on {host}:{port}; API at {served.url}api/, its schema at "
              f"{served.url}api/openapi.json; Ctrl-C to stop)", flush=True)
        try:
            thread.join()
        except KeyboardInterrupt:
            served.close()
            raise
    return served


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, no_auth: bool = False,
          auth_file: Path | None = None) -> int:
    """Check the credentials, build the engine (building a missing index), print the URL and serve
    the chat and the API until interrupted."""
    auth = resolve_auth(host, no_auth, auth_file, os.environ.get("DOCQA_AUTH"))
    if not is_loopback(host) and auth is None:
        print(f"docqa: warning: serving on {host} without credentials (--no-auth).", file=sys.stderr)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    # A stale index answers at once while the new one is built beside it; a missing one is built first.
    engine = Engine(settings, warm=True, freshness=Freshness.BACKGROUND)
    app = build_app(engine, settings, chat_secret(cache_dir()))
    launch(app, host, port, auth, build_api(engine, auth), block=True, max_file_mb=settings.limits.upload_mb)
    return 0
