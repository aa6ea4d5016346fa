from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.credentials import hash_password, new_device_token, verify_password
from backend.accounts.schemas import AccountCreate
from backend.db.models import Account, Device, utcnow
from backend.errors import Conflict, NotFound, Unauthorized
from backend.live import publish


def create_account(db_session: Session, data: AccountCreate) -> Account:
    if db_session.scalar(select(Account.id).where(Account.email == data.email)) is not None:
        raise Conflict("an account with this email already exists", field="email")
    account = Account(
        email=data.email,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
    )
    db_session.add(account)
    db_session.flush()
    return account


def check_login(db_session: Session, email: str, password: str) -> Account:
    account = db_session.scalars(select(Account).where(Account.email == email)).one_or_none()
    if not verify_password(password, account.password_hash if account else None):
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    assert account is not None
    return account


def register_device(db_session: Session, account_id: uuid.UUID, name: str) -> tuple[Device, str]:
    """Create a device; the plain token is returned here and never again."""
    minted = new_device_token()
    device = Device(account_id=account_id, name=name, token_hash=minted.token_hash)
    db_session.add(device)
    db_session.flush()
    return device, minted.token


def list_devices(db_session: Session, account_id: uuid.UUID) -> list[Device]:
    return list(
        db_session.scalars(
            select(Device).where(Device.account_id == account_id).order_by(Device.created_at)
        )
    )


def revoke_device(db_session: Session, account_id: uuid.UUID, device_id: uuid.UUID) -> Device:
    """Revoke a device's token; its live connections are closed on every instance once
    this transaction commits."""
    device = db_session.get(Device, device_id)
    if device is None or device.account_id != account_id:
        raise NotFound("device")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        publish.device_revoked(db_session, device.id)
        db_session.flush()
    return device
