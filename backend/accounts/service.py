from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.accounts.auth import Principal
from backend.accounts.credentials import new_device_token
from backend.accounts.schemas import AccountCreate
from backend.db.models import Account, Device, RevokedLoginToken, utcnow
from backend.errors import Conflict, NotFound
from backend.live import publish


def create_account(db_session: Session, data: AccountCreate, password_hash: str) -> Account:
    """A new account with ``password_hash`` (made before the transaction began); Conflict
    naming the email if it is taken."""
    if account_by_email(db_session, data.email) is not None:
        raise Conflict("an account with this email already exists", field="email")
    account = Account(email=data.email, password_hash=password_hash, display_name=data.display_name)
    db_session.add(account)
    db_session.flush()
    return account


def account_by_email(db_session: Session, email: str) -> Account | None:
    return db_session.scalars(select(Account).where(Account.email == email)).one_or_none()


def replace_password_hash(db_session: Session, account_id: uuid.UUID, old: str, new: str) -> None:
    """Store ``new`` (the same password, current parameters) unless the hash has changed
    meanwhile."""
    db_session.execute(
        update(Account)
        .where(Account.id == account_id, Account.password_hash == old)
        .values(password_hash=new)
    )
    db_session.flush()


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
    return revoke(db_session, device)


def revoke(db_session: Session, device: Device) -> Device:
    """Revoke ``device``, which the caller has the right to (once revoked, it stays so);
    its live connections are closed on every instance once this transaction commits."""
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        publish.device_revoked(db_session, device.id)
        db_session.flush()
    return device


def sign_out(db_session: Session, caller: Principal) -> None:
    """Refuse the credential this caller used from now on: its login token, or its device's
    token (as revoking the device does)."""
    if caller.device_id is not None:
        revoke_device(db_session, caller.account_id, caller.device_id)
        return
    # A token already signed out never gets this far: it is refused at authentication.
    assert caller.login_token_id is not None
    db_session.add(RevokedLoginToken(token_id=caller.login_token_id, account_id=caller.account_id))
    db_session.flush()


def sign_out_everywhere(db_session: Session, account_id: uuid.UUID) -> None:
    """Refuse every login token issued so far (by raising the account's token generation)
    and every device token of the account. The coach signs in again to get new ones."""
    db_session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(token_generation=Account.token_generation + 1)
    )
    # The raised generation refuses these tokens already; their rows have no more use.
    db_session.execute(delete(RevokedLoginToken).where(RevokedLoginToken.account_id == account_id))
    revoked = db_session.scalars(
        update(Device)
        .where(Device.account_id == account_id, Device.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(Device.id)
    ).all()
    db_session.flush()
    for device_id in revoked:
        publish.device_revoked(db_session, device_id)
