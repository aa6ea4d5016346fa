"""The uvicorn WebSocket adapter: uvicorn's sans-I/O WebSocket protocol, trimmed for a
connection that sits idle for a whole match, and bounded once it is closed.

``touchline serve`` runs every WebSocket connection with :class:`TrimmedWebSocketProtocol`.
It is a serving trick, not part of the live channel's design: the channel
(``router.py``, ``hub.py``) runs the same under any ASGI server.

What it trims. uvicorn's protocol keeps, for the life of every connection, the parsed
handshake request and response (their headers are copied into the ASGI scope and onto
the wire by then), an ``asyncio.Queue`` for the messages the app has yet to receive and
an ``asyncio.Event`` for the transport's flow control: four deques of about 500 bytes
each, for a queue that holds one message at a time and an event nobody waits on while
the socket keeps up. This subclass lets go of the handshake once it is done and swaps in
an :class:`Inbox` and a :class:`Gate` that allocate only while someone waits. Nothing on
the wire changes.

The measurement that justifies it (1,000 idle viewers on a fresh server, SQLite, resident
memory per viewer): uvicorn's sans-I/O protocol as shipped 29 to 33 KiB, this adapter
23 KiB; its legacy ``websockets`` protocol 38 to 39 KiB and ``wsproto`` 26 to 27 KiB. In
the bench, after 200 viewers have come and gone, 20.6 to 20.9 KiB without it and 13 to
16.6 KiB with it, against the bar of 20 KB per idle viewer (``bench/README.md``).

What it bounds. A close frame waits behind what the transport has buffered, and uvicorn's
own close (and its keepalive's 1011) waits for that buffer to drain: for a client that
stopped reading, forever, with the kernel holding megabytes for it. So once the app
closes a connection, or the keepalive gives up on it, the connection has
``CLOSE_TIMEOUT_SECONDS`` to end; then it is aborted with a reset, which frees what the
kernel still buffers for it, and the client sees an abnormal closure (1006) instead of a
close frame.

It reaches into uvicorn's implementation by name (``queue``, ``writable``, the
handshake's request and ``response``), so the uvicorn it needs is the floor of the
dependency, and every live test runs its connections through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

from uvicorn._types import ASGIReceiveEvent, ASGISendEvent
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.http11 import Request

CLOSE_TIMEOUT_SECONDS = 10.0
# SO_LINGER on, with no time to linger: close() resets the connection and drops what the
# kernel has yet to send, rather than sending a FIN after data the client never reads.
RESET_ON_CLOSE = struct.pack("ii", 1, 0)


class Inbox:
    """The messages a connection has received and its app has yet to: what uvicorn asks of
    its ``asyncio.Queue``, for one reader at a time (as ASGI's ``receive`` is called)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[ASGIReceiveEvent] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: ASGIReceiveEvent) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> ASGIReceiveEvent:
        if self._waiter is not None:
            raise RuntimeError("another coroutine is already waiting for this connection")
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class Gate:
    """Open while the transport takes writes: what uvicorn asks of its ``asyncio.Event``,
    with the waiters' list made only when the transport pushes back."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class TrimmedWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Gate()  # type: ignore[assignment]
        self.deadline: asyncio.TimerHandle | None = None

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # Copied into the scope by now; the request itself stays referenced by the
        # handshake parser's frame, so empty it rather than drop it.
        event.headers.clear()

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.close" and self.handshake_complete:
            self.end_within(CLOSE_TIMEOUT_SECONDS)
        await super().send(message)
        if message["type"] == "websocket.accept":
            # Written to the wire: nothing reads the handshake response again.
            self.response.headers.clear()
            self.response.body = b""

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self.end_within(CLOSE_TIMEOUT_SECONDS)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        super().connection_lost(exc)

    def end_within(self, seconds: float) -> None:
        """Abort the connection unless it has ended ``seconds`` from now."""
        if self.deadline is None and not self.disconnected:
            self.deadline = self.loop.call_later(seconds, self.abort)

    def abort(self) -> None:
        """End the connection now, with a reset. A send waiting for the transport to take
        more wakes and fails (the app sees the client gone)."""
        self.deadline = None
        transport_socket = self.transport.get_extra_info("socket")
        if transport_socket is not None:
            with contextlib.suppress(OSError):
                transport_socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
        self.transport.abort()
