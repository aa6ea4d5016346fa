from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from backend.accounts.auth import CurrentCoach, NoStore, bearer
from backend.db.changes import event_record, event_rows
from backend.db.models import Event, Match, ShareLink, utcnow
from backend.db.session import DbSession
from backend.errors import Unauthorized
from backend.matches import views
from backend.matches.schemas import MatchOut, MatchSummary
from backend.matches.service import get_lineup, players_by_id
from backend.sharing import service
from backend.sharing.schemas import (
    ShareLinkCreate,
    ShareLinkOut,
    WatchLineupSlot,
    WatchLink,
    WatchSummary,
)
from backend.sharing.tokens import ShareTokens
from sync_protocol.encoders import Form

router = APIRouter(prefix="/api", tags=["sharing"])


def share_tokens(request: Request) -> ShareTokens:
    tokens: ShareTokens = request.app.state.share_tokens
    return tokens


ShareTokensDep = Annotated[ShareTokens, Depends(share_tokens)]


def _out(link: ShareLink, tokens: ShareTokens) -> ShareLinkOut:
    token = tokens.issue(link.id)
    return ShareLinkOut(
        id=link.id,
        match_id=link.match_id,
        token=token,
        path=f"/watch#{token}",
        result_path=f"/watch?t={token}",
        names=link.names,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
    )


@router.get("/matches/{match_id}/share", response_model=ShareLinkOut, dependencies=[NoStore])
def share(
    match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, tokens: ShareTokensDep
) -> ShareLinkOut:
    """The match's current share link, created with the defaults if it has none."""
    return _out(service.current_link(db_session, coach.account_id, match_id), tokens)


@router.post(
    "/matches/{match_id}/share-links",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareLinkOut,
    dependencies=[NoStore],
)
def create_share_link(
    match_id: uuid.UUID,
    data: ShareLinkCreate,
    coach: CurrentCoach,
    db_session: DbSession,
    tokens: ShareTokensDep,
) -> ShareLinkOut:
    return _out(service.create_link(db_session, coach.account_id, match_id, data), tokens)


@router.get(
    "/matches/{match_id}/share-links", response_model=list[ShareLinkOut], dependencies=[NoStore]
)
def list_share_links(
    match_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession, tokens: ShareTokensDep
) -> list[ShareLinkOut]:
    return [
        _out(link, tokens) for link in service.list_links(db_session, coach.account_id, match_id)
    ]


@router.delete("/share-links/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_share_link(link_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    """Revoke a link. Viewers already watching are disconnected within seconds."""
    service.revoke_link(db_session, coach.account_id, link_id)


def _viewers_view(match: MatchOut) -> MatchSummary:
    """The match without the ids only its coaches have a use for."""
    return MatchSummary.model_validate(match.model_dump(include=set(MatchSummary.model_fields)))


@router.get("/watch", response_model=WatchSummary)
def watch(
    db_session: DbSession,
    tokens: ShareTokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> WatchSummary:
    """The match behind a share token (sent as `Authorization: Bearer <share token>`): for a
    first paint, and for viewers without WebSockets."""
    if credentials is None:
        raise Unauthorized("send the share token as 'Authorization: Bearer <token>'")
    grant = service.resolve(db_session, tokens, credentials.credentials)
    match = db_session.get(Match, grant.match_id)
    assert match is not None
    events = event_rows(db_session, Event.match_id == match.id, Event.deleted_at.is_(None))
    return WatchSummary(
        match=_viewers_view(views.matches_out(db_session, [match])[0]),
        players=service.viewer_players(
            players_by_id(db_session, match.team_id).values(), grant.names
        ),
        events=[json.loads(event_record(e, Form.LIVE).payload) for e in events],
        lineup=[
            WatchLineupSlot(player_id=slot.player_id, role=slot.role)
            for slot in sorted(
                get_lineup(db_session, match),
                key=lambda s: (s.role != "starting", str(s.player_id)),
            )
        ],
        head=match.head_seq,
        link=WatchLink(expires_at=grant.expires_at, names=grant.names),
        server_time=utcnow(),
    )
