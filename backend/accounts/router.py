from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from backend.accounts import service
from backend.accounts.auth import CurrentCoach, login_tokens
from backend.accounts.credentials import LoginTokens
from backend.accounts.schemas import (
    AccountCreate,
    AccountOut,
    DeviceCreate,
    DeviceOut,
    DeviceRegistered,
    LoginRequest,
    LoginResponse,
)
from backend.db.models import Account
from backend.db.session import DbSession
from backend.errors import NotFound

router = APIRouter(prefix="/api", tags=["accounts"])

LoginTokensDep = Annotated[LoginTokens, Depends(login_tokens)]


@router.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
def register(data: AccountCreate, db_session: DbSession) -> Account:
    return service.create_account(db_session, data)


@router.post("/auth/login", response_model=LoginResponse)
def login(
    data: LoginRequest, request: Request, db_session: DbSession, tokens: LoginTokensDep
) -> LoginResponse:
    """Attempts are limited per account as well as per client IP."""
    request.app.state.limiter.check("login", data.email, request.app.state.rates.login_attempts)
    account = service.check_login(db_session, data.email, data.password)
    return LoginResponse(access_token=tokens.issue(account.id), expires_in=tokens.max_age_seconds)


@router.get("/me", response_model=AccountOut)
def me(coach: CurrentCoach, db_session: DbSession) -> Account:
    account = db_session.get(Account, coach.account_id)
    if account is None:
        raise NotFound("account")
    return account


@router.post("/devices", status_code=status.HTTP_201_CREATED, response_model=DeviceRegistered)
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
