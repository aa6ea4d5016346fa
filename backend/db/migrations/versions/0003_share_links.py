"""share links

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("names", sa.Text(), server_default="first_names", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "names IN ('initials', 'first_names', 'full_names')",
            name=op.f("ck_share_links_names_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["grassroots.accounts.id"],
            name=op.f("fk_share_links_created_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["grassroots.matches.id"],
            name=op.f("fk_share_links_match_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_share_links_match_id"),
        "share_links",
        ["match_id"],
        unique=False,
        schema="grassroots",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_share_links_match_id"), table_name="share_links", schema="grassroots")
    op.drop_table("share_links", schema="grassroots")
