"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

A test's database work happens inside one outer transaction that is rolled back at the
end; the app's own sessions join it through savepoints, so commits in request handlers
behave as in production but nothing outlives the test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend.app import create_app
from backend.db.engine import Database, create_db_engine
from backend.settings import PasswordHasherName, Settings
from tests.databases import migrated_database, postgres_required


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each kind, shared by the session's tests."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


OUTLIVED: list[str] = []
"""Tests whose app used their connection after they had ended (see ``connection``)."""


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()
    if OUTLIVED:
        pytest.fail(
            "work outlived its test and used the test's connection after it had ended: "
            + ", ".join(sorted(set(OUTLIVED))),
            pytrace=False,
        )


@pytest.fixture
def connection(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """The test's connection, in a transaction rolled back at the end. A statement on it
    after that (a thread of the app still at work) is refused and fails the run, naming
    the test; and the connection is closed, not pooled, so whatever was still running on
    it can never leave the next test a connection in a transaction."""
    ended = threading.Event()

    def after_the_end(*_: object) -> None:
        if ended.is_set():
            OUTLIVED.append(request.node.nodeid)
            raise RuntimeError(f"{request.node.nodeid} has ended; its connection is closed")

    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", after_the_end)
        transaction = connection.begin()
        yield connection
        ended.set()
        transaction.rollback()
        connection.invalidate()


@pytest.fixture
def db_session(connection: Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture
def password_hasher() -> PasswordHasherName:
    """The app's password hasher: Argon2id at its floor, as hashing has tests of its own. A
    test of hashing itself asks for the real one with
    ``@pytest.mark.parametrize("password_hasher", ["argon2id"])``."""
    return "fast"


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Settings a test adds to the app's: override this fixture, or parametrize it."""
    return {}


@pytest.fixture
def app(
    engine: Engine,
    connection: Connection,
    database_url: str,
    password_hasher: PasswordHasherName,
    app_settings: dict[str, Any],
) -> FastAPI:
    joined = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    database = Database(engine=engine, reader=joined, writer=joined)
    # Rate limits have tests of their own; here one client makes every request at once.
    settings = Settings(
        environment="test",
        database_url=database_url,
        rate_burst=1_000_000,
        anonymous_burst=1_000_000,
        login_attempts_per_minute=1_000_000,
        password_hasher=password_hasher,
        **app_settings,
    )
    return create_app(settings, database=database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Where PostgreSQL is required (CI), any skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if postgres_required() and skipped and exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped where nothing may be skipped")
        session.exitstatus = 1
