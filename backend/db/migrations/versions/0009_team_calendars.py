"""team calendar feeds

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_calendars",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_team_calendars_team_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["grassroots.accounts.id"],
            name=op.f("fk_team_calendars_created_by"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_calendars")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_team_calendars_team_id"),
        "team_calendars",
        ["team_id"],
        unique=False,
        schema="grassroots",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_team_calendars_team_id"), table_name="team_calendars", schema="grassroots"
    )
    op.drop_table("team_calendars", schema="grassroots")
