"""Teams and rosters. Every function takes the calling coach's account id and treats a team
the coach does not belong to exactly like a team that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Account, Membership, Player, Team, utcnow
from backend.errors import Conflict, Forbidden, NotFound
from backend.teams.schemas import PlayerCreate, Role


def team_role(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> Role:
    role = db_session.scalar(
        select(Membership.role).where(
            Membership.team_id == team_id, Membership.account_id == account_id
        )
    )
    if role is None:
        raise NotFound("team")
    return role  # type: ignore[return-value]


def lock_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    """The team, locked for this transaction so its roster sequence advances in order."""
    team_role(db_session, account_id, team_id)
    team = db_session.get(Team, team_id, with_for_update=True)
    if team is None:
        raise NotFound("team")
    return team


def next_roster_seq(team: Team) -> int:
    team.head_seq += 1
    return team.head_seq


def create_team(db_session: Session, account_id: uuid.UUID, name: str) -> Team:
    team = Team(name=name)
    db_session.add(team)
    db_session.flush()
    db_session.add(Membership(team_id=team.id, account_id=account_id, role="owner"))
    db_session.flush()
    return team


def list_teams(db_session: Session, account_id: uuid.UUID) -> list[tuple[Team, str]]:
    rows = db_session.execute(
        select(Team, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.account_id == account_id)
        .order_by(Team.created_at, Team.id)
    )
    return [(team, role) for team, role in rows]


def get_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> tuple[Team, str]:
    role = team_role(db_session, account_id, team_id)
    team = db_session.get(Team, team_id)
    if team is None:
        raise NotFound("team")
    return team, role


def add_coach(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, email: str, role: Role
) -> tuple[Account, Membership]:
    if team_role(db_session, account_id, team_id) != "owner":
        raise Forbidden("only the team's owner can add coaches")
    coach = db_session.scalars(select(Account).where(Account.email == email)).one_or_none()
    if coach is None:
        raise NotFound("account", field="email")
    membership = db_session.get(Membership, (team_id, coach.id))
    if membership is not None:
        raise Conflict("this coach is already in the team", field="email")
    membership = Membership(team_id=team_id, account_id=coach.id, role=role)
    db_session.add(membership)
    db_session.flush()
    return coach, membership


def list_coaches(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID
) -> list[tuple[Account, str]]:
    team_role(db_session, account_id, team_id)
    rows = db_session.execute(
        select(Account, Membership.role)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.team_id == team_id)
        .order_by(Membership.created_at, Account.id)
    )
    return [(account, role) for account, role in rows]


def create_player(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, data: PlayerCreate
) -> tuple[Player, bool]:
    """Add a player; with a client-made id already used in this team, return that player.

    Returns the player and whether it was created by this call.
    """
    team = lock_team(db_session, account_id, team_id)
    if data.id is not None:
        existing = db_session.get(Player, data.id)
        if existing is not None:
            if existing.team_id != team.id:
                raise Conflict("this id is already in use", field="id", code="id_in_use")
            return existing, False
    player = Player(
        id=data.id or uuid.uuid4(),
        team_id=team.id,
        squad_number=data.squad_number,
        display_name=data.display_name,
        full_name=data.full_name,
        seq=next_roster_seq(team),
    )
    db_session.add(player)
    db_session.flush()
    return player, True


def list_players(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, include_deleted: bool
) -> list[Player]:
    team_role(db_session, account_id, team_id)
    query = select(Player).where(Player.team_id == team_id)
    if not include_deleted:
        query = query.where(Player.deleted_at.is_(None))
    return list(db_session.scalars(query.order_by(Player.squad_number, Player.display_name)))


def _player_for_write(db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID) -> Player:
    player = db_session.get(Player, player_id)
    if player is None or player.deleted_at is not None:
        raise NotFound("player")
    try:
        team = lock_team(db_session, account_id, player.team_id)
    except NotFound:
        raise NotFound("player") from None
    player.seq = next_roster_seq(team)
    player.updated_at = utcnow()
    return player


def update_player(
    db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID, changes: Mapping[str, Any]
) -> Player:
    """Change the given fields (squad_number, display_name, full_name) of a player."""
    player = _player_for_write(db_session, account_id, player_id)
    for name, value in changes.items():
        setattr(player, name, value)
    db_session.flush()
    return player


def delete_player(db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID) -> None:
    """Tombstone the player: events that name them keep their history."""
    player = _player_for_write(db_session, account_id, player_id)
    player.deleted_at = player.updated_at
    db_session.flush()


def get_player(db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID) -> Player:
    player = db_session.get(Player, player_id)
    if player is None:
        raise NotFound("player")
    try:
        team_role(db_session, account_id, player.team_id)
    except NotFound:
        raise NotFound("player") from None
    return player
