from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import StreamingResponse

from backend.accounts.auth import CurrentCoach
from backend.db.engine import Database
from backend.db.models import utcnow
from backend.db.session import DbSession, database
from backend.http_errors import ERROR_RESPONSES, ErrorBody
from backend.matches import bundle, export, service, views
from backend.matches.schemas import (
    EventCreate,
    EventFields,
    EventOut,
    EventPage,
    LineupIn,
    LineupOut,
    MatchCreate,
    MatchDetail,
    MatchFields,
    MatchFilters,
    MatchOut,
    MatchPage,
    TeamExport,
)
from backend.teams.service import get_team
from sync_protocol.match import MatchStatus

router = APIRouter(prefix="/api", tags=["matches"])

CurrentDatabase = Annotated[Database, Depends(database)]
RECENT_EVENTS = 10
ALREADY_STORED = {200: {"description": "Already stored by an earlier request with this id"}}


@router.post(
    "/matches",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchOut,
    responses={200: {"model": MatchOut, **ALREADY_STORED[200]}},
)
def create_match(
    data: MatchCreate, coach: CurrentCoach, db_session: DbSession, response: Response
) -> MatchOut:
    writer = service.MatchWriter(db_session, coach.account_id, coach.device_id)
    match, created = writer.create_match(
        data.team_id, data.id, data.model_dump(exclude={"id", "team_id"})
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.matches_out(db_session, [match])[0]


@router.get("/matches", response_model=MatchPage)
def list_matches(
    coach: CurrentCoach,
    db_session: DbSession,
    team_id: uuid.UUID | None = None,
    status_: Annotated[MatchStatus | None, Query(alias="status")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="UTC day, inclusive")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="UTC day, inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> MatchPage:
    filters = MatchFilters(team_id=team_id, status=status_, date_from=date_from, date_to=date_to)
    matches, next_cursor = service.list_matches(
        db_session, coach.account_id, filters, limit, cursor
    )
    return MatchPage(items=views.matches_out(db_session, matches), next_cursor=next_cursor)


@router.get("/matches/{match_id}", response_model=MatchDetail)
def get_match(match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> MatchDetail:
    match = service.get_match(db_session, coach.account_id, match_id)
    players = service.players_by_id(db_session, match.team_id)
    recent = service.recent_events(db_session, match, RECENT_EVENTS)
    return MatchDetail(
        match=views.matches_out(db_session, [match])[0],
        recent_events=[views.event_out(e, players) for e in recent],
    )


@router.put("/matches/{match_id}", response_model=MatchOut)
def update_match(
    match_id: uuid.UUID, data: MatchFields, coach: CurrentCoach, db_session: DbSession
) -> MatchOut:
    match = service.MatchWriter(db_session, coach.account_id).update_match(
        match_id, data.model_dump()
    )
    db_session.flush()
    return views.matches_out(db_session, [match])[0]


@router.delete("/matches/{match_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_match(match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    service.MatchWriter(db_session, coach.account_id).delete_match(match_id)


@router.post(
    "/matches/{match_id}/events",
    status_code=status.HTTP_201_CREATED,
    response_model=EventOut,
    responses={200: {"model": EventOut, **ALREADY_STORED[200]}},
)
def add_event(
    match_id: uuid.UUID,
    data: EventCreate,
    coach: CurrentCoach,
    db_session: DbSession,
    response: Response,
) -> EventOut:
    writer = service.MatchWriter(db_session, coach.account_id, coach.device_id)
    event, created = writer.add_event(match_id, data.id, data.model_dump(exclude={"id"}))
    db_session.flush()
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.event_out(event, writer.players(writer.match(match_id).team_id))


@router.get("/matches/{match_id}/events", response_model=EventPage)
def list_events(
    match_id: uuid.UUID,
    coach: CurrentCoach,
    db_session: DbSession,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    include_deleted: bool = False,
) -> EventPage:
    match = service.get_match(db_session, coach.account_id, match_id)
    events = service.list_events(
        db_session, match, after_seq=after_seq, limit=limit, include_deleted=include_deleted
    )
    players = service.players_by_id(db_session, match.team_id)
    return EventPage(
        items=[views.event_out(e, players) for e in events],
        next_after_seq=events[-1].seq if len(events) == limit else None,
    )


@router.put("/events/{event_id}", response_model=EventOut)
def edit_event(
    event_id: uuid.UUID, data: EventFields, coach: CurrentCoach, db_session: DbSession
) -> EventOut:
    writer = service.MatchWriter(db_session, coach.account_id, coach.device_id)
    event = writer.edit_event(event_id, data.model_dump())
    db_session.flush()
    return views.event_out(event, writer.players(writer.match(event.match_id).team_id))


@router.delete("/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_event(event_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    service.MatchWriter(db_session, coach.account_id, coach.device_id).delete_event(event_id)


@router.get("/matches/{match_id}/lineup", response_model=LineupOut)
def get_lineup(match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> LineupOut:
    match = service.get_match(db_session, coach.account_id, match_id)
    entries = service.get_lineup(db_session, match)
    return views.lineup_out(match, entries, service.players_by_id(db_session, match.team_id))


@router.put("/matches/{match_id}/lineup", response_model=LineupOut)
def set_lineup(
    match_id: uuid.UUID, data: LineupIn, coach: CurrentCoach, db_session: DbSession
) -> LineupOut:
    writer = service.MatchWriter(db_session, coach.account_id, coach.device_id)
    match = writer.set_lineup(match_id, data.players)
    db_session.flush()
    entries = service.get_lineup(db_session, match)
    return views.lineup_out(match, entries, writer.players(match.team_id))


# --- exports -----------------------------------------------------------------------------


class CsvStream(StreamingResponse):
    media_type = "text/csv"


class JsonStream(StreamingResponse):
    media_type = "application/json"


# A download's errors are JSON like every other route's, not its own media type (which
# FastAPI would otherwise document them as).
JSON_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": response["description"],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}
        },
    }
    for status, response in ERROR_RESPONSES.items()
}


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/matches/{match_id}/events.csv",
    response_class=CsvStream,
    responses={
        **JSON_ERRORS,
        200: {
            "description": "One line per event that is not deleted, in match time, after a "
            f"header line naming the columns: {', '.join(export.EVENT_COLUMNS)}. A cell that "
            "a spreadsheet would run as a formula starts with an apostrophe.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
def export_match_events(
    match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, db: CurrentDatabase
) -> CsvStream:
    match = service.get_match(db_session, coach.account_id, match_id)
    name = export.filename(
        match.opponent, match.kickoff_at.date().isoformat(), "events", extension="csv"
    )
    return CsvStream(export.match_events_csv(db.reader, match.id), headers=attachment(name))


@router.get(
    "/teams/{team_id}/export.json",
    # Documented as the JSON it is; the answer streams it (a JsonStream, passed through).
    response_model=TeamExport,
    responses={200: {"description": "The whole team, streamed a match at a time"}},
)
def export_team(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, db: CurrentDatabase
) -> JsonStream:
    team, _ = get_team(db_session, coach.account_id, team_id)
    name = export.filename(team.name, utcnow().date().isoformat(), extension="json")
    return JsonStream(export.team_json(db.reader, team.id), headers=attachment(name))


class ZipStream(StreamingResponse):
    media_type = "application/zip"


@router.get(
    "/teams/{team_id}/export.zip",
    response_class=ZipStream,
    responses={
        **JSON_ERRORS,
        200: {
            "description": "The same as export.json, as CSV files in a ZIP archive, streamed: "
            "members.csv, players.csv, matches.csv, events.csv, lineups.csv, share_links.csv",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
def export_team_csv(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, db: CurrentDatabase
) -> ZipStream:
    team, _ = get_team(db_session, coach.account_id, team_id)
    name = export.filename(team.name, utcnow().date().isoformat(), "csv", extension="zip")
    return ZipStream(bundle.team_csv_zip(db.reader, team.id), headers=attachment(name))
