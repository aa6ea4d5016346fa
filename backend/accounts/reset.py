"""Password-reset links: single-use, short-lived, signed.

A reset token is signed with itsdangerous (salt ``touchline.reset``, the server's key
list) and names an account and a *stamp*: a digest of the account's current password
hash and e-mail. Setting a password changes the hash, so a link works once; changing the
password or the e-mail by any other way voids every link sent before. Nothing is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.db.models import Account
from backend.errors import Gone, NotFound
from backend.sharing.tokens import canonical

RESET_SALT = "touchline.reset"


def stamp(account: Account) -> str:
    """What a link is bound to: it changes whenever the password or e-mail does."""
    material = f"{account.password_hash}\n{account.email}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


@dataclass(frozen=True)
class ResetClaims:
    account_id: uuid.UUID
    stamp: str

    def matches(self, account: Account | None) -> bool:
        return account is not None and hmac.compare_digest(self.stamp, stamp(account))


class ResetTokens:
    def __init__(self, secret_keys: list[str], max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret_keys, salt=RESET_SALT)
        self.max_age_seconds = max_age_seconds

    def issue(self, account: Account) -> str:
        return str(self._serializer.dumps({"a": account.id.hex, "s": stamp(account)}))

    def claims(self, token: str) -> ResetClaims:
        """What a well-signed, unexpired token says; NotFound (field ``token``) for one
        that is not a reset token of this server, Gone for one that has expired. Whether
        it was used is for :meth:`ResetClaims.matches` to say, against the account now."""
        try:
            if not canonical(token):
                raise BadSignature("respelled")
            payload = self._serializer.loads(token, max_age=self.max_age_seconds)
            return ResetClaims(uuid.UUID(hex=payload["a"]), str(payload["s"]))
        except SignatureExpired as exc:
            raise Gone(
                "this reset link has expired; ask for a new one",
                code="reset_link_expired",
                field="token",
            ) from exc
        except (BadSignature, TypeError, KeyError, ValueError) as exc:
            raise NotFound("reset link", field="token") from exc


def used() -> Gone:
    return Gone(
        "this reset link was already used, or the password changed since it was sent; "
        "ask for a new one",
        code="reset_link_used",
        field="token",
    )
