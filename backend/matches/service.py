"""Matches, events and lineups: the one write path that REST and /sync share.

Every write locks the match row (``SELECT ... FOR UPDATE``; on SQLite the writer already
holds the database's write lock), takes the next number of the match's sequence, stamps
the changed rows with it, and announces the match changed to its live channels (sent when
the transaction commits). Functions take the calling coach's account id; a match of a team
the coach is not in is indistinguishable from a match that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from backend.db.bulk import RowInserter
from backend.db.models import Event, LineupEntry, Match, Membership, Player, Team, utcnow
from backend.errors import Conflict, Gone, Invalid, NotFound
from backend.live import publish
from backend.matches.schemas import (
    MatchFilters,
)
from backend.teams.roles import require_write
from sync_protocol.match import (
    ASSIST_REFUSALS,
    PERIOD_MARKERS,
    SCORING,
    EventKind,
    EventRefused,
    MatchState,
    MatchStatus,
    MatchTime,
    Score,
    Side,
    TransitionRefused,
    apply_marker,
    check_assist,
    check_event_time,
    fold_markers,
    kick_off_instant,
    match_order,
    score,
)
from sync_protocol.messages import LineupSlot


def _visible_matches(account_id: uuid.UUID) -> Select[Match]:
    return (
        select(Match)
        .join(Membership, Membership.team_id == Match.team_id)
        .where(Membership.account_id == account_id, Match.deleted_at.is_(None))
    )


# The writer's statements, built once with their parameters left open: building a select
# takes SQLAlchemy 100 to 200 us here, more than SQLite takes to run it, and a push runs
# each of these once.
_LOCK_MATCHES = (
    select(Match)
    .join(Membership, Membership.team_id == Match.team_id)
    .where(
        Membership.account_id == bindparam("account_id"),
        Match.deleted_at.is_(None),
        Match.id.in_(bindparam("match_ids", expanding=True)),
    )
    .order_by(Match.id)
    .with_for_update(of=Match)
)
_EVENTS_BY_ID = select(Event).where(Event.id.in_(bindparam("event_ids", expanding=True)))
_ROLES = select(Membership.team_id, Membership.role).where(
    Membership.account_id == bindparam("account_id")
)
_LIVE_PLAYERS = select(Player.id).where(
    Player.team_id == bindparam("team_id"), Player.deleted_at.is_(None)
)


def get_match(
    db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID, *, lock: bool = False
) -> Match:
    """The coach's match; with ``lock``, locked until commit so its sequence can advance."""
    query = _visible_matches(account_id).where(Match.id == match_id)
    if lock:
        query = query.with_for_update(of=Match)
    match = db_session.scalars(query).one_or_none()
    if match is None:
        raise NotFound("match")
    return match


def next_seq(db_session: Session, match: Match) -> int:
    """Take the match's next sequence number, and announce that the match changed; the
    caller must hold the match's lock. Every change a viewer can see takes one."""
    match.head_seq += 1
    publish.match_changed(db_session, match.id)
    return match.head_seq


def _touch_match(db_session: Session, match: Match) -> None:
    match.seq = next_seq(db_session, match)
    match.updated_at = utcnow()


# --- writes ----------------------------------------------------------------------------


class MatchWriter:
    """Applies one coach's writes to matches, events and lineups within one transaction.

    It remembers what it has looked up, so a batch of writes costs a few queries in all:
    call :meth:`prefetch` with every id the batch names, then apply the writes in order.
    Matches are locked (``FOR UPDATE``, in id order so that concurrent batches cannot
    deadlock) before their sequence advances. Writes raise :class:`TouchlineError`
    subclasses for anything they refuse and change nothing in that case.

    New events are numbered at once but inserted together (:meth:`queue_event`); call
    :meth:`flush_events` before the transaction commits. Reads through the writer see the
    queued events.
    """

    def __init__(
        self, db_session: Session, account_id: uuid.UUID, device_id: uuid.UUID | None = None
    ):
        self.db_session = db_session
        self.account_id = account_id
        self.device_id = device_id
        # The time of these writes: the events a batch adds share it, and their rows share
        # its conversion for the database (backend/db/bulk.py).
        self.now = utcnow()
        self._matches: dict[uuid.UUID, Match | None] = {}
        self._events: dict[uuid.UUID, Event | None] = {}
        # Events added but not inserted yet: their rows, in the order they were numbered.
        self._queued: dict[uuid.UUID, dict[str, Any]] = {}
        # Matches whose head the queued events advanced, to be written with them.
        self._heads: dict[uuid.UUID, Match] = {}
        self._players: dict[uuid.UUID, dict[uuid.UUID, Player]] = {}
        self._live_players: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._teams: dict[uuid.UUID, str] | None = None

    # lookups

    def teams(self) -> dict[uuid.UUID, str]:
        """The coach's teams and the role in each."""
        if self._teams is None:
            self._teams = {
                team_id: role
                for team_id, role in self.db_session.execute(
                    _ROLES, {"account_id": self.account_id}
                )
            }
        return self._teams

    def prefetch(
        self, match_ids: Iterable[uuid.UUID] = (), event_ids: Iterable[uuid.UUID] = ()
    ) -> None:
        """Look up (and lock) everything a batch names, in a few queries.

        The named matches are locked before any event is read: a concurrent request adding
        the same event id to the same match then commits first, and this one finds it
        (stored once) instead of colliding with it on insert.
        """
        self._lock_matches(set(match_ids))
        event_ids = set(event_ids) - self._events.keys() - self._queued.keys()
        if event_ids:
            found = {
                e.id: e
                for e in self.db_session.scalars(_EVENTS_BY_ID, {"event_ids": list(event_ids)})
            }
            for event_id in event_ids:
                self._events[event_id] = found.get(event_id)
        self._lock_matches({e.match_id for e in self._events.values() if e is not None})

    def _lock_matches(self, match_ids: set[uuid.UUID]) -> None:
        wanted = match_ids - self._matches.keys()
        if not wanted:
            return
        rows = self.db_session.scalars(
            _LOCK_MATCHES, {"account_id": self.account_id, "match_ids": list(wanted)}
        )
        found = {m.id: m for m in rows}
        for match_id in wanted:
            match = found.get(match_id)
            self._matches[match_id] = match if match and match.deleted_at is None else None

    def match(self, match_id: uuid.UUID, *, field: str | None = None) -> Match:
        """The coach's live match, locked, to write to; :class:`NotFound` otherwise, and
        ``read_only`` for a member of its team."""
        if match_id not in self._matches:
            self.prefetch(match_ids=[match_id])
        match = self._matches[match_id]
        if match is None:
            raise NotFound("match", field=field)
        require_write(self.teams()[match.team_id])
        return match

    def event(self, event_id: uuid.UUID) -> Event | None:
        """The event with this id whatever its match, or None if no event has it."""
        if event_id in self._queued:
            self.flush_events()
        if event_id not in self._events:
            self.prefetch(event_ids=[event_id])
        return self._events[event_id]

    def visible_event(self, event_id: uuid.UUID) -> tuple[Match, Event]:
        """The event and its (locked) match, if the coach may see it; else NotFound."""
        event = self.event(event_id)
        if event is None:
            raise NotFound("event", field="event_id")
        try:
            return self.match(event.match_id), event
        except NotFound:
            raise NotFound("event", field="event_id") from None

    def forget_rosters(self) -> None:
        """Call after changing a roster in this transaction: players are read afresh."""
        self._players.clear()
        self._live_players.clear()

    def players(self, team_id: uuid.UUID) -> dict[uuid.UUID, Player]:
        if team_id not in self._players:
            self._players[team_id] = players_by_id(self.db_session, team_id)
        return self._players[team_id]

    def live_players(self, team_id: uuid.UUID) -> set[uuid.UUID]:
        """The ids of the team's players that are not deleted."""
        if team_id not in self._live_players:
            self._live_players[team_id] = set(
                self.db_session.scalars(_LIVE_PLAYERS, {"team_id": team_id})
            )
        return self._live_players[team_id]

    # matches

    def create_match(
        self, team_id: uuid.UUID, match_id: uuid.UUID | None, fields: Mapping[str, Any]
    ) -> tuple[Match, bool]:
        """Create a match; a retry with the same client-made id returns the first one."""
        if team_id not in self.teams():
            raise NotFound("team", field="team_id")
        require_write(self.teams()[team_id])
        if match_id is not None:
            existing = self.db_session.get(Match, match_id)
            if existing is not None:
                if existing.team_id != team_id or existing.deleted_at is not None:
                    raise Conflict("this id is already in use", field="id", code="id_in_use")
                return existing, False
        match = Match(
            id=match_id or uuid.uuid4(),
            team_id=team_id,
            status=MatchStatus.SCHEDULED,
            current_period=0,
            head_seq=1,
            seq=1,
            lineup_seq=0,
        )
        _apply_fields(match, fields)
        self.db_session.add(match)
        self.db_session.flush()
        publish.match_changed(self.db_session, match.id)
        self._matches[match.id] = match
        return match, True

    def update_match(self, match_id: uuid.UUID, fields: Mapping[str, Any]) -> Match:
        """Change the given fields of a match (the others keep their value)."""
        match = self.match(match_id, field="match_id")
        _apply_fields(match, fields)
        _touch_match(self.db_session, match)
        return match

    def delete_match(self, match_id: uuid.UUID) -> Match:
        match = self.match(match_id, field="match_id")
        _touch_match(self.db_session, match)
        match.deleted_at = match.updated_at
        self._matches[match_id] = None
        return match

    # events

    def add_event(
        self, match_id: uuid.UUID, event_id: uuid.UUID, fields: Mapping[str, Any]
    ) -> tuple[Event, bool]:
        """Record an event now; a retry with the same id returns the first copy.

        Returns the event and whether this call created it; see :meth:`queue_event`.
        """
        created = self.queue_event(match_id, event_id, fields)
        event = self.event(event_id)
        assert event is not None
        return event, created

    def queue_event(
        self, match_id: uuid.UUID, event_id: uuid.UUID, fields: Mapping[str, Any]
    ) -> bool:
        """Number a new event and queue its row for :meth:`flush_events`; a retry with the
        same id changes nothing. Returns whether this call created the event.

        ``fields`` are the event's columns (kind, side, period, minute, ...). A period
        marker must follow from the match's state, else :class:`Conflict` with code
        ``transition_refused``; any other event needs a match that has kicked off and,
        once it is finished, a time within the time played (:func:`check_event_time`),
        else :class:`Conflict` with code ``match_not_started`` or ``match_finished``.
        """
        match = self.match(match_id, field="match_id")
        queued = self._queued.get(event_id)
        if queued is not None:
            stored_in: uuid.UUID | None = queued["match_id"]
        else:
            existing = self.event(event_id)
            stored_in = existing.match_id if existing is not None else None
        if stored_in is not None:
            if stored_in != match.id:
                raise Conflict("this id is already in use", field="id", code="id_in_use")
            return False
        self._check_event(match, fields)
        now = self.now
        kind = fields["kind"]
        if kind in PERIOD_MARKERS:
            # Before the sequence advances: a refused marker must leave no hole in it.
            _advance_state(match, kind, fields["period"], fields.get("recorded_at"), now)
        if kind in PERIOD_MARKERS:
            seq = match.seq = next_seq(self.db_session, match)
        else:
            seq = self._next_event_seq(match)
        row = _NEW_EVENT | dict(fields)
        row |= {"id": event_id, "match_id": match.id, "device_id": self.device_id, "seq": seq}
        self._queued[event_id] = row | {"created_at": now, "updated_at": now}
        return True

    def flush_events(self) -> None:
        """Insert the queued events, all in one statement."""
        if not self._queued:
            return
        rows = list(self._queued.values())
        for event_id in self._queued:
            self._events.pop(event_id, None)  # read afresh when asked for
        self._queued.clear()
        # Whatever the events refer to (a match or player made in this batch) goes first.
        self.db_session.flush()
        heads = [{"match_id": m.id, "head": m.head_seq} for m in self._heads.values()]
        self._heads.clear()
        if heads:
            self.db_session.connection().execute(_SET_HEADS, heads)
        _INSERT_EVENTS.insert(self.db_session, rows)

    def _next_event_seq(self, match: Match) -> int:
        """:func:`next_seq` for a new event, leaving the match clean in the session: its
        head is written beside the events by :meth:`flush_events`, one statement for the
        batch's matches (the unit of work's flush of a dirty match cost a push more than
        the insert of its 50 events). The session sees the new head at once."""
        if not inspect(match).persistent:  # made in this batch: the unit of work inserts it
            return next_seq(self.db_session, match)
        head = match.head_seq + 1
        set_committed_value(match, "head_seq", head)
        publish.match_changed(self.db_session, match.id)
        self._heads[match.id] = match
        return head

    def edit_event(self, event_id: uuid.UUID, changes: Mapping[str, Any]) -> Event:
        """Change the given fields of an event. A deleted event stays deleted: delete wins
        over a concurrent edit (:class:`Gone`, code ``event_deleted``).

        A period marker keeps its kind and period; other events cannot become markers.
        """
        match, event = self.visible_event(event_id)
        if event.deleted_at is not None:
            raise Gone("this event was deleted", field="event_id", code="event_deleted")
        fields = {name: getattr(event, name) for name in EVENT_FIELDS} | dict(changes)
        is_marker = event.kind in PERIOD_MARKERS
        becomes_marker = fields["kind"] in PERIOD_MARKERS
        if (is_marker or becomes_marker) and (event.kind, event.period) != (
            fields["kind"],
            fields["period"],
        ):
            raise Conflict(
                "a period marker's kind and period cannot change; delete it and log it again",
                field="kind",
                code="marker_immutable",
            )
        named = {getattr(event, name) for name in _PLAYER_FIELDS}
        self._check_event(match, fields, named)
        for name, value in changes.items():
            setattr(event, name, value)
        event.seq = next_seq(self.db_session, match)
        event.updated_at = utcnow()
        return event

    def delete_event(self, event_id: uuid.UUID) -> Event:
        """Tombstone an event; deleting twice is a no-op. Only the latest period marker
        can be deleted (an undo), and the match's state is refolded without it."""
        match, event = self.visible_event(event_id)
        if event.deleted_at is not None:
            return event
        if event.kind in PERIOD_MARKERS:
            self.flush_events()
            self.db_session.flush()
            markers = self.db_session.execute(
                select(Event.id, Event.kind, Event.period).where(
                    Event.match_id == match.id,
                    Event.kind.in_(PERIOD_MARKERS),
                    Event.deleted_at.is_(None),
                )
            ).all()
            # Latest in match order: an edit renumbers a marker's seq, not its place.
            latest = max(markers, key=lambda marker: match_order(marker.kind, marker.period))
            if latest.id != event.id:
                raise Conflict(
                    "only the latest period marker can be removed", code="marker_not_latest"
                )
        event.seq = next_seq(self.db_session, match)
        event.updated_at = event.deleted_at = utcnow()
        if event.kind in PERIOD_MARKERS:
            self.db_session.flush()
            _recompute_state(self.db_session, match)
            match.seq = event.seq
            match.updated_at = event.updated_at
        return event

    def _check_event(
        self, match: Match, fields: Mapping[str, Any], named: Set[uuid.UUID | None] = frozenset()
    ) -> None:
        """Refuse an event the match cannot hold. Every player it names must be in the
        team, not deleted, unless the event already names them (``named``, on an edit): an
        event of a deleted or erased player can still have its minute or note put right."""
        _check_players_named(fields)
        kind = fields["kind"]
        players = self.live_players(match.team_id)
        for name in _PLAYER_FIELDS:
            player_id = fields.get(name)
            if player_id is not None and player_id not in players and player_id not in named:
                raise Invalid("no such player in this team", field=name, code="unknown_player")
        if fields["period"] > match.periods:
            raise Invalid(f"this match has {match.periods} periods", field="period")
        if kind not in PERIOD_MARKERS:
            at = MatchTime(fields["period"], fields["minute"], fields.get("stoppage") or 0)
            try:
                check_event_time(
                    MatchState(match.status, match.current_period), at, self._full_time(match)
                )
            except EventRefused as refused:
                raise Conflict(str(refused), field="kind", code=refused.code) from None

    def _full_time(self, match: Match) -> MatchTime | None:
        """When the finished match's final whistle went (None while it is not finished)."""
        if match.status is not MatchStatus.FINISHED:
            return None
        queued = [
            row
            for row in self._queued.values()
            if row["match_id"] == match.id and row["kind"] == EventKind.FULL_TIME
        ]
        if queued:
            row = queued[-1]
            return MatchTime(row["period"], row["minute"], row["stoppage"])
        whistle = self.db_session.execute(
            select(Event.period, Event.minute, Event.stoppage)
            .where(
                Event.match_id == match.id,
                Event.kind == EventKind.FULL_TIME,
                Event.deleted_at.is_(None),
            )
            .order_by(Event.seq.desc())
            .limit(1)
        ).one_or_none()
        return MatchTime(*whistle) if whistle is not None else None

    # lineup

    def set_lineup(self, match_id: uuid.UUID, slots: Sequence[LineupSlot]) -> Match:
        """Replace the whole lineup of a match."""
        match = self.match(match_id, field="match_id")
        players = self.live_players(match.team_id)
        seen: set[uuid.UUID] = set()
        for index, slot in enumerate(slots):
            field = f"players.{index}.player_id"
            if slot.player_id in seen:
                raise Invalid("a player appears twice", field=field)
            seen.add(slot.player_id)
            if slot.player_id not in players:
                raise Invalid("no such player in this team", field=field, code="unknown_player")
        self.db_session.execute(delete(LineupEntry).where(LineupEntry.match_id == match.id))
        self.db_session.add_all(
            LineupEntry(
                match_id=match.id, player_id=slot.player_id, role=slot.role, position=slot.position
            )
            for slot in slots
        )
        match.lineup_seq = next_seq(self.db_session, match)
        return match


# New events are inserted through the table, not the ORM: one statement for a batch (the
# ORM's bulk insert splits rows by which of their columns are null).
_EVENTS = cast(Table, Event.__table__)
_INSERT_EVENTS = RowInserter(_EVENTS)
_MATCHES = cast(Table, Match.__table__)
_SET_HEADS = (
    update(_MATCHES)
    .where(_MATCHES.c.id == bindparam("match_id"))
    .values(head_seq=bindparam("head"))
)
# A new event's columns that its fields may leave out.
_NEW_EVENT: dict[str, Any] = {
    "stoppage": 0,
    "player_id": None,
    "replaced_player_id": None,
    "note": None,
    "recorded_at": None,
    "assist_player_id": None,
    "deleted_at": None,
}

EVENT_FIELDS = (
    "kind",
    "side",
    "period",
    "minute",
    "stoppage",
    "player_id",
    "replaced_player_id",
    "note",
    "assist_player_id",
)


def _apply_fields(match: Match, fields: Mapping[str, Any]) -> None:
    if fields.get("periods", match.periods) < match.current_period:
        raise Conflict(f"period {match.current_period} has already been played", field="periods")
    for name, value in fields.items():
        setattr(match, name, value)


def _recompute_state(db_session: Session, match: Match) -> None:
    """Refold the match's status from its live markers (after a marker was removed)."""
    markers = db_session.execute(
        select(Event.kind, Event.period, Event.recorded_at, Event.created_at)
        .where(
            Event.match_id == match.id,
            Event.kind.in_(PERIOD_MARKERS),
            Event.deleted_at.is_(None),
        )
        .order_by(Event.seq)
    ).all()
    state = fold_markers(((kind, period) for kind, period, _, _ in markers), match.periods)
    match.status = state.status
    match.current_period = state.period
    kick_offs = [row for row in markers if row.kind is EventKind.KICK_OFF]
    if kick_offs:
        # As when the marker was logged: the phone's clock unless it is in the future.
        latest = max(kick_offs, key=lambda row: row.period)
        match.period_started_at = kick_off_instant(latest.recorded_at, latest.created_at)
    else:
        match.period_started_at = None


def _advance_state(
    match: Match, kind: EventKind, period: int, recorded_at: datetime | None, now: datetime
) -> None:
    try:
        state = apply_marker(
            MatchState(match.status, match.current_period), kind, period, match.periods
        )
    except TransitionRefused as refused:
        raise Conflict(str(refused), field="kind", code="transition_refused") from None
    match.status = state.status
    match.current_period = state.period
    if kind is EventKind.KICK_OFF:
        # The phone's clock says when the whistle blew; it is kept only if it is not in the
        # future, since a phone that syncs late must not restart the clock at sync time.
        match.period_started_at = kick_off_instant(recorded_at, now)
    match.updated_at = now


# --- reads -----------------------------------------------------------------------------


def _encode_cursor(match: Match) -> str:
    raw = f"{match.kickoff_at.isoformat()}|{match.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kickoff, _, match_id = raw.partition("|")
        when = datetime.fromisoformat(kickoff)
        if when.tzinfo is None:
            raise ValueError("naive")
        # A forged instant at the edge of the calendar must fail here, not when bound.
        return when.astimezone(UTC), uuid.UUID(match_id)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise Invalid("not a cursor this server issued", field="cursor") from None


def list_matches(
    db_session: Session,
    account_id: uuid.UUID,
    filters: MatchFilters,
    limit: int,
    cursor: str | None,
) -> tuple[list[Match], str | None]:
    """A page of the coach's matches, newest kick-off first, and the next page's cursor."""
    query = _visible_matches(account_id)
    if filters.team_id is not None:
        query = query.where(Match.team_id == filters.team_id)
    if filters.status is not None:
        query = query.where(Match.status == filters.status)
    if filters.date_from is not None:
        query = query.where(Match.kickoff_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to is not None and filters.date_to < date.max:
        end = datetime.combine(filters.date_to, time(), UTC) + timedelta(days=1)
        query = query.where(Match.kickoff_at < end)
    if cursor is not None:
        kickoff, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(Match.kickoff_at < kickoff, and_(Match.kickoff_at == kickoff, Match.id < last_id))
        )
    rows = list(
        db_session.scalars(
            query.order_by(Match.kickoff_at.desc(), Match.id.desc()).limit(limit + 1)
        )
    )
    if len(rows) > limit:
        return rows[:limit], _encode_cursor(rows[limit - 1])
    return rows, None


def scores(db_session: Session, match_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Score]:
    """Each match's score, computed from its live goal and own-goal events."""
    if not match_ids:
        return {}
    rows = db_session.execute(
        select(Event.match_id, Event.kind, Event.side, func.count())
        .where(
            Event.match_id.in_(match_ids),
            Event.kind.in_(SCORING),
            Event.deleted_at.is_(None),
        )
        .group_by(Event.match_id, Event.kind, Event.side)
    )
    tallies: dict[uuid.UUID, list[tuple[EventKind, Side]]] = {mid: [] for mid in match_ids}
    for match_id, kind, side, count in rows:
        tallies[match_id].extend([(kind, side)] * count)
    return {match_id: score(events) for match_id, events in tallies.items()}


def team_names(db_session: Session, team_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = set(team_ids)
    if not ids:
        return {}
    rows = db_session.execute(select(Team.id, Team.name).where(Team.id.in_(ids)))
    return {team_id: name for team_id, name in rows}


def list_events(
    db_session: Session,
    match: Match,
    *,
    after_seq: int,
    limit: int,
    include_deleted: bool,
) -> list[Event]:
    """Events changed after ``after_seq``, in sequence order."""
    query = select(Event).where(Event.match_id == match.id, Event.seq > after_seq)
    if not include_deleted:
        query = query.where(Event.deleted_at.is_(None))
    return list(db_session.scalars(query.order_by(Event.seq).limit(limit)))


def recent_events(db_session: Session, match: Match, limit: int) -> list[Event]:
    """The latest events in match time (period, minute, added time), newest first."""
    return list(
        db_session.scalars(
            select(Event)
            .where(Event.match_id == match.id, Event.deleted_at.is_(None))
            .order_by(
                Event.period.desc(), Event.minute.desc(), Event.stoppage.desc(), Event.seq.desc()
            )
            .limit(limit)
        )
    )


def players_by_id(db_session: Session, team_id: uuid.UUID) -> dict[uuid.UUID, Player]:
    return {p.id: p for p in db_session.scalars(select(Player).where(Player.team_id == team_id))}


def get_lineup(db_session: Session, match: Match) -> list[LineupEntry]:
    return list(
        db_session.scalars(
            select(LineupEntry)
            .where(LineupEntry.match_id == match.id)
            .order_by(LineupEntry.role.desc(), LineupEntry.player_id)
        )
    )


_PLAYER_FIELDS = ("player_id", "replaced_player_id", "assist_player_id")


def _check_players_named(fields: Mapping[str, Any]) -> None:
    """Which of an event's player fields its kind and side allow."""
    side, kind = fields["side"], fields["kind"]
    if side is Side.OPPOSITION and fields.get("player_id") is not None:
        raise Invalid("an opposition event names no player of ours", field="player_id")
    if fields.get("replaced_player_id") is not None and kind is not EventKind.SUBSTITUTION:
        raise Invalid("only a substitution replaces a player", field="replaced_player_id")
    assist, scorer = fields.get("assist_player_id"), fields.get("player_id")
    refusal = check_assist(kind, side, scorer and str(scorer), assist and str(assist))
    if refusal is not None:
        raise Invalid(ASSIST_REFUSALS[refusal], field="assist_player_id")
