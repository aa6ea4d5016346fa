"""The live channel's handshake and its defences: origins, hellos, tokens, message sizes,
and a viewer that stops reading next to two hundred that keep up."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
import uuid

import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State
from websockets.uri import parse_uri

from tests.live.coach import coach
from tests.live.deployment import Deployment
from tests.live.viewer import (
    HANDSHAKE_SECONDS,
    Viewer,
    channel_url,
    close_code,
    hello,
    latency_summary,
    refusal,
    until_all_reach,
)

pytestmark = pytest.mark.e2e

READERS = 200
PUSHES = 300
# Six events a push, so the stalled viewer's share (~800 kB) overflows what the kernel
# and the transport buffer for it (a few hundred kB) before the match ends.
PUSHED_WITH = ("save", "tackle", "foul", "interception", "goal")


async def _first_message_answer(url: str, first: str | bytes) -> int | None:
    async with websockets.connect(url) as connection:
        await connection.send(first)
        return await close_code(connection)


def test_a_page_from_another_origin_cannot_open_the_channel(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    url = channel_url(server.base_url, team.match_id)

    # The server's own host and port, over another scheme, is another origin.
    same_host_over_tls = server.base_url.replace("http://", "https://", 1)

    async def scenario() -> None:
        for foreign in ("https://evil.example", same_host_over_tls):
            with pytest.raises(InvalidStatus) as refused:
                await websockets.connect(url, origin=websockets.Origin(foreign))
            assert refused.value.response.status_code == 403, foreign
        own = websockets.Origin(server.base_url)
        assert await refusal(server.base_url, team.match_id, token, origin=own) is None

    asyncio.run(scenario())


def test_a_bad_hello_or_token_is_closed_with_its_code(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    stranger = coach(server)
    share_token = team.share()["token"]
    url = channel_url(server.base_url, team.match_id)

    async def scenario() -> None:
        for first in (
            "not json",
            "[]",
            json.dumps({"type": "subscribe", "token": share_token}),
            json.dumps({"type": "hello", "last_seq": 0}),
            json.dumps({"type": "hello", "token": "", "last_seq": 0}),
            json.dumps({"type": "hello", "token": share_token, "last_seq": -1}),
            json.dumps({"type": "hello", "token": share_token, "last_seq": "3"}),
            json.dumps({"type": "hello", "token": share_token, "last_seq": True}),
        ):
            assert await _first_message_answer(url, first) == 4400, first
        hello_text = json.dumps({"type": "hello", "token": share_token, "last_seq": 0})
        assert await _first_message_answer(url, hello_text.encode()) == 4400, "binary hello"
        oversized = json.dumps({"type": "hello", "token": share_token, "pad": "x" * 5000})
        assert await _first_message_answer(url, oversized) == 4413
        assert await _first_message_answer(url, oversized.encode()) == 4413

        base, match_id = server.base_url, team.match_id
        assert await refusal(base, match_id, stranger.token) == 4404
        assert await refusal(base, match_id, secrets.token_urlsafe(32)) == 4401
        assert await refusal(base, match_id, "tld_" + secrets.token_urlsafe(32)) == 4401
        assert await refusal(base, str(uuid.uuid4()), team.token) == 4404

    asyncio.run(scenario())


def test_a_coach_device_follows_its_own_match(served: Deployment) -> None:
    server = served.server
    team = coach(server)

    async def scenario() -> None:
        viewer = Viewer(team.match_id, team.token)
        welcome = await viewer.open(server.base_url)
        assert (welcome["role"], welcome["head"], welcome["reset"]) == ("coach", 1, False)
        assert [p["name"] for p in welcome["players"]] == ["Sam Whitfield"]
        await viewer.read_until(1)
        ids = await asyncio.to_thread(team.push, "kick_off", "goal")
        await viewer.read_until(viewer.last + 1)
        assert viewer.connection is not None
        await viewer.connection.close()
        viewer.assert_got_once(ids)

    asyncio.run(scenario())


def test_the_server_declines_compression(served: Deployment) -> None:
    # Each message is encoded once for all of a match's viewers; per-connection compression
    # would redo work per viewer on the hot path.
    server = served.server
    team = coach(server)

    async def scenario() -> None:
        connection, welcome = await hello(server.base_url, team.match_id, team.token)
        await connection.close()
        assert welcome["type"] == "welcome"
        assert connection.response is not None
        assert "Sec-WebSocket-Extensions" not in connection.response.headers

    asyncio.run(scenario())


def test_an_oversized_message_after_the_welcome_closes_the_channel(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]

    async def scenario() -> None:
        viewer = Viewer(team.match_id, token)
        await viewer.open(server.base_url)
        assert viewer.connection is not None
        await viewer.connection.send("x" * 4096)  # at the limit: ignored
        await viewer.connection.send(json.dumps({"type": "ping", "pad": "x" * 5000}))
        assert await close_code(viewer.connection) == 4413

    asyncio.run(scenario())


async def _stalled(base_url: str, match_id: str, token: str) -> Viewer:
    """A viewer whose client stops reading its socket after the welcome.

    Its socket looks like a phone's on a mobile network (small segments, a small receive
    window), so the kernel buffers between it and the server fill after tens of kilobytes,
    as they would there, rather than after the megabytes loopback allows.
    """
    port = int(base_url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.connect(("127.0.0.1", port))
    connection = await websockets.connect(
        channel_url(base_url, match_id), sock=sock, max_queue=1, ping_interval=None
    )
    await connection.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
    viewer = Viewer(match_id, token, connection=connection)
    viewer.welcomes.append(json.loads(await connection.recv()))
    connection.transport.pause_reading()
    return viewer


async def _slow_one_among_many(served: Deployment) -> None:
    server = served.server
    team = await asyncio.to_thread(coach, server)
    token = (await asyncio.to_thread(team.share))["token"]
    readers = [Viewer(team.match_id, token) for _ in range(READERS)]
    tasks = [asyncio.ensure_future(v.follow(server.base_url)) for v in readers]
    try:
        await until_all_reach(readers, tasks, 1, timeout=30)
        slow = await _stalled(server.base_url, team.match_id, token)
        pushed_at: dict[str, float] = {}
        ids: list[str] = []
        async with asyncio.timeout(60):
            for push in range(PUSHES):
                sent = time.monotonic()
                kinds = ("goal" if push else "kick_off", *PUSHED_WITH)
                pushed = await asyncio.to_thread(team.push, *kinds)
                pushed_at.update(dict.fromkeys(pushed, sent))
                ids += pushed
                # One message per push: let the first reader have it before the next.
                while pushed[-1] not in readers[0].arrived:
                    await asyncio.sleep(0.001)
        head = (await asyncio.to_thread(server.request, "GET", "/api/watch", None, token)).body[
            "head"
        ]
        await until_all_reach(readers, tasks, head, timeout=30)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(v.connection.close() for v in readers if v.connection))

    for reader in readers:
        reader.assert_got_once(ids)
        assert reader.closes == []
    print()
    print(
        latency_summary(
            f"{served.kind}: {READERS} readers beside a stalled one", readers, pushed_at
        )
    )

    # The stalled client wakes up: it finds what was buffered for it, then the end: the
    # 4429 close if it woke within the server's close timeout, else the reset that
    # followed it (no close frame: 1006 to the client).
    assert slow.connection is not None
    slow.connection.transport.resume_reading()
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                slow.take(await slow.connection.recv())
    assert closed.value.rcvd is None or closed.value.rcvd.code == 4429
    assert slow.last < head
    await slow.open(server.base_url)
    await slow.read_until(head)
    await slow.connection.close()
    slow.assert_got_once(ids)


def test_a_viewer_that_stops_reading_is_dropped_and_resumes(served: Deployment) -> None:
    asyncio.run(_slow_one_among_many(served))


TCP_ESTABLISHED = 1


def _tcp_state(sock: socket.socket) -> int:
    """The kernel's state of the connection (``tcpi_state``), read without reading data."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def _never_reading(base_url: str, match_id: str, token: str) -> socket.socket:
    """A client that completes the handshake, says hello, and never reads again, on a
    socket with small segments and a small receive window (as a phone's on a mobile
    network), so the buffers between it and the server fill after tens of kilobytes."""
    port = int(base_url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.settimeout(HANDSHAKE_SECONDS)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    sock.connect(("127.0.0.1", port))
    client = ClientProtocol(parse_uri(channel_url(base_url, match_id)))
    client.send_request(client.connect())
    sock.sendall(b"".join(client.data_to_send()))
    while client.state is State.CONNECTING:
        # The server sends nothing after its 101 before the hello, so this reads only that.
        data = sock.recv(4096)
        assert data, "closed during the handshake"
        client.receive_data(data)
    assert client.handshake_exc is None, client.handshake_exc
    client.send_text(json.dumps({"type": "hello", "token": token, "last_seq": 0}).encode())
    sock.sendall(b"".join(client.data_to_send()))
    return sock


def test_a_client_that_never_reads_again_is_cut_off_in_bounded_time(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    sock = _never_reading(server.base_url, team.match_id, token)
    try:
        ids = team.push("kick_off")
        kinds = ("tackle",) * 50
        # Fill the connection's buffers, then its send queue; then the server has to give
        # up on the client without any help from it.
        for _ in range(400):
            if _tcp_state(sock) != TCP_ESTABLISHED:
                break
            ids += team.push(*kinds)
        deadline = time.monotonic() + 30
        while _tcp_state(sock) == TCP_ESTABLISHED:
            assert time.monotonic() < deadline, "the server still holds the connection open"
            time.sleep(0.1)
    finally:
        sock.close()

    # Dropped, not lost: it resumes and gets everything once.
    async def resume() -> Viewer:
        viewer = Viewer(team.match_id, token)
        await viewer.open(server.base_url)
        head = (await asyncio.to_thread(server.request, "GET", "/api/watch", None, token)).body[
            "head"
        ]
        await viewer.read_until(head, timeout=30)
        assert viewer.connection is not None
        await viewer.connection.close()
        return viewer

    asyncio.run(resume()).assert_got_once(ids)
