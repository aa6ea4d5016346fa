from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from backend.accounts.auth import CurrentCoach
from backend.db.session import DbSession
from backend.insights import exports, service, views
from backend.insights.schemas import MatchStatsOut, PlayerSeasonOut, TeamFairnessOut, TeamStatsOut

router = APIRouter(prefix="/api", tags=["insights"])


def _dates(
    date_from: Annotated[
        date | None, Query(alias="from", description="UTC day of kick-off, inclusive")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="UTC day of kick-off, inclusive")
    ] = None,
) -> service.DateRange:
    return service.DateRange(date_from, date_to)


Dates = Annotated[service.DateRange, Depends(_dates)]


def _csv(rows: Iterator[Any], filename: str) -> StreamingResponse:
    return StreamingResponse(
        exports.csv_lines(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A CSV file, one row per player after a header row",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get("/teams/{team_id}/stats", response_model=TeamStatsOut)
def team_stats(
    team_id: uuid.UUID, dates: Dates, coach: CurrentCoach, db_session: DbSession
) -> TeamStatsOut:
    season = service.team_season(db_session, coach.account_id, team_id, dates)
    return views.team_stats_out(team_id, dates, season)


@router.get("/teams/{team_id}/fairness", response_model=TeamFairnessOut)
def team_fairness(
    team_id: uuid.UUID, dates: Dates, coach: CurrentCoach, db_session: DbSession
) -> TeamFairnessOut:
    season = service.team_season(db_session, coach.account_id, team_id, dates)
    return views.fairness_out(team_id, dates, season)


@router.get("/teams/{team_id}/stats.csv", response_class=StreamingResponse, responses=CSV_RESPONSE)
def team_stats_csv(
    team_id: uuid.UUID, dates: Dates, coach: CurrentCoach, db_session: DbSession
) -> StreamingResponse:
    season = service.team_season(db_session, coach.account_id, team_id, dates)
    stats = views.team_stats_out(team_id, dates, season)
    return _csv(exports.season_rows(stats), f"stats-{team_id}.csv")


@router.get("/players/{player_id}/stats", response_model=PlayerSeasonOut)
def player_stats(
    player_id: uuid.UUID, dates: Dates, coach: CurrentCoach, db_session: DbSession
) -> PlayerSeasonOut:
    player, season = service.player_season(db_session, coach.account_id, player_id, dates)
    return views.player_season_out(player, dates, season)


@router.get("/matches/{match_id}/stats", response_model=MatchStatsOut)
def match_stats(match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> MatchStatsOut:
    return views.match_stats_out(*service.match_minutes(db_session, coach.account_id, match_id))


@router.get(
    "/matches/{match_id}/minutes.csv", response_class=StreamingResponse, responses=CSV_RESPONSE
)
def match_minutes_csv(
    match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession
) -> StreamingResponse:
    stats = views.match_stats_out(*service.match_minutes(db_session, coach.account_id, match_id))
    return _csv(exports.minutes_rows(stats), f"minutes-{match_id}.csv")
