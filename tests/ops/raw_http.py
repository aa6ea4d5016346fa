"""Raw bytes to a real server, for what an HTTP client library would refuse to send."""

from __future__ import annotations

import socket
import time


def exchange(base_url: str, data: bytes, deadline: float = 10.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it; raises
    TimeoutError if it is still open after ``deadline`` seconds."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    give_up = time.monotonic() + deadline
    with socket.create_connection((host, int(port)), timeout=deadline) as connection:
        connection.sendall(data)
        received = b""
        while chunk := _receive(connection, give_up):
            received += chunk
        return received


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
