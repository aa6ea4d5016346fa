"""shots, corners and a goal's assisting player

Revision ID: 0007
Revises: 0006

PostgreSQL adds the kinds with ``ALTER TYPE ... ADD VALUE``. Before PostgreSQL 12 that
could not run inside a transaction block; from 12 on it can, as long as nothing in the
same transaction uses the new values, and nothing here does. ``backend.db.migrate`` runs
an upgrade in one transaction that it owns, so Alembic's ``autocommit_block`` (which
commits the transaction it manages) is not available to this script and not needed:
Touchline needs PostgreSQL 12 or later. SQLite keeps the kinds in a CHECK constraint, so
its ``events`` table is rebuilt with the longer list, as SQLite's documentation says to
change a table: made anew under another name, filled, swapped in. (Alembic's batch mode
would do the same but writes the constraints in an order that changes from run to run.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "goal", "assist", "key_pass", "save", "interception", "tackle", "foul", "penalty",
    "free_kick", "ball_out", "own_goal", "yellow_card", "red_card", "substitution",
    "kick_off", "half_time", "full_time",
)  # fmt: skip
NEW_KINDS = ("shot_on_target", "shot_off_target", "corner")
# Where the new kinds stand: after own_goal, before the cards, as sync_protocol lists them.
ALL_KINDS = OLD_KINDS[:11] + NEW_KINDS + OLD_KINDS[11:]


def _kind(kinds: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*kinds, name="event_kind", create_constraint=True, schema="grassroots")


def _rebuild_sqlite_events(kinds: tuple[str, ...], *, assist: bool) -> None:
    """Make SQLite's ``events`` table again with ``kinds`` and, if ``assist``, the assist
    column, keeping every row."""
    assist_column = [sa.Column("assist_player_id", sa.Uuid(), nullable=True)] if assist else []
    assist_key = (
        [
            sa.ForeignKeyConstraint(
                ["assist_player_id"], ["players.id"], name=op.f("fk_events_assist_player_id")
            )
        ]
        if assist
        else []
    )
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    op.create_table(
        "events_0007",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Enum(*kinds, name="event_kind"), nullable=False),
        sa.Column("side", sa.Enum("team", "opposition", name="event_side"), nullable=False),
        sa.Column("period", sa.SmallInteger(), nullable=False),
        sa.Column("minute", sa.SmallInteger(), nullable=False),
        sa.Column("stoppage", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=True),
        sa.Column("replaced_player_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        *assist_column,
        sa.CheckConstraint("minute BETWEEN 0 AND 150", name=op.f("ck_events_minute_range")),
        sa.CheckConstraint("period BETWEEN 1 AND 4", name=op.f("ck_events_period_range")),
        sa.CheckConstraint("stoppage BETWEEN 0 AND 30", name=op.f("ck_events_stoppage_range")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_events_device_id"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["matches.id"], name=op.f("fk_events_match_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["player_id"], ["players.id"], name=op.f("fk_events_player_id")),
        sa.ForeignKeyConstraint(
            ["replaced_player_id"], ["players.id"], name=op.f("fk_events_replaced_player_id")
        ),
        *assist_key,
        sa.CheckConstraint(f"kind IN ({listed})", name=op.f("ck_events_event_kind")),
        sa.CheckConstraint("side IN ('team', 'opposition')", name=op.f("ck_events_event_side")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    # The columns both forms have: an assist is new going up and cannot be kept going down.
    names = (
        "id", "match_id", "kind", "side", "period", "minute", "stoppage", "player_id",
        "replaced_player_id", "note", "recorded_at", "device_id", "created_at", "updated_at",
        "deleted_at", "seq",
    )  # fmt: skip
    old = sa.table("events", *(sa.column(name) for name in names))
    new = sa.table("events_0007", *(sa.column(name) for name in names))
    op.execute(sa.insert(new).from_select(names, sa.select(*old.c)))
    op.drop_table("events")
    op.rename_table("events_0007", "events")
    op.create_index("ix_events_match_id_seq", "events", ["match_id", "seq"], unique=True)
    op.create_index("ix_events_player_id", "events", ["player_id"], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(ALL_KINDS, assist=True)
        return
    for kind in NEW_KINDS:
        op.execute(f"ALTER TYPE grassroots.event_kind ADD VALUE '{kind}' BEFORE 'yellow_card'")
    op.add_column(
        "events", sa.Column("assist_player_id", sa.Uuid(), nullable=True), schema="grassroots"
    )
    op.create_foreign_key(
        op.f("fk_events_assist_player_id"),
        "events",
        "players",
        ["assist_player_id"],
        ["id"],
        source_schema="grassroots",
        referent_schema="grassroots",
    )


def downgrade() -> None:
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    events = sa.table("events", sa.column("kind"), schema=None if is_sqlite else "grassroots")
    logged = op.get_bind().scalar(
        sa.select(sa.func.count())
        .select_from(events)
        .where(sa.cast(events.c.kind, sa.Text()).in_(NEW_KINDS))
    )
    if logged:
        raise RuntimeError(
            f"{logged} events are shots or corners, which revision 0006 cannot hold; "
            "delete them first to go down"
        )
    if is_sqlite:
        _rebuild_sqlite_events(OLD_KINDS, assist=False)
        return
    op.drop_constraint(
        op.f("fk_events_assist_player_id"), "events", type_="foreignkey", schema="grassroots"
    )
    op.drop_column("events", "assist_player_id", schema="grassroots")
    # PostgreSQL cannot take a value out of an enum: the type is made again without them.
    op.execute("ALTER TYPE grassroots.event_kind RENAME TO event_kind_0007")
    _kind(OLD_KINDS).create(op.get_bind())
    op.execute(
        "ALTER TABLE grassroots.events ALTER COLUMN kind TYPE grassroots.event_kind"
        " USING kind::text::grassroots.event_kind"
    )
    op.execute("DROP TYPE grassroots.event_kind_0007")
