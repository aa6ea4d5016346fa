"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
        schema="grassroots",
    )
    op.create_table(
        "server_meta",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_server_meta_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_meta")),
        schema="grassroots",
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("head_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        schema="grassroots",
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_mutation_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["grassroots.accounts.id"],
            name=op.f("fk_devices_account_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_devices_account_id"), "devices", ["account_id"], unique=False, schema="grassroots"
    )
    op.create_table(
        "matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("opponent", sa.Text(), nullable=False),
        sa.Column("is_home", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("kickoff_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("competition", sa.Text(), nullable=True),
        sa.Column("periods", sa.SmallInteger(), server_default=sa.text("2"), nullable=False),
        sa.Column(
            "period_minutes", sa.SmallInteger(), server_default=sa.text("45"), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "live",
                "interval",
                "finished",
                name="match_status",
                create_constraint=True,
                schema="grassroots",
            ),
            server_default="scheduled",
            nullable=False,
        ),
        sa.Column("current_period", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("period_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("lineup_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "current_period BETWEEN 0 AND 4", name=op.f("ck_matches_current_period_range")
        ),
        sa.CheckConstraint(
            "period_minutes BETWEEN 1 AND 60", name=op.f("ck_matches_period_minutes_range")
        ),
        sa.CheckConstraint("periods BETWEEN 1 AND 4", name=op.f("ck_matches_periods_range")),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_matches_team_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_matches_team_id_kickoff_at"),
        "matches",
        ["team_id", "kickoff_at"],
        unique=False,
        schema="grassroots",
    )
    op.create_table(
        "memberships",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner", "coach", name="member_role", create_constraint=True, schema="grassroots"
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["grassroots.accounts.id"],
            name=op.f("fk_memberships_account_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_memberships_team_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "account_id", name=op.f("pk_memberships")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_memberships_account_id"),
        "memberships",
        ["account_id"],
        unique=False,
        schema="grassroots",
    )
    op.create_table(
        "players",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("squad_number", sa.SmallInteger(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "squad_number BETWEEN 0 AND 99", name=op.f("ck_players_squad_number_range")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["grassroots.teams.id"],
            name=op.f("fk_players_team_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_players_team_id_seq"),
        "players",
        ["team_id", "seq"],
        unique=False,
        schema="grassroots",
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "goal",
                "assist",
                "key_pass",
                "save",
                "interception",
                "tackle",
                "foul",
                "penalty",
                "free_kick",
                "ball_out",
                "own_goal",
                "yellow_card",
                "red_card",
                "substitution",
                "kick_off",
                "half_time",
                "full_time",
                name="event_kind",
                create_constraint=True,
                schema="grassroots",
            ),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "team", "opposition", name="event_side", create_constraint=True, schema="grassroots"
            ),
            nullable=False,
        ),
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
        sa.CheckConstraint("minute BETWEEN 0 AND 150", name=op.f("ck_events_minute_range")),
        sa.CheckConstraint("period BETWEEN 1 AND 4", name=op.f("ck_events_period_range")),
        sa.CheckConstraint("stoppage BETWEEN 0 AND 30", name=op.f("ck_events_stoppage_range")),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["grassroots.devices.id"],
            name=op.f("fk_events_device_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["grassroots.matches.id"],
            name=op.f("fk_events_match_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["grassroots.players.id"], name=op.f("fk_events_player_id")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_player_id"],
            ["grassroots.players.id"],
            name=op.f("fk_events_replaced_player_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_events_match_id_seq"),
        "events",
        ["match_id", "seq"],
        unique=True,
        schema="grassroots",
    )
    op.create_index(
        op.f("ix_events_player_id"), "events", ["player_id"], unique=False, schema="grassroots"
    )
    op.create_table(
        "lineup",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("player_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "starting", "bench", name="lineup_role", create_constraint=True, schema="grassroots"
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["grassroots.matches.id"],
            name=op.f("fk_lineup_match_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["grassroots.players.id"], name=op.f("fk_lineup_player_id")
        ),
        sa.PrimaryKeyConstraint("match_id", "player_id", name=op.f("pk_lineup")),
        schema="grassroots",
    )


def downgrade() -> None:
    op.drop_table("lineup", schema="grassroots")
    op.drop_index(op.f("ix_events_player_id"), table_name="events", schema="grassroots")
    op.drop_index(op.f("ix_events_match_id_seq"), table_name="events", schema="grassroots")
    op.drop_table("events", schema="grassroots")
    op.drop_index(op.f("ix_players_team_id_seq"), table_name="players", schema="grassroots")
    op.drop_table("players", schema="grassroots")
    op.drop_index(op.f("ix_memberships_account_id"), table_name="memberships", schema="grassroots")
    op.drop_table("memberships", schema="grassroots")
    op.drop_index(op.f("ix_matches_team_id_kickoff_at"), table_name="matches", schema="grassroots")
    op.drop_table("matches", schema="grassroots")
    op.drop_index(op.f("ix_devices_account_id"), table_name="devices", schema="grassroots")
    op.drop_table("devices", schema="grassroots")
    op.drop_table("teams", schema="grassroots")
    op.drop_table("server_meta", schema="grassroots")
    op.drop_table("accounts", schema="grassroots")
    for enum in ("event_kind", "event_side", "match_status", "member_role", "lineup_role"):
        sa.Enum(name=enum, schema="grassroots").drop(op.get_bind(), checkfirst=True)
