"""Teams, their members and rosters. Every function takes the calling account's id and
treats a team the account does not belong to exactly like a team that does not exist.

Roles: the owner (one per team) manages it: invites, changes roles, removes members,
transfers ownership, renames and deletes it. A coach writes (matches, events, players). A
member reads everything a coach reads and writes nothing: their writes are refused with
``read_only``. Someone joins a team only by accepting an invitation its owner made; nobody
can be added without their consent, and anyone but the owner may leave.

Losing a team (leaving, being removed, the team deleted) is recorded as a departure, so
the account's phones are told why their queued changes for it are refused; their next
pull carries the team's tombstone. Live channels the account's devices hold on the team's
matches are closed once the change commits.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import (
    Account,
    Match,
    Membership,
    Player,
    Team,
    TeamDeparture,
    TeamInvite,
    utcnow,
)
from backend.errors import Conflict, Forbidden, Gone, NotFound
from backend.live import publish
from backend.teams.roles import require_write
from backend.teams.schemas import InviteCreate, InvitedRole, PlayerCreate, Role

DEPARTURE_MESSAGES = {
    "left": "You left {team}",
    "removed": "You were removed from {team}",
    "deleted": "{team} was deleted",
}


def team_role(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> Role:
    role = db_session.scalar(
        select(Membership.role).where(
            Membership.team_id == team_id, Membership.account_id == account_id
        )
    )
    if role is None:
        raise NotFound("team")
    return role  # type: ignore[return-value]


def role_over(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID | None, what: str
) -> Role:
    """The coach's role in the team a row belongs to (``team_id``, None for a missing row).
    A missing row and another team's row both raise the same ``NotFound(what)``."""
    if team_id is not None:
        with contextlib.suppress(NotFound):
            return team_role(db_session, account_id, team_id)
    raise NotFound(what)


def lock_team(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, *, writing: bool = True
) -> Team:
    """The team, locked for this transaction so its roster sequence advances in order.
    With ``writing`` (the default), a read-only member is refused."""
    role = team_role(db_session, account_id, team_id)
    if writing:
        require_write(role)
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


def _require_owner(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, doing: str = "invite"
) -> None:
    if team_role(db_session, account_id, team_id) != "owner":
        raise Forbidden(f"only the team's owner can {doing}", code="owner_only")


def create_invite(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, data: InviteCreate
) -> TeamInvite:
    """An invitation to join the team as ``data.role``, usable ``data.max_uses`` times until
    it expires or is revoked. Only the owner invites."""
    _require_owner(db_session, account_id, team_id)
    invite = TeamInvite(
        team_id=team_id,
        created_by=account_id,
        role=data.role,
        max_uses=data.max_uses,
        expires_at=utcnow() + timedelta(hours=data.expires_in_hours),
    )
    db_session.add(invite)
    db_session.flush()
    return invite


def list_invites(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID
) -> list[TeamInvite]:
    """The team's invitations, newest first, spent and revoked ones included."""
    _require_owner(db_session, account_id, team_id, "see its invites")
    return list(
        db_session.scalars(
            select(TeamInvite)
            .where(TeamInvite.team_id == team_id)
            .order_by(TeamInvite.created_at.desc(), TeamInvite.id)
        )
    )


def owned_invite(db_session: Session, account_id: uuid.UUID, invite_id: uuid.UUID) -> TeamInvite:
    """An invite of a team the caller owns; another team's looks like none."""
    invite = db_session.get(TeamInvite, invite_id)
    team_id = invite.team_id if invite is not None else None
    if role_over(db_session, account_id, team_id, "invite") != "owner":
        raise Forbidden("only the team's owner can manage its invites", code="owner_only")
    assert invite is not None
    return invite


def revoke_invite(db_session: Session, account_id: uuid.UUID, invite_id: uuid.UUID) -> None:
    """Revoke an invitation; coaches who already joined with it stay. Idempotent."""
    invite = owned_invite(db_session, account_id, invite_id)
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        db_session.flush()


def accept_invite(
    db_session: Session, account_id: uuid.UUID, invite_id: uuid.UUID | None
) -> tuple[Team, str]:
    """Join the invite's team with the role it grants, using one of its uses; ``invite_id``
    is None for a token that names no invite. A coach already in the team gets the team
    back and uses nothing, so a retried accept is harmless.

    Returns the team and the coach's role in it."""
    # Locked: two coaches accepting the last use at once must not both get in.
    invite = (
        db_session.get(TeamInvite, invite_id, with_for_update=True)
        if invite_id is not None
        else None
    )
    if invite is None:
        raise NotFound("invite", field="token")
    team = db_session.get(Team, invite.team_id)
    assert team is not None  # the invite goes with its team (ON DELETE CASCADE)
    if team.deleted_at is not None:
        raise NotFound("invite", field="token")
    membership = db_session.get(Membership, (team.id, account_id))
    if membership is not None:
        return team, membership.role
    if invite.revoked_at is not None:
        raise Gone("the team's owner has revoked this invite", code="invite_revoked", field="token")
    if invite.expires_at <= utcnow():
        raise Gone("this invite has expired", code="invite_expired", field="token")
    if invite.uses >= invite.max_uses:
        raise Gone("this invite has been used up", code="invite_used_up", field="token")
    invite.uses += 1
    db_session.add(Membership(team_id=team.id, account_id=account_id, role=invite.role))
    departure = db_session.get(TeamDeparture, (account_id, team.id))
    if departure is not None:
        db_session.delete(departure)
    db_session.flush()
    return team, invite.role


def leave_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Leave the team. Its owner cannot: they transfer ownership first, or delete the team.
    The account's devices learn of it on their next sync (a team tombstone)."""
    team = lock_team(db_session, account_id, team_id, writing=False)
    membership = db_session.get(Membership, (team.id, account_id))
    assert membership is not None
    if membership.role == "owner":
        raise Conflict(
            "you own this team, so you cannot leave it: transfer ownership to another "
            "member first, or delete the team",
            code="sole_owner",
        )
    _depart(db_session, membership, "left")


def _depart(db_session: Session, membership: Membership, reason: str) -> None:
    """End the membership, remember why, and close the account's live channels on the
    team's matches once this transaction commits."""
    db_session.delete(membership)
    departure = db_session.get(TeamDeparture, (membership.account_id, membership.team_id))
    if departure is None:
        departure = TeamDeparture(account_id=membership.account_id, team_id=membership.team_id)
        db_session.add(departure)
    departure.reason = reason
    departure.departed_at = utcnow()
    publish.access_changed(db_session, membership.team_id)
    db_session.flush()


def departure_message(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> str | None:
    """What to tell an account that lost the team ("You were removed from Reds U10"), or
    None if it never belonged to it (or has joined again)."""
    row = db_session.execute(
        select(TeamDeparture.reason, Team.name)
        .join(Team, Team.id == TeamDeparture.team_id)
        .where(TeamDeparture.account_id == account_id, TeamDeparture.team_id == team_id)
    ).one_or_none()
    if row is None:
        return None
    reason, name = row
    return DEPARTURE_MESSAGES[reason].format(team=name)


def _other_membership(
    db_session: Session, team: Team, account_id: uuid.UUID, member_id: uuid.UUID
) -> Membership:
    """Another account's membership of the team, for its owner to change."""
    membership = db_session.get(Membership, (team.id, member_id))
    if membership is None:
        raise NotFound("member", field="account_id")
    if member_id == account_id:
        raise Conflict(
            "this is you: to stop owning the team, transfer ownership to another member",
            code="sole_owner",
            field="account_id",
        )
    return membership


def _owned_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, doing: str) -> Team:
    """The team, locked, if the caller owns it. The role is read again once the lock is
    held, so two transfers at once cannot both pass (the second finds a coach)."""
    lock_team(db_session, account_id, team_id, writing=False)
    _require_owner(db_session, account_id, team_id, doing)
    team = db_session.get(Team, team_id)
    assert team is not None
    return team


def _team_changed(team: Team) -> None:
    """The team record changed (name, a role): every device holding it pulls it again."""
    team.seq = next_roster_seq(team)


def remove_member(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Remove a coach or member (owner only). At once: their REST calls and live channels
    on the team end, their next sync carries the team's tombstone, and their phones' queued
    changes for it are answered ``no_access``."""
    team = _owned_team(db_session, account_id, team_id, "remove members")
    _depart(db_session, _other_membership(db_session, team, account_id, member_id), "removed")


def change_role(
    db_session: Session,
    account_id: uuid.UUID,
    team_id: uuid.UUID,
    member_id: uuid.UUID,
    role: InvitedRole,
) -> Membership:
    """Make another member a coach or a read-only member (owner only)."""
    team = _owned_team(db_session, account_id, team_id, "change roles")
    membership = _other_membership(db_session, team, account_id, member_id)
    if membership.role != role:
        membership.role = role
        _team_changed(team)
    db_session.flush()
    return membership


def transfer_ownership(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Make another member the owner; the owner becomes a coach."""
    team = _owned_team(db_session, account_id, team_id, "transfer ownership")
    successor = _other_membership(db_session, team, account_id, member_id)
    successor.role = "owner"
    own = db_session.get(Membership, (team.id, account_id))
    assert own is not None
    own.role = "coach"
    _team_changed(team)
    db_session.flush()


def rename_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID, name: str) -> Team:
    """Rename the team (owner only); devices get the new name in their next pull."""
    team = _owned_team(db_session, account_id, team_id, "rename the team")
    if team.name != name:
        team.name = name
        _team_changed(team)
    db_session.flush()
    return team


def delete_team(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Delete the team (owner only). Every member loses it as if removed: their next sync
    carries its tombstone. Its invites stop working, and so do its matches' share links
    (they check the team; their viewers are closed once this commits); nothing of it can
    be read again through any route."""
    team = _owned_team(db_session, account_id, team_id, "delete the team")
    team.deleted_at = utcnow()
    for membership in db_session.scalars(select(Membership).where(Membership.team_id == team.id)):
        _depart(db_session, membership, "deleted")
    for invite in db_session.scalars(
        select(TeamInvite).where(TeamInvite.team_id == team.id, TeamInvite.revoked_at.is_(None))
    ):
        invite.revoked_at = team.deleted_at
    db_session.flush()


def list_members(
    db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID
) -> list[tuple[Account, str]]:
    """Everyone in the team with their role, in the order they joined."""
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


ERASED_NAME = "Former player"
"""What an erased player's ``display_name`` becomes; their shirt number stays beside it."""


def delete_player(
    db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID, *, erase: bool = False
) -> None:
    """Tombstone the player: events that name them keep their history.

    With ``erase``, their names are overwritten too (:func:`erase_player`); a player deleted
    before can still be erased, and erasing an erased player again changes nothing."""
    if not erase:
        player = _player_for_write(db_session, account_id, player_id)
        player.deleted_at = player.updated_at
        db_session.flush()
        return
    found = db_session.get(Player, player_id)
    role_over(db_session, account_id, found.team_id if found is not None else None, "player")
    assert found is not None
    if found.erased_at is None:
        erase_player(found, lock_team(db_session, account_id, found.team_id))
        matches = select(Match.id).where(Match.team_id == found.team_id, Match.deleted_at.is_(None))
        for match_id in db_session.scalars(matches):
            publish.names_changed(db_session, match_id)
        db_session.flush()


def erase_player(player: Player, team: Team) -> None:
    """Overwrite the player's names for good: ``display_name`` becomes :data:`ERASED_NAME`,
    ``full_name`` null; the id and shirt number stay, so events keep counting for "#7".
    The player is deleted as well, and the roster change sends its tombstone to every
    device on its next pull, so phones forget the name.
    The caller holds the team's lock."""
    now = utcnow()
    player.display_name = ERASED_NAME
    player.full_name = None
    player.erased_at = now
    player.deleted_at = player.deleted_at or now
    player.updated_at = now
    player.seq = next_roster_seq(team)


def get_player(db_session: Session, account_id: uuid.UUID, player_id: uuid.UUID) -> Player:
    player = db_session.get(Player, player_id)
    role_over(db_session, account_id, player.team_id if player is not None else None, "player")
    assert player is not None
    return player
