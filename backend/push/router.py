from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from backend.accounts.auth import bearer
from backend.db.session import DbSession
from backend.errors import NotFound, Unauthorized
from backend.push import service
from backend.push.schemas import PushChoices, PushInfo, PushSubscribe, PushUnsubscribe
from backend.settings import Settings
from backend.sharing.router import ShareTokensDep
from backend.sharing.service import Grant, resolve
from backend.vapid_keys import public_key

router = APIRouter(prefix="/api/watch/push", tags=["push"])


def settings(request: Request) -> Settings:
    current: Settings = request.app.state.settings
    return current


SettingsDep = Annotated[Settings, Depends(settings)]


def share_grant(
    db_session: DbSession,
    tokens: ShareTokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Grant:
    if credentials is None:
        raise Unauthorized("send the share token as 'Authorization: Bearer <token>'")
    return resolve(db_session, tokens, credentials.credentials)


ShareGrant = Annotated[Grant, Depends(share_grant)]


def _require_push(current: Settings) -> None:
    if not current.push_enabled:
        raise NotFound("push alerts (no VAPID key is set on this server)")


@router.get("", response_model=PushInfo)
def push_info(current: SettingsDep) -> PushInfo:
    """Whether this server sends alerts, and the key a browser subscribes with."""
    key = current.vapid_private_key
    return PushInfo(enabled=key is not None, public_key=public_key(key) if key else None)


@router.post("", response_model=PushChoices)
def subscribe(
    data: PushSubscribe, grant: ShareGrant, db_session: DbSession, current: SettingsDep
) -> PushChoices:
    """Subscribe this browser (its ``PushSubscription.toJSON()``) to alerts about the share
    link's match, from now on, with the share token as ``Authorization: Bearer <token>``.
    The subscription is deleted when the link is revoked or expires."""
    _require_push(current)
    subscription = service.subscribe(
        db_session, grant, data, allow_loopback_http=current.push_allows_loopback_http
    )
    return PushChoices(
        goals=subscription.goals, breaks=subscription.breaks, cards=subscription.cards
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def unsubscribe(data: PushUnsubscribe, grant: ShareGrant, db_session: DbSession) -> None:
    """Stop alerts to this browser (by its endpoint) about the link's match; 204 whether or
    not it was subscribed."""
    service.unsubscribe(db_session, grant, data.endpoint)
