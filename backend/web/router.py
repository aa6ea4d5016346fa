"""The pitch-side web app (``pwa/``), served on the same origin as the API.

Mounted after the API routers, with one route per kind of file and only names that exist
in ``pwa/``: nothing here can shadow an API path or read outside the app's folder. The
service worker is served with the app shell's content hash written into it, so every
change to the app installs a new worker with a fresh cache.
"""

from __future__ import annotations

import hashlib
import html
import re
import sys
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from backend.db.session import database
from backend.errors import Gone, NotFound, Unauthorized
from backend.sharing import preview, service

router = APIRouter(include_in_schema=False)

# The checkout (and an editable install) keeps the app beside the package; `pip install .`
# puts it under the environment's share/ directory (see pyproject's data-files).
CANDIDATES = (
    Path(__file__).resolve().parents[2] / "pwa",
    Path(sys.prefix) / "share" / "touchline" / "pwa",
)
SCRIPT = re.compile(r"[a-z][a-z0-9-]*\.js")
ICON = re.compile(r"[a-z0-9][a-z0-9-]*\.png")
VERSION_MARK = b"__SHELL_VERSION__"
TITLE = re.compile(r"<title>.*?</title>")

PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}
ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@cache
def app_dir() -> Path | None:
    """The folder holding the web app, or None when this installation has none."""
    return next((path for path in CANDIDATES if (path / "index.html").is_file()), None)


def _file(*parts: str) -> Path:
    root = app_dir()
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.is_file():
        raise NotFound("file")
    return path


@router.get("/")
def coach_app() -> FileResponse:
    return FileResponse(_file("index.html"), media_type="text/html", headers=PAGE_HEADERS)


@router.get("/join")
def join_page() -> FileResponse:
    """An invite link (``/join#<token>``) opens the coach's app, which signs up or in and
    then accepts the token from the fragment. no-referrer keeps the address to itself."""
    headers = PAGE_HEADERS | {"Referrer-Policy": "no-referrer"}
    return FileResponse(_file("index.html"), media_type="text/html", headers=headers)


@router.get("/watch")
def watch_page(request: Request, t: str | None = None) -> Response:
    """The share-link page. Its token travels in the fragment; no-referrer keeps the page's
    address out of every request it makes.

    A result link carries its token in the query instead (``/watch?t=<token>``), so that a
    group chat's preview, which runs no script, can show the score: for a token that works,
    the page comes with Open Graph tags (sharing/preview.py). The query never reaches a
    log line (ops/logs.py), and such a page is never stored by a cache."""
    headers = PAGE_HEADERS | {"Referrer-Policy": "no-referrer"}
    found = _preview(request, t) if t else None
    if found is None:
        return FileResponse(_file("watch.html"), media_type="text/html", headers=headers)
    page = _file("watch.html").read_text(encoding="utf-8")
    title = f"<title>{html.escape(found.title)} · Touchline</title>"
    page = TITLE.sub(lambda _: f"{title}\n  {preview.tags(found)}", page, count=1)
    return HTMLResponse(page, headers=headers | {"Cache-Control": "no-store"})


def _preview(request: Request, token: str) -> preview.Preview | None:
    """The preview of the link ``token`` names, or None if it does not work (the page then
    says why, as for any link)."""
    with database(request).reader() as db_session:
        try:
            grant = service.resolve(db_session, request.app.state.share_tokens, token)
        except (Unauthorized, Gone):
            return None
        return preview.preview(db_session, grant)


@router.get("/privacy")
def privacy_page() -> FileResponse:
    """What is stored, who sees what through which link, and how to erase it."""
    return FileResponse(_file("privacy.html"), media_type="text/html", headers=PAGE_HEADERS)


@router.get("/app.css")
def stylesheet() -> FileResponse:
    return FileResponse(_file("app.css"), media_type="text/css", headers=ASSET_HEADERS)


@router.get("/manifest.webmanifest")
def manifest() -> FileResponse:
    return FileResponse(
        _file("manifest.webmanifest"), media_type="application/manifest+json", headers=ASSET_HEADERS
    )


@router.get("/js/{name}")
def script(name: str) -> FileResponse:
    return _script("js", name)


@router.get("/js/screens/{name}")
def screen_script(name: str) -> FileResponse:
    return _script("js", "screens", name)


def _script(*parts: str) -> FileResponse:
    if not SCRIPT.fullmatch(parts[-1]):
        raise NotFound("file")
    return FileResponse(_file(*parts), media_type="text/javascript", headers=ASSET_HEADERS)


@router.get("/icons/{name}")
def icon(name: str) -> FileResponse:
    if not ICON.fullmatch(name):
        raise NotFound("file")
    return FileResponse(_file("icons", name), media_type="image/png", headers=ASSET_HEADERS)


@router.get("/sw.js")
def service_worker() -> Response:
    body = _file("sw.js").read_bytes().replace(VERSION_MARK, shell_version().encode())
    headers = ASSET_HEADERS | {"Service-Worker-Allowed": "/"}
    return Response(body, media_type="text/javascript", headers=headers)


def shell_version() -> str:
    """A hash of every file of the app: it changes whenever any of them does."""
    root = app_dir()
    if root is None:
        raise NotFound("file")
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
