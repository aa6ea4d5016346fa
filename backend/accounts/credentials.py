"""Passwords, device tokens and login tokens.

- Passwords are hashed with Argon2id at OWASP's small-instance parameters (19 MiB, two
  passes, one lane); test suites may name a hasher at Argon2id's floor instead.
  :class:`Passwords` runs every hash and verification in a worker thread, at most a fixed
  number at once, never inside a database transaction; a verification for an unknown
  account does the same work through the same gate, so response time does not reveal
  which emails exist.
- A device token is ``tld_`` followed by 43 random URL-safe characters. Only its SHA-256 is
  stored; the token itself is shown once, when the device is registered.
- A login token is signed with itsdangerous (salt ``touchline.login``) and expires; it lets
  a coach who has just signed in register a device and manage their teams. It carries a
  random token id (what signing out revokes) and the account's token generation (what
  signing out everywhere raises), and is accepted only in the exact spelling it was issued.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from functools import cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.settings import PasswordHasherName as HasherName
from backend.sharing.tokens import canonical

DEVICE_TOKEN_PREFIX = "tld_"  # noqa: S105 (a prefix, not a secret)
LOGIN_SALT = "touchline.login"

# OWASP's Password Storage Cheat Sheet, first Argon2id row: m=19 MiB, t=2, p=1. RFC 9106's
# 64 MiB (the library's default) would make each concurrent login cost 64 MiB on a small
# instance. Hashes made with other parameters still verify and are replaced on login.
HASH_MEMORY_KIB = 19 * 1024
HASHERS = {
    "argon2id": PasswordHasher(time_cost=2, memory_cost=HASH_MEMORY_KIB, parallelism=1),
    # Argon2id's floor (8 KiB, one pass): for test suites that do not test hashing, where
    # every sign-up would otherwise spend 19 MiB and tens of milliseconds. Settings refuse
    # it outside the test environment.
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


@cache
def _unknown_account_hash(hasher: HasherName) -> str:
    # Made on first use, not at import: every CLI start would otherwise pay for a hash.
    return HASHERS[hasher].hash(secrets.token_urlsafe(16))


def hash_password(password: str, hasher: HasherName = "argon2id") -> str:
    """Blocking, about 19 MiB and tens of milliseconds with Argon2id's parameters: in a
    request, use :class:`Passwords`."""
    return HASHERS[hasher].hash(password)


def verify_password(
    password: str, password_hash: str | None, hasher: HasherName = "argon2id"
) -> bool:
    """True if ``password`` matches; pass ``None`` for an unknown account (still costs a
    hash with ``hasher``'s parameters). A hash verifies with the parameters it was made
    with, whichever ``hasher`` is named."""
    try:
        return HASHERS[hasher].verify(
            password_hash or _unknown_account_hash(hasher), password
        ) and (password_hash is not None)
    except (VerificationError, InvalidHashError):
        return False


class Passwords:
    """Hash and verify off the event loop, ``concurrency`` at a time, with the ``hasher``
    the settings name (``TOUCHLINE_PASSWORD_HASHER``).

    Peak memory for hashing is ``concurrency`` times 19 MiB, however many sign-ins arrive at
    once; the rest wait their turn without holding a thread. Call these before opening a
    database transaction, never inside one: a hash would hold SQLite's write lock or a
    pooled PostgreSQL connection for its whole duration.
    """

    def __init__(self, concurrency: int, hasher: HasherName = "argon2id"):
        self._gate = anyio.CapacityLimiter(concurrency)
        self._hasher = hasher

    async def prepare(self) -> None:
        """Make the stand-in hash for unknown accounts now (once per process), so the first
        sign-in with an unknown email costs no more than any other."""
        await anyio.to_thread.run_sync(_unknown_account_hash, self._hasher, limiter=self._gate)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(
            hash_password, password, self._hasher, limiter=self._gate
        )

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """As :func:`verify_password`, through the gate."""
        return await anyio.to_thread.run_sync(
            verify_password, password, password_hash, self._hasher, limiter=self._gate
        )

    def needs_rehash(self, password_hash: str) -> bool:
        """True if the hash was made with other parameters than this hasher's."""
        try:
            return HASHERS[self._hasher].check_needs_rehash(password_hash)
        except InvalidHashError:
            return False


@dataclass(frozen=True)
class NewDeviceToken:
    token: str
    token_hash: str


def new_device_token() -> NewDeviceToken:
    token = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewDeviceToken(token, hash_device_token(token))


def hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginClaims:
    """What a well-signed, unexpired login token says. The database still decides whether
    it was signed out (``token_id``) or signed out everywhere (``generation``)."""

    account_id: uuid.UUID
    generation: int
    token_id: uuid.UUID


class LoginTokens:
    """Issue and check signed login tokens with a list of keys (newest last signs)."""

    def __init__(self, secret_keys: list[str], max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret_keys, salt=LOGIN_SALT)
        self.max_age_seconds = max_age_seconds

    def issue(self, account_id: uuid.UUID, generation: int) -> str:
        """A new token, with an id of its own, for the account's current ``generation``."""
        payload = {"a": account_id.hex, "g": generation, "j": uuid.uuid4().hex}
        return str(self._serializer.dumps(payload))

    def claims(self, token: str) -> LoginClaims | None:
        """What the token says, or None if it is forged, altered, respelled or expired, or
        was issued before tokens could be signed out (it has no id)."""
        if not canonical(token):
            return None
        try:
            payload = self._serializer.loads(token, max_age=self.max_age_seconds)
        except (SignatureExpired, BadSignature):
            return None
        try:
            generation = payload["g"]
            if type(generation) is not int:
                return None
            return LoginClaims(uuid.UUID(hex=payload["a"]), generation, uuid.UUID(hex=payload["j"]))
        except (TypeError, KeyError, ValueError):
            return None
