"""The hub's sending, against connections that stall on demand: a viewer whose connection
cannot take more delays no one, gets everything in order once it drains, and is closed
with 4429 once it is too far behind."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.live.hub import CLOSE_TOO_SLOW, QUEUE_SIZE, Hub, Subscriber, read_since
from backend.live.publish import match_notice
from tests import factories

SAFETY_SECONDS = 30


class Connection:
    """Stands in for a viewer's WebSocket. It takes each message at once, or, while
    stalled, holds every send until it is resumed, as a full socket buffer does."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self.waiting = 0
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.changed = asyncio.Condition()

    async def send_text(self, text: str) -> None:
        self.waiting += 1
        try:
            await self.flowing.wait()
        finally:
            self.waiting -= 1
            await self._changed()
        self.messages.append(json.loads(text))
        await self._changed()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code
        await self._changed()

    async def _changed(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, done: Any) -> None:
        async with asyncio.timeout(SAFETY_SECONDS), self.changed:
            await self.changed.wait_for(lambda: done(self))


@dataclass
class Scene:
    """A match with a kick-off, a hub of its own, and two viewers caught up to the head
    the hub knows, so that each later commit reaches each of them as one message."""

    client: TestClient
    headers: dict[str, str]
    match_id: uuid.UUID
    hub: Hub
    fast: Connection
    slow: Connection

    async def push(self) -> None:
        """One event committed and announced; returns once the fast viewer has it."""
        factories.event(self.client, self.headers, str(self.match_id), "tackle")
        seen = len(self.fast.messages)
        self.hub.dispatch([match_notice(self.match_id)])
        await self.fast.until(lambda c: len(c.messages) == seen + 1)


@asynccontextmanager
async def _scene(app: FastAPI, client: TestClient) -> AsyncIterator[Scene]:
    headers = factories.coach(client)
    match_id = factories.match(client, headers, factories.team(client, headers))
    factories.event(client, headers, match_id, "kick_off", minute=0)
    hub = Hub(app.state.db)
    hub.start()
    try:
        read = read_since(hub.db, uuid.UUID(match_id), 0)
        assert read is not None
        connections = Connection(), Connection()
        for connection in connections:
            subscriber = Subscriber(websocket=connection, match_id=uuid.UUID(match_id), last=0)  # type: ignore[arg-type]
            await hub.join(subscriber, read[1])
            await connection.until(lambda c: [m["head"] for m in c.messages] == [read[1]])
        yield Scene(client, headers, uuid.UUID(match_id), hub, *connections)
    finally:
        await hub.stop()


def _in_sequence(messages: list[dict[str, Any]]) -> bool:
    return all(m["after"] == previous["head"] for previous, m in itertools.pairwise(messages))


def _with_slow_stalled(
    app: FastAPI, client: TestClient, steps: Callable[[Scene], Awaitable[None]]
) -> None:
    async def scenario() -> None:
        async with _scene(app, client) as scene:
            scene.slow.flowing.clear()
            await steps(scene)

    asyncio.run(scenario())


def test_a_viewer_that_cannot_take_more_delays_no_one_and_catches_up_in_order(
    app: FastAPI, client: TestClient
) -> None:
    async def steps(scene: Scene) -> None:
        fast, slow = scene.fast, scene.slow
        for _ in range(5):
            await scene.push()
        assert len(slow.messages) == 1
        assert slow.waiting == 1  # one send in flight, the rest queued behind it

        slow.flowing.set()
        await slow.until(lambda c: len(c.messages) == 6)
        assert slow.messages == fast.messages
        assert _in_sequence(slow.messages)
        assert slow.closed_with is None

        # Drained, it is sent to directly again.
        await scene.push()
        await slow.until(lambda c: len(c.messages) == 7)
        assert slow.messages == fast.messages

    _with_slow_stalled(app, client, steps)


def test_a_viewer_too_far_behind_is_closed_with_4429_and_sent_nothing_more(
    app: FastAPI, client: TestClient
) -> None:
    async def steps(scene: Scene) -> None:
        fast, slow = scene.fast, scene.slow
        # One send waits, QUEUE_SIZE queue behind it, and the next is one too many.
        for _ in range(QUEUE_SIZE + 2):
            await scene.push()
        await slow.until(lambda c: c.closed_with is not None and c.waiting == 0)
        assert slow.closed_with == CLOSE_TOO_SLOW

        slow.flowing.set()
        await scene.push()
        assert len(slow.messages) == 1
        assert _in_sequence(fast.messages)

    _with_slow_stalled(app, client, steps)
