from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session

from backend.accounts import service
from backend.accounts.auth import (
    CurrentCoach,
    NoStore,
    Principal,
    bearer,
    device_for_token,
    login_tokens,
)
from backend.accounts.credentials import LoginTokens, Passwords
from backend.accounts.reset import ResetTokens, used
from backend.accounts.schemas import (
    AccountCreate,
    AccountDelete,
    AccountOut,
    DeviceCreate,
    DeviceOut,
    DeviceRegistered,
    EmailChange,
    LoginRequest,
    LoginResponse,
    PasswordChange,
    PasswordReset,
    RecoveryInfo,
    ResetRequest,
    ResetToken,
)
from backend.db.engine import Database
from backend.db.models import Account, utcnow
from backend.db.session import DbSession, database
from backend.errors import Conflict, Forbidden, NotFound, Unauthorized
from backend.mail import Mailer
from backend.ratelimit import Limiter, Rates, client_address

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


# --- the signed-in coach's own account ---------------------------------------------------


async def _password_checked(
    request: Request, coach: Principal, password: str, hasher: Passwords, field: str
) -> Account:
    """The caller's account, once ``password`` is found to be its password. Checks spend
    the account's login-attempt budget, so a stolen token cannot guess the password faster
    than a sign-in form could."""
    account = await run_in_threadpool(_account, database(request), coach.account_id)
    if account is None:
        raise NotFound("account")
    request.app.state.limiter.check("login", account.email, request.app.state.rates.login_attempts)
    if not await hasher.verify(password, account.password_hash):
        raise Forbidden("the password is wrong", code="wrong_password", field=field)
    return account


def _account(db: Database, account_id: uuid.UUID) -> Account | None:
    with db.reader() as session:
        return session.get(Account, account_id)


@router.post("/account/password", response_model=LoginResponse, dependencies=[NoStore])
async def change_password(
    data: PasswordChange,
    request: Request,
    coach: CurrentCoach,
    hasher: PasswordsDep,
    tokens: LoginTokensDep,
    db_session: DbSession,
) -> LoginResponse:
    """Change the password. Every other phone and every login token of the account is
    signed out; the device token that asked stays signed in, and a new login token (the
    one that asked is signed out with the others) is in the answer."""
    account = await _password_checked(
        request, coach, data.current_password, hasher, "current_password"
    )
    new_hash = await hasher.hash(data.new_password)
    account = await run_in_threadpool(
        service.set_password, db_session, account.id, account.password_hash, new_hash, coach
    )
    return LoginResponse(
        access_token=tokens.issue(account.id, account.token_generation),
        expires_in=tokens.max_age_seconds,
    )


@router.post("/account/email", response_model=AccountOut)
async def change_email(
    data: EmailChange,
    request: Request,
    coach: CurrentCoach,
    hasher: PasswordsDep,
    db_session: DbSession,
) -> object:
    """Sign in with another e-mail from now on (lower-cased; 409 if another account has
    it). Reset links sent before stop working; phones stay signed in."""
    await _password_checked(request, coach, data.password, hasher, "password")
    return await run_in_threadpool(service.change_email, db_session, coach.account_id, data.email)


@router.post("/account/delete", status_code=status.HTTP_204_NO_CONTENT)
async def delete_account(
    data: AccountDelete,
    request: Request,
    coach: CurrentCoach,
    hasher: PasswordsDep,
    db_session: DbSession,
) -> None:
    """Delete the account and sign out every phone. Teams only this account belongs to are
    deleted with it; teams others share stay theirs. If the account is the only owner of a
    team others belong to, 409 names those teams and nothing is deleted."""
    await _password_checked(request, coach, data.password, hasher, "password")
    await run_in_threadpool(service.delete_account, db_session, coach.account_id)


# --- a forgotten password ----------------------------------------------------------------


@router.get("/auth/recovery", response_model=RecoveryInfo)
def recovery(request: Request) -> RecoveryInfo:
    """Whether this server mails reset links. When it does not, the person who runs it
    resets a password (`touchline coach reset-password EMAIL`)."""
    return RecoveryInfo(by_email=request.app.state.mailer is not None)


@router.post(
    "/auth/reset-request", status_code=status.HTTP_202_ACCEPTED, response_model=RecoveryInfo
)
async def request_reset(
    data: ResetRequest, request: Request, background: BackgroundTasks
) -> RecoveryInfo:
    """Mail a reset link to ``email`` if it has an account. The answer is the same whether
    or not it has one, and is sent before any mail is: the link arrives, or nothing does.
    Requests are limited per client address (429), and mails per address: past the limit
    the answer stays the same and no mail is sent."""
    limiter: Limiter = request.app.state.limiter
    rates: Rates = request.app.state.rates
    limiter.check("reset-client", client_address(request.scope), rates.reset_requests)
    mailer: Mailer | None = request.app.state.mailer
    if mailer is None or limiter.hit("reset-email", data.email, rates.reset_mails) is not None:
        return RecoveryInfo(by_email=mailer is not None)
    db = database(request)
    account = await run_in_threadpool(_account_for_email, db, data.email)
    if account is not None:
        background.add_task(mailer.deliver, _reset_mail(request, mailer, account))
    return RecoveryInfo(by_email=True)


def _account_for_email(db: Database, email: str) -> Account | None:
    with db.reader() as session:
        return service.account_by_email(session, email)


def _reset_mail(request: Request, mailer: Mailer, account: Account) -> EmailMessage:
    tokens: ResetTokens = request.app.state.reset_tokens
    link = f"{request.app.state.settings.public_url}/#reset={tokens.issue(account)}"
    minutes = tokens.max_age_seconds // 60
    return mailer.message(
        account.email,
        "Reset your Touchline password",
        f"Hello {account.display_name},\n\n"
        "Someone, hopefully you, asked to reset the password of your Touchline account. "
        f"Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
        "The link works once. If you did not ask, ignore this mail: your password stays "
        "as it is.\n",
    )


@router.post("/auth/reset", response_model=PasswordReset)
async def reset_password(
    data: ResetToken, request: Request, hasher: PasswordsDep, db_session: DbSession
) -> PasswordReset:
    """Set a new password with the token from a reset mail, and sign out every phone and
    login token of the account. The link then stops working (410), as does every other
    link sent before. Sign in with the e-mail in the answer and the new password."""
    tokens: ResetTokens = request.app.state.reset_tokens
    claims = tokens.claims(data.token)
    account = await run_in_threadpool(_account, database(request), claims.account_id)
    if account is None or not claims.matches(account):
        raise used()
    new_hash = await hasher.hash(data.new_password)
    try:
        await run_in_threadpool(
            service.set_password, db_session, account.id, account.password_hash, new_hash, None
        )
    except Conflict as exc:
        raise used() from exc
    return PasswordReset(email=account.email)
