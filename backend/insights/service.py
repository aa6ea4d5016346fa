"""Reads a team's matches, lineups and events and hands them to the core's rules
(``sync_protocol.insights``); nothing here decides what a number is.

A range of matches costs the same few queries whatever its size: the coach's access, the
matches, every lineup entry of them, every current event of them, and the team's players;
a match read before and unchanged since is taken from a cache (:class:`_LogCache`) and
costs nothing but its row, neither its reading nor its folding by the rules: the cache
keeps each match's :class:`MatchTally` beside its log, and a season's stats only add up
the tallies. (Folding 40 matches of 150 events took 8 to 13 ms of each request, most of a
season's stats; adding up their tallies takes well under one.)
Events are read as plain rows (no ORM objects), as a pull reads them
(:func:`backend.db.changes.event_rows`), and turned into the core's :class:`LoggedEvent` by
:func:`logged_event`, the one place a stored event becomes what the rules read: a column
the rules come to read (a goal's assisting player) is mapped there.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from threading import Lock
from typing import NamedTuple

from sqlalchemy import ColumnElement, String, Text, cast, select, type_coerce
from sqlalchemy.orm import Session

from backend.db.changes import EventRow, event_rows
from backend.db.models import Event, LineupEntry, Match, Player, ServerMeta, in_utc, utcnow
from backend.errors import Invalid
from backend.matches import service as matches
from backend.teams import service as teams
from sync_protocol.insights import (
    LoggedEvent,
    MatchLog,
    MatchTally,
    Minutes,
    Stats,
    minutes_played,
    season,
    tally,
)
from sync_protocol.match import MatchState, MatchStatus, MatchTime, minute_now


@dataclass(frozen=True, slots=True)
class DateRange:
    """UTC days, both inclusive; None leaves that end open."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise Invalid("from: the range starts after it ends (`to`)", field="from")


class _MatchRow(NamedTuple):
    """What this module reads of a match."""

    id: uuid.UUID
    opponent: str
    is_home: bool
    kickoff_at: datetime
    status: MatchStatus
    periods: int
    period_minutes: int
    head_seq: int

    @classmethod
    def of(cls, match: Match) -> _MatchRow:
        return cls._make(getattr(match, column.key) for column in _MATCH_COLUMNS)


_MATCH_COLUMNS = (
    Match.id, Match.opponent, Match.is_home, Match.kickoff_at, Match.status, Match.periods,
    Match.period_minutes, Match.head_seq,
)  # fmt: skip
"""A season's matches are read as these columns, not as ORM objects: loading all twenty
columns of 40 matches into objects took 5 to 6 ms of each request, most of what was left
of a season's stats once the matches' tallies were kept."""


@dataclass(frozen=True, slots=True)
class MatchInfo:
    """What a report shows of a match beside its numbers."""

    id: uuid.UUID
    opponent: str
    is_home: bool
    kickoff_at: datetime
    status: MatchStatus


@dataclass(frozen=True, slots=True)
class Season:
    """A team's matches in a range, as the core reads them, and the players they name."""

    matches: list[MatchInfo]
    logs: list[MatchLog]
    tallies: list[MatchTally]
    """Each match's part of the stats, in the order of ``logs``."""
    players: dict[str, Player]
    """Every player of the team, deleted ones too (their history stays), by id as the
    database gives it as text (the keys of the core's answers)."""

    def key_of(self, player_id: uuid.UUID) -> str | None:
        return next((key for key, p in self.players.items() if p.id == player_id), None)

    def stats(self) -> Stats:
        return season(self.tallies)


# --- the rows the rules read ----------------------------------------------------------

# Ids stay in the text the database gives (bare hex on SQLite, hyphenated on PostgreSQL)
# for every row read: the rules only compare ids with ids read the same way, and both
# forms sort alike. Only the few players named in an answer are parsed back into UUIDs.


def _instant(value: str | datetime | None) -> datetime | None:
    """A stored time as the driver gives it (SQLite's UTC text, or a datetime) in UTC."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return in_utc(value) if value is not None else None


def logged_event(row: EventRow) -> LoggedEvent:
    """The stored event as the rules read it: every column the rules know of is mapped
    here and nowhere else."""
    # Unpacked, not read by name: this runs for every event of a season.
    (event_id, _, kind, side, period, minute, stoppage, player, replaced, _, recorded, assist,
     _, _) = row  # fmt: skip
    return LoggedEvent(
        event_id, kind, period, minute, stoppage, side, player, replaced, assist, _instant(recorded)
    )


def _kickoff_bounds(dates: DateRange) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if dates.start is not None:
        where.append(Match.kickoff_at >= datetime.combine(dates.start, time(), UTC))
    if dates.end is not None and dates.end < date.max:
        where.append(Match.kickoff_at < datetime.combine(dates.end, time(), UTC) + timedelta(1))
    return where


@dataclass(frozen=True, slots=True)
class _Read:
    """A match as the rules read it, and what it adds to a season."""

    log: MatchLog
    tally: MatchTally


class _LogCache:
    """The core's reading of recently asked matches, kept while nothing in them changes.

    Every change in a match's space (an event, its edit or delete, the lineup, the match
    itself) moves the match's ``head_seq``, and a restored database has a new generation,
    so ``(generation, match, head_seq)`` names one content: a hit is never stale. Bounded,
    least recently used out first, shared by the process's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._logs: OrderedDict[tuple[object, str, int], _Read] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[object, str, int]) -> _Read | None:
        with self._lock:
            log = self._logs.get(key)
            if log is not None:
                self._logs.move_to_end(key)
            return log

    def put(self, key: tuple[object, str, int], log: _Read) -> None:
        with self._lock:
            self._logs[key] = log
            self._logs.move_to_end(key)
            while len(self._logs) > self._size:
                self._logs.popitem(last=False)


_CACHE = _LogCache(256)
"""About a few seasons of a few teams: 256 matches of 150 events are some 5 MB."""


def _logs(db_session: Session, matches_read: Mapping[str, _MatchRow]) -> list[_Read]:
    """The matches (by id as the database gives it as text) as the core reads them, with
    their tallies: those not in the cache in two queries, lineups then events."""
    generation = db_session.scalar(select(ServerMeta.generation))
    keys = {key: (generation, key, match.head_seq) for key, match in matches_read.items()}
    cached = {key: _CACHE.get(cache_key) for key, cache_key in keys.items()}
    wanted = {key: m for key, m in matches_read.items() if cached[key] is None}
    read = {key: _Read(log, tally(log)) for key, log in _read_logs(db_session, wanted).items()}
    for key, found in read.items():
        _CACHE.put(keys[key], found)
    return [cached[key] or read[key] for key in matches_read]


def _read_logs(db_session: Session, matches_read: Mapping[str, _MatchRow]) -> dict[str, MatchLog]:
    ids = [m.id for m in matches_read.values()]
    lineups: dict[str, dict[str, str]] = {}
    events: dict[str, list[LoggedEvent]] = {}
    if ids:
        entries = db_session.connection().execute(
            select(
                cast(LineupEntry.match_id, Text),
                cast(LineupEntry.player_id, Text),
                type_coerce(LineupEntry.role, String),
            ).where(LineupEntry.match_id.in_(ids))
        )
        for match_id, player_id, role in entries:
            lineups.setdefault(match_id, {})[player_id] = role
        for row in event_rows(db_session, Event.match_id.in_(ids), Event.deleted_at.is_(None)):
            events.setdefault(row[1], []).append(logged_event(row))
    return {
        key: MatchLog(
            id=key,
            periods=match.periods,
            period_minutes=match.period_minutes,
            kickoff_at=in_utc(match.kickoff_at),
            lineup=lineups.get(key, {}),
            events=events.get(key, []),
        )
        for key, match in matches_read.items()
    }


def _players(db_session: Session, team_id: uuid.UUID) -> dict[str, Player]:
    rows = db_session.execute(
        select(cast(Player.id, Text), Player).where(Player.team_id == team_id)
    )
    return {key: player for key, player in rows}


def _info(match: _MatchRow) -> MatchInfo:
    return MatchInfo(match.id, match.opponent, match.is_home, match.kickoff_at, match.status)


def _season(
    db_session: Session, team_id: uuid.UUID, matches_read: Mapping[str, _MatchRow]
) -> Season:
    read = _logs(db_session, matches_read)
    return Season(
        [_info(m) for m in matches_read.values()],
        [each.log for each in read],
        [each.tally for each in read],
        _players(db_session, team_id),
    )


# --- what the routes ask ---------------------------------------------------------------


def team_season(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, dates: DateRange
) -> Season:
    """The team's matches kicking off in ``dates``, oldest first; :class:`NotFound` for a
    team the coach is not in."""
    teams.team_role(db_session, account_id, team_id)
    found = db_session.execute(
        select(cast(Match.id, Text), *_MATCH_COLUMNS)
        .where(Match.team_id == team_id, Match.deleted_at.is_(None), *_kickoff_bounds(dates))
        .order_by(Match.kickoff_at, Match.id)
    )
    return _season(db_session, team_id, {row[0]: _MatchRow._make(row[1:]) for row in found})


def player_season(
    db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID, dates: DateRange
) -> tuple[Player, Season]:
    """The player and their team's season in ``dates``; :class:`NotFound` for a player of
    a team the coach is not in."""
    player = teams.get_player(db_session, account_id, player_id)
    return player, team_season(db_session, account_id, player.team_id, dates)


def match_minutes(
    db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID
) -> tuple[MatchInfo, Season, Minutes, MatchTime | None]:
    """The match (as a season of one), its minutes, and the match time they run to: for a
    match in play, the time a phone would log now by the server's clock; else None (the
    markers say how long each period lasted)."""
    match = matches.get_match(db_session, account_id, match_id)
    key = db_session.scalar(select(cast(Match.id, Text)).where(Match.id == match.id))
    assert key is not None
    row = _MatchRow.of(match)
    season = _season(db_session, match.team_id, {key: row})
    now = None
    if match.status is MatchStatus.LIVE:
        state = MatchState(match.status, match.current_period)
        started = in_utc(match.period_started_at) if match.period_started_at else None
        now = minute_now(state, started, utcnow(), match.period_minutes)
    return _info(row), season, minutes_played(season.logs[0], now), now
