"""What comes before a request's body is bounded on a real ``touchline serve``: the size of
the header block, the number of headers, and the time it may take to arrive."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from backend.ops.http_limits import HEADER_TIMEOUT_SECONDS, MAX_HEADER_BYTES, MAX_HEADERS
from tests.databases import fresh_database
from tests.e2e.server import Server, running_server
from tests.ops.raw_http import exchange

pytestmark = pytest.mark.e2e

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: touchline.test\r\n"
# Closed within the timeout, give or take a scheduler's delay on a busy machine.
CLOSE_DEADLINE = HEADER_TIMEOUT_SECONDS + 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("limits")
    with (
        fresh_database("sqlite", folder) as url,
        running_server(url, folder / "server.log", migrate=True) as running,
    ):
        yield running


def _still_serving(server: Server) -> None:
    assert exchange(server.base_url, REQUEST + b"Connection: close\r\n\r\n").status == 200


def test_headers_within_the_limits_are_served(server: Server) -> None:
    # A block just under both limits, and a long (but not too long) bearer token.
    filler = [b"X-Filler-%02d: %s\r\n" % (i, b"f" * 100) for i in range(MAX_HEADERS - 10)]
    token = b"Authorization: Bearer " + b"t" * 2000 + b"\r\n"
    request = REQUEST + b"".join(filler) + token + b"Connection: close\r\n\r\n"
    assert len(request) < MAX_HEADER_BYTES
    assert exchange(server.base_url, request).status == 200


@pytest.mark.parametrize("size", [MAX_HEADER_BYTES + 1024, 8 * 1024 * 1024], ids=["17KiB", "8MiB"])
def test_an_oversized_header_is_refused(server: Server, size: int) -> None:
    big = REQUEST + b"X-Big: " + b"b" * size + b"\r\nConnection: close\r\n\r\n"
    refused = exchange(server.base_url, big)
    # A 431, or, while the client is still sending, a closed connection (the reset can
    # overtake the answer); never an answer from the app.
    assert refused.status == 431 or (refused.status is None and not refused.sent_all), refused
    _still_serving(server)


def test_an_oversized_request_line_is_refused(server: Server) -> None:
    line = b"GET /" + b"p" * (MAX_HEADER_BYTES + 10) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    refused = exchange(server.base_url, line)
    assert refused.status == 431 or (refused.status is None and not refused.sent_all), refused


@pytest.mark.parametrize("count", [MAX_HEADERS + 1, 20_000])
def test_too_many_headers_are_refused(server: Server, count: int) -> None:
    headers = b"".join(b"X-H%d: 1\r\n" % i for i in range(count))
    refused = exchange(server.base_url, REQUEST + headers + b"\r\n")
    assert refused.status == 431 or (refused.status is None and not refused.sent_all), refused
    if count == MAX_HEADERS + 1:  # small enough to arrive whole: the answer says why
        assert refused.status == 431 and b"more than" in refused.received
    _still_serving(server)


def test_a_header_block_that_never_ends_is_closed_in_bounded_time(server: Server) -> None:
    def trickle() -> Iterator[bytes]:
        yield REQUEST
        # One header a second, for longer than the deadline: the block never ends.
        for i in range(int(CLOSE_DEADLINE) + 5):
            yield b"X-Slow-%d: 1\r\n" % i
            time.sleep(1)

    slow = exchange(server.base_url, trickle(), deadline=CLOSE_DEADLINE)
    assert slow.status == 408 and not slow.sent_all, slow
    _still_serving(server)


def test_a_silent_connection_is_closed_in_bounded_time(server: Server) -> None:
    silent = exchange(server.base_url, b"", deadline=CLOSE_DEADLINE)
    assert silent.received == b""
