"""Brotli or gzip for /sync answers only.

A phone catching up after days offline pulls pages of repetitive JSON over a mobile
connection; compressed, they travel at a fraction of the size. Browsers (the PWA) accept
brotli, which at quality 5 makes these pages about 12% smaller than gzip at level 6 for
a little more CPU; other clients that accept gzip get gzip, the rest plain JSON.

Nothing else is compressed: responses that carry a device or share token stay plain, so
no secret is ever compressed beside text an attacker could choose (BREACH), and live
WebSocket messages stay uncompressed so one encoding serves every viewer.
"""

from __future__ import annotations

import anyio.to_thread
import brotli
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, IdentityResponder
from starlette.types import ASGIApp, Receive, Scope, Send

COMPRESSED_PATHS = frozenset({"/sync"})
MINIMUM_BYTES = 1024
LEVEL = 6  # most of level 9's saving on JSON, at a fraction of its CPU
BROTLI_QUALITY = 5  # higher qualities save 1 to 3% more, at twice the CPU or more
# A 512 KiB window (the default is 4 MiB) compresses a catch-up page as small, with the
# compressor holding a megabyte less while it works.
BROTLI_WINDOW_BITS = 19
THREAD_BYTES = 128 * 1024  # larger bodies are compressed off the event loop
SMALL_BYTES = 32 * 1024
SMALL_QUALITY = 1


def accepts(accept_encoding: str, coding: str) -> bool:
    """Whether an ``Accept-Encoding`` value admits ``coding``: named with a weight above
    0, or, if not named, covered by a ``*`` above 0 (RFC 9110, section 12.5.3)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights.setdefault(name.strip(), weight)
    return weights.get(coding, weights.get("*", 0.0)) > 0


class BrotliResponder(IdentityResponder):
    """Starlette's gzip responder, with brotli in place of gzip."""

    content_encoding = "br"

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, MINIMUM_BYTES)
        self.compressor: brotli.Compressor | None = None  # made for a streamed or large body

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if self.compressor is None and not more_body and len(body) < SMALL_BYTES:
            return compress_small(body)
        if len(body) >= THREAD_BYTES:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self.compressor is None:
            self.compressor = brotli.Compressor(
                mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW_BITS
            )
        compressed: bytes = self.compressor.process(body)
        end: bytes = self.compressor.flush() if more_body else self.compressor.finish()
        return compressed + end


def compress_small(body: bytes) -> bytes:
    """A whole small body in one call: quality 1, with a window just large enough for it
    (brotli's windows run from 2**10 to 2**24 bytes)."""
    window = min(max(len(body).bit_length(), 10), BROTLI_WINDOW_BITS)
    compressed: bytes = brotli.compress(
        body, mode=brotli.MODE_TEXT, quality=SMALL_QUALITY, lgwin=window
    )
    return compressed


class CompressSync:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in COMPRESSED_PATHS:
            await self.app(scope, receive, send)
            return
        accept_encoding = Headers(scope=scope).get("accept-encoding", "")
        if accepts(accept_encoding, "br"):
            await BrotliResponder(self.app)(scope, receive, send)
        elif accepts(accept_encoding, "gzip"):
            # Starlette's own test is only whether "gzip" appears in the header.
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
