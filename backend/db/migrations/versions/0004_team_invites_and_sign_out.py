"""team invites and sign-out

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # ALTER TABLE is rendered by Alembic itself, outside the engine's schema_translate_map,
    # so SQLite (which has no schemas) must be given none here.
    return None if op.get_bind().dialect.name == "sqlite" else "grassroots"


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("token_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema=_schema(),
    )
    op.create_table(
        "revoked_login_tokens",
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "revoked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["grassroots.accounts.id"],
            name=op.f("fk_revoked_login_tokens_account_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_revoked_login_tokens")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_revoked_login_tokens_account_id"),
        "revoked_login_tokens",
        ["account_id"],
        unique=False,
        schema="grassroots",
    )
    # member_role exists since 0001: use it, never create it again.
    member_role = postgresql.ENUM(
        "owner",
        "coach",
        name="member_role",
        schema="grassroots",
        create_type=False,
        create_constraint=True,
    )
    op.create_table(
        "team_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("role", member_role, server_default="coach", nullable=False),
        sa.Column("max_uses", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("uses", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "max_uses BETWEEN 1 AND 100", name=op.f("ck_team_invites_max_uses_range")
        ),
        sa.CheckConstraint("uses BETWEEN 0 AND max_uses", name=op.f("ck_team_invites_uses_range")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["grassroots.accounts.id"],
            name=op.f("fk_team_invites_created_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_team_invites_team_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_invites")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_team_invites_team_id"),
        "team_invites",
        ["team_id"],
        unique=False,
        schema="grassroots",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_team_invites_team_id"), table_name="team_invites", schema="grassroots")
    op.drop_table("team_invites", schema="grassroots")
    op.drop_index(
        op.f("ix_revoked_login_tokens_account_id"),
        table_name="revoked_login_tokens",
        schema="grassroots",
    )
    op.drop_table("revoked_login_tokens", schema="grassroots")
    op.drop_column("accounts", "token_generation", schema=_schema())
