"""Retention: what is erased of a team nobody has used for some months.

A team is **unused** since the latest of: its creation, a coach joining it, any write to
its players, matches or events (every sync and REST write changes one of those rows'
``updated_at``), and any of its matches' kick-off (a match scheduled ahead keeps its team
in use until it has been played). A team unused for the retention period that still holds
something to erase is **due**: every player not yet erased is erased
(:func:`backend.teams.service.erase_player`), every match is deleted (a tombstone, so
devices drop it on their next sync), and the events, lineups and share links of its
matches are removed from the database. The team and its coaches stay: they are accounts'
data, erased by deleting the team or the account.

:func:`due_teams` only reads (a dry run); :func:`apply` does it in the caller's
transaction.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from backend.db.models import (
    Event,
    LineupEntry,
    Match,
    Membership,
    Player,
    ShareLink,
    Team,
    utcnow,
)
from backend.matches.service import next_seq
from backend.teams.service import erase_player


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when
    it is shorter)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class DueTeam:
    """A team due for erasure and what erasing it removes."""

    id: uuid.UUID
    name: str
    last_used: datetime
    players: int
    matches: int
    events: int


def _last_used(db_session: Session, only: uuid.UUID | None = None) -> dict[uuid.UUID, datetime]:
    """Every team's last use (or only that of the team ``only``), as the module docstring
    defines it."""
    teams = select(Team.id, Team.created_at)
    latest: dict[uuid.UUID, datetime] = {
        team_id: created
        for team_id, created in db_session.execute(
            teams if only is None else teams.where(Team.id == only)
        )
    }
    per_table: list[Select[uuid.UUID, datetime]] = [
        select(Membership.team_id, func.max(Membership.created_at)).group_by(Membership.team_id),
        select(Player.team_id, func.max(Player.updated_at)).group_by(Player.team_id),
        select(Match.team_id, func.max(Match.updated_at)).group_by(Match.team_id),
        select(Match.team_id, func.max(Match.kickoff_at)).group_by(Match.team_id),
        select(Match.team_id, func.max(Event.updated_at))
        .join(Event, Event.match_id == Match.id)
        .group_by(Match.team_id),
    ]
    for query in per_table:
        read = query if only is None else query.where(query.selected_columns[0] == only)
        for team_id, moment in db_session.execute(read):
            if moment is not None:
                latest[team_id] = max(latest[team_id], moment)
    return latest


def _count(db_session: Session, query: Select[int], *where: ColumnElement[bool]) -> int:
    return db_session.scalar(query.where(*where)) or 0


_COUNT = select(func.count())


def due_teams(db_session: Session, unused_since: datetime) -> list[DueTeam]:
    """The teams unused since before ``unused_since`` that hold something to erase, oldest
    use first. Only reads."""
    due = []
    names = {team_id: name for team_id, name in db_session.execute(select(Team.id, Team.name))}
    for team_id, last_used in sorted(_last_used(db_session).items(), key=lambda kv: kv[1]):
        if last_used >= unused_since:
            continue
        found = DueTeam(
            id=team_id,
            name=names[team_id],
            last_used=last_used,
            players=_count(
                db_session,
                _COUNT.select_from(Player),
                Player.team_id == team_id,
                Player.erased_at.is_(None),
            ),
            matches=_count(
                db_session,
                _COUNT.select_from(Match),
                Match.team_id == team_id,
                Match.deleted_at.is_(None),
            ),
            events=_count(
                db_session,
                _COUNT.select_from(Event).join(Match, Match.id == Event.match_id),
                Match.team_id == team_id,
            ),
        )
        if found.players or found.matches or found.events:
            due.append(found)
    return due


def apply(db_session: Session, team: DueTeam, unused_since: datetime) -> bool:
    """Erase the team's players and delete its matches, as the module docstring says, in
    the caller's transaction; the caller commits. A team used again since it was found
    due (a coach synced meanwhile) is left alone: answers whether it was erased."""
    locked = db_session.get(Team, team.id, with_for_update=True)
    last_used = _last_used(db_session, team.id).get(team.id)
    if locked is None or last_used is None or last_used >= unused_since:
        return False
    players = db_session.scalars(
        select(Player).where(Player.team_id == team.id, Player.erased_at.is_(None))
    )
    for player in players:
        erase_player(player, locked)
    matches = db_session.scalars(
        select(Match).where(Match.team_id == team.id).with_for_update()
    ).all()
    match_ids = [m.id for m in matches]
    for match in matches:
        if match.deleted_at is None:
            match.seq = next_seq(db_session, match)
            match.deleted_at = match.updated_at = utcnow()
    db_session.execute(delete(Event).where(Event.match_id.in_(match_ids)))
    db_session.execute(delete(LineupEntry).where(LineupEntry.match_id.in_(match_ids)))
    db_session.execute(delete(ShareLink).where(ShareLink.match_id.in_(match_ids)))
    db_session.flush()
    return True
