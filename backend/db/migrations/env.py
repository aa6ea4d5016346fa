"""Alembic environment: runs migrations on the connection handed over by backend.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from backend.db.models import SCHEMA, Base

connection = context.config.attributes["connection"]
is_sqlite = connection.dialect.name == "sqlite"
if not is_sqlite:
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table_schema=None if is_sqlite else SCHEMA,
    include_schemas=not is_sqlite,
    render_as_batch=is_sqlite,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
