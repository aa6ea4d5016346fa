"""One error hierarchy: what ``backend/errors.py`` says each error answers with is what it
answers with, and every error body, whoever refuses, is written the same way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from backend import errors
from backend.app import create_app
from backend.db.engine import Database
from backend.errors import TouchlineError
from backend.settings import Settings

# "├── NotFound [404 | 4404]": a class, its HTTP status and its close code ("-" for none).
LISTED = re.compile(r"[├└]── (\w+) \[(\d{3}) \| (\d{4}|-)\]")


def _documented() -> dict[str, tuple[int, int | None]]:
    assert errors.__doc__ is not None
    return {
        name: (int(status), None if close == "-" else int(close))
        for name, status, close in LISTED.findall(errors.__doc__)
    }


def _public_errors() -> dict[str, type[TouchlineError]]:
    """Every error class the server defines (importing the app imports all of them)."""
    found: dict[str, type[TouchlineError]] = {}
    pending = [TouchlineError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if not cls.__name__.startswith("_") and cls is not TouchlineError:
            found[cls.__name__] = cls
    return found


def test_the_docstring_lists_every_error_with_its_status_and_close_code() -> None:
    documented = _documented()
    classes = _public_errors()

    assert len(documented) >= 12
    assert sorted(classes) == sorted(documented)
    for name, cls in classes.items():
        assert cls.__module__ == "backend.errors", name
        status, close = documented[name]
        assert cls.status == status, name
        assert cls.close_code == (TouchlineError.close_code if close is None else close), name


def test_a_live_refusal_closes_with_4000_and_its_http_status() -> None:
    for name, (status, close) in _documented().items():
        if close is not None:
            assert close == 4000 + status, name


@pytest.fixture
def tight_client(engine: Engine, connection: Connection, database_url: str) -> Iterator[TestClient]:
    """The app with a 2 KiB body limit and one anonymous request per address at once, on
    the test's rolled-back transaction."""
    joined = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    settings = Settings(
        environment="test",
        database_url=database_url,
        max_body_bytes=2048,
        anonymous_burst=1,
        anonymous_rate_per_second=0.001,
        password_hasher="fast",
    )
    app = create_app(settings, database=Database(engine=engine, reader=joined, writer=joined))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("POST", "/api/teams", {"Content-Type": "text/plain"}, b"hello", 415),
        ("POST", "/api/teams", {"Content-Type": "application/json"}, b"x" * 3000, 413),
        ("POST", "/api/teams", {"Content-Type": "application/json"}, b"{", 400),
        ("GET", "/api/no-such-route", {}, None, 404),
        ("DELETE", "/api/teams", {}, None, 405),
    ],
)
def test_every_refusal_writes_its_body_with_the_one_encoder(
    tight_client: TestClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    response = tight_client.request(method, path, headers=headers, content=body)

    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert response.content == _compact(response.json())


def test_a_refusal_before_the_framework_runs_is_written_like_any_other(
    tight_client: TestClient,
) -> None:
    login = {"email": "nobody@example.org", "password": "not the password"}
    first = tight_client.post("/api/auth/login", json=login)
    limited = tight_client.post("/api/auth/login", json=login)

    assert first.status_code == 401
    assert limited.status_code == 429
    assert limited.headers["Retry-After"].isdigit()
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.content == _compact(limited.json())


def _compact(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
