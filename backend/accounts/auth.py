"""Who is calling: a coach's device token, or a login token from ``POST /api/auth/login``.

Both travel as ``Authorization: Bearer <token>``. A device token identifies the phone as
well as the coach, which ``/sync`` needs; a login token identifies only the coach. A share
token is neither, and is told so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, NamedTuple

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from backend.accounts.credentials import (
    DEVICE_TOKEN_PREFIX,
    LoginClaims,
    LoginTokens,
    hash_device_token,
)
from backend.db.engine import Database
from backend.db.models import Account, Device, RevokedLoginToken, utcnow
from backend.db.session import database
from backend.errors import Unauthorized
from backend.ratelimit import Limiter, Rates, client_address
from backend.sharing.tokens import ShareTokens

LAST_SEEN_GRANULARITY = timedelta(minutes=1)

bearer = HTTPBearer(auto_error=False, description="A device token or a login token.")


@dataclass(frozen=True)
class Principal:
    """The caller: a device (``device_id``) or a login token (``login_token_id``)."""

    account_id: uuid.UUID
    device_id: uuid.UUID | None
    login_token_id: uuid.UUID | None = None
    seen_at: datetime | None = None
    """Set by :func:`authenticate_syncing` when the device's last-seen stamp is due and
    left for the request's own write to carry (:func:`stamp_seen` writes it otherwise)."""


def login_tokens(request: Request) -> LoginTokens:
    tokens: LoginTokens = request.app.state.login_tokens
    return tokens


class TokenDevice(NamedTuple):
    """What a request needs of the device its token names."""

    id: uuid.UUID
    account_id: uuid.UUID
    last_seen_at: datetime | None


# Built once, and columns rather than the ORM's Device: every request with a device token
# runs it (see backend/matches/service.py).
_DEVICE_BY_TOKEN = select(Device.id, Device.account_id, Device.last_seen_at).where(
    Device.token_hash == bindparam("token_hash"), Device.revoked_at.is_(None)
)


def device_for_token(session: Session, token: str) -> TokenDevice | None:
    """The device a device token belongs to, unless unknown or revoked."""
    row = session.execute(_DEVICE_BY_TOKEN, {"token_hash": hash_device_token(token)}).first()
    return TokenDevice(*row) if row is not None else None


def signed_in(session: Session, claims: LoginClaims) -> bool:
    """True unless the login token was signed out, or its account signed out everywhere
    (or deleted) since it was issued."""
    generation = session.scalar(
        select(Account.token_generation).where(
            Account.id == claims.account_id,
            ~exists().where(RevokedLoginToken.token_id == claims.token_id),
        )
    )
    return generation == claims.generation


def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The verified caller. Its requests are limited per device (or, for a login token,
    per account), however the token is spelt; a request whose credential is missing or
    does not verify spends its client address's anonymous budget instead, so a flood of
    junk tokens is limited by address and never touches a real coach's bucket."""
    return _limited(request, credentials, wait_for_seen=True)


def authenticate_syncing(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """:func:`authenticate` for the sync routes: a due last-seen stamp is not written
    here but handed on as ``seen_at``, for the push to write with the device's counter
    (or :func:`stamp_seen` when the request has nothing to push). During a reconnect
    storm a phone's first request then waits for one commit, not two."""
    return _limited(request, credentials, wait_for_seen=False)


def stamp_seen(db: Database, principal: Principal) -> None:
    """Write the last-seen stamp :func:`authenticate_syncing` left due, if it did."""
    if principal.seen_at is not None and principal.device_id is not None:
        db.grouped(partial(_stamp, principal.device_id, principal.seen_at))


def _stamp(device_id: uuid.UUID, now: datetime, session: Session) -> None:
    session.execute(update(Device).where(Device.id == device_id).values(last_seen_at=now))


def _limited(
    request: Request, credentials: HTTPAuthorizationCredentials | None, *, wait_for_seen: bool
) -> Principal:
    limiter: Limiter = request.app.state.limiter
    rates: Rates = request.app.state.rates
    try:
        principal = _verified(request, credentials, wait_for_seen=wait_for_seen)
    except Unauthorized:
        limiter.check("failed-auth", client_address(request.scope), rates.anonymous)
        raise
    key = (
        f"device:{principal.device_id}"
        if principal.device_id
        else f"account:{principal.account_id}"
    )
    limiter.check("credential", key, rates.credential)
    return principal


def _verified(
    request: Request, credentials: HTTPAuthorizationCredentials | None, *, wait_for_seen: bool
) -> Principal:
    # A short session of its own: the request's session (if any) has not begun yet, so
    # on SQLite the last-seen write below never waits on the request's own write lock.
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send a device or login token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    db = database(request)
    if token.startswith(DEVICE_TOKEN_PREFIX):
        with db.reader() as session:
            device = device_for_token(session, token)
        if device is None:
            raise Unauthorized("this device token is unknown or revoked", code="invalid_token")
        now = utcnow()
        if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_GRANULARITY:
            # A sync route's own write carries it (see authenticate_syncing); anything
            # else writes it in the writer's next group commit, never in one of its own.
            if not wait_for_seen:
                return Principal(device.account_id, device.id, seen_at=now)
            db.grouped(partial(_stamp, device.id, now))
        return Principal(device.account_id, device.id)
    claims = login_tokens(request).claims(token)
    if claims is not None:
        with db.reader() as session:
            if signed_in(session, claims):
                return Principal(claims.account_id, None, claims.token_id)
    share_tokens: ShareTokens = request.app.state.share_tokens
    if share_tokens.link_id(token) is not None:
        raise Unauthorized(
            "a share link only opens the watch page; sign in as a coach for this",
            code="share_token_not_accepted",
        )
    raise Unauthorized("this login token is invalid, expired or signed out", code="invalid_token")


async def require_device(
    principal: Annotated[Principal, Depends(authenticate_syncing)],
) -> Principal:
    # async: a check this small is not worth a hop to a worker thread and back.
    if principal.device_id is None:
        raise Unauthorized("this call needs a device token; register the device first")
    return principal


def no_store(response: Response) -> None:
    """For answers that carry a token: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"


# Use as ``dependencies=[NoStore]`` on every route whose answer carries a token.
NoStore = Depends(no_store)
CurrentCoach = Annotated[Principal, Depends(authenticate)]
CurrentDevice = Annotated[Principal, Depends(require_device)]
