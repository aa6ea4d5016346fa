"""a share link may last until revoked

Revision ID: 0008
Revises: 0007

``share_links.expires_at`` may be null: such a link works until the coach revokes it.
PostgreSQL drops or sets the NOT NULL in place. SQLite cannot, so its ``share_links`` is
made anew, as SQLite's documentation says to change a table (made under another name,
filled, swapped in), with its constraints in a fixed order (Alembic's batch mode writes
them in an order that changes from run to run). Dropping the old table runs its ``ON
DELETE CASCADE`` (the migration runs with foreign keys on, inside a transaction where
that cannot be turned off), so the push subscriptions are kept aside and put back.

Going down, a link that never expires is given the longest life the older schema allowed,
a season (366 days) from when it was made, so no row is lost.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEASON = timedelta(days=366)
COLUMNS = ("id", "match_id", "created_by", "names", "created_at", "expires_at", "revoked_at")


def _rebuild_sqlite_share_links(*, nullable: bool) -> None:
    op.create_table(
        "share_links_0008",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("names", sa.Text(), server_default="first_names", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=nullable),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "names IN ('initials', 'first_names', 'full_names')",
            name=op.f("ck_share_links_names_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_share_links_created_by"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_share_links_match_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
    )  # fmt: skip
    old = sa.table("share_links", *(sa.column(name) for name in COLUMNS))
    new = sa.table("share_links_0008", *(sa.column(name) for name in COLUMNS))
    op.execute(sa.insert(new).from_select(COLUMNS, sa.select(*old.c)))
    op.execute("CREATE TABLE push_subscriptions_0008 AS SELECT * FROM push_subscriptions")
    op.drop_table("share_links")
    op.rename_table("share_links_0008", "share_links")
    op.execute("INSERT INTO push_subscriptions SELECT * FROM push_subscriptions_0008")
    op.drop_table("push_subscriptions_0008")
    op.create_index("ix_share_links_match_id", "share_links", ["match_id"], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_share_links(nullable=True)
        return
    op.alter_column("share_links", "expires_at", nullable=True, schema="grassroots")


def downgrade() -> None:
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    links = sa.table(
        "share_links",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        schema=None if is_sqlite else "grassroots",
    )
    for created_at in op.get_bind().scalars(
        sa.select(links.c.created_at).where(links.c.expires_at.is_(None)).distinct()
    ):
        op.execute(
            links.update()
            .where(links.c.expires_at.is_(None), links.c.created_at == created_at)
            .values(expires_at=created_at + SEASON)
        )
    if is_sqlite:
        _rebuild_sqlite_share_links(nullable=False)
        return
    op.alter_column("share_links", "expires_at", nullable=False, schema="grassroots")
