"""when a player's names were erased

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # As in 0002: SQLite has no schemas, and ALTER TABLE is not schema-translated.
    return None if op.get_bind().dialect.name == "sqlite" else "grassroots"


def upgrade() -> None:
    op.add_column(
        "players",
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_column("players", "erased_at", schema=_schema())
