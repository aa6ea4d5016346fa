"""The hub's sending, against connections that stall on demand: a viewer whose connection
cannot take more delays no one, gets everything in order once it drains, and is closed
with 4429 once it is too far behind."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection as SqlConnection
from sqlalchemy import event

from backend.errors import RateLimited
from backend.live.hub import QUEUE_SIZE, Hub, Subscriber, read_since
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
        assert slow.closed_with == RateLimited.close_code == 4429

        slow.flowing.set()
        await scene.push()
        assert len(slow.messages) == 1
        assert _in_sequence(fast.messages)

    _with_slow_stalled(app, client, steps)


RACES = 25


def test_a_viewer_joining_as_the_last_other_one_leaves_hears_every_later_change(
    app: FastAPI, client: TestClient
) -> None:
    """The one viewer of a match leaves while another's join waits for the channel's lock
    (held here as a refresh reading the database holds it): the joiner must end up in the
    channel that commit notices wake, not in the one the leaver emptied."""

    async def scenario() -> None:
        headers = factories.coach(client)
        match_id = factories.match(client, headers, factories.team(client, headers))
        match = uuid.UUID(match_id)
        factories.event(client, headers, match_id, "kick_off", minute=0)
        hub = Hub(app.state.db)
        hub.start()
        try:
            for attempt in range(RACES):
                read = read_since(hub.db, match, 0)
                assert read is not None
                leaving = Subscriber(websocket=Connection(), match_id=match, last=read.head)  # type: ignore[arg-type]
                await hub.join(leaving, read.head)
                joiner = Connection()
                subscriber = Subscriber(websocket=joiner, match_id=match, last=read.head)  # type: ignore[arg-type]
                # Even attempts force the worst order; odd ones let the leave land after a
                # varying number of the loop's turns into the join.
                if attempt % 2 == 0:
                    async with hub.channels[match].lock:
                        joining = asyncio.ensure_future(hub.join(subscriber, read.head))
                        await asyncio.sleep(0)
                        assert not joining.done()
                        await hub.leave(leaving)
                else:
                    joining = asyncio.ensure_future(hub.join(subscriber, read.head))
                    for _ in range(attempt // 2):
                        await asyncio.sleep(0)
                    await hub.leave(leaving)
                await joining
                assert hub.channels[match].subscribers == {subscriber}, attempt

                factories.event(client, headers, match_id, "tackle")
                hub.dispatch([match_notice(match)])
                # Its catch-up, then the change.
                await joiner.until(lambda c: len(c.messages) == 2)
                assert joiner.messages[-1]["head"] > read.head
                assert _in_sequence(joiner.messages)
                await hub.leave(subscriber)
        finally:
            await hub.stop()

    asyncio.run(scenario())


def test_a_catch_up_and_a_refresh_read_page_after_page_to_the_head(
    app: FastAPI, client: TestClient
) -> None:
    async def scenario() -> None:
        headers = factories.coach(client)
        match_id = factories.match(client, headers, factories.team(client, headers))
        match = uuid.UUID(match_id)
        factories.event(client, headers, match_id, "kick_off", minute=0)
        for minute in range(1, 8):
            factories.event(client, headers, match_id, "tackle", minute=minute)
        hub = Hub(app.state.db, read_limit=3)
        hub.start()
        try:
            first = read_since(hub.db, match, 0, limit=3)
            assert first is not None and not first.complete
            whole = read_since(hub.db, match, 0)
            assert whole is not None and whole.complete
            viewer = Connection()
            await hub.join(Subscriber(websocket=viewer, match_id=match, last=0), first.head)  # type: ignore[arg-type]
            await viewer.until(lambda c: c.messages and c.messages[-1]["head"] == whole.head)
            assert len(viewer.messages) > 2
            assert _in_sequence(viewer.messages)
            assert [c["seq"] for m in viewer.messages for c in m["changes"]] == [
                json.loads(p)["seq"] for p in whole.payloads
            ]

            for minute in range(10, 17):
                factories.event(client, headers, match_id, "save", minute=minute)
            now = read_since(hub.db, match, 0)
            assert now is not None
            hub.dispatch([match_notice(match)])
            await viewer.until(lambda c: c.messages[-1]["head"] == now.head)
            assert _in_sequence(viewer.messages)
        finally:
            await hub.stop()

    asyncio.run(scenario())


def test_stopping_waits_for_a_read_still_running_in_its_thread(
    app: FastAPI, client: TestClient, connection: SqlConnection
) -> None:
    """A thread cannot be stopped: a refresh cancelled while its read runs must still
    hold the hub's stop until that read is done, or the read would go on against a
    database being closed (here, against the next test's pooled connection)."""
    holding, release = threading.Event(), threading.Event()
    running: list[str] = []

    def hold(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            running.append(statement)
            holding.set()
            release.wait(SAFETY_SECONDS)

    def done(*_: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            running.pop()

    async def scenario() -> None:
        async with _scene(app, client) as scene:
            factories.event(client, scene.headers, str(scene.match_id), "tackle")
            event.listen(connection, "before_cursor_execute", hold)
            event.listen(connection, "after_cursor_execute", done)
            try:
                scene.hub.dispatch([match_notice(scene.match_id)])
                assert await asyncio.to_thread(holding.wait, SAFETY_SECONDS)
                stopping = asyncio.ensure_future(scene.hub.stop())
                for _ in range(100):
                    await asyncio.sleep(0)
                assert not stopping.done(), "stop returned while a read was running"
                release.set()
                async with asyncio.timeout(SAFETY_SECONDS):
                    await stopping
                assert running == []
            finally:
                release.set()
                event.remove(connection, "before_cursor_execute", hold)
                event.remove(connection, "after_cursor_execute", done)

    asyncio.run(scenario())
