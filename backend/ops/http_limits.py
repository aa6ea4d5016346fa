"""The HTTP/1.1 protocol ``touchline serve`` reads requests with: uvicorn's httptools one,
with the limits it lacks on what comes before the body.

uvicorn's httptools protocol takes a header block of any size and any number of headers
(httptools gathers each header whole before handing it over, so one 8 MiB header is held
in memory), and waits for the end of a header block forever, from a connection that never
sends one too (slowloris). Here:

- the request line and headers together may hold at most ``MAX_HEADER_BYTES``, and at
  most ``MAX_HEADERS`` headers; past either the answer is ``431`` and the connection is
  closed, while the block is still arriving;
- a header block must be complete within ``HEADER_TIMEOUT_SECONDS`` of the connection
  opening or of the request's first byte (a later request on a kept-alive connection);
  otherwise a started request is answered ``408`` and the connection closed (a silent one
  is just closed, as browsers open connections ahead of need).

A request the parser refuses otherwise gets ``HttpProtocol``'s JSON 400. The body and
what follows are uvicorn's, unchanged (``BodyGuard`` limits the body).
It reaches into uvicorn's implementation by name (``headers``, ``url``, ``transport``,
``send_400_response``), so every end-to-end test runs its requests through it.
"""

from __future__ import annotations

import asyncio

from backend.ops.http_protocol import HttpProtocol

# Node's default, and h11's: ample for a bearer token and a browser's usual headers.
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100
# Time enough for a phone on one bar of signal to send a few hundred bytes.
HEADER_TIMEOUT_SECONDS = 10.0

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class HeaderRefused(Exception):
    """Why a request is refused before its header block is read; ``status`` answers it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class LimitedHttpProtocol(HttpProtocol):
    """The JSON-speaking protocol of ``http_protocol``, with the header limits above."""

    # Per connection, set on the instance once in use.
    _refusal: HeaderRefused | None = None
    # Bytes received, after the chunk it began in, of a header block not yet complete;
    # None between requests.
    _pending: int | None = None
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Only a chunk that continues a header block counts in full: one that starts a
        # block may also hold the end of the previous request (a pipelined body, say).
        # The block's exact size is checked once it is complete.
        continues = self._pending is not None
        super().data_received(data)
        if self._pending is None or not continues or self.transport.is_closing():
            return
        # The parser holds a header it has not finished; refuse before it grows further.
        self._pending += len(data)
        if self._pending > MAX_HEADER_BYTES:
            self._refuse(HeaderRefused(431, "request headers too large"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._pending = 0
        self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_HEADER_BYTES:
            self._stop_parsing(HeaderRefused(431, "request line too long"))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if len(self.headers) > MAX_HEADERS:
            self._stop_parsing(HeaderRefused(431, f"more than {MAX_HEADERS} request headers"))

    def on_headers_complete(self) -> None:
        self._pending = None
        self._stop_header_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEADER_BYTES:
            self._stop_parsing(HeaderRefused(431, "request headers too large"))
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers so when the parser stops, as a refusal above makes it do.
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(self._refusal)

    def _stop_parsing(self, refusal: HeaderRefused) -> None:
        """Raise from a parser callback: the parser stops, and uvicorn's handling of a
        parser error comes to ``send_400_response``, which sends ``refusal`` instead."""
        self._refusal = refusal
        raise refusal

    def _refuse(self, refusal: HeaderRefused) -> None:
        self._refusal = refusal
        self._stop_header_timer()
        self.logger.warning("Request refused: %s.", refusal.message)
        body = refusal.message.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (refusal.status, _REASONS[refusal.status], len(body), body)
        )
        self.transport.close()

    def _start_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._header_timeout)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self._pending is None:
            self.transport.close()  # not one byte of a request: nobody to answer
        else:
            self._refuse(HeaderRefused(408, "request headers not received in time"))
