"""Throwaway databases for tests: a SQLite file, or a PostgreSQL database created and dropped.

PostgreSQL is reached at $TOUCHLINE_TEST_POSTGRES_URL (default: the local server, database
``test``, user ``postgres``). When it is unreachable its tests are skipped, unless
$TOUCHLINE_REQUIRE_POSTGRES=1 or $CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "TOUCHLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_required() -> bool:
    return os.environ.get("TOUCHLINE_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def postgres_available() -> bool:
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def skip_or_fail_without_postgres() -> None:
    if postgres_available():
        return
    message = f"PostgreSQL is not reachable at {ADMIN_URL}"
    if postgres_required():
        pytest.fail(message + " (required here)", pytrace=False)
    pytest.skip(message)


@contextmanager
def fresh_postgres(prefix: str = "touchline_test") -> Iterator[str]:
    """An empty PostgreSQL database for the duration of the block; its URL is yielded."""
    skip_or_fail_without_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database of ``kind`` ("sqlite" or "postgresql"); its URL is yielded."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'touchline-{uuid.uuid4().hex[:8]}.db'}"
        return
    with fresh_postgres() as url:
        yield url


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    """A new database of ``kind`` with every migration applied; its URL is yielded."""
    with fresh_database(kind, directory) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
