"""Schema migrations (Alembic), driven from code so the CLI and tests share one path.

Alembic (and Mako under it) is imported only to migrate: a serving process reads the
version table itself, which keeps some 11 MB of modules out of every server's memory.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, column, insert, select, table
from sqlalchemy.exc import OperationalError, ProgrammingError

from backend.db.models import SCHEMA, ServerMeta

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision: what a ready server expects to find. A test checks it
# against the migration scripts, so a new migration cannot forget it.
HEAD = "0012"


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head of the migration scripts, as Alembic reads them."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None before the first migration (on PostgreSQL
    that failed read also ends the connection's transaction)."""
    schema = None if connection.dialect.name == "sqlite" else SCHEMA
    versions = table("alembic_version", column("version_num"), schema=schema)
    try:
        return connection.scalar(select(versions.c.version_num))
    except (OperationalError, ProgrammingError):  # no version table yet
        connection.rollback()
        return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``, then make sure it has a generation id.

    Safe to run on every start and from several processes in turn; each step is one
    transaction.
    """
    from alembic import command  # noqa: PLC0415

    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    with engine.begin() as connection:
        if connection.scalar(select(ServerMeta.generation)) is None:
            connection.execute(insert(ServerMeta).values(id=1, generation=uuid.uuid4()))


def is_at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        return current_revision(connection) == HEAD
