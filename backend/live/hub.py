"""The live hub of one server process: per-match channels and their subscribers.

Ordering and gaps. Every message a subscriber gets is ``{"type": "changes", "after": a,
"head": h, "changes": [...]}``: it takes a subscriber holding everything up to sequence
``a`` to everything up to ``h``. The hub reads each batch of changes once from the database
(after a commit notice), encodes it once, and hands the same text to every subscriber
whose position is ``a``. A subscriber at any other position (it just joined, or raced a
broadcast) gets a read of its own from the database. So what a subscriber receives never
depends on what the hub kept in memory.

Sending. The broadcast hands each message straight to the subscriber's connection,
without a queue or a task per subscriber: a connection that can take it (nearly all of
them) has it written before the broadcast moves on. Only a connection whose buffer is
full makes the send wait; the rest of that send then finishes in a task of its own, and
later messages queue behind it. A subscriber with more than ``QUEUE_SIZE`` queued is
closed with 4429 (resume later with your last seq) before it costs memory or delays
anyone else. An idle subscriber is one small object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
import uuid
from collections import deque
from collections.abc import Coroutine, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import WebSocket
from sqlalchemy import select

from backend.db.engine import Database
from backend.db.models import Match, ShareLink, utcnow
from backend.ops.metrics import Metrics
from backend.sync import changes

log = logging.getLogger("touchline.live")

QUEUE_SIZE = 32
READ_LIMIT = 5000
EXPIRY_SWEEP_SECONDS = 10.0
STOP_CLOSE_SECONDS = 2.0

CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_GONE = 4410
CLOSE_TOO_SLOW = 4429


@dataclass(eq=False, slots=True)
class Subscriber:
    websocket: WebSocket
    match_id: uuid.UUID
    last: int
    link_id: uuid.UUID | None = None
    closed: bool = False
    joined: bool = False
    # Only while the connection's buffer is full: the task finishing the send that waits
    # for it, and the messages queued behind that send.
    sending: asyncio.Task[None] | None = None
    queued: deque[str] | None = None


@dataclass(eq=False)
class Channel:
    match_id: uuid.UUID
    head: int
    subscribers: set[Subscriber] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dirty: bool = False
    refreshing: bool = False
    woken_at: float = 0.0


def changes_message(after: int, head: int, payloads: list[str]) -> str:
    return f'{{"type":"changes","after":{after},"head":{head},"changes":[{",".join(payloads)}]}}'


def read_since(db: Database, match_id: uuid.UUID, since: int) -> tuple[list[str], int] | None:
    """The match's changes after ``since`` and the position they reach; None if the match
    is gone. Runs in a worker thread. Coaches and viewers get the same public records:
    coaches have the full ones through /sync."""
    with db.reader() as session:
        match = session.scalars(select(Match).where(Match.id == match_id)).one_or_none()
        if match is None or match.deleted_at is not None:
            return None
        spaces = changes.match_spaces(
            session, [match], {match_id: since}, READ_LIMIT, form=changes.Form.LIVE
        )
    if not spaces:
        return [], max(since, match.head_seq)
    space = spaces[0]
    payloads = [c.payload for c in space.changes]
    head = space.head if space.complete else space.changes[-1].seq
    return payloads, head


class Hub:
    def __init__(self, db: Database, metrics: Metrics | None = None):
        self.db = db
        self.metrics = metrics
        self.channels: dict[uuid.UUID, Channel] = {}
        self.by_link: dict[uuid.UUID, set[Subscriber]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # lifecycle

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._spawn(self._sweep_expired())

    async def stop(self) -> None:
        subscribers = [s for c in self.channels.values() for s in c.subscribers]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self.close_all(subscribers, CLOSE_GOING_AWAY, "server going away; reconnect"),
                STOP_CLOSE_SECONDS,
            )
        for task in self._tasks:
            task.cancel()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # notices

    def deliver_threadsafe(self, notices: list[str]) -> None:
        """For the in-process (SQLite) path: called from the committing thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.dispatch, notices)

    def dispatch(self, notices: list[str]) -> None:
        for notice in notices:
            kind, _, value = notice.partition(":")
            try:
                target = uuid.UUID(hex=value)
            except ValueError:
                log.warning("ignored malformed live notice")
                continue
            if kind == "m":
                self.wake(target)
            elif kind == "r":
                self._spawn(self.revoke(target))

    def wake(self, match_id: uuid.UUID) -> None:
        channel = self.channels.get(match_id)
        if channel is None:
            return
        if channel.refreshing:
            channel.dirty = True
            return
        channel.refreshing = True
        channel.woken_at = time.perf_counter()
        self._spawn(self._refresh(channel))

    def resync(self) -> None:
        """Re-read every channel from the log (after the notice stream was interrupted)."""
        for match_id in list(self.channels):
            self.wake(match_id)

    async def _refresh(self, channel: Channel) -> None:
        try:
            while True:
                channel.dirty = False
                async with channel.lock:
                    read = await anyio.to_thread.run_sync(
                        read_since, self.db, channel.match_id, channel.head
                    )
                    if read is None:
                        self._spawn(
                            self.close_all(
                                list(channel.subscribers), CLOSE_NOT_FOUND, "match deleted"
                            )
                        )
                        return
                    payloads, head = read
                    if head > channel.head:
                        await self._broadcast(channel, channel.head, head, payloads)
                        channel.head = head
                if not channel.dirty:
                    return
        finally:
            channel.refreshing = False

    async def _broadcast(
        self, channel: Channel, after: int, head: int, payloads: list[str]
    ) -> None:
        message = changes_message(after, head, payloads)
        behind = []
        for subscriber in list(channel.subscribers):
            if subscriber.last == after:
                self._offer(subscriber, message, head)
            elif subscriber.last < head:
                behind.append(subscriber)
        for subscriber in behind:
            await self._catch_up(subscriber)
        if self.metrics is not None and channel.woken_at:
            self.metrics.fanout.observe(time.perf_counter() - channel.woken_at)

    def _offer(self, subscriber: Subscriber, message: str, head: int) -> None:
        if subscriber.closed:
            return
        if subscriber.queued is None:
            subscriber.last = head
            self._send_now(subscriber, message)
        elif len(subscriber.queued) < QUEUE_SIZE:
            subscriber.queued.append(message)
            subscriber.last = head
        else:
            self._spawn(self.close(subscriber, CLOSE_TOO_SLOW, "too slow; resume with last_seq"))

    def answer(self, subscriber: Subscriber, message: str) -> None:
        """Send the subscriber a reply to its own message (a pong), in order with its
        changes and under the same queue bound; its position does not move."""
        if subscriber.closed:
            return
        if subscriber.queued is None:
            self._send_now(subscriber, message)
        elif len(subscriber.queued) < QUEUE_SIZE:
            subscriber.queued.append(message)

    def _send_now(self, subscriber: Subscriber, message: str) -> None:
        """Run the send up to its first wait; a send that has to wait (the connection's
        buffer is full) finishes in a task, and what is offered meanwhile queues."""
        send = subscriber.websocket.send_text(message)
        try:
            waiting_for = send.send(None)
        except StopIteration:
            return
        except Exception:
            # Gone: the handler's receive loop sees the disconnect and leaves the hub.
            return
        subscriber.queued = deque()
        subscriber.sending = asyncio.ensure_future(
            self._finish_sending(subscriber, _resume(send, waiting_for))
        )

    async def _finish_sending(
        self, subscriber: Subscriber, waiting: Coroutine[Any, Any, None]
    ) -> None:
        try:
            await waiting
            while subscriber.queued:
                await subscriber.websocket.send_text(subscriber.queued.popleft())
        except Exception:
            return  # gone, as in _send_now
        finally:
            subscriber.sending = None
            subscriber.queued = None

    async def _catch_up(self, subscriber: Subscriber) -> None:
        read = await anyio.to_thread.run_sync(
            read_since, self.db, subscriber.match_id, subscriber.last
        )
        if read is None:
            self._spawn(self.close(subscriber, CLOSE_NOT_FOUND, "match deleted"))
            return
        payloads, head = read
        self._offer(subscriber, changes_message(subscriber.last, head, payloads), head)

    # subscribers

    async def join(self, subscriber: Subscriber, head: int) -> None:
        """Register a subscriber and send it what it missed since ``subscriber.last``."""
        channel = self.channels.get(subscriber.match_id)
        if channel is None:
            channel = self.channels[subscriber.match_id] = Channel(subscriber.match_id, head)
        async with channel.lock:
            channel.subscribers.add(subscriber)
            subscriber.joined = True
            if self.metrics is not None:
                self.metrics.live_connections.inc()
            if subscriber.link_id is not None:
                self.by_link.setdefault(subscriber.link_id, set()).add(subscriber)
            await self._catch_up(subscriber)
        if subscriber.last > channel.head:
            # The subscriber has read past the channel: a commit notice is on its way.
            self.wake(channel.match_id)

    def viewers_of(self, link_id: uuid.UUID) -> int:
        return len(self.by_link.get(link_id, ()))

    async def leave(self, subscriber: Subscriber) -> None:
        subscriber.closed = True
        if subscriber.joined and self.metrics is not None:
            self.metrics.live_connections.dec()
        subscriber.joined = False
        if subscriber.sending is not None:
            subscriber.sending.cancel()
        channel = self.channels.get(subscriber.match_id)
        if channel is not None:
            channel.subscribers.discard(subscriber)
            if not channel.subscribers:
                del self.channels[subscriber.match_id]
        if subscriber.link_id is not None:
            viewers = self.by_link.get(subscriber.link_id, set())
            viewers.discard(subscriber)
            if not viewers:
                self.by_link.pop(subscriber.link_id, None)

    async def close(self, subscriber: Subscriber, code: int, reason: str) -> None:
        """Stop sending to the subscriber at once, then close its connection with ``code``.

        The close frame queues behind what the connection has already buffered, so for a
        client that stopped reading this returns only once it reads again or the keepalive
        ping gives up on it: never await it while holding a channel's lock, and close
        several subscribers with :meth:`close_all`.
        """
        if subscriber.closed:
            return
        await self.leave(subscriber)
        # No timeout: a close frame abandoned while the connection is full would leave a
        # client that catches up connected, and never sent anything again.
        with contextlib.suppress(Exception):
            await subscriber.websocket.close(code=code, reason=reason)

    async def close_all(self, subscribers: Iterable[Subscriber], code: int, reason: str) -> None:
        """Close subscribers concurrently, so a stalled one delays none of the others."""
        await asyncio.gather(*[self.close(s, code, reason) for s in subscribers])

    async def revoke(self, link_id: uuid.UUID) -> None:
        await self.close_all(list(self.by_link.get(link_id, ())), CLOSE_GONE, "link revoked")

    async def _sweep_expired(self) -> None:
        """Close subscribers whose link expired, or was revoked without this process hearing
        of it (revoked from another process on SQLite, or while the listener was down)."""
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
            if not self.by_link:
                continue
            ended = await anyio.to_thread.run_sync(ended_links, self.db, list(self.by_link))
            for link_id in ended:
                ending = list(self.by_link.get(link_id, ()))
                self._spawn(self.close_all(ending, CLOSE_GONE, "link revoked or expired"))


@types.coroutine
def _resume(started: Coroutine[Any, Any, None], waiting_for: Any) -> Generator[Any, None, None]:
    """The rest of ``started``, a coroutine already run by hand up to a suspension that
    yielded ``waiting_for``: awaited in a task, it hands that to the task to wait on, then
    drives ``started`` on exactly as the task would have, cancellation included."""
    yielded = waiting_for
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:
            try:
                yielded = started.throw(exc)
            except StopIteration:
                return
        else:
            try:
                yielded = started.send(sent)
            except StopIteration:
                return


def ended_links(db: Database, link_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Of these share links, the ones revoked, expired or gone."""
    with db.reader() as session:
        live = set(
            session.scalars(
                select(ShareLink.id).where(
                    ShareLink.id.in_(link_ids),
                    ShareLink.revoked_at.is_(None),
                    ShareLink.expires_at > utcnow(),
                )
            )
        )
    return set(link_ids) - live
