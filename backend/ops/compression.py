"""Gzip for /sync answers only.

A phone catching up after days offline pulls pages of repetitive JSON over a mobile
connection; compressed, they travel at a fraction of the size. Nothing else is
compressed: responses that carry a device or share token stay plain, so no secret is
ever compressed beside text an attacker could choose (BREACH), and live WebSocket
messages stay uncompressed so one encoding serves every viewer.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

COMPRESSED_PATHS = frozenset({"/sync"})
MINIMUM_BYTES = 1024
LEVEL = 6  # most of level 9's saving on JSON, at a fraction of its CPU


class CompressSync:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in COMPRESSED_PATHS:
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
