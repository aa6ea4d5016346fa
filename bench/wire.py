"""Loopback clients that count every byte they send and receive.

A minimal HTTP/1.1 keep-alive client (Content-Length and chunked bodies, and a line
stream for CouchDB's continuous ``_changes`` feed), and a ``websockets`` client connection
that counts the raw bytes it reads off the socket, compressed frames and headers included.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import brotli
from websockets.asyncio.client import ClientConnection, connect

HEADER_LIMIT = 64 * 1024
IDLE_SECONDS = 2.0


class HttpError(Exception):
    def __init__(self, status: int, body: bytes):
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body


def decoded(payload: bytes, encoding: str) -> bytes:
    """A response body as sent before its ``Content-Encoding``."""
    coding = encoding.strip().lower()
    if coding == "gzip":
        return gzip.decompress(payload)
    if coding == "br":
        return bytes(brotli.decompress(payload))
    if coding == "deflate":
        return zlib.decompress(payload)
    if coding not in {"", "identity"}:
        raise ValueError(f"unexpected Content-Encoding {encoding!r}")
    return payload


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status and lower-cased headers of a response head (status line and headers,
    without the blank line)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"not an HTTP response: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


class Http:
    """One keep-alive connection to ``base_url``; requests on it run one at a time."""

    def __init__(self, base_url: str, token: str | None = None):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.token = token
        self.sent = 0
        self.received = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0.0

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._writer is not None and time.monotonic() - self._used > IDLE_SECONDS:
            # Servers drop idle keep-alive connections (uvicorn after 5 s): never send on
            # one that may be closing under us.
            await self.close()
        self._used = time.monotonic()
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, limit=HEADER_LIMIT * 16
            )
        assert self._reader is not None
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None

    def _request_bytes(
        self, method: str, path: str, body: bytes | None, token: str | None, gzip_ok: bool
    ) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if gzip_ok:
            # What Chrome and Safari send; bytes are counted as they travel.
            lines.append("Accept-Encoding: gzip, deflate, br")
        token = token if token is not None else self.token
        if token:
            lines.append(f"Authorization: Bearer {token}")
        lines.append("Accept: application/json")
        if body is not None:
            lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes | None,
        token: str | None,
        gzip_ok: bool = False,
    ) -> tuple[asyncio.StreamReader, int, dict[str, str]]:
        reader, writer = await self._connect()
        data = self._request_bytes(method, path, body, token, gzip_ok)
        writer.write(data)
        self.sent += len(data)
        head = await reader.readuntil(b"\r\n\r\n")
        self.received += len(head)
        status, headers = parse_head(head[:-4])
        return reader, status, headers

    async def raw(
        self, method: str, path: str, body: bytes | None = None, token: str | None = None
    ) -> tuple[int, bytes]:
        """Send one request and read the whole response: its status and body."""
        reader, status, headers = await self._send(method, path, body, token, gzip_ok=True)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = [chunk async for chunk in self._chunks(reader)]
            payload = b"".join(chunks)
        else:
            length = int(headers.get("content-length", "0"))
            payload = await reader.readexactly(length)
            self.received += length
        self._used = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, decoded(payload, headers.get("content-encoding", ""))

    async def json(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        expect: tuple[int, ...] = (200, 201),
        retries: int = 0,
    ) -> Any:
        """Send ``body`` as JSON and return the decoded answer; :class:`HttpError` unless
        the status is in ``expect``. A 503 is retried ``retries`` times, a second apart."""
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        status, payload = await self.raw(method, path, data, token)
        while status == 503 and retries > 0:
            retries -= 1
            await asyncio.sleep(1.0)
            status, payload = await self.raw(method, path, data, token)
        if status not in expect:
            raise HttpError(status, payload)
        return json.loads(payload) if payload else None

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            self.received += len(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            data = await reader.readexactly(size + 2)
            self.received += size + 2
            if size == 0:
                return
            yield data[:-2]

    async def stream_lines(self, path: str, token: str | None = None) -> AsyncIterator[bytes]:
        """GET ``path`` and yield the body's lines as they arrive (a continuous feed).
        The connection is closed when the caller stops iterating."""
        reader, status, headers = await self._send("GET", path, None, token)
        if status != 200:
            raise HttpError(status, b"")
        buffer = b""
        try:
            chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            source = self._chunks(reader) if chunked else _plain(reader, self)
            async for chunk in source:
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    yield line
        finally:
            await self.close()


async def _plain(reader: asyncio.StreamReader, http: Http) -> AsyncIterator[bytes]:
    while True:
        data = await reader.read(65536)
        if not data:
            return
        http.received += len(data)
        yield data


class CountingConnection(ClientConnection):
    """A websockets client connection that counts the raw bytes it receives (handshake,
    frame headers and compressed payloads)."""

    received_bytes = 0

    def data_received(self, data: bytes) -> None:
        self.received_bytes += len(data)
        super().data_received(data)


def open_websocket(url: str, **kwargs: Any) -> Any:
    """``websockets.connect`` with byte counting; the connection has ``received_bytes``."""
    return connect(
        url,
        create_connection=CountingConnection,
        open_timeout=60,
        ping_interval=None,
        max_size=2**24,
        **kwargs,
    )
