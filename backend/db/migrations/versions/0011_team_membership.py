"""team membership: a read-only member role, renamed and deleted teams, departures

Revision ID: 0011
Revises: 0010

PostgreSQL adds ``member`` to ``member_role`` with ``ALTER TYPE ... ADD VALUE`` (nothing in
this transaction uses it; see 0007). SQLite keeps the roles in CHECK constraints, so its
``memberships`` and ``team_invites`` tables are made again with the longer list: the
table's own CREATE statement with the list changed, filled, swapped in, indexes rebuilt.

``teams.seq`` numbers the team record's latest change (a rename, a role changed) in the
roster's space, so a device that holds the team pulls it again; ``teams.deleted_at`` marks
a deleted team, which nobody can reach any more. ``team_departures`` remembers who left or
was removed from a team, so their phones' queued changes for it are answered plainly.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_ROLES = "'owner', 'coach'"
NEW_ROLES = "'owner', 'coach', 'member'"


def _schema() -> str | None:
    return None if op.get_bind().dialect.name == "sqlite" else "grassroots"


def _rebuild_sqlite_roles(table: str, old: str, new: str) -> None:
    """Make SQLite's ``table`` again with its role CHECK listing ``new`` instead of ``old``,
    keeping every row and index."""
    bind = op.get_bind()
    create = bind.scalar(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    )
    indexes = list(
        bind.scalars(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :name"
                " AND sql IS NOT NULL"
            ),
            {"name": table},
        )
    )
    check = f"role IN ({old})"
    assert create is not None and check in create, f"{table} has no role CHECK to change"
    rebuilt = f"{table}_0011"
    # The statement names the table bare or, once renamed, quoted; the role's VARCHAR is as
    # long as its longest value, as SQLAlchemy writes it.
    create = re.sub(r'^CREATE TABLE "?\w+"?', f"CREATE TABLE {rebuilt}", create)
    longest = max(len(role) - 2 for role in new.split(", "))
    create = re.sub(r"\brole VARCHAR\(\d+\)", f"role VARCHAR({longest})", create)
    op.execute(create.replace(check, f"role IN ({new})"))
    op.execute(f"INSERT INTO {rebuilt} SELECT * FROM {table}")  # noqa: S608 (our own names)
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("memberships", "team_invites"):
            _rebuild_sqlite_roles(table, OLD_ROLES, NEW_ROLES)
    else:
        op.execute("ALTER TYPE grassroots.member_role ADD VALUE 'member'")
    op.add_column(
        "teams",
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        schema=_schema(),
    )
    op.add_column(
        "teams",
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        schema=_schema(),
    )
    op.create_table(
        "team_departures",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "departed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "reason IN ('left', 'removed', 'deleted')", name=op.f("ck_team_departures_reason")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["grassroots.accounts.id"],
            name=op.f("fk_team_departures_account_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_team_departures_team_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "team_id", name=op.f("pk_team_departures")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_team_departures_team_id"),
        "team_departures",
        ["team_id"],
        unique=False,
        schema="grassroots",
    )


def downgrade() -> None:
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    held = 0
    for table in ("memberships", "team_invites"):
        rows = sa.table(table, sa.column("role"), schema=_schema())
        held += (
            op.get_bind().scalar(
                sa.select(sa.func.count())
                .select_from(rows)
                .where(sa.cast(rows.c.role, sa.Text()) == "member")
            )
            or 0
        )
    if held:
        raise RuntimeError(
            f"{held} memberships or invites are of the member role, which revision 0010 "
            "cannot hold; remove them first to go down"
        )
    op.drop_index(
        op.f("ix_team_departures_team_id"), table_name="team_departures", schema="grassroots"
    )
    op.drop_table("team_departures", schema="grassroots")
    op.drop_column("teams", "deleted_at", schema=_schema())
    op.drop_column("teams", "seq", schema=_schema())
    if is_sqlite:
        for table in ("memberships", "team_invites"):
            _rebuild_sqlite_roles(table, NEW_ROLES, OLD_ROLES)
        return
    # PostgreSQL cannot take a value out of an enum: the type is made again without it.
    op.execute("ALTER TYPE grassroots.member_role RENAME TO member_role_0011")
    sa.Enum("owner", "coach", name="member_role", schema="grassroots").create(op.get_bind())
    for table in ("memberships", "team_invites"):
        if table == "team_invites":
            op.execute(f"ALTER TABLE grassroots.{table} ALTER COLUMN role DROP DEFAULT")
        op.execute(
            f"ALTER TABLE grassroots.{table} ALTER COLUMN role TYPE grassroots.member_role"
            " USING role::text::grassroots.member_role"
        )
    op.execute("ALTER TABLE grassroots.team_invites ALTER COLUMN role SET DEFAULT 'coach'")
    op.execute("DROP TYPE grassroots.member_role_0011")
