from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings

OpsClient = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def ops_client(engine: Engine, connection: Connection, database_url: str) -> OpsClient:
    """``ops_client(**settings)``: an in-process app with these settings on the test's
    rolled-back transaction. Limits stay roomy unless a test names its own."""
    joined = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )

    @contextmanager
    def open_client(**overrides: Any) -> Iterator[TestClient]:
        roomy: dict[str, Any] = {
            "rate_burst": 1_000_000,
            "anonymous_burst": 1_000_000,
            "login_attempts_per_minute": 1_000_000,
            "password_hasher": "fast",
        }
        settings = Settings(
            **({"environment": "test", "database_url": database_url} | roomy | overrides)
        )
        database = Database(engine=engine, reader=joined, writer=joined)
        with TestClient(create_app(settings, database=database)) as client:
            yield client

    return open_client
