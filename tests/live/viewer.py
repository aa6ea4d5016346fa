"""A live-channel client for tests, speaking the protocol of ``/ws/match/{id}`` over a real
socket. It checks every ``changes`` message against what it already holds: each must start
exactly where the last one ended (``after`` = its last seq) and carry only newer records, so
a gap or a duplicate fails the test where it happens."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

HANDSHAKE_SECONDS = 10.0


def channel_url(base_url: str, match_id: str) -> str:
    return base_url.replace("http://", "ws://", 1) + f"/ws/match/{match_id}"


async def hello(
    base_url: str, match_id: str, token: str, last_seq: int = 0, **connect: Any
) -> tuple[ClientConnection, dict[str, Any]]:
    """Open the channel and say hello. Returns the connection and the server's first answer
    (a welcome); raises ConnectionClosed if the server closed instead."""
    connection = await websockets.connect(
        channel_url(base_url, match_id), open_timeout=HANDSHAKE_SECONDS, **connect
    )
    await connection.send(json.dumps({"type": "hello", "token": token, "last_seq": last_seq}))
    answer = json.loads(await asyncio.wait_for(connection.recv(), HANDSHAKE_SECONDS))
    return connection, answer


async def close_code(connection: ClientConnection, timeout: float = 5.0) -> int | None:
    """Read (and drop) messages until the server closes; the close code it sent."""
    async with asyncio.timeout(timeout):
        try:
            async for _ in connection:
                pass
        except ConnectionClosed:
            pass
    return connection.close_code


async def refusal(base_url: str, match_id: str, token: str, **connect: Any) -> int | None:
    """The close code a hello with ``token`` is answered with (None if it was welcomed)."""
    try:
        connection, _ = await hello(base_url, match_id, token, **connect)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    await connection.close()
    return None


@dataclass(eq=False)
class Viewer:
    match_id: str
    token: str
    last: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    arrived: dict[str, float] = field(default_factory=dict)
    welcomes: list[dict[str, Any]] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    connection: ClientConnection | None = None

    async def open(self, base_url: str, **connect: Any) -> dict[str, Any]:
        """Connect and resume from ``last``; returns the welcome."""
        self.connection, welcome = await hello(
            base_url, self.match_id, self.token, self.last, **connect
        )
        assert welcome["type"] == "welcome", welcome
        if welcome["reset"]:
            self.last = 0
            self.changes.clear()
        self.welcomes.append(welcome)
        return welcome

    def take(self, raw: str | bytes) -> None:
        message = json.loads(raw)
        assert message["type"] == "changes", message
        assert message["after"] == self.last, f"gap: holding {self.last}, got {message['after']}"
        assert message["head"] >= self.last, message
        now = time.monotonic()
        # Records written in one transaction may share a seq (a kick_off and the match it
        # starts), so seqs only never go down within a message.
        newest = self.last + 1
        for change in message["changes"]:
            assert newest <= change["seq"] <= message["head"], (self.last, change, message)
            newest = change["seq"]
            self.changes.append(change)
            if change["type"] == "event":
                self.arrived.setdefault(change["id"], now)
        self.last = message["head"]

    async def read_until(self, head: int, timeout: float = 10.0) -> None:
        """Read on the open connection until everything up to ``head`` is in."""
        assert self.connection is not None
        async with asyncio.timeout(timeout):
            while self.last < head:
                self.take(await self.connection.recv())

    async def follow(self, *base_urls: str) -> None:
        """Watch through the first base URL; whenever the connection ends, resume through
        the next one (staying on the last). Runs until cancelled."""
        for index in range(10_000):
            await self.open(base_urls[min(index, len(base_urls) - 1)])
            assert self.connection is not None
            try:
                async for raw in self.connection:
                    self.take(raw)
            except ConnectionClosed:
                pass
            self.closes.append(self.connection.close_code)

    def events(self) -> list[str]:
        """Ids of the event records received, in the order received."""
        return [c["id"] for c in self.changes if c["type"] == "event"]

    def assert_got_once(self, event_ids: list[str]) -> None:
        """Every one of ``event_ids`` arrived exactly once, in that order, and nothing else."""
        received = self.events()
        repeated = [i for i, n in Counter(received).items() if n > 1]
        assert not repeated, f"received twice: {repeated}"
        assert received == event_ids


async def until_all_reach(
    viewers: list[Viewer], tasks: list[asyncio.Task[None]], head: int, timeout: float = 30.0
) -> None:
    """Wait until every viewer holds ``head``, failing at once if a follow task failed."""
    async with asyncio.timeout(timeout):
        while any(v.last < head for v in viewers):
            for task in tasks:
                if task.done():
                    task.result()
                    raise AssertionError("a viewer stopped following")
            await asyncio.sleep(0.02)


async def stop_watching(viewers: list[Viewer], tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the follow tasks, then close every viewer's connection that is open."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    connections = [v.connection for v in viewers if v.connection is not None]
    await asyncio.gather(*(c.close() for c in connections))


def latency_summary(label: str, viewers: list[Viewer], pushed_at: dict[str, float]) -> str:
    """Push-to-viewer latency (push request sent -> event received), for the test log."""
    samples = sorted(
        1000 * (v.arrived[event_id] - sent)
        for v in viewers
        for event_id, sent in pushed_at.items()
        if event_id in v.arrived
    )
    if not samples:
        return f"{label}: no samples"
    cuts = statistics.quantiles(samples, n=100)
    return (
        f"{label}: {len(samples)} deliveries, p50 {cuts[49]:.1f} ms, p90 {cuts[89]:.1f} ms, "
        f"p99 {cuts[98]:.1f} ms, max {samples[-1]:.1f} ms"
    )
