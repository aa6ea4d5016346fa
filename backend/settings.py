"""Configuration, read once from the environment at start-up.

Every setting has the prefix ``TOUCHLINE_``; the database URL also answers to the bare
``DATABASE_URL`` that Railway and Heroku provide.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from backend.mail import SmtpServer

# The key earlier versions signed with when none was configured. It is in the source, so
# anyone can sign with it: it is refused everywhere, and nothing signs with it.
DEVELOPMENT_SECRET = "touchline-development-secret-do-not-use-in-production"  # noqa: S105 (refused)
MIN_SECRET_LENGTH = 32
DEFAULT_VAPID_SUBJECT = "mailto:admin@localhost"
# A production key must carry at least this much entropy, as estimated from its own
# characters: 32 random hex digits (128 bits) estimate at 100 to 120, 40 copies of one
# character at 0, four characters repeated to length at 80.
MIN_SECRET_BITS = 90


def estimated_bits(key: str) -> float:
    """An upper-bound guess at a key's entropy: its length times the Shannon entropy of
    its own character frequencies. Catches repeated and few-character keys; a random key
    of the required length always passes."""
    counts = Counter(key).values()
    per_character = -sum(n / len(key) * math.log2(n / len(key)) for n in counts)
    return len(key) * per_character


# How passwords are hashed (backend/accounts/credentials.py has the parameters).
PasswordHasherName = Literal["argon2id", "fast"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TOUCHLINE_", extra="ignore", frozen=True, populate_by_name=True
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///./touchline.db",
        validation_alias=AliasChoices("TOUCHLINE_DATABASE_URL", "DATABASE_URL"),
    )
    # Newest key last: it signs; every listed key still verifies, so keys rotate by
    # appending a new one and dropping the oldest once its tokens have expired. Empty
    # (outside production): the database's own random key signs (signing_keys.py).
    secret_keys: Annotated[list[str], NoDecode] = []
    login_token_seconds: int = Field(default=12 * 3600, ge=60)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    cors_origins: Annotated[list[str], NoDecode] = []
    # Origins (besides the server's own) whose pages may open live WebSockets.
    ws_origins: Annotated[list[str], NoDecode] = []
    max_viewers_per_link: int = Field(default=500, ge=1)
    # Live connections one client address may hold open on one instance: generous, since
    # a whole family (or a club's clubhouse) may watch from behind one NAT.
    max_live_per_address: int = Field(default=50, ge=1)
    # Per credential (device or login token): sustained requests per second and burst.
    rate_per_second: float = Field(default=20.0, gt=0)
    rate_burst: int = Field(default=200, ge=1)
    # Per client IP, for register, login and share-link views.
    anonymous_rate_per_second: float = Field(default=5.0, gt=0)
    anonymous_burst: int = Field(default=60, ge=1)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    # Argon2id hashes running at once; each takes 19 MiB while it runs.
    password_hash_concurrency: int = Field(default=2, ge=1)
    # "fast" (Argon2id at its floor) is for test suites that do not test hashing only.
    password_hasher: PasswordHasherName = "argon2id"  # noqa: S105 (a name, not a secret)
    # /metrics answers loopback clients, or anyone sending this as a Bearer token.
    metrics_token: str | None = None
    log_json: bool | None = Field(
        default=None, description="JSON log lines; default: on in production"
    )
    api_docs: bool | None = Field(
        default=None, description="/docs and /openapi.json; default: off in production"
    )
    db_pool_size: int = Field(default=10, ge=1)
    # Web Push (backend/push/): off while the key is unset; `touchline push keys` makes one.
    vapid_private_key: str | None = None
    vapid_subject: str = DEFAULT_VAPID_SUBJECT
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    # Password reset by e-mail (backend/mail.py): off while the URL is unset.
    # smtp://user:pass@host:587 (STARTTLS when offered; ?starttls=required insists),
    # smtps://user:pass@host:465 (TLS from the start).
    smtp_url: str | None = None
    mail_from: str | None = None
    # The address coaches open the app at (https://touchline.example.org): links in mail
    # point there, never at whatever Host a request named.
    public_url: str | None = None
    reset_link_minutes: int = Field(default=45, ge=5, le=24 * 60)
    # Reset requests per client address, and reset mails per e-mail address, per hour.
    reset_requests_per_hour: int = Field(default=20, ge=1)
    reset_mails_per_hour: int = Field(default=3, ge=1)
    # Months a team may go unused before `touchline data retention` erases its players and
    # deletes its matches (backend/privacy/retention.py); unset: kept for ever.
    retention_months: int | None = Field(default=None, ge=1, le=1200)

    @field_validator("secret_keys", "cors_origins", "ws_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, value: str) -> str:
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_secrets(self) -> Settings:
        if DEVELOPMENT_SECRET in self.secret_keys:
            raise ValueError(
                "TOUCHLINE_SECRET_KEYS: the development key is published in the source, so "
                "anyone could sign with it; use a random string of at least "
                f"{MIN_SECRET_LENGTH} characters instead"
            )
        if self.password_hasher == "fast" and self.environment != "test":  # noqa: S105
            raise ValueError(
                "TOUCHLINE_PASSWORD_HASHER: 'fast' makes passwords cheap to guess and is for "
                "test suites only (TOUCHLINE_ENVIRONMENT=test); use 'argon2id'"
            )
        if self.environment == "production" and (
            not self.secret_keys
            or any(
                len(key) < MIN_SECRET_LENGTH or estimated_bits(key) < MIN_SECRET_BITS
                for key in self.secret_keys
            )
        ):
            raise ValueError(
                "TOUCHLINE_SECRET_KEYS: in production every key must be a random string of "
                f"at least {MIN_SECRET_LENGTH} characters, not a repeated or few-character "
                "one (e.g. the output of `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @field_validator("smtp_url", "mail_from", "public_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not (
            urlsplit(value).scheme in {"http", "https"} and urlsplit(value).hostname
        ):
            raise ValueError("TOUCHLINE_PUBLIC_URL: an http(s):// address, e.g. https://club.org")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _mail_is_complete(self) -> Settings:
        if self.smtp_url is None:
            return self
        SmtpServer.from_url(self.smtp_url)
        if self.mail_from is None or "@" not in self.mail_from:
            raise ValueError(
                "TOUCHLINE_MAIL_FROM: the address reset mails come from, "
                "e.g. Touchline <touchline@club.org>"
            )
        if self.public_url is None:
            raise ValueError(
                "TOUCHLINE_PUBLIC_URL: the address of the app, for the links in reset mails"
            )
        return self

    @property
    def mail_enabled(self) -> bool:
        return self.smtp_url is not None

    @field_validator("vapid_private_key")
    @classmethod
    def _vapid_key_is_p256(cls, value: str | None) -> str | None:
        if value:
            from backend.vapid_keys import public_key  # noqa: PLC0415

            public_key(value)
        return value or None

    @model_validator(mode="after")
    def _vapid_subject_reaches_someone(self) -> Settings:
        if not self.vapid_subject.startswith(("mailto:", "https://")):
            raise ValueError("TOUCHLINE_VAPID_SUBJECT: a mailto: or https:// URL")
        if (
            self.environment == "production"
            and self.vapid_private_key is not None
            and self.vapid_subject == DEFAULT_VAPID_SUBJECT
        ):
            raise ValueError(
                "TOUCHLINE_VAPID_SUBJECT: in production, give push services a way to reach "
                "you (mailto:you@club.org or your site's https:// URL)"
            )
        return self

    @property
    def push_enabled(self) -> bool:
        return self.vapid_private_key is not None

    @property
    def push_allows_loopback_http(self) -> bool:
        """Push endpoints must be https, except http://127.0.0.1 outside production (for a
        push service run by the tests)."""
        return self.environment != "production"

    @cached_property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
