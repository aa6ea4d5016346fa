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
anyone else; a client that reads nothing more never takes that close frame, so the
connection's protocol ends it within a bounded time anyway (the uvicorn WebSocket adapter,
``backend/live/uvicorn_websocket.py``). An idle subscriber is one small object.

Reads are paged (``read_limit`` changes at most); a catch-up or a refresh reads page
after page until it reaches the head it found, so a subscriber always ends caught up.

Credentials. Each subscriber came in with a share link or a device; when either is
revoked (notices ``r:<link id>`` and ``d:<device id>``) or a link expires, its subscribers
are closed on every instance. When someone loses a team (notice ``a:<team id>``), each
device subscriber whose account is no longer in its match's team is closed (4403), and
when the team was deleted, its matches' link subscribers too (4410).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import types
import uuid
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import anyio
from fastapi import WebSocket
from sqlalchemy import select

from backend.db import changes
from backend.db.engine import Database
from backend.db.models import Device, Match, Membership, ShareLink, Team, utcnow
from backend.errors import Forbidden, Gone, NotFound, RateLimited, Unauthorized
from backend.metrics import Metrics
from sync_protocol.encoders import Form

log = logging.getLogger("touchline.live")

T = TypeVar("T")

QUEUE_SIZE = 32
READ_LIMIT = 5000
EXPIRY_SWEEP_SECONDS = 10.0
STOP_CLOSE_SECONDS = 2.0

# Not a refusal: the server is stopping, and the viewer should resume elsewhere.
CLOSE_GOING_AWAY = 1001


@dataclass(eq=False, slots=True)
class Subscriber:
    websocket: WebSocket
    match_id: uuid.UUID
    last: int
    link_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
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


class Read(NamedTuple):
    """One page of a match's changes: ``payloads`` take a reader to ``head``, which is the
    match's head when ``complete``, else the last change read (read on from there)."""

    payloads: list[str]
    head: int
    complete: bool


def read_since(
    db: Database, match_id: uuid.UUID, since: int, limit: int = READ_LIMIT
) -> Read | None:
    """The match's changes after ``since``, at most ``limit`` events of them; None if the
    match is gone. Runs in a worker thread. Coaches and viewers get the same public
    records: coaches have the full ones through /sync."""
    with db.reader() as session:
        match = session.scalars(select(Match).where(Match.id == match_id)).one_or_none()
        if match is None or match.deleted_at is not None:
            return None
        spaces = changes.match_spaces(session, [match], {match_id: since}, limit, form=Form.LIVE)
    if not spaces:
        return Read([], max(since, match.head_seq), True)
    space = spaces[0]
    payloads = [c.payload for c in space.changes]
    if space.complete:
        return Read(payloads, space.head, True)
    return Read(payloads, space.changes[-1].seq, False)


class Hub:
    def __init__(
        self, db: Database, metrics: Metrics | None = None, *, read_limit: int = READ_LIMIT
    ):
        self.db = db
        self.metrics = metrics
        self.read_limit = read_limit
        self.channels: dict[uuid.UUID, Channel] = {}
        self.by_link: dict[uuid.UUID, set[Subscriber]] = {}
        self.by_device: dict[uuid.UUID, set[Subscriber]] = {}
        self.per_address: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._reads: set[asyncio.Future[Any]] = set()

    # lifecycle

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._spawn(self._sweep_ended())

    async def stop(self) -> None:
        """Close every subscriber (going away), cancel the hub's tasks and return once none
        of its database reads is still running: the database may be closed next."""
        self._loop = None  # no more notices from committing threads
        subscribers = [s for c in self.channels.values() for s in c.subscribers]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self.close_all(subscribers, CLOSE_GOING_AWAY, "server going away; reconnect"),
                STOP_CLOSE_SECONDS,
            )
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._reads, return_exceptions=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _in_thread(self, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)`` in a worker thread. A thread cannot be stopped, so a task
        cancelled while it runs stops waiting for it but :meth:`stop` still does; a
        cancellation by an AnyIO scope (a WebSocket handler's) waits for it, as
        ``anyio.to_thread`` always does."""
        running = asyncio.ensure_future(anyio.to_thread.run_sync(read, *args))
        self._reads.add(running)
        running.add_done_callback(self._reads.discard)
        with anyio.CancelScope(shield=True):
            result: T = await asyncio.shield(running)
        return result

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
            elif kind == "d":
                self._spawn(self.revoke_device(target))
            elif kind == "a":
                self._spawn(self.close_ended())
            elif kind == "n":
                self._spawn(self.rename(target))

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

    async def _read(self, match_id: uuid.UUID, since: int) -> Read | None:
        return await self._in_thread(read_since, self.db, match_id, since, self.read_limit)

    async def _refresh(self, channel: Channel) -> None:
        try:
            while True:
                channel.dirty = False
                async with channel.lock:
                    read = await self._read(channel.match_id, channel.head)
                    if read is None:
                        self._spawn(
                            self.close_all(
                                list(channel.subscribers), NotFound.close_code, "match deleted"
                            )
                        )
                        return
                    if read.head > channel.head:
                        await self._broadcast(channel, channel.head, read.head, read.payloads)
                        channel.head = read.head
                if read.complete and not channel.dirty:
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
            self._spawn(
                self.close(subscriber, RateLimited.close_code, "too slow; resume with last_seq")
            )

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
        """Offer the subscriber everything from its position to the match's head as it is
        now, a page per message."""
        while not subscriber.closed:
            read = await self._read(subscriber.match_id, subscriber.last)
            if read is None:
                self._spawn(self.close(subscriber, NotFound.close_code, "match deleted"))
                return
            message = changes_message(subscriber.last, read.head, read.payloads)
            self._offer(subscriber, message, read.head)
            if read.complete:
                return

    # subscribers

    async def join(self, subscriber: Subscriber, head: int) -> None:
        """Register a subscriber and send it what it missed since ``subscriber.last``."""
        while True:
            channel = self.channels.get(subscriber.match_id)
            if channel is None:
                channel = self.channels[subscriber.match_id] = Channel(subscriber.match_id, head)
            async with channel.lock:
                # leave() drops a channel as its last subscriber goes, without waiting for
                # the lock: a channel dropped while this waited is one no notice wakes.
                if self.channels.get(subscriber.match_id) is not channel:
                    continue
                channel.subscribers.add(subscriber)
                subscriber.joined = True
                if self.metrics is not None:
                    self.metrics.live_connections.inc()
                index = self._credential_index(subscriber)
                if index is not None:
                    subscribers, key = index
                    subscribers.setdefault(key, set()).add(subscriber)
                await self._catch_up(subscriber)
            break
        if subscriber.last > channel.head:
            # The subscriber has read past the channel: a commit notice is on its way.
            self.wake(channel.match_id)

    def _credential_index(
        self, subscriber: Subscriber
    ) -> tuple[dict[uuid.UUID, set[Subscriber]], uuid.UUID] | None:
        """Where the subscriber is found by the credential it came in with."""
        if subscriber.link_id is not None:
            return self.by_link, subscriber.link_id
        if subscriber.device_id is not None:
            return self.by_device, subscriber.device_id
        return None

    def occupy(self, address: str, limit: int) -> bool:
        """Count one more open connection from ``address``, unless it holds ``limit``
        already (then False, and nothing is counted). Each True needs one :meth:`vacate`
        once the connection ends, whether or not it ever joined."""
        held = self.per_address.get(address, 0)
        if held >= limit:
            return False
        self.per_address[address] = held + 1
        return True

    def vacate(self, address: str) -> None:
        held = self.per_address.pop(address, 1) - 1
        if held > 0:
            self.per_address[address] = held

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
        index = self._credential_index(subscriber)
        if index is not None:
            subscribers, key = index
            others = subscribers.get(key, set())
            others.discard(subscriber)
            if not others:
                subscribers.pop(key, None)

    async def close(self, subscriber: Subscriber, code: int, reason: str) -> None:
        """Stop sending to the subscriber at once, then close its connection with ``code``.

        The close frame queues behind what the connection has already buffered, so for a
        client that stopped reading this waits until the connection ends: within
        ``uvicorn_websocket.CLOSE_TIMEOUT_SECONDS`` under ``touchline serve``, whose protocol
        aborts a connection that has not closed by then. Never await it while holding a channel's
        lock, and close several subscribers with :meth:`close_all`.
        """
        if subscriber.closed:
            return
        await self.leave(subscriber)
        with contextlib.suppress(Exception):
            await subscriber.websocket.close(code=code, reason=reason)

    async def close_all(self, subscribers: Iterable[Subscriber], code: int, reason: str) -> None:
        """Close subscribers concurrently, so a stalled one delays none of the others."""
        await asyncio.gather(*[self.close(s, code, reason) for s in subscribers])

    async def revoke(self, link_id: uuid.UUID) -> None:
        await self.close_all(list(self.by_link.get(link_id, ())), Gone.close_code, "link revoked")

    async def rename(self, match_id: uuid.UUID) -> None:
        """The names sent in the match's welcomes changed: its viewers reconnect (going
        away) and are welcomed with the names as they are now."""
        channel = self.channels.get(match_id)
        if channel is not None:
            await self.close_all(list(channel.subscribers), CLOSE_GOING_AWAY, "names changed")

    async def revoke_device(self, device_id: uuid.UUID) -> None:
        subscribers = list(self.by_device.get(device_id, ()))
        await self.close_all(subscribers, Unauthorized.close_code, "device revoked")

    async def recheck_access(self) -> None:
        """Close the device subscribers whose account is no longer in their match's team."""
        watching = [s for subscribers in self.by_device.values() for s in subscribers]
        if not watching:
            return
        pairs = {(s.device_id, s.match_id) for s in watching if s.device_id is not None}
        allowed = await self._in_thread(still_allowed, self.db, pairs)
        ending = [s for s in watching if (s.device_id, s.match_id) not in allowed]
        await self.close_all(ending, Forbidden.close_code, "no longer in the match's team")

    async def close_ended(self) -> None:
        """Close subscribers whose link expired or was revoked (or its match's team
        deleted), whose device was revoked, or whose account left the match's team."""
        if not self.by_link and not self.by_device:
            return
        links, devices = await self._in_thread(
            ended_credentials, self.db, list(self.by_link), list(self.by_device)
        )
        for link_id in links:
            ending = list(self.by_link.get(link_id, ()))
            self._spawn(self.close_all(ending, Gone.close_code, "link revoked or expired"))
        for device_id in devices:
            self._spawn(self.revoke_device(device_id))
        await self.recheck_access()

    async def _sweep_ended(self) -> None:
        """:meth:`close_ended`, every few seconds: for what this process did not hear of
        (changed from another process on SQLite, or while the listener was down)."""
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
            await self.close_ended()


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


def ended_credentials(
    db: Database, link_ids: list[uuid.UUID], device_ids: list[uuid.UUID]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Of these share links, the ones revoked, expired or gone (or whose match's team was
    deleted); of these devices, the ones revoked or gone."""
    with db.reader() as session:
        live_links = set(
            session.scalars(
                select(ShareLink.id)
                .join(Match, Match.id == ShareLink.match_id)
                .join(Team, Team.id == Match.team_id)
                .where(
                    ShareLink.id.in_(link_ids),
                    ShareLink.revoked_at.is_(None),
                    ShareLink.unexpired(utcnow()),
                    Team.deleted_at.is_(None),
                )
            )
        )
        live_devices = set(
            session.scalars(
                select(Device.id).where(Device.id.in_(device_ids), Device.revoked_at.is_(None))
            )
        )
    return set(link_ids) - live_links, set(device_ids) - live_devices


def still_allowed(
    db: Database, pairs: set[tuple[uuid.UUID, uuid.UUID]]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Of these (device, match) pairs, those whose device's account is still in the
    match's team."""
    with db.reader() as session:
        rows = session.execute(
            select(Device.id, Match.id)
            .join(Membership, Membership.account_id == Device.account_id)
            .join(Match, Match.team_id == Membership.team_id)
            .where(
                Device.id.in_({device for device, _ in pairs}),
                Match.id.in_({match for _, match in pairs}),
            )
        )
        return {(device, match) for device, match in rows} & pairs
