from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from backend.accounts import service
from backend.accounts.auth import CurrentCoach, NoStore, bearer, device_for_token, login_tokens
from backend.accounts.credentials import LoginTokens, Passwords
from backend.accounts.schemas import (
    AccountCreate,
    AccountOut,
    DeviceCreate,
    DeviceOut,
    DeviceRegistered,
    LoginRequest,
    LoginResponse,
)
from backend.db.engine import Database
from backend.db.models import Account, utcnow
from backend.db.session import DbSession, database
from backend.errors import NotFound, Unauthorized

router = APIRouter(prefix="/api", tags=["accounts"])


def passwords(request: Request) -> Passwords:
    hasher: Passwords = request.app.state.passwords
    return hasher


LoginTokensDep = Annotated[LoginTokens, Depends(login_tokens)]
PasswordsDep = Annotated[Passwords, Depends(passwords)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
async def register(data: AccountCreate, db_session: DbSession, hasher: PasswordsDep) -> object:
    """Register a coach. An email that already has an account gets the same answer, after
    the same work, and nothing is created or changed: this route does not tell whether an
    email is registered. Its owner signs in with their own password as before."""
    # Hashed before the session's transaction begins (on its first statement, below).
    password_hash = await hasher.hash(data.password)
    account = await run_in_threadpool(_register, db_session, data, password_hash)
    if account is None:
        return AccountOut(
            id=uuid.uuid4(),
            email=data.email,
            display_name=data.display_name,
            created_at=utcnow(),
        )
    return account


def _register(db_session: Session, data: AccountCreate, password_hash: str) -> Account | None:
    if service.account_by_email(db_session, data.email) is not None:
        return None
    return service.create_account(db_session, data, password_hash)


@router.post("/auth/login", response_model=LoginResponse, dependencies=[NoStore])
async def login(
    data: LoginRequest,
    request: Request,
    tokens: LoginTokensDep,
    hasher: PasswordsDep,
    credentials: Credentials,
) -> LoginResponse:
    """Attempts are limited per account as well as per client address. A request that
    carries one of the account's own device tokens (`Authorization: Bearer <device
    token>`) is exempt from the per-account limit, so guessing from elsewhere never locks
    the coach out of a phone they already use; the password must still be right."""
    db = database(request)
    device_token = credentials.credentials if credentials else None
    account, known_device = await run_in_threadpool(_login_facts, db, data.email, device_token)
    if not known_device:
        request.app.state.limiter.check("login", data.email, request.app.state.rates.login_attempts)
    stored = account.password_hash if account else None
    if not await hasher.verify(data.password, stored) or account is None or stored is None:
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    if hasher.needs_rehash(stored):
        await run_in_threadpool(
            _store_hash, db, account.id, stored, await hasher.hash(data.password)
        )
    return LoginResponse(
        access_token=tokens.issue(account.id, account.token_generation),
        expires_in=tokens.max_age_seconds,
    )


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(coach: CurrentCoach, db_session: DbSession) -> None:
    """Sign out: the token this request carries (a login token, or a device token, which
    revokes that device) is refused from now on."""
    service.sign_out(db_session, coach)


@router.post("/auth/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT)
def logout_everywhere(coach: CurrentCoach, db_session: DbSession) -> None:
    """Sign out everywhere: every login token and every device token of the account is
    refused from now on. Each phone must sign in and register again."""
    service.sign_out_everywhere(db_session, coach.account_id)


# Login opens its own short sessions rather than the request's: that one would stay open
# from the lookup to the end of the request, across the password verification.
def _login_facts(db: Database, email: str, device_token: str | None) -> tuple[Account | None, bool]:
    """The account for ``email``, and whether ``device_token`` is one of its devices."""
    with db.reader() as session:
        account = service.account_by_email(session, email)
        if account is None or device_token is None:
            return account, False
        device = device_for_token(session, device_token)
        return account, device is not None and device.account_id == account.id


def _store_hash(db: Database, account_id: uuid.UUID, old: str, new: str) -> None:
    with db.writer() as session:
        service.replace_password_hash(session, account_id, old, new)
        session.commit()


@router.get("/me", response_model=AccountOut)
def me(coach: CurrentCoach, db_session: DbSession) -> Account:
    account = db_session.get(Account, coach.account_id)
    if account is None:
        raise NotFound("account")
    return account


@router.post(
    "/devices",
    status_code=status.HTTP_201_CREATED,
    response_model=DeviceRegistered,
    dependencies=[NoStore],
)
def register_device(data: DeviceCreate, coach: CurrentCoach, db_session: DbSession) -> object:
    device, token = service.register_device(db_session, coach.account_id, data.name)
    return DeviceRegistered(
        id=device.id,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        revoked_at=device.revoked_at,
        token=token,
    )


@router.get("/devices", response_model=list[DeviceOut])
def list_devices(coach: CurrentCoach, db_session: DbSession) -> object:
    return service.list_devices(db_session, coach.account_id)


@router.delete("/devices/{device_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_device(device_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> None:
    service.revoke_device(db_session, coach.account_id, device_id)
