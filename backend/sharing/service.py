"""Creating, listing and revoking share links, and resolving a share token to its match."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db.models import Match, Player, PushSubscription, ShareLink, Team, utcnow
from backend.errors import Gone, NotFound, Unauthorized
from backend.live import publish
from backend.matches.service import get_match
from backend.sharing.schemas import NamePolicy, ShareLinkCreate, ViewerPlayer
from backend.sharing.tokens import ShareTokens
from backend.teams.roles import require_team_write
from backend.teams.service import ERASED_NAME


def create_link(
    db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID, data: ShareLinkCreate
) -> ShareLink:
    match = get_match(db_session, account_id, match_id)
    require_team_write(db_session, account_id, match.team_id)
    return open_link(db_session, match, data, created_by=account_id)


def open_link(
    db_session: Session, match: Match, data: ShareLinkCreate, created_by: uuid.UUID | None
) -> ShareLink:
    """A new link to ``match``, which the caller has the right to share (a coach of its
    team, or the operator: ``created_by`` None)."""
    link = ShareLink(
        match_id=match.id,
        created_by=created_by,
        names=data.names,
        expires_at=(
            None
            if data.expires_in_hours is None
            else utcnow() + timedelta(hours=data.expires_in_hours)
        ),
    )
    db_session.add(link)
    db_session.flush()
    return link


def current_link(db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID) -> ShareLink:
    """The match's newest link that still works, creating one (the defaults) if none does."""
    match = get_match(db_session, account_id, match_id)
    link = db_session.scalars(
        select(ShareLink)
        .where(
            ShareLink.match_id == match.id,
            ShareLink.revoked_at.is_(None),
            ShareLink.unexpired(utcnow()),
        )
        .order_by(ShareLink.created_at.desc())
        .limit(1)
    ).one_or_none()
    return link or create_link(db_session, account_id, match_id, ShareLinkCreate())


def list_links(db_session: Session, account_id: uuid.UUID, match_id: uuid.UUID) -> list[ShareLink]:
    return match_links(db_session, get_match(db_session, account_id, match_id).id)


def match_links(db_session: Session, match_id: uuid.UUID) -> list[ShareLink]:
    """Every link to the match, newest first; the caller has the right to see them."""
    return list(
        db_session.scalars(
            select(ShareLink)
            .where(ShareLink.match_id == match_id)
            .order_by(ShareLink.created_at.desc())
        )
    )


def revoke_link(db_session: Session, account_id: uuid.UUID, link_id: uuid.UUID) -> ShareLink:
    """Revoke a link; viewers watching through it are disconnected on every instance once
    this transaction commits, and its push subscriptions are deleted with it."""
    link = db_session.get(ShareLink, link_id)
    if link is None:
        raise NotFound("share link")
    try:
        match = get_match(db_session, account_id, link.match_id)
    except NotFound:
        raise NotFound("share link") from None
    require_team_write(db_session, account_id, match.team_id)
    return revoke(db_session, link)


def revoke(db_session: Session, link: ShareLink) -> ShareLink:
    """Revoke ``link``, which the caller has the right to (once revoked, it stays so);
    viewers watching through it are disconnected on every instance once this transaction
    commits."""
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        publish.link_revoked(db_session, link.id)
        db_session.execute(delete(PushSubscription).where(PushSubscription.link_id == link.id))
        db_session.flush()
    return link


@dataclass(frozen=True)
class Grant:
    """What a share token allows: watching one match, with names shown as the link says."""

    link_id: uuid.UUID
    match_id: uuid.UUID
    names: NamePolicy
    expires_at: datetime | None


def resolve(db_session: Session, tokens: ShareTokens, token: str) -> Grant:
    """The grant a share token carries; Unauthorized if forged, Gone if revoked or expired,
    or if its match or the match's team was deleted."""
    link_id = tokens.link_id(token)
    link = db_session.get(ShareLink, link_id) if link_id is not None else None
    if link is None:
        raise Unauthorized("this share link is not valid", code="invalid_token")
    if link.revoked_at is not None:
        raise Gone("the coach has revoked this link", code="link_revoked")
    if link.expired(utcnow()):
        raise Gone("this link has expired", code="link_expired")
    match = db_session.get(Match, link.match_id)
    team = db_session.get(Team, match.team_id) if match is not None else None
    if match is None or match.deleted_at is not None or team is None or team.deleted_at:
        raise Gone("this match is no longer shared", code="link_revoked")
    return Grant(link.id, link.match_id, link.names, link.expires_at)  # type: ignore[arg-type]


def viewer_name(player: Player, names: NamePolicy) -> str:
    """A player's name as a viewer of this link may see it; never more than chosen. An
    erased player is "Former player" whatever the link chose."""
    if player.erased_at is not None:
        return ERASED_NAME
    if names == "full_names":
        return player.full_name or player.display_name
    if names == "first_names":
        return player.display_name
    source = player.full_name or player.display_name
    return " ".join(f"{part[0].upper()}." for part in source.split() if part)


def viewer_players(players: Iterable[Player], names: NamePolicy) -> list[ViewerPlayer]:
    return [
        ViewerPlayer(id=p.id, squad_number=p.squad_number, name=viewer_name(p, names))
        for p in sorted(players, key=lambda p: (p.squad_number is None, p.squad_number or 0))
        # An erased player stays, named only "Former player", so their goals are not blank.
        if p.deleted_at is None or p.erased_at is not None
    ]
