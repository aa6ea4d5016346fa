"""web push subscriptions on share links

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("link_id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.Text(), nullable=False),
        sa.Column("auth", sa.Text(), nullable=False),
        sa.Column("goals", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("breaks", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("cards", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["grassroots.share_links.id"],
            name=op.f("fk_push_subscriptions_link_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["grassroots.matches.id"],
            name=op.f("fk_push_subscriptions_match_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_push_subscriptions_link_id_endpoint"),
        "push_subscriptions",
        ["link_id", "endpoint"],
        unique=True,
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_push_subscriptions_match_id"),
        "push_subscriptions",
        ["match_id"],
        unique=False,
        schema="grassroots",
    )
    op.create_table(
        "push_announcements",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["grassroots.push_subscriptions.id"],
            name=op.f("fk_push_announcements_subscription_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "event_id", name=op.f("pk_push_announcements")),
        schema="grassroots",
    )


def downgrade() -> None:
    op.drop_table("push_announcements", schema="grassroots")
    op.drop_index(
        op.f("ix_push_subscriptions_match_id"), table_name="push_subscriptions", schema="grassroots"
    )
    op.drop_index(
        op.f("ix_push_subscriptions_link_id_endpoint"),
        table_name="push_subscriptions",
        schema="grassroots",
    )
    op.drop_table("push_subscriptions", schema="grassroots")
