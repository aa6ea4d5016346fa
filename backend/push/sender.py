"""Sending alerts: a claim on the log in the database, then delivery off every request path.

Every ``POLL_SECONDS`` the sender looks for subscriptions behind their match's head. In
one short transaction it locks them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so of all
instances exactly one takes each; SQLite serves one process), decides the notices from the
events that changed (:mod:`backend.push.notices`), moves each subscription's ``last_seq``
to the head and records what it announced, and commits. Only then are the notices queued
for delivery: at most once, never twice, so a crash between the commit and the send loses
an alert rather than repeating a goal.

Delivery runs in its own thread, in order, through a bounded queue (a full queue drops the
notice and counts it); each push gets ``SEND_TIMEOUT`` seconds and up to ``ATTEMPTS``
tries with doubling back-off. A push service answering 404 or 410 has forgotten the
browser: its subscription is deleted. Nothing here runs inside ``/sync`` or the live
channel, so a slow or failing push service delays only other alerts.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db.engine import Database
from backend.db.models import (
    Event,
    Match,
    Player,
    PushAnnouncement,
    PushSubscription,
    ShareLink,
    Team,
    utcnow,
)
from backend.push.notices import Choices, EventFact, Notice, Timeline, decide
from backend.sharing.service import viewer_name
from backend.sharing.tokens import ShareTokens

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
PURGE_SECONDS = 60.0
CLAIM_BATCH = 50
QUEUE_SIZE = 1000
SEND_TIMEOUT = 5.0
ATTEMPTS = 3
FIRST_BACKOFF = 0.5
TTL_SECONDS = 600


MatchFacts = tuple[Match, str, list[EventFact], Timeline]


def match_facts(session: Session, match_id: uuid.UUID, names: str) -> MatchFacts:
    """The match, its team's name, every event of it (deleted ones too, players named as
    ``names`` allows) and the running score of the live ones."""
    match = session.get(Match, match_id)
    assert match is not None
    team = session.get(Team, match.team_id)
    assert team is not None
    players = {
        p.id: viewer_name(p, names)  # type: ignore[arg-type]
        for p in session.scalars(select(Player).where(Player.team_id == match.team_id))
    }
    facts = [
        EventFact(
            e.id, e.seq, e.kind, e.side, e.period, e.minute, e.stoppage,
            players.get(e.player_id) if e.player_id else None, e.deleted_at is not None,
        )
        for e in session.scalars(select(Event).where(Event.match_id == match.id))
    ]  # fmt: skip
    return match, team.name, facts, Timeline.of(f for f in facts if not f.deleted)


@dataclass(frozen=True)
class Delivery:
    subscription_id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str
    notice: Notice
    url: str


class PushSender:
    """Start with :meth:`start`; :meth:`stop` ends both threads (queued notices are
    dropped). ``outcomes`` counts notices by ``sent``, ``failed`` and ``dropped``."""

    def __init__(
        self,
        db: Database,
        private_key: str,
        subject: str,
        outcomes: Counter,
        share_tokens: ShareTokens,
    ) -> None:
        # Imported only where push is on: they bring requests, aiohttp and cryptography,
        # some 24 MiB a server without alerts has no use for.
        from py_vapid import Vapid02  # type: ignore[import-untyped]  # noqa: PLC0415
        from pywebpush import WebPusher  # type: ignore[import-untyped]  # noqa: PLC0415

        self._db = db
        self._share_tokens = share_tokens
        self._vapid = Vapid02.from_raw(private_key.encode())
        self._pusher = WebPusher
        self._subject = subject
        self._outcomes = outcomes
        self._queue: queue.Queue[Delivery] = queue.Queue(QUEUE_SIZE)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._claim_loop, name="push-claim", daemon=True),
            threading.Thread(target=self._send_loop, name="push-send", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=SEND_TIMEOUT * 2)

    def _claim_loop(self) -> None:
        next_purge = 0.0
        while not self._stopping.wait(POLL_SECONDS):
            try:
                if time.monotonic() >= next_purge:
                    self.purge()
                    next_purge = time.monotonic() + PURGE_SECONDS
                # One short transaction per batch, so writers in between wait for one only.
                while deliveries := self.claim():
                    for delivery in deliveries:
                        try:
                            self._queue.put_nowait(delivery)
                        except queue.Full:
                            self._outcomes.labels("dropped").inc()
            except Exception:
                log.exception("push: claiming alerts failed; trying again")

    def purge(self) -> int:
        """Delete the subscriptions of links that expired or were revoked (a revocation
        through the API deletes them itself); returns how many."""
        dead = select(ShareLink.id).where(
            ~ShareLink.unexpired(utcnow()) | ShareLink.revoked_at.is_not(None)
        )
        with self._db.write_turn(), self._db.writer() as session:
            deleted = session.scalars(
                delete(PushSubscription)
                .where(PushSubscription.link_id.in_(dead))
                .returning(PushSubscription.id)
            ).all()
            session.commit()
        return len(deleted)

    def claim(self) -> list[Delivery]:
        """Take the subscriptions behind their match's head, decide their notices, advance
        them and commit; the deliveries returned are this instance's alone."""
        with self._db.reader() as reader:
            behind = reader.scalar(
                select(PushSubscription.id)
                .join(Match, Match.id == PushSubscription.match_id)
                .where(PushSubscription.last_seq < Match.head_seq)
                .limit(1)
            )
        if behind is None:
            return []
        deliveries: list[Delivery] = []
        with self._db.write_turn(), self._db.writer() as session:
            claimed = session.scalars(
                select(PushSubscription)
                .join(Match, Match.id == PushSubscription.match_id)
                .where(PushSubscription.last_seq < Match.head_seq)
                .order_by(PushSubscription.id)
                .limit(CLAIM_BATCH)
                .with_for_update(of=PushSubscription, skip_locked=True)
            ).all()
            # Subscribers of one match (and one name policy) share what is read of it.
            read: dict[Any, MatchFacts] = {}
            for subscription in claimed:
                deliveries += self._advance(session, subscription, read)
            session.commit()
        return deliveries

    def _advance(
        self, session: Session, subscription: PushSubscription, read: dict[Any, MatchFacts]
    ) -> list[Delivery]:
        link = session.get(ShareLink, subscription.link_id)
        if link is None or link.revoked_at is not None or link.expired(utcnow()):
            session.delete(subscription)
            return []
        key = (subscription.match_id, link.names)
        if key not in read:
            read[key] = match_facts(session, subscription.match_id, link.names)
        match, team_name, facts, timeline = read[key]
        told = {
            a.event_id: a
            for a in session.scalars(
                select(PushAnnouncement).where(PushAnnouncement.subscription_id == subscription.id)
            )
        }
        notices, updates = decide(
            [f for f in facts if f.seq > subscription.last_seq],
            timeline,
            {event_id: a.body for event_id, a in told.items()},
            Choices(subscription.goals, subscription.breaks, subscription.cards),
            team_name,
            match.opponent,
        )
        for event_id, body in updates.items():
            before = told.get(event_id)
            if body is None and before is not None:
                session.delete(before)
            elif before is not None and body is not None:
                before.body = body
            elif body is not None:
                session.add(
                    PushAnnouncement(subscription_id=subscription.id, event_id=event_id, body=body)
                )
        subscription.last_seq = match.head_seq
        # The payload is encrypted for this browser, which already holds the token: the
        # notification opens the page, and its "Stop alerts" unsubscribes, with it.
        url = f"/watch#{self._share_tokens.issue(link.id)}"
        return [
            Delivery(
                subscription.id, subscription.endpoint, subscription.p256dh,
                subscription.auth, notice, url,
            )
            for notice in notices
        ]  # fmt: skip

    def _send_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delivery = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            self._outcomes.labels(self.send(delivery)).inc()

    def send(self, delivery: Delivery) -> str:
        """Deliver one notice, retrying; ``sent``, or ``failed`` after the last try."""
        payload = json.dumps(
            {
                "title": delivery.notice.title,
                "body": delivery.notice.body,
                "tag": delivery.notice.tag,
                "url": delivery.url,
            }
        )
        info = {
            "endpoint": delivery.endpoint,
            "keys": {"p256dh": delivery.p256dh, "auth": delivery.auth},
        }
        backoff = FIRST_BACKOFF
        for attempt in range(ATTEMPTS):
            try:
                origin = "/".join(delivery.endpoint.split("/")[:3])
                headers = self._vapid.sign({"sub": self._subject, "aud": origin})
                response = self._pusher(info).send(
                    payload, headers, ttl=TTL_SECONDS, timeout=SEND_TIMEOUT
                )
                status = response.status_code
            except Exception as error:
                log.warning("push: delivery failed (%s)", type(error).__name__)
                status = 0
            if 200 <= status < 300:
                return "sent"
            if status in (404, 410):
                self._forget(delivery.subscription_id)
                return "failed"
            if attempt + 1 < ATTEMPTS and self._stopping.wait(backoff):
                break
            backoff *= 2
        return "failed"

    def _forget(self, subscription_id: uuid.UUID) -> None:
        with self._db.write_turn(), self._db.writer() as session:
            session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))
            session.commit()
