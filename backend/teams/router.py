from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from backend.accounts.auth import CurrentCoach
from backend.db.models import Player
from backend.db.session import DbSession
from backend.teams import service
from backend.teams.schemas import (
    CoachAdd,
    CoachOut,
    PlayerCreate,
    PlayerFields,
    PlayerOut,
    TeamCreate,
    TeamOut,
)

router = APIRouter(prefix="/api", tags=["teams"])


@router.post("/teams", status_code=status.HTTP_201_CREATED, response_model=TeamOut)
def create_team(data: TeamCreate, coach: CurrentCoach, db_session: DbSession) -> TeamOut:
    team = service.create_team(db_session, coach.account_id, data.name)
    return TeamOut(id=team.id, name=team.name, role="owner", created_at=team.created_at)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(coach: CurrentCoach, db_session: DbSession) -> list[TeamOut]:
    return [
        TeamOut(id=team.id, name=team.name, role=role, created_at=team.created_at)
        for team, role in service.list_teams(db_session, coach.account_id)
    ]


@router.get("/teams/{team_id}", response_model=TeamOut)
def get_team(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> TeamOut:
    team, role = service.get_team(db_session, coach.account_id, team_id)
    return TeamOut(id=team.id, name=team.name, role=role, created_at=team.created_at)


@router.get("/teams/{team_id}/coaches", response_model=list[CoachOut])
def list_coaches(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> list[CoachOut]:
    return [
        CoachOut(
            account_id=account.id,
            display_name=account.display_name,
            email=account.email,
            role=role,
        )
        for account, role in service.list_coaches(db_session, coach.account_id, team_id)
    ]


@router.post(
    "/teams/{team_id}/coaches", status_code=status.HTTP_201_CREATED, response_model=CoachOut
)
def add_coach(
    team_id: uuid.UUID, data: CoachAdd, coach: CurrentCoach, db_session: DbSession
) -> CoachOut:
    account, membership = service.add_coach(
        db_session, coach.account_id, team_id, data.email, data.role
    )
    return CoachOut(
        account_id=account.id,
        display_name=account.display_name,
        email=account.email,
        role=membership.role,
    )


@router.post(
    "/teams/{team_id}/players",
    status_code=status.HTTP_201_CREATED,
    response_model=PlayerOut,
    responses={200: {"model": PlayerOut, "description": "The player with this id already exists"}},
)
def create_player(
    team_id: uuid.UUID,
    data: PlayerCreate,
    coach: CurrentCoach,
    db_session: DbSession,
    response: Response,
) -> Player:
    player, created = service.create_player(db_session, coach.account_id, team_id, data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return player


@router.get("/teams/{team_id}/players", response_model=list[PlayerOut])
def list_players(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, include_deleted: bool = False
) -> list[Player]:
    return service.list_players(db_session, coach.account_id, team_id, include_deleted)


@router.get("/players/{player_id}", response_model=PlayerOut)
def get_player(player_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> Player:
    return service.get_player(db_session, coach.account_id, player_id)


@router.put("/players/{player_id}", response_model=PlayerOut)
def update_player(
    player_id: uuid.UUID, data: PlayerFields, coach: CurrentCoach, db_session: DbSession
) -> Player:
    return service.update_player(db_session, coach.account_id, player_id, data.model_dump())


@router.delete("/players/{player_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_player(player_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    service.delete_player(db_session, coach.account_id, player_id)
