"""Announce committed changes to the live channels, from inside the write path.

Installed on the writer sessions, it notes every match a transaction changed, and what
the transaction's writer announced itself (a share link or a device it revoked, through
:func:`link_revoked` and :func:`device_revoked`), and sends them exactly when the
transaction commits:

- on PostgreSQL with ``NOTIFY touchline_live`` inside the transaction, which PostgreSQL
  delivers on commit (and never on rollback) to every server instance listening;
- on SQLite, in process, right after the commit returns.

A notice is only a pointer (``m:<match id>``, ``r:<share link id>`` or ``d:<device id>``);
listeners read the changes themselves from the database, so nothing a viewer sees lives
only in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from backend.db.models import Match

CHANNEL = "touchline_live"
TOUCHED_KEY = "live_touched_matches"
ANNOUNCED_KEY = "live_announced_notices"
PENDING_KEY = "live_pending_notices"

Deliver = Callable[[list[str]], None]


def match_notice(match_id: uuid.UUID) -> str:
    return f"m:{match_id.hex}"


def revoke_notice(link_id: uuid.UUID) -> str:
    return f"r:{link_id.hex}"


def device_revoke_notice(device_id: uuid.UUID) -> str:
    return f"d:{device_id.hex}"


def link_revoked(session: Session, link_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that the share link is revoked: whoever
    watches through it is disconnected (4410) on every instance."""
    session.info.setdefault(ANNOUNCED_KEY, set()).add(revoke_notice(link_id))


def device_revoked(session: Session, device_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that the device is revoked: its live
    connections are closed (4401) on every instance."""
    session.info.setdefault(ANNOUNCED_KEY, set()).add(device_revoke_notice(device_id))


def _collect(session: Session, _flush_context: Any) -> None:
    touched = session.info.setdefault(TOUCHED_KEY, set())
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, Match):
            touched.add(obj.id)


def _take_notices(session: Session) -> list[str]:
    session.flush()
    touched = session.info.pop(TOUCHED_KEY, set())
    announced = session.info.pop(ANNOUNCED_KEY, set())
    return [match_notice(m) for m in sorted(touched)] + sorted(announced)


def install(factory: sessionmaker[Session], dialect: str, deliver_local: Deliver) -> None:
    """Make every transaction from ``factory`` announce what it changed when it commits."""
    event.listen(factory, "after_flush", _collect)

    if dialect == "postgresql":

        @event.listens_for(factory, "before_commit")
        def _notify(session: Session) -> None:
            for notice in _take_notices(session):
                session.execute(
                    text("SELECT pg_notify(:channel, :notice)"),
                    {"channel": CHANNEL, "notice": notice},
                )

    else:

        @event.listens_for(factory, "before_commit")
        def _stash(session: Session) -> None:
            session.info[PENDING_KEY] = _take_notices(session)

        @event.listens_for(factory, "after_commit")
        def _deliver(session: Session) -> None:
            notices = session.info.pop(PENDING_KEY, [])
            if notices:
                deliver_local(notices)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        for key in (TOUCHED_KEY, ANNOUNCED_KEY, PENDING_KEY):
            session.info.pop(key, None)
