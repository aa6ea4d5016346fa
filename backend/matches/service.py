"""Matches, events and lineups: the one write path that REST and /sync share.

Every write locks the match row (``SELECT ... FOR UPDATE``; on SQLite the writer already
holds the database's write lock), takes the next number of the match's sequence, and stamps
the changed rows with it. Functions take the calling coach's account id; a match of a team
the coach is not in is indistinguishable from a match that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from backend.db.models import Event, LineupEntry, Match, Membership, Player, Team, utcnow
from backend.errors import Conflict, Gone, Invalid, NotFound
from backend.matches.schemas import (
    EventCreate,
    EventFields,
    LineupIn,
    MatchCreate,
    MatchFields,
    MatchFilters,
)
from sync_protocol.match import (
    PERIOD_MARKERS,
    SCORING,
    EventKind,
    MatchState,
    MatchStatus,
    Score,
    Side,
    TransitionRefused,
    apply_marker,
    fold_markers,
    score,
)


def _visible_matches(account_id: uuid.UUID) -> Select[Match]:
    return (
        select(Match)
        .join(Membership, Membership.team_id == Match.team_id)
        .where(Membership.account_id == account_id, Match.deleted_at.is_(None))
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


def next_seq(match: Match) -> int:
    """Take the match's next sequence number; the caller must hold the match's lock."""
    match.head_seq += 1
    return match.head_seq


def _touch_match(match: Match) -> None:
    match.seq = next_seq(match)
    match.updated_at = utcnow()


# --- matches ---------------------------------------------------------------------------


def create_match(
    db_session: Session, account_id: uuid.UUID, data: MatchCreate
) -> tuple[Match, bool]:
    """Create a match; a retry with the same client-made id returns the first one."""
    membership = db_session.get(Membership, (data.team_id, account_id))
    if membership is None:
        raise NotFound("team", field="team_id")
    if data.id is not None:
        existing = db_session.get(Match, data.id)
        if existing is not None:
            if existing.team_id != data.team_id or existing.deleted_at is not None:
                raise Conflict("this id is already in use", field="id", code="id_in_use")
            return existing, False
    match = Match(
        id=data.id or uuid.uuid4(),
        team_id=data.team_id,
        status=MatchStatus.SCHEDULED,
        current_period=0,
        head_seq=1,
        seq=1,
        lineup_seq=0,
    )
    _apply_fields(match, data)
    db_session.add(match)
    db_session.flush()
    return match, True


def _apply_fields(match: Match, data: MatchFields) -> None:
    if data.periods < match.current_period:
        raise Conflict(f"period {match.current_period} has already been played", field="periods")
    match.opponent = data.opponent
    match.is_home = data.is_home
    match.kickoff_at = data.kickoff_at
    match.venue = data.venue
    match.competition = data.competition
    match.periods = data.periods
    match.period_minutes = data.period_minutes


def update_match(
    db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID, data: MatchFields
) -> Match:
    match = get_match(db_session, account_id, match_id, lock=True)
    _apply_fields(match, data)
    _touch_match(match)
    db_session.flush()
    return match


def delete_match(db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID) -> None:
    match = get_match(db_session, account_id, match_id, lock=True)
    _touch_match(match)
    match.deleted_at = match.updated_at
    db_session.flush()


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
        return when, uuid.UUID(match_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
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
    if filters.date_to is not None:
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


# --- events ----------------------------------------------------------------------------


def _check_players(db_session: Session, match: Match, data: EventFields) -> None:
    if data.side is Side.OPPOSITION and data.player_id is not None:
        raise Invalid("an opposition event names no player of ours", field="player_id")
    if data.replaced_player_id is not None and data.kind is not EventKind.SUBSTITUTION:
        raise Invalid("only a substitution replaces a player", field="replaced_player_id")
    for field in ("player_id", "replaced_player_id"):
        player_id = getattr(data, field)
        if player_id is None:
            continue
        found = db_session.scalar(
            select(Player.id).where(
                Player.id == player_id, Player.team_id == match.team_id, Player.deleted_at.is_(None)
            )
        )
        if found is None:
            raise Invalid("no such player in this team", field=field, code="unknown_player")


def _marker_state(match: Match) -> MatchState:
    return MatchState(match.status, match.current_period)


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
    match.period_started_at = (
        (kick_offs[-1].recorded_at or kick_offs[-1].created_at) if kick_offs else None
    )


def _advance_state(match: Match, data: EventFields, now: datetime) -> None:
    try:
        state = apply_marker(_marker_state(match), data.kind, data.period, match.periods)
    except TransitionRefused as refused:
        raise Conflict(str(refused), field="kind", code="transition_refused") from None
    match.status = state.status
    match.current_period = state.period
    if data.kind is EventKind.KICK_OFF:
        # The phone's clock says when the whistle blew; it is kept only if it is not in the
        # future, since a phone that syncs late must not restart the clock at sync time.
        recorded = data.recorded_at
        match.period_started_at = recorded if recorded is not None and recorded <= now else now
    match.updated_at = now
    match.seq = match.head_seq


def add_event(
    db_session: Session, match: Match, data: EventCreate, device_id: uuid.UUID | None
) -> tuple[Event, bool]:
    """Record an event in a locked match; a retry with the same id returns the first copy.

    Returns the event and whether this call created it. A period marker must follow from
    the match's state, else :class:`Conflict` with code ``transition_refused``.
    """
    existing = db_session.get(Event, data.id)
    if existing is not None:
        if existing.match_id != match.id:
            raise Conflict("this id is already in use", field="id", code="id_in_use")
        return existing, False
    _check_players(db_session, match, data)
    if data.period > match.periods:
        raise Invalid(f"this match has {match.periods} periods", field="period")
    now = utcnow()
    seq = next_seq(match)
    if data.kind in PERIOD_MARKERS:
        _advance_state(match, data, now)
    event = Event(
        id=data.id,
        match_id=match.id,
        device_id=device_id,
        seq=seq,
        created_at=now,
        updated_at=now,
        **data.model_dump(exclude={"id"}),
    )
    db_session.add(event)
    db_session.flush()
    return event, True


def get_event(
    db_session: Session, account_id: uuid.UUID, event_id: uuid.UUID, *, lock: bool = False
) -> tuple[Match, Event]:
    event = db_session.get(Event, event_id)
    if event is None:
        raise NotFound("event")
    try:
        match = get_match(db_session, account_id, event.match_id, lock=lock)
    except NotFound:
        raise NotFound("event") from None
    return match, event


def edit_event(
    db_session: Session, account_id: uuid.UUID, event_id: uuid.UUID, data: EventFields
) -> Event:
    """Replace an event's fields. A deleted event stays deleted (:class:`Gone`): delete wins.

    A period marker keeps its kind and period; other events cannot become markers.
    """
    match, event = get_event(db_session, account_id, event_id, lock=True)
    if event.deleted_at is not None:
        raise Gone("this event was deleted", code="event_deleted")
    is_marker, becomes_marker = event.kind in PERIOD_MARKERS, data.kind in PERIOD_MARKERS
    if (is_marker or becomes_marker) and (event.kind, event.period) != (data.kind, data.period):
        raise Conflict(
            "a period marker's kind and period cannot change; delete it and log it again",
            field="kind",
            code="marker_immutable",
        )
    _check_players(db_session, match, data)
    if data.period > match.periods:
        raise Invalid(f"this match has {match.periods} periods", field="period")
    for field, value in data.model_dump().items():
        setattr(event, field, value)
    event.seq = next_seq(match)
    event.updated_at = utcnow()
    db_session.flush()
    return event


def delete_event(db_session: Session, account_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    """Tombstone an event. Deleting twice is a no-op. Only the latest period marker can go."""
    match, event = get_event(db_session, account_id, event_id, lock=True)
    if event.deleted_at is not None:
        return event
    if event.kind in PERIOD_MARKERS:
        latest = db_session.scalar(
            select(Event.id)
            .where(
                Event.match_id == match.id,
                Event.kind.in_(PERIOD_MARKERS),
                Event.deleted_at.is_(None),
            )
            .order_by(Event.seq.desc())
            .limit(1)
        )
        if latest != event.id:
            raise Conflict("only the latest period marker can be removed", code="marker_not_latest")
    event.seq = next_seq(match)
    event.updated_at = event.deleted_at = utcnow()
    db_session.flush()
    if event.kind in PERIOD_MARKERS:
        _recompute_state(db_session, match)
        match.seq = event.seq
        match.updated_at = event.updated_at
        db_session.flush()
    return event


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


# --- lineup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lineup:
    match: Match
    entries: list[LineupEntry]


def get_lineup(db_session: Session, match: Match) -> Lineup:
    entries = db_session.scalars(
        select(LineupEntry)
        .where(LineupEntry.match_id == match.id)
        .order_by(LineupEntry.role.desc(), LineupEntry.player_id)
    )
    return Lineup(match, list(entries))


def set_lineup(db_session: Session, match: Match, data: LineupIn) -> Lineup:
    """Replace the whole lineup of a locked match."""
    seen: set[uuid.UUID] = set()
    for index, entry in enumerate(data.players):
        if entry.player_id in seen:
            raise Invalid("a player appears twice", field=f"players.{index}.player_id")
        seen.add(entry.player_id)
    known = set(
        db_session.scalars(
            select(Player.id).where(
                Player.id.in_(seen), Player.team_id == match.team_id, Player.deleted_at.is_(None)
            )
        )
    )
    for index, entry in enumerate(data.players):
        if entry.player_id not in known:
            raise Invalid(
                "no such player in this team",
                field=f"players.{index}.player_id",
                code="unknown_player",
            )
    db_session.execute(delete(LineupEntry).where(LineupEntry.match_id == match.id))
    db_session.add_all(
        LineupEntry(match_id=match.id, player_id=e.player_id, role=e.role, position=e.position)
        for e in data.players
    )
    match.lineup_seq = next_seq(match)
    db_session.flush()
    return get_lineup(db_session, match)
