from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from backend.accounts.auth import CurrentCoach, NoStore
from backend.db.models import Account, Player, TeamInvite
from backend.db.session import DbSession
from backend.errors import Gone
from backend.teams import service
from backend.teams.qr import invite_qr_svg
from backend.teams.schemas import (
    CoachOut,
    InviteAccept,
    InviteCreate,
    InviteOut,
    OwnershipTransfer,
    PlayerCreate,
    PlayerFields,
    PlayerOut,
    RoleChange,
    TeamCreate,
    TeamOut,
    TeamRename,
)
from backend.teams.tokens import InviteTokens

router = APIRouter(prefix="/api", tags=["teams"])


def invite_tokens(request: Request) -> InviteTokens:
    # Made per request: signing derives its key on every call anyway, so nothing is saved
    # by keeping one.
    return InviteTokens(request.app.state.settings.secret_keys)


InviteTokensDep = Annotated[InviteTokens, Depends(invite_tokens)]


def _invite_out(invite: TeamInvite, tokens: InviteTokens) -> InviteOut:
    token = tokens.issue(invite.id)
    return InviteOut(
        id=invite.id,
        team_id=invite.team_id,
        token=token,
        path=f"/join#{token}",
        role=invite.role,
        max_uses=invite.max_uses,
        uses=invite.uses,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        revoked_at=invite.revoked_at,
    )


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


def _members(db_session: DbSession, account_id: uuid.UUID, team_id: uuid.UUID) -> list[CoachOut]:
    return [
        CoachOut(
            account_id=account.id,
            display_name=account.display_name,
            email=account.email,
            role=role,
        )
        for account, role in service.list_members(db_session, account_id, team_id)
    ]


@router.get("/teams/{team_id}/members", response_model=list[CoachOut])
def list_members(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> list[CoachOut]:
    """Everyone in the team with their role (owner, coach, member), in the order they
    joined. Anyone in the team may list them."""
    return _members(db_session, coach.account_id, team_id)


@router.get("/teams/{team_id}/coaches", response_model=list[CoachOut], deprecated=True)
def list_coaches(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> list[CoachOut]:
    """The same as ``GET /api/teams/{team_id}/members``, its older name."""
    return _members(db_session, coach.account_id, team_id)


@router.put("/teams/{team_id}", response_model=TeamOut)
def rename_team(
    team_id: uuid.UUID, data: TeamRename, coach: CurrentCoach, db_session: DbSession
) -> TeamOut:
    """Rename the team (owner only); phones get the new name in their next sync."""
    team = service.rename_team(db_session, coach.account_id, team_id, data.name)
    return TeamOut(id=team.id, name=team.name, role="owner", created_at=team.created_at)


@router.delete("/teams/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_team(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    """Delete the team (owner only). Every member's phones drop it on their next sync; its
    invites and share links stop working, and nothing of it can be read again."""
    service.delete_team(db_session, coach.account_id, team_id)


@router.delete("/teams/{team_id}/members/me", status_code=status.HTTP_204_NO_CONTENT)
def leave_team(team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    """Leave the team; its owner cannot (transfer ownership first, or delete the team).
    Your phones drop its data on their next sync."""
    service.leave_team(db_session, coach.account_id, team_id)


@router.put("/teams/{team_id}/members/{account_id}", response_model=CoachOut)
def change_role(
    team_id: uuid.UUID,
    account_id: uuid.UUID,
    data: RoleChange,
    coach: CurrentCoach,
    db_session: DbSession,
) -> CoachOut:
    """Make another member a coach or a read-only member (owner only)."""
    membership = service.change_role(db_session, coach.account_id, team_id, account_id, data.role)
    account = db_session.get(Account, membership.account_id)
    assert account is not None
    return CoachOut(
        account_id=account.id,
        display_name=account.display_name,
        email=account.email,
        role=data.role,
    )


@router.delete("/teams/{team_id}/members/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(
    team_id: uuid.UUID, account_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession
) -> None:
    """Remove a coach or member (owner only). Their phones are told on their next sync and
    their queued changes for the team are answered ``no_access``."""
    service.remove_member(db_session, coach.account_id, team_id, account_id)


@router.post("/teams/{team_id}/transfer", response_model=TeamOut)
def transfer_ownership(
    team_id: uuid.UUID, data: OwnershipTransfer, coach: CurrentCoach, db_session: DbSession
) -> TeamOut:
    """Make another member the owner (owner only); you become a coach."""
    service.transfer_ownership(db_session, coach.account_id, team_id, data.account_id)
    team, role = service.get_team(db_session, coach.account_id, team_id)
    return TeamOut(id=team.id, name=team.name, role=role, created_at=team.created_at)


@router.post("/teams/{team_id}/coaches", include_in_schema=False)
def add_coach_retired(team_id: uuid.UUID, coach: CurrentCoach) -> None:
    """Retired: it let an owner add anyone by e-mail, without their consent."""
    raise Gone(
        "coaches are no longer added by e-mail: the owner creates an invite "
        f"(POST /api/teams/{team_id}/invites) and the coach accepts it "
        "(POST /api/invites/accept)",
        code="use_invites",
    )


@router.post(
    "/teams/{team_id}/invites",
    status_code=status.HTTP_201_CREATED,
    response_model=InviteOut,
    dependencies=[NoStore],
)
def create_invite(
    team_id: uuid.UUID,
    data: InviteCreate,
    coach: CurrentCoach,
    db_session: DbSession,
    tokens: InviteTokensDep,
) -> InviteOut:
    """Invite a coach or a read-only member to the team (owner only). Send them the
    server's address followed by `path` (or show `GET /api/invites/{id}/qr.svg`); they join
    by accepting it while signed in."""
    invite = service.create_invite(db_session, coach.account_id, team_id, data)
    return _invite_out(invite, tokens)


@router.get("/teams/{team_id}/invites", response_model=list[InviteOut], dependencies=[NoStore])
def list_invites(
    team_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, tokens: InviteTokensDep
) -> list[InviteOut]:
    """The team's invites, newest first (owner only)."""
    return [
        _invite_out(invite, tokens)
        for invite in service.list_invites(db_session, coach.account_id, team_id)
    ]


@router.get(
    "/invites/{invite_id}/qr.svg",
    response_class=Response,
    responses={
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "The invite's link as a QR code, to scan from the owner's phone",
        }
    },
)
def invite_qr(
    invite_id: uuid.UUID,
    request: Request,
    coach: CurrentCoach,
    db_session: DbSession,
    tokens: InviteTokensDep,
) -> Response:
    """The invite's whole link (this server's address and its `path`) as an SVG QR code,
    for someone at the touchline to scan (owner only)."""
    invite = service.owned_invite(db_session, coach.account_id, invite_id)
    link = str(request.base_url).rstrip("/") + _invite_out(invite, tokens).path
    # Built here rather than through NoStore: a returned Response takes no injected headers.
    return Response(
        invite_qr_svg(link), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@router.delete("/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_invite(invite_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    """Revoke an invite (owner only); coaches who joined with it stay."""
    service.revoke_invite(db_session, coach.account_id, invite_id)


@router.post("/invites/accept", response_model=TeamOut)
def accept_invite(
    data: InviteAccept, coach: CurrentCoach, db_session: DbSession, tokens: InviteTokensDep
) -> TeamOut:
    """Join the invite's team with the role it grants. Accepting again once in the team is
    harmless."""
    team, role = service.accept_invite(db_session, coach.account_id, tokens.row_id(data.token))
    return TeamOut(id=team.id, name=team.name, role=role, created_at=team.created_at)


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
def delete_player(
    player_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, erase: bool = False
) -> None:
    """Delete the player; events that name them keep the id. With `erase=true` their names
    are overwritten for good ("Former player", the shirt number stays) in the database, in
    every export and on every phone at its next sync. A deleted player can still be erased;
    erasing again changes nothing."""
    service.delete_player(db_session, coach.account_id, player_id, erase=erase)
