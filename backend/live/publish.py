"""Announce committed changes to the live channels, from inside the write path.

A writer says what it changed, in the transaction that changes it: a match
(:func:`match_changed`, called where a match's sequence advances), a share link or a
device it revoked (:func:`link_revoked`, :func:`device_revoked`). Installed on the
writer sessions, this sends those announcements exactly when the transaction commits:

- on PostgreSQL with ``NOTIFY touchline_live`` inside the transaction, which PostgreSQL
  delivers on commit (and never on rollback) to every server instance listening;
- on SQLite, in process, right after the commit returns.

A notice is only a pointer (``m:<match id>``, ``r:<share link id>``, ``d:<device id>`` or
``a:<team id>``, someone lost the team; ``n:<match id>``, names changed);
listeners read the changes themselves from the database, so nothing a viewer sees lives
only in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

CHANNEL = "touchline_live"
# The session's own dictionary for what its transaction announced (SQLAlchemy keeps
# ``Session.info`` for its user); only this module reads or writes these keys.
ANNOUNCED_KEY = "live_announced_notices"
PENDING_KEY = "live_pending_notices"

Deliver = Callable[[list[str]], None]


def match_notice(match_id: uuid.UUID) -> str:
    return f"m:{match_id.hex}"


def revoke_notice(link_id: uuid.UUID) -> str:
    return f"r:{link_id.hex}"


def device_revoke_notice(device_id: uuid.UUID) -> str:
    return f"d:{device_id.hex}"


def access_notice(team_id: uuid.UUID) -> str:
    return f"a:{team_id.hex}"


def names_notice(match_id: uuid.UUID) -> str:
    return f"n:{match_id.hex}"


def _announce(session: Session, notice: str) -> None:
    session.info.setdefault(ANNOUNCED_KEY, set()).add(notice)


def match_changed(session: Session, match_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that the match's sync space changed (an
    event, the match itself or its lineup): its viewers read what is new on every
    instance. Announcing a match twice in one transaction sends one notice."""
    _announce(session, match_notice(match_id))


def link_revoked(session: Session, link_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that the share link is revoked: whoever
    watches through it is disconnected (4410) on every instance."""
    _announce(session, revoke_notice(link_id))


def device_revoked(session: Session, device_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that the device is revoked: its live
    connections are closed (4401) on every instance."""
    _announce(session, device_revoke_notice(device_id))


def access_changed(session: Session, team_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that someone lost the team (left, removed,
    or the team deleted): coaches' channels on its matches that their device may no longer
    watch are closed (4403) on every instance."""
    _announce(session, access_notice(team_id))


def names_changed(session: Session, match_id: uuid.UUID) -> None:
    """Announce with this transaction's commit that names the match's viewers were sent
    have changed (a player was erased): they are closed with "going away" on every
    instance, reconnect at once and are welcomed with the names as they are now."""
    _announce(session, names_notice(match_id))


def _take_notices(session: Session) -> list[str]:
    # Flushed first, so that a write that fails does so before anything is announced.
    session.flush()
    return sorted(session.info.pop(ANNOUNCED_KEY, set()))


def install(factory: sessionmaker[Session], dialect: str, deliver_local: Deliver) -> None:
    """Make every transaction from ``factory`` send what its writers announced when it
    commits, and nothing when it rolls back. Without this, announcements are dropped
    with the session (nothing listens)."""
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
        for key in (ANNOUNCED_KEY, PENDING_KEY):
            session.info.pop(key, None)
