from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, aliased

from backend.accounts.auth import Principal
from backend.accounts.credentials import new_device_token
from backend.accounts.schemas import AccountCreate
from backend.db.models import Account, Device, Membership, RevokedLoginToken, Team, utcnow
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


def sign_out_everywhere(
    db_session: Session, account_id: uuid.UUID, keep_device: uuid.UUID | None = None
) -> None:
    """Refuse every login token issued so far (by raising the account's token generation)
    and every device token of the account but ``keep_device``'s. The coach signs in again
    to get new ones."""
    db_session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(token_generation=Account.token_generation + 1)
    )
    # The raised generation refuses these tokens already; their rows have no more use.
    db_session.execute(delete(RevokedLoginToken).where(RevokedLoginToken.account_id == account_id))
    kept = [Device.id != keep_device] if keep_device is not None else []
    revoked = db_session.scalars(
        update(Device)
        .where(Device.account_id == account_id, Device.revoked_at.is_(None), *kept)
        .values(revoked_at=utcnow())
        .returning(Device.id)
    ).all()
    db_session.flush()
    for device_id in revoked:
        publish.device_revoked(db_session, device_id)


def set_password(
    db_session: Session, account_id: uuid.UUID, verified: str, new: str, keep: Principal | None
) -> Account:
    """Store ``new`` in place of the hash ``verified`` (the one the caller's password or
    link was checked against) and sign out everywhere but ``keep``'s device. Conflict if
    the password changed in between: the caller checked against a password that is gone.
    ``keep``, if a login token, is signed out too: hand its holder a new one."""
    changed = db_session.execute(
        update(Account)
        .where(Account.id == account_id, Account.password_hash == verified)
        .values(password_hash=new)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the password was changed meanwhile; try again", field="password")
    sign_out_everywhere(db_session, account_id, keep.device_id if keep else None)
    account = db_session.get(Account, account_id, populate_existing=True)
    assert account is not None
    return account


def change_email(db_session: Session, account_id: uuid.UUID, email: str) -> Account:
    """Sign in with ``email`` (lower-cased already) from now on; Conflict naming the field if
    another account has it. Login tokens and devices stay signed in."""
    account = db_session.get(Account, account_id)
    if account is None:
        raise NotFound("account")
    taken = account_by_email(db_session, email)
    if taken is not None and taken.id != account_id:
        raise Conflict("another account has this email", field="email", code="email_taken")
    account.email = email
    db_session.flush()
    return account


def delete_account(db_session: Session, account_id: uuid.UUID) -> None:
    """Delete the account, its devices (their live connections are closed) and its place in
    every team. A team it alone belongs to is deleted with it; a team it is the only owner
    of while others belong to it is not left without an owner: Conflict naming those teams,
    and nothing changes."""
    other = aliased(Membership)
    others = (
        select(func.count())
        .where(other.team_id == Membership.team_id, other.account_id != account_id)
        .scalar_subquery()
    )
    owners = (
        select(func.count())
        .where(other.team_id == Membership.team_id, other.role == "owner")
        .scalar_subquery()
    )
    rows = db_session.execute(
        select(Team.id, Team.name, Membership.role, others, owners)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.account_id == account_id)
        .order_by(Team.name)
        .with_for_update(of=Team)
    ).all()
    stranded = [name for _, name, role, rest, n in rows if role == "owner" and n == 1 and rest]
    if stranded:
        raise Conflict(
            f"you are the only owner of {', '.join(stranded)}, which others still belong to: "
            "make one of them an owner, or remove them, before deleting your account",
            code="sole_owner",
        )
    alone = [team_id for team_id, _, _, rest, _ in rows if rest == 0]
    if alone:
        db_session.execute(delete(Team).where(Team.id.in_(alone)))
    for device_id in db_session.scalars(select(Device.id).where(Device.account_id == account_id)):
        publish.device_revoked(db_session, device_id)
    db_session.execute(delete(Account).where(Account.id == account_id))
    db_session.flush()
