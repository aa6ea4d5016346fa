"""sync outcomes and device positions

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # ALTER TABLE is rendered by Alembic itself, outside the engine's schema_translate_map,
    # so SQLite (which has no schemas) must be given none here.
    return None if op.get_bind().dialect.name == "sqlite" else "grassroots"


def upgrade() -> None:
    op.create_table(
        "mutation_outcomes",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("mutation_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "verdict IN ('rejected', 'conflict')", name=op.f("ck_mutation_outcomes_verdict_kind")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["grassroots.devices.id"],
            name=op.f("fk_mutation_outcomes_device_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "mutation_id", name=op.f("pk_mutation_outcomes")),
        schema="grassroots",
    )
    op.add_column("devices", sa.Column("sync_position", sa.Text(), nullable=True), schema=_schema())
    op.add_column(
        "devices",
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_column("devices", "synced_at", schema=_schema())
    op.drop_column("devices", "sync_position", schema=_schema())
    op.drop_table("mutation_outcomes", schema="grassroots")
