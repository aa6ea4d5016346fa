"""Raw bytes to a real server, for what an HTTP client library would refuse to send."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Exchange:
    received: bytes
    sent_all: bool  # False when the server closed the connection before all was sent
    seconds: float  # from connecting to the server's close

    @property
    def status(self) -> int | None:
        """The status of the first response, or None if nothing came back."""
        head = self.received.split(b"\r\n", 1)[0].split()
        return int(head[1]) if len(head) > 1 and head[0].startswith(b"HTTP/") else None


def exchange(base_url: str, data: bytes | Iterable[bytes], deadline: float = 10.0) -> Exchange:
    """Send ``data`` (or each piece of it in turn) on a fresh connection, then read until
    the server closes it. Raises TimeoutError if it is still open after ``deadline``."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    started = time.monotonic()
    give_up = started + deadline
    pieces = [data] if isinstance(data, bytes) else data
    with socket.create_connection((host, int(port)), timeout=deadline) as connection:
        sent_all = True
        try:
            for piece in pieces:
                connection.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            sent_all = False
        received = b""
        while chunk := _receive(connection, give_up):
            received += chunk
        return Exchange(received, sent_all, time.monotonic() - started)


def _receive(connection: socket.socket, give_up: float) -> bytes:
    left = give_up - time.monotonic()
    if left <= 0:
        raise TimeoutError("the server kept the connection open past the deadline")
    connection.settimeout(left)
    try:
        return connection.recv(65536)
    except ConnectionResetError:
        return b""
    except TimeoutError:
        raise TimeoutError("the server kept the connection open past the deadline") from None
