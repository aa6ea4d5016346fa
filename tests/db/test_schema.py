"""schema.sql is the truth: the migrations and the ORM models build exactly what it says.

On PostgreSQL the catalogs of two fresh databases are compared, one built from schema.sql
and one by the migrations. On SQLite the migrations apply, re-apply as a no-op, run down
and up again, and connections carry the durability settings.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, column, delete, inspect, select, table, text
from sqlalchemy.orm import Session

from backend.db.engine import create_db_engine
from backend.db.migrate import HEAD, MIGRATIONS, current_revision, head_revision, upgrade
from backend.db.models import (
    SCHEMA,
    Account,
    Base,
    Event,
    Match,
    Membership,
    Player,
    PushSubscription,
    ServerMeta,
    ShareLink,
    Team,
)
from sync_protocol.match import EventKind, Side
from tests.databases import fresh_database, fresh_postgres

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "schema.sql"
KICKOFF = datetime(2026, 11, 21, 10, tzinfo=UTC)


def _rows(connection: Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(text(sql), {"schema": SCHEMA})]


def _normalise_default(default: str | None) -> str | None:
    # `DEFAULT 'scheduled'` reads back with its enum cast, whichever way it was written.
    return None if default is None else re.sub(r"::[\w.\"]+", "", default)


def catalog(engine: Engine) -> dict[str, Any]:
    """What PostgreSQL says the schema holds, in a form two databases can be compared by."""
    with engine.connect() as connection:
        columns = [
            (*row[:5], _normalise_default(row[5]))
            for row in _rows(
                connection,
                """
                SELECT table_name, column_name, data_type, udt_schema || '.' || udt_name,
                       is_nullable, column_default
                FROM information_schema.columns
                WHERE table_schema = :schema AND table_name <> 'alembic_version'
                ORDER BY table_name, column_name
                """,
            )
        ]
        return {
            "tables": _rows(
                connection,
                """
                SELECT table_name, table_type FROM information_schema.tables
                WHERE table_schema = :schema AND table_name <> 'alembic_version'
                ORDER BY table_name
                """,
            ),
            "columns": columns,
            "constraints": _rows(
                connection,
                """
                SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
                FROM pg_constraint con
                JOIN pg_class rel ON rel.oid = con.conrelid
                JOIN pg_namespace ns ON ns.oid = rel.relnamespace
                WHERE ns.nspname = :schema AND rel.relname <> 'alembic_version'
                ORDER BY rel.relname, con.conname
                """,
            ),
            "indexes": _rows(
                connection,
                """
                SELECT tablename, indexname, indexdef FROM pg_indexes
                WHERE schemaname = :schema AND tablename <> 'alembic_version'
                ORDER BY tablename, indexname
                """,
            ),
            "enums": _rows(
                connection,
                """
                SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
                FROM pg_type t
                JOIN pg_enum e ON e.enumtypid = t.oid
                JOIN pg_namespace ns ON ns.oid = t.typnamespace
                WHERE ns.nspname = :schema
                GROUP BY t.typname ORDER BY t.typname
                """,
            ),
        }


def _apply_schema_sql(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(SCHEMA_SQL.read_text())


def test_migrations_build_exactly_schema_sql() -> None:
    with fresh_postgres() as from_sql_url, fresh_postgres() as migrated_url:
        from_sql = create_db_engine(from_sql_url)
        migrated = create_db_engine(migrated_url)
        try:
            _apply_schema_sql(from_sql)
            upgrade(migrated)
            expected, actual = catalog(from_sql), catalog(migrated)
        finally:
            from_sql.dispose()
            migrated.dispose()

    assert expected["tables"], "schema.sql built no tables"
    for part in ("tables", "columns", "constraints", "indexes", "enums"):
        assert actual[part] == expected[part], part


def _orm_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, kind, _parent: kind != "schema" or name == SCHEMA,
            "compare_type": True,
            "compare_server_default": True,
        },
    )
    return [
        diff
        for diff in compare_metadata(context, Base.metadata)
        if not (diff[0] == "remove_table" and diff[1].name == "alembic_version")
    ]


def test_orm_models_match_schema_sql() -> None:
    with fresh_postgres() as url:
        engine = create_db_engine(url)
        try:
            _apply_schema_sql(engine)
            with engine.connect() as connection:
                differences = _orm_differences(connection)
        finally:
            engine.dispose()

    assert differences == []


def downgrade_to_base(engine: Engine, revision: str = "base") -> None:
    """Run every migration's downgrade (down to ``revision``; by default all of them,
    leaving only Alembic's own bookkeeping)."""
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_migrations_go_down_to_base_and_up_again_on_postgresql() -> None:
    with fresh_postgres() as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            before = catalog(engine)
            downgrade_to_base(engine)
            with engine.connect() as connection:
                assert current_revision(connection) is None
                left = inspect(connection).get_table_names(schema=SCHEMA)
            emptied = catalog(engine)
            upgrade(engine)
            after = catalog(engine)
        finally:
            engine.dispose()

    assert left == ["alembic_version"]
    assert emptied["enums"] == []
    assert after == before


def _sqlite_tables(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


def _sqlite_schema(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return _rows(
            connection, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        )


def test_sqlite_migrations_apply_once_and_again_as_a_no_op(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            first = _sqlite_schema(engine)
            with engine.connect() as connection:
                generation = connection.scalar(select(ServerMeta.generation))
            upgrade(engine)
            second = _sqlite_schema(engine)
            with engine.connect() as connection:
                revision = current_revision(connection)
                generations = connection.scalars(select(ServerMeta.generation)).all()
            tables = _sqlite_tables(engine)
        finally:
            engine.dispose()

    assert revision == head_revision()
    assert second == first
    assert generations == [generation]
    assert set(tables) == {table.name for table in Base.metadata.tables.values()} | {
        "alembic_version"
    }


def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                pragmas = {
                    name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys")
                }
        finally:
            engine.dispose()

    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def test_sqlite_migrations_go_down_to_base_and_up_again(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            before = _sqlite_schema(engine)
            downgrade_to_base(engine)
            emptied = _sqlite_tables(engine)
            upgrade(engine)
            after = _sqlite_schema(engine)
        finally:
            engine.dispose()

    assert emptied == ["alembic_version"]
    assert after == before


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_shots_and_assists_migrate_down_and_up_keeping_every_event(
    kind: str, tmp_path: Path
) -> None:
    """0007 rebuilds SQLite's events table and remakes PostgreSQL's kinds on the way down:
    the rows stay, and a shot (which 0006 cannot hold) stops the way down untouched."""
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            team, match = uuid.uuid4(), uuid.uuid4()
            scorer, maker = uuid.uuid4(), uuid.uuid4()
            goal, shot = uuid.uuid4(), uuid.uuid4()
            with Session(engine) as session, session.begin():
                session.add(Team(id=team, name="Reds"))
                session.flush()  # no relationships tell the ORM the order of the rows
                session.add_all(
                    Player(id=p, team_id=team, display_name=n, seq=1)
                    for p, n in ((scorer, "Sam"), (maker, "Kit"))
                )
                session.add(Match(id=match, team_id=team, opponent="Blues", kickoff_at=KICKOFF))
                session.flush()
                session.add_all(
                    [
                        Event(id=goal, match_id=match, kind=EventKind.GOAL, side=Side.TEAM,
                              period=1, minute=3, player_id=scorer, assist_player_id=maker,
                              seq=1),
                        Event(id=shot, match_id=match, kind=EventKind.SHOT_ON_TARGET,
                              side=Side.TEAM, period=1, minute=5, seq=2),
                    ]
                )  # fmt: skip
            with pytest.raises(RuntimeError, match="shots or corners"):
                downgrade_to_base(engine, "0006")
            with engine.connect() as connection:
                assert current_revision(connection) == HEAD
            with Session(engine) as session, session.begin():
                session.execute(delete(Event).where(Event.id == shot))
            downgrade_to_base(engine, "0006")
            with engine.connect() as connection:
                schema = None if kind == "sqlite" else SCHEMA
                old_events = table("events", column("kind"), column("minute"), schema=schema)
                events = connection.execute(select(old_events)).all()
            upgrade(engine)
            with Session(engine) as session:
                kept = session.get_one(Event, goal)
                assert (kept.kind, kept.player_id, kept.assist_player_id) == (
                    EventKind.GOAL,
                    scorer,
                    None,
                )
        finally:
            engine.dispose()

    assert [tuple(row) for row in events] == [("goal", 3)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_share_links_until_revoked_migrate_down_and_up_keeping_their_subscriptions(
    kind: str, tmp_path: Path
) -> None:
    """0008 makes SQLite's share_links anew, which cascades to the push subscriptions
    unless they are kept: every row stays, and going down a link without an expiry gets
    the longest the old schema allowed."""
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            team, match, link, subscription = (uuid.uuid4() for _ in range(4))
            with Session(engine) as session, session.begin():
                session.add(Team(id=team, name="Reds"))
                session.flush()
                session.add(Match(id=match, team_id=team, opponent="Blues", kickoff_at=KICKOFF))
                session.flush()
                session.add(ShareLink(id=link, match_id=match, created_at=KICKOFF))
                session.flush()
                session.add(
                    PushSubscription(
                        id=subscription, link_id=link, match_id=match, endpoint="https://push",
                        p256dh="key", auth="auth",
                    )
                )  # fmt: skip
            downgrade_to_base(engine, "0007")
            with Session(engine) as session:
                kept = session.get_one(ShareLink, link)
                assert kept.expires_at == KICKOFF + timedelta(days=366)
                assert session.get(PushSubscription, subscription) is not None
            upgrade(engine)
            with Session(engine) as session:
                assert session.get_one(ShareLink, link).expires_at == KICKOFF + timedelta(days=366)
                assert session.get(PushSubscription, subscription) is not None
        finally:
            engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_roles_migrate_down_and_up_keeping_every_membership(kind: str, tmp_path: Path) -> None:
    """0011 remakes the roles (SQLite's tables, PostgreSQL's type) on the way down: the
    owners and coaches stay, and a member (which 0007 cannot hold) stops the way down."""
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine)
            team = uuid.uuid4()
            owner, helper = uuid.uuid4(), uuid.uuid4()
            with Session(engine) as session, session.begin():
                session.add(Team(id=team, name="Reds"))
                session.add_all(
                    Account(id=a, email=f"{a}@example.org", password_hash="x", display_name="A")
                    for a in (owner, helper)
                )
                session.flush()
                session.add_all(
                    [
                        Membership(team_id=team, account_id=owner, role="owner"),
                        Membership(team_id=team, account_id=helper, role="member"),
                    ]
                )
            with pytest.raises(RuntimeError, match="member role"):
                downgrade_to_base(engine, "0007")
            with engine.connect() as connection:
                assert current_revision(connection) == HEAD
            with Session(engine) as session, session.begin():
                session.get_one(Membership, (team, helper)).role = "coach"
            downgrade_to_base(engine, "0007")
            with engine.connect() as connection:
                schema = None if kind == "sqlite" else SCHEMA
                old = table("memberships", column("account_id"), column("role"), schema=schema)
                roles = {str(r.role) for r in connection.execute(select(old))}
            upgrade(engine)
            with Session(engine) as session, session.begin():
                session.get_one(Membership, (team, helper)).role = "member"
        finally:
            engine.dispose()

    assert roles == {"owner", "coach"}


def test_the_head_a_ready_server_expects_is_the_newest_migration() -> None:
    assert head_revision() == HEAD


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_unmigrated_database_has_no_revision(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                assert current_revision(connection) is None
                # On PostgreSQL the failed read ended its transaction; the connection
                # is usable again.
                assert connection.scalar(select(1)) == 1
            upgrade(engine)
            with engine.connect() as connection:
                assert current_revision(connection) == HEAD
        finally:
            engine.dispose()


def test_serving_on_sqlite_loads_neither_alembic_nor_psycopg(tmp_path: Path) -> None:
    # Each would stay in the server's memory for its whole life, unused.
    url = f"sqlite:///{tmp_path / 'serving.db'}"
    code = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from backend.app import create_app\n"
        "from backend.cli import build_parser\n"
        "from backend.settings import Settings\n"
        f"with TestClient(create_app(Settings(database_url={url!r}))) as client:\n"
        "    assert client.get('/healthz').status_code == 200\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'psycopg'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
