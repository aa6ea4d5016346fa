"""Schema migrations (Alembic), driven from code so the CLI and tests share one path."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, insert, select

from backend.db.models import SCHEMA, ServerMeta

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    schema = None if connection.dialect.name == "sqlite" else SCHEMA
    context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``, then make sure it has a generation id.

    Safe to run on every start and from several processes in turn; each step is one
    transaction.
    """
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    with engine.begin() as connection:
        if connection.scalar(select(ServerMeta.generation)) is None:
            connection.execute(insert(ServerMeta).values(id=1, generation=uuid.uuid4()))


def is_at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()
