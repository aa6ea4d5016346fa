"""the database's own signing key

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # As in 0002: SQLite has no schemas, and ALTER TABLE is not schema-translated.
    return None if op.get_bind().dialect.name == "sqlite" else "grassroots"


def upgrade() -> None:
    # Empty until a server starts without TOUCHLINE_SECRET_KEYS (backend/signing_keys.py).
    op.add_column(
        "server_meta", sa.Column("signing_key", sa.Text(), nullable=True), schema=_schema()
    )


def downgrade() -> None:
    op.drop_column("server_meta", "signing_key", schema=_schema())
