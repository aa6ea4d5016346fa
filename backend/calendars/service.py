"""A team's calendar feed: its current URL, rotating it, and the fixtures a token shows.

Every function that takes an account id treats a team the account does not belong to
exactly like a team that does not exist. The feed itself needs no account: its token is
the capability, and the ``team_calendars`` row it names decides whether it still works.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.calendars.feed import CANCELLED_KEPT, PAST_KEPT, Fixture
from backend.calendars.tokens import CalendarTokens
from backend.db.models import Match, Team, TeamCalendar, utcnow
from backend.errors import Gone, NotFound
from backend.matches.service import scores
from backend.teams.roles import require_write
from backend.teams.service import team_role
from sync_protocol.match import MatchStatus


def _current(db_session: Session, team_id: uuid.UUID) -> TeamCalendar | None:
    return db_session.scalars(
        select(TeamCalendar)
        .where(TeamCalendar.team_id == team_id, TeamCalendar.revoked_at.is_(None))
        .order_by(TeamCalendar.created_at.desc(), TeamCalendar.id)
        .limit(1)
    ).one_or_none()


def _open(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> TeamCalendar:
    calendar = TeamCalendar(team_id=team_id, created_by=account_id)
    db_session.add(calendar)
    db_session.flush()
    return calendar


def current_calendar(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID
) -> TeamCalendar:
    """The team's feed that works now, made on the first call; any member may read it."""
    team_role(db_session, account_id, team_id)
    return _current(db_session, team_id) or _open(db_session, account_id, team_id)


def rotate(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> TeamCalendar:
    """Revoke the team's feed and make a new one (an owner or coach only): the old URL
    answers 410 from this commit on, and families subscribe again with the new one."""
    require_write(team_role(db_session, account_id, team_id))
    old = _current(db_session, team_id)
    if old is not None:
        old.revoked_at = utcnow()
    return _open(db_session, account_id, team_id)


def resolve(db_session: Session, tokens: CalendarTokens, token: str) -> Team:
    """The team a feed token shows; NotFound if forged, Gone once rotated away."""
    calendar_id = tokens.row_id(token)
    calendar = db_session.get(TeamCalendar, calendar_id) if calendar_id is not None else None
    team = db_session.get(Team, calendar.team_id) if calendar is not None else None
    # A deleted team's feed is gone with it, like its share links.
    if calendar is None or team is None or team.deleted_at is not None:
        raise NotFound("calendar")
    if calendar.revoked_at is not None:
        raise Gone("this calendar link was replaced by a new one", code="calendar_rotated")
    return team


def fixtures(db_session: Session, team_id: uuid.UUID, now: datetime | None = None) -> list[Fixture]:
    """The team's matches for its feed, by kick-off: those of the last :data:`PAST_KEPT`
    and every one ahead, with deleted ones kept (cancelled) until :data:`CANCELLED_KEPT`
    after their kick-off."""
    now = now or utcnow()
    matches = list(
        db_session.scalars(
            select(Match)
            .where(
                Match.team_id == team_id,
                Match.kickoff_at >= now - PAST_KEPT,
                or_(Match.deleted_at.is_(None), Match.kickoff_at >= now - CANCELLED_KEPT),
            )
            .order_by(Match.kickoff_at, Match.id)
        )
    )
    finished = [m.id for m in matches if m.status == MatchStatus.FINISHED and m.deleted_at is None]
    score = scores(db_session, finished)
    return [
        Fixture(
            id=match.id,
            opponent=match.opponent,
            is_home=match.is_home,
            kickoff_at=match.kickoff_at,
            venue=match.venue,
            competition=match.competition,
            periods=match.periods,
            period_minutes=match.period_minutes,
            # The match's own change counter: it rises with every change to the match or
            # its events, never falls, and a new match starts at 1.
            sequence=match.head_seq,
            updated_at=match.updated_at,
            cancelled=match.deleted_at is not None,
            score=(score[match.id].team, score[match.id].opposition) if match.id in score else None,
        )
        for match in matches
    ]
