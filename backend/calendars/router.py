from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from backend.accounts.auth import CurrentCoach, NoStore
from backend.calendars import feed, service
from backend.calendars.schemas import CalendarOut
from backend.calendars.tokens import CalendarTokens
from backend.db.models import TeamCalendar
from backend.db.session import DbSession
from backend.matches.router import JSON_ERRORS

router = APIRouter(prefix="/api", tags=["calendars"])
feed_router = APIRouter(tags=["calendars"])

# Calendars poll on their own schedule (hours, often); a short max-age spares the server a
# burst of refreshes without holding a change back for long, and the ETag makes a refresh
# of an unchanged feed cost a 304.
FEED_CACHE = "private, max-age=300"


def calendar_tokens(request: Request) -> CalendarTokens:
    return CalendarTokens(request.app.state.settings.secret_keys)


CalendarTokensDep = Annotated[CalendarTokens, Depends(calendar_tokens)]


def _out(calendar: TeamCalendar, tokens: CalendarTokens) -> CalendarOut:
    token = tokens.issue(calendar.id)
    return CalendarOut(
        team_id=calendar.team_id,
        token=token,
        path=f"/calendar/{token}.ics",
        created_at=calendar.created_at,
    )


@router.get("/teams/{team_id}/calendar", response_model=CalendarOut, dependencies=[NoStore])
def team_calendar(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, tokens: CalendarTokensDep
) -> CalendarOut:
    """The team's calendar feed for families to subscribe to, made on the first call."""
    return _out(service.current_calendar(db_session, coach.account_id, team_id), tokens)


@router.post(
    "/teams/{team_id}/calendar/rotate",
    status_code=status.HTTP_201_CREATED,
    response_model=CalendarOut,
    dependencies=[NoStore],
)
def rotate_calendar(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, tokens: CalendarTokensDep
) -> CalendarOut:
    """A new feed URL for the team (owner or coach); the old one answers 410 from now on."""
    return _out(service.rotate(db_session, coach.account_id, team_id), tokens)


@feed_router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={
        **JSON_ERRORS,
        200: {
            "description": "The team's fixtures as iCalendar (RFC 5545): one event per match, "
            "cancelled ones kept for 30 days after kick-off as STATUS:CANCELLED",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
        },
        304: {"description": "The feed has not changed since the ETag sent in If-None-Match"},
    },
)
def calendar_feed(
    token: str, request: Request, db_session: DbSession, tokens: CalendarTokensDep
) -> Response:
    """A team's fixtures, for a phone's calendar to subscribe to. No login: the token in the
    URL is the capability, until a coach rotates it."""
    team = service.resolve(db_session, tokens, token)
    body = feed.calendar(
        team.name, service.fixtures(db_session, team.id), request.url.hostname or "touchline"
    )
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"Cache-Control": FEED_CACHE, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
