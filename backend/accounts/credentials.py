"""Passwords, device tokens and login tokens.

- Passwords are hashed with Argon2id. :func:`verify_password` also runs a full verification
  for unknown accounts, so response time does not reveal which emails exist.
- A device token is ``tld_`` followed by 43 random URL-safe characters. Only its SHA-256 is
  stored; the token itself is shown once, when the device is registered.
- A login token is signed with itsdangerous (salt ``touchline.login``) and expires; it lets
  a coach who has just signed in register a device and manage their teams.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEVICE_TOKEN_PREFIX = "tld_"  # noqa: S105 (a prefix, not a secret)
LOGIN_SALT = "touchline.login"

_hasher = PasswordHasher()


@cache
def _unknown_account_hash() -> str:
    # Made on first use, not at import: every CLI start would otherwise pay for a hash.
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True if ``password`` matches; pass ``None`` for an unknown account (still costs a hash)."""
    try:
        return _hasher.verify(password_hash or _unknown_account_hash(), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
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


class LoginTokens:
    """Issue and check signed login tokens with a list of keys (newest last signs)."""

    def __init__(self, secret_keys: list[str], max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret_keys, salt=LOGIN_SALT)
        self.max_age_seconds = max_age_seconds

    def issue(self, account_id: uuid.UUID) -> str:
        return str(self._serializer.dumps({"a": account_id.hex}))

    def account_id(self, token: str) -> uuid.UUID | None:
        """The account the token names, or None if it is forged, altered or expired."""
        try:
            payload = self._serializer.loads(token, max_age=self.max_age_seconds)
        except (SignatureExpired, BadSignature):
            return None
        try:
            return uuid.UUID(hex=payload["a"])
        except (TypeError, KeyError, ValueError):
            return None
