"""Reading changes out of the sync spaces: rows whose ``seq`` is past a position.

Each change is serialised once, here, by the protocol's encoders
(``sync_protocol/encoders.py``) to the JSON a client receives; the pull pages over the
serialised text, and the live channels reuse it. Events are most of what a device pulls,
so they are read as plain rows (no ORM objects) and handed to the event encoder as they
come.
"""

from __future__ import annotations

import bisect
import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    String,
    Text,
    and_,
    cast,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from backend.db.models import Event, LineupEntry, Match, Player, Team, in_utc
from sync_protocol import encoders
from sync_protocol.encoders import EventValues, Form
from sync_protocol.messages import ChangeType
from sync_protocol.paging import Candidate, SpaceChanges
from sync_protocol.records import hyphenated


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def encode(
    kind: ChangeType,
    record_id: uuid.UUID | str,
    space: uuid.UUID | str,
    seq: int,
    data: Mapping[str, Any] | None,
    form: Form = Form.FULL,
) -> Candidate:
    """The change record in ``form``, as a candidate for a page."""
    payload = encoders.encode(kind, str(record_id), str(space), seq, data, form)
    return Candidate(seq=seq, size=len(payload), payload=payload)


# --- events ----------------------------------------------------------------------------

EventRow = Row[
    str, str, str, str, int, int, int, str | None, str | None, str | None,
    str | datetime | None, str | None, int, int,
]  # fmt: skip
"""An event as :data:`EVENT_COLUMNS` reads it."""

EVENT_COLUMNS = (
    cast(Event.id, Text).label("id"),
    cast(Event.match_id, Text).label("match_id"),
    type_coerce(Event.kind, String).label("kind"),
    type_coerce(Event.side, String).label("side"),
    Event.period,
    Event.minute,
    Event.stoppage,
    cast(Event.player_id, Text).label("player_id"),
    cast(Event.replaced_player_id, Text).label("replaced_player_id"),
    Event.note,
    # As the driver gives it: SQLite's stored text, PostgreSQL's datetime (see _wire_time).
    type_coerce(Event.recorded_at, String).label("recorded_at"),
    cast(Event.assist_player_id, Text).label("assist_player_id"),
    type_coerce(Event.deleted_at.is_not(None), Integer).label("deleted"),
    Event.seq,
)
"""An event's change record as plain values: ids and enums as text, so no row becomes
an ORM object and no UUID is parsed only to be printed again."""


# Ids read as text come hyphenated from PostgreSQL and bare from SQLite (its ``Uuid``
# columns hold the 32 hex digits): the encoder takes either.
_match_key = functools.lru_cache(maxsize=4096)(hyphenated)


def _wire_time(value: str | datetime | None) -> str | None:
    """A time as change records carry it (UTC, ``Z``), from what the driver returns:
    SQLite's stored text (UTC, written as ``YYYY-MM-DD HH:MM:SS.ffffff``) or a datetime.
    The same text :func:`iso` gives for the :class:`UTCDateTime` value, without parsing
    one into a datetime only to print it again."""
    if isinstance(value, str):
        fraction = "" if value.endswith(".000000") else value[19:]
        return f"{value[:10]}T{value[11:19]}{fraction}Z"
    return None if value is None else iso(in_utc(value))


def event_rows(
    db_session: Session, *where: ColumnElement[bool], limit: int | None = None
) -> list[EventRow]:
    """Events matching ``where``, by match then sequence number, as change-record rows."""
    query = select(*EVENT_COLUMNS).where(*where).order_by(Event.match_id, Event.seq)
    # Through the session's connection: a Core read, with no ORM result processing.
    return list(db_session.connection().execute(query.limit(limit)).all())


def event_record(row: EventRow, form: Form = Form.FULL) -> Candidate:
    """The event as a change record in ``form``."""
    # One tuple made per event, with the time as a record writes it: a catch-up is
    # thousands of these.
    (event_id, match_id, kind, side, period, minute, stoppage, player_id, replaced_id, note,
     recorded_at, assist_id, deleted, seq) = row  # fmt: skip
    values = EventValues(
        event_id, match_id, kind, side, period, minute, stoppage, player_id, replaced_id, note,
        _wire_time(recorded_at), assist_id, deleted, seq,
    )  # fmt: skip
    payload = encoders.encode_event(values, form)
    return Candidate(seq=seq, size=len(payload), payload=payload)


def event_change(event: Event, form: Form = Form.FULL) -> Candidate:
    """:func:`event_record` for an event already loaded as an object."""
    row = (
        str(event.id),
        str(event.match_id),
        event.kind.value,
        event.side.value,
        event.period,
        event.minute,
        event.stoppage,
        _str(event.player_id),
        _str(event.replaced_player_id),
        event.note,
        event.recorded_at,
        _str(event.assist_player_id),
        event.deleted_at is not None,
        event.seq,
    )
    return event_record(row, form)  # type: ignore[arg-type]  # a Row of these values


# --- matches, lineups, rosters -----------------------------------------------------------


def match_data(match: Match) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "team_id": str(match.team_id),
        "opponent": match.opponent,
        "is_home": match.is_home,
        "kickoff_at": iso(match.kickoff_at),
        "venue": match.venue,
        "competition": match.competition,
        "periods": match.periods,
        "period_minutes": match.period_minutes,
        "status": match.status.value,
        "current_period": match.current_period,
        "period_started_at": iso(match.period_started_at),
    }


def match_change(match: Match, form: Form = Form.FULL) -> Candidate:
    data = None if match.deleted_at is not None else match_data(match)
    return encode(ChangeType.MATCH, match.id, match.id, match.seq, data, form)


def lineup_change(
    match: Match, entries: Iterable[LineupEntry], form: Form = Form.FULL
) -> Candidate:
    players = [
        {"player_id": str(e.player_id), "role": e.role, "position": e.position}
        for e in sorted(entries, key=lambda e: (e.role != "starting", str(e.player_id)))
    ]
    data = {"players": players}
    return encode(ChangeType.LINEUP, match.id, match.id, match.lineup_seq, data, form)


def player_data(player: Player) -> dict[str, Any]:
    return {
        "id": str(player.id),
        "team_id": str(player.team_id),
        "squad_number": player.squad_number,
        "display_name": player.display_name,
        "full_name": player.full_name,
    }


def player_change(player: Player, form: Form = Form.FULL) -> Candidate:
    data = None if player.deleted_at is not None else player_data(player)
    return encode(ChangeType.PLAYER, player.id, player.team_id, player.seq, data, form)


def team_change(team: Team, role: str | None, form: Form = Form.FULL, *, seq: int = 0) -> Candidate:
    """A team the device can see (``role`` set), or one it can no longer see (None).
    ``seq`` is 0 for a team new to the device, else the team record's own change number."""
    data = None if role is None else {"id": str(team.id), "name": team.name, "role": role}
    return encode(ChangeType.TEAM, team.id, team.id, seq, data, form)


def roster_spaces(
    db_session: Session,
    teams: Sequence[tuple[Team, str]],
    since: Mapping[uuid.UUID, int],
    form: Form = Form.FULL,
) -> list[SpaceChanges]:
    """Each team's roster changes after the device's position, in sequence order.

    A team new to the device starts with the team itself, so the client learns its name
    and role before its players; tombstones are skipped for a device that never saw them.
    """
    pending = [(t, r) for t, r in teams if since.get(t.id, 0) < t.head_seq or t.id not in since]
    by_team: dict[uuid.UUID, list[Player]] = {t.id: [] for t, _ in pending}
    if pending:
        players = db_session.scalars(
            select(Player)
            .where(
                or_(
                    *(
                        and_(Player.team_id == t.id, Player.seq > since.get(t.id, 0))
                        for t, _ in pending
                    )
                )
            )
            .order_by(Player.team_id, Player.seq)
        )
        for player in players:
            by_team[player.team_id].append(player)
    spaces = []
    for team, role in pending:
        first = team.id not in since
        changes = [team_change(team, role, form)] if first else []
        changes += [
            player_change(p, form)
            for p in by_team[team.id]
            if not (first and p.deleted_at is not None)
        ]
        if not first and team.seq > since[team.id]:
            # Renamed, or a role changed: the record again, in its place in the sequence.
            at = bisect.bisect_right([c.seq for c in changes], team.seq)
            changes.insert(at, team_change(team, role, form, seq=team.seq))
        spaces.append(SpaceChanges(team.id, since.get(team.id, 0), team.head_seq, changes))
    return spaces


def match_spaces(
    db_session: Session,
    matches: Sequence[Match],
    since: Mapping[uuid.UUID, int],
    limit: int,
    *,
    form: Form = Form.FULL,
) -> list[SpaceChanges]:
    """Each match's changes after the device's position, in sequence order.

    Events are read in one query over every pending match, at most ``limit`` of them;
    a space whose events were cut short is marked incomplete, and spaces after it are
    left out for the next page. A match the device never saw and that is deleted is
    skipped (only its position moves), as are tombstones of events it never saw.
    """
    pending = [m for m in matches if since.get(m.id, 0) < m.head_seq]
    if not pending:
        return []
    # A deleted match the device never saw sends nothing, so none of its events may take
    # a place under the limit: the cut would then fall in a space that is skipped, and the
    # spaces after it would pass over events this page never read.
    readable = [m for m in pending if since.get(m.id, 0) > 0 or m.deleted_at is None]
    events = (
        event_rows(
            db_session,
            or_(*(and_(Event.match_id == m.id, Event.seq > since.get(m.id, 0)) for m in readable)),
            limit=limit + 1,
        )
        if readable
        else []
    )
    truncated = len(events) > limit
    events = events[:limit]
    by_match: dict[str, list[EventRow]] = {}
    for event in events:
        by_match.setdefault(_match_key(event.match_id), []).append(event)
    last_match = _match_key(events[-1].match_id) if truncated else None

    lineups: dict[uuid.UUID, list[LineupEntry]] = {}
    lineup_matches = [m.id for m in pending if m.lineup_seq > since.get(m.id, 0)]
    if lineup_matches:
        for entry in db_session.scalars(
            select(LineupEntry).where(LineupEntry.match_id.in_(lineup_matches))
        ):
            lineups.setdefault(entry.match_id, []).append(entry)

    spaces = []
    for match in sorted(pending, key=lambda m: m.id):
        position = since.get(match.id, 0)
        first = position == 0
        if first and match.deleted_at is not None:
            spaces.append(SpaceChanges(match.id, position, match.head_seq))
            continue
        read = by_match.get(str(match.id), [])
        candidates = [event_record(e, form) for e in read if not (first and e.deleted)]
        if match.seq > position:
            candidates.append(match_change(match, form))
        if match.lineup_seq > position:
            candidates.append(lineup_change(match, lineups.get(match.id, ()), form))
        candidates.sort(key=lambda c: c.seq)
        if str(match.id) == last_match:
            # Only changes up to the last event read are known to be complete.
            cut = read[-1].seq
            candidates = [c for c in candidates if c.seq <= cut]
            spaces.append(SpaceChanges(match.id, position, match.head_seq, candidates, False))
            break
        spaces.append(SpaceChanges(match.id, position, match.head_seq, candidates))
    return spaces
