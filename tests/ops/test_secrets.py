"""Signing keys: never one from the source; without configured keys, the database's own."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from backend.accounts.credentials import LOGIN_SALT
from backend.db.engine import create_db_engine
from backend.db.models import ServerMeta
from backend.settings import DEVELOPMENT_SECRET, Settings
from tests.databases import fresh_database
from tests.e2e.server import free_port, running_server, touchline


def _stored_key(database_url: str) -> str | None:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(ServerMeta.signing_key))
    finally:
        engine.dispose()


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_without_configured_keys_each_database_signs_with_its_own_random_key(
    kind: str, tmp_path: Path
) -> None:
    with (
        fresh_database(kind, tmp_path) as first_url,
        fresh_database(kind, tmp_path) as second_url,
    ):
        assert touchline("db", "upgrade", "--database-url", first_url).returncode == 0
        assert touchline("db", "upgrade", "--database-url", second_url).returncode == 0
        with running_server(first_url, tmp_path / "first.log", migrate=True) as first:
            token = first.sign_up(email="kim@example.org")
            assert first.request("GET", "/api/me", token=token).status == 200
            made = first.log("made a random signing key")
        with running_server(second_url, tmp_path / "second.log") as second:
            second.sign_up(email="kim@example.org")  # the same account, on another database
            elsewhere = second.request("GET", "/api/me", token=token)
        # A restart finds the same key, so the coach stays signed in.
        with running_server(first_url, tmp_path / "again.log") as again:
            after_restart = again.request("GET", "/api/me", token=token)
            reused = again.log()

        first_key, second_key = _stored_key(first_url), _stored_key(second_url)

    assert "made a random signing key" in made
    assert "made a random signing key" not in reused
    assert elsewhere.status == 401, elsewhere.body
    assert after_restart.status == 200, after_restart.body
    assert first_key and second_key and first_key != second_key
    assert len(first_key) >= 64
    assert first_key not in made + reused


@pytest.mark.e2e
def test_a_token_signed_with_the_old_published_key_is_refused(tmp_path: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as database_url,
        running_server(database_url, tmp_path / "server.log", migrate=True) as server,
    ):
        token = server.sign_up()
        account_id = uuid.UUID(server.request("GET", "/api/me", token=token).body["id"])
        forged = URLSafeTimedSerializer(DEVELOPMENT_SECRET, salt=LOGIN_SALT).dumps(
            {"a": account_id.hex}
        )
        answer = server.request("GET", "/api/me", token=forged)

    assert answer.status == 401, answer.body


@pytest.mark.parametrize(
    "key", ["a" * 40, "ab" * 24, "abcd" * 10], ids=["one-character", "two", "four"]
)
def test_production_refuses_a_long_but_trivially_weak_key(key: str, tmp_path: Path) -> None:
    env = {"TOUCHLINE_ENVIRONMENT": "production", "TOUCHLINE_SECRET_KEYS": key}
    database_url = f"sqlite:///{tmp_path / 'never.db'}"
    result = touchline("serve", "--port", str(free_port()), "--database-url", database_url, env=env)

    assert result.returncode != 0
    assert "TOUCHLINE_SECRET_KEYS" in result.stderr
    assert "repeated or few-character" in result.stderr
    assert key not in result.stderr + result.stdout
    assert not (tmp_path / "never.db").exists()


def test_random_keys_of_the_documented_forms_are_accepted_in_production() -> None:
    for key in (secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(48)):
        assert Settings(environment="production", secret_keys=[key]).secret_keys == [key]


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_the_published_development_key_is_refused_everywhere(environment: str) -> None:
    with pytest.raises(ValueError, match="published in the source"):
        Settings(environment=environment, secret_keys=[DEVELOPMENT_SECRET])  # type: ignore[arg-type]
