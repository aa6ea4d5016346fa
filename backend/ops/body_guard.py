"""Refuse bodies that are too large or not JSON before anything parses them.

Pure ASGI middleware: a ``Content-Length`` over the limit is refused at once, and a body
without one (chunked) is counted as it streams and refused the moment it passes the limit.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import BadRequest, PayloadTooLarge, TouchlineError, UnsupportedMediaType
from backend.http_errors import send_error

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BodyGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        refused = self._refusal({k.lower(): v for k, v in scope["headers"]})
        if refused is not None:
            await send_error(send, refused)
            return

        received = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not too_large:
                await send(message)

        # The framework may catch the error raised from receive() and answer it itself (a
        # 400 "error parsing the body"); once the limit is passed, only the 413 goes out.
        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if too_large:
            await send_error(send, self._too_large())

    def _refusal(self, headers: dict[bytes, bytes]) -> TouchlineError | None:
        """What the headers alone refuse: a length that is no number or over the limit, a
        body that is not JSON."""
        length = headers.get(b"content-length")
        if length is not None and not length.isdigit():
            return BadRequest("Content-Length is not a number", field="body")
        if length is not None and int(length) > self.max_body_bytes:
            return self._too_large()
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        has_body = length != b"0" and (length is not None or b"transfer-encoding" in headers)
        if has_body and content_type != b"application/json":
            return UnsupportedMediaType("send the body as application/json", field="body")
        return None

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the body is larger than {self.max_body_bytes} bytes", field="body")


class _BodyTooLarge(Exception):
    pass
