"""``touchline db backup|restore|verify|new-generation`` as real processes, beside a real
server, on SQLite and PostgreSQL: a backup taken while writes go on, a restore the phones
notice, and refusals that name the problem and change nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.db.migrate import HEAD
from sync_client.client import SyncClient
from tests.databases import fresh_database
from tests.e2e.server import running_server, touchline
from tests.live.coach import Coach, coach
from tests.sync.clubs import Ground, ground, phone

pytestmark = pytest.mark.e2e
DATABASES = pytest.mark.parametrize("kind", ["sqlite", "postgresql"])


def _json(*args: str, env: dict[str, str] | None = None) -> Any:
    result = touchline(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _refused(*args: str, env: dict[str, str] | None = None) -> str:
    result = touchline(*args, env=env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    return result.stderr


def _scalar(database_url: str, query: str) -> Any:
    """One value read straight from the database, as a second process would."""
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database
        assert database is not None
        with closing(sqlite3.connect(database)) as connection:
            return connection.execute(query).fetchone()[0]
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SET search_path TO grassroots")
            return connection.execute(text(query)).scalar()
    finally:
        engine.dispose()


@DATABASES
def test_a_backup_taken_while_a_coach_logs_holds_a_consistent_snapshot(
    kind: str, tmp_path: Path
) -> None:
    backup = tmp_path / "touchline.backup"
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        logger = coach(server)
        kick_off = logger.push("kick_off")
        pushed: list[str] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def keep_logging(sideline: Coach) -> None:
            try:
                while not stop.is_set():
                    pushed.extend(sideline.push("goal", "save"))
            except BaseException as error:  # reported by the test below
                failures.append(error)

        writer = threading.Thread(target=keep_logging, args=(logger,))
        writer.start()
        try:
            before = len(pushed)
            result = touchline("db", "backup", str(backup), "--database-url", pitch.database_url)
            during = len(pushed) - before
        finally:
            stop.set()
            writer.join()
        assert failures == []
        assert result.returncode == 0, result.stderr
        assert during > 0, "the server took no writes while the backup ran"
        summary = _json("db", "verify", str(backup))
        assert summary["integrity"] == "ok"
        assert summary["revision"] == HEAD
        assert (summary["teams"], summary["matches"]) == (1, 1)
        # The kick-off and whole batches only: each push is one transaction.
        assert summary["events"] % 2 == 1
        assert 1 + before <= summary["events"] <= 1 + len(pushed)

    if kind == "sqlite":
        assert not backup.with_name(backup.name + "-wal").exists()
        with closing(sqlite3.connect(backup)) as copy:
            held = {row[0] for row in copy.execute("SELECT id FROM events")}
        # Pushed one after another: the snapshot holds the first ones, every one whole.
        first = {uuid.UUID(i).hex for i in kick_off + pushed[: summary["events"] - 1]}
        assert held == first


@DATABASES
def test_a_restore_brings_back_the_backup_and_every_phone_rebuilds(
    kind: str, tmp_path: Path
) -> None:
    backup = tmp_path / "saturday.backup"
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            logger = coach(server)
            before = logger.push("kick_off", "goal", "goal")
            device = phone(server, logger.login_token, "assistant's phone")
            watcher = SyncClient(
                tmp_path / "phone.db", server.base_url, device.token, device.device_id
            )
            watcher.sync_until_idle()
            backed_up = _json("db", "backup", str(backup), "--database-url", pitch.database_url)
            after = logger.push("goal", "goal")
            watcher.sync_until_idle()
            assert len(watcher.events(logger.match_id)) == 5

        restored = _json("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert restored["events"] == backed_up["events"] == 3
        assert restored["generation"] != backed_up["generation"]
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 3

        with pitch.server():
            report = watcher.sync_until_idle()
            # The new generation tells the phone, whatever its positions were, and the
            # phone gives back the two goals it had pulled since the backup.
            assert report.resets == ["generation_changed"]
            assert (report.repairs, report.restored) == (1, 2)
            held = {e["id"] for e in watcher.events(logger.match_id)}
            assert held == set(before) | set(after)
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 5
        repairs = _json("db", "repairs", "--database-url", pitch.database_url)
        assert (repairs["records"], repairs["devices"]) == (2, 1)
        assert repairs["generation"] == restored["generation"]


def test_the_restored_database_is_the_backup_with_a_new_generation(tmp_path: Path) -> None:
    """On SQLite the restore leaves one file, in WAL mode again once a server opens it."""
    with ground("sqlite", tmp_path) as pitch:
        with pitch.server() as server:
            coach(server).push("kick_off", "goal")
        backup = tmp_path / "b.db"
        _json("db", "backup", str(backup), "--database-url", pitch.database_url)
        original = _scalar(pitch.database_url, "SELECT generation FROM server_meta")
        restored = _json("db", "restore", str(backup), "--database-url", pitch.database_url)
        generation = _scalar(pitch.database_url, "SELECT generation FROM server_meta")
        assert generation == restored["generation"].replace("-", "") != original
        database = Path(make_url(pitch.database_url).database or "")
        assert sorted(p.name for p in tmp_path.glob(database.name + "*")) == [database.name]
        with pitch.server() as server:
            assert server.request("GET", "/readyz").status == 200
        assert _scalar(pitch.database_url, "PRAGMA journal_mode") == "wal"


@DATABASES
def test_a_restore_refuses_while_a_server_has_the_database_open(kind: str, tmp_path: Path) -> None:
    backup = tmp_path / "b.backup"
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        logger = coach(server)
        logger.push("kick_off")
        _json("db", "backup", str(backup), "--database-url", pitch.database_url)
        logger.push("goal")
        refused = _refused("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert "stop every server on it" in refused
        # The server goes on with its own database.
        logger.push("goal")
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 3


def _backed_up_before_two_goals(pitch: Ground, backup: Path) -> tuple[Coach, Any]:
    """A match kicked off and backed up to ``backup``, then two goals; the server stopped.
    Answers the coach and the database's generation."""
    with pitch.server() as server:
        logger = coach(server)
        logger.push("kick_off")
        _json("db", "backup", str(backup), "--database-url", pitch.database_url)
        logger.push("goal", "goal")
    generation = _scalar(pitch.database_url, "SELECT generation FROM server_meta")
    return logger, generation


def test_a_sqlite_restore_killed_before_its_rename_leaves_the_database_as_it_was(
    tmp_path: Path,
) -> None:
    backup = tmp_path / "b.db"
    with ground("sqlite", tmp_path) as pitch:
        logger, generation = _backed_up_before_two_goals(pitch, backup)

        killed = touchline(
            "db", "restore", str(backup), "--database-url", pitch.database_url,
            env={"TOUCHLINE_CRASH_AT": "restore.before_replace"},
        )  # fmt: skip
        assert killed.returncode == -9, killed.stderr
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 3
        assert _scalar(pitch.database_url, "SELECT generation FROM server_meta") == generation
        with pitch.server():
            logger.push("goal")

        # The copy the killed run left is replaced by the next one.
        restored = _json("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert restored["events"] == 1
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 1


REFUSE_EVENTS_TABLE = """
CREATE FUNCTION public.refuse_events_table() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()
             WHERE object_identity = 'grassroots.events') THEN
    RAISE EXCEPTION 'no events table today';
  END IF;
END $$;
CREATE EVENT TRIGGER refuse_events_table ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION public.refuse_events_table();
"""


def test_a_postgresql_restore_that_fails_half_way_leaves_the_database_as_it_was(
    tmp_path: Path,
) -> None:
    backup = tmp_path / "b.dump"
    with ground("postgresql", tmp_path) as pitch:
        _, generation = _backed_up_before_two_goals(pitch, backup)
        # Fails once the schema is dropped and the tables before events are made again.
        engine = create_engine(pitch.database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(REFUSE_EVENTS_TABLE)
        engine.dispose()

        refused = _refused("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert "the database is as it was" in refused
        assert "no events table today" in refused
        assert _scalar(pitch.database_url, "SELECT count(*) FROM events") == 3
        assert _scalar(pitch.database_url, "SELECT count(*) FROM teams") == 1
        assert _scalar(pitch.database_url, "SELECT generation FROM server_meta") == generation


def test_new_generation_makes_phones_rebuild_after_a_restore_by_other_means(
    tmp_path: Path,
) -> None:
    with ground("sqlite", tmp_path) as pitch, pitch.server() as server:
        logger = coach(server)
        logger.push("kick_off")
        device = phone(server, logger.login_token, "assistant's phone")
        watcher = SyncClient(tmp_path / "phone.db", server.base_url, device.token, device.device_id)
        watcher.sync_until_idle()
        changed = _json("db", "new-generation", "--database-url", pitch.database_url)
        assert watcher.sync_until_idle().resets == ["generation_changed"]
        assert _scalar(pitch.database_url, "SELECT generation FROM server_meta") == (
            changed["generation"].replace("-", "")
        )
        assert len(watcher.events(logger.match_id)) == 1


def test_bad_paths_are_refused_by_name_and_nothing_is_written(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        assert touchline("db", "upgrade", "--database-url", url).returncode == 0
        database = Path(make_url(url).database or "")
        garbage = tmp_path / "notes.txt"
        garbage.write_text("team sheet\n")
        good = tmp_path / "good.db"
        _json("db", "backup", str(good), "--database-url", url)
        damaged = tmp_path / "damaged.db"
        damaged.write_bytes(good.read_bytes()[:5000])
        missing = tmp_path / "missing.db"
        before = database.read_bytes()

        cases = [
            (("db", "backup", str(tmp_path / "no" / "b.db")), f"directory {tmp_path / 'no'}"),
            (("db", "backup", str(tmp_path)), "is a directory"),
            (("db", "backup", str(good)), "already exists"),
            (("db", "backup", str(database)), "already exists"),
            (("db", "backup", str(database), "--force"), "is the database itself"),
            (("db", "verify", str(missing)), f"PATH {missing}: no such file"),
            (("db", "verify", str(garbage)), "is not a Touchline backup"),
            (("db", "verify", str(damaged)), f"PATH {damaged} is damaged"),
            (("db", "restore", str(missing)), "no such file"),
            (("db", "restore", str(garbage)), "is not a Touchline backup"),
            (("db", "restore", str(damaged)), "is damaged"),
            (("db", "restore", str(tmp_path)), "is a directory"),
        ]
        # Independent commands, side by side: each is a process that mostly imports.
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = pool.map(lambda case: _refused(*case[0], "--database-url", url), cases)
            for (args, named), stderr in zip(cases, answers, strict=True):
                assert named in stderr, (args, stderr)

        assert database.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [database.name, garbage.name, good.name, damaged.name]
        )
        # A plain copy of the database file (in WAL mode) is read without a -wal or -shm
        # made beside it, whatever its name.
        copied = tmp_path / "copy #2?.db"
        shutil.copy(database, copied)
        assert _json("db", "verify", str(copied))["revision"] == HEAD
        assert sorted(p.name for p in tmp_path.glob("copy*")) == [copied.name]
        other = tmp_path / "other.db"
        with closing(sqlite3.connect(database)) as connection:
            connection.execute("VACUUM INTO ?", (str(other),))
        with closing(sqlite3.connect(other)) as connection:
            connection.execute("DROP TABLE events")
        assert "is not a Touchline database" in _refused("db", "verify", str(other))


def test_a_backup_of_one_kind_is_not_restored_into_the_other(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url, fresh_database("postgresql", tmp_path) as pg:
        assert touchline("db", "upgrade", "--database-url", url).returncode == 0
        backup = tmp_path / "b.db"
        _json("db", "backup", str(backup), "--database-url", url)
        refused = _refused("db", "restore", str(backup), "--database-url", pg)
        assert "is a sqlite backup but the database is postgresql" in refused


def test_missing_or_mismatched_postgresql_tools_are_named(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        assert touchline("db", "upgrade", "--database-url", url).returncode == 0
        bare = tmp_path / "bin"
        bare.mkdir()
        backup = tmp_path / "b.dump"
        refused = _refused("db", "backup", str(backup), "--database-url", url,
                           env={"PATH": str(bare)})  # fmt: skip
        assert "pg_dump is not installed" in refused
        assert "postgresql-client-" in refused

        old = bare / "pg_dump"
        old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
        old.chmod(old.stat().st_mode | stat.S_IXUSR)
        refused = _refused("db", "backup", str(backup), "--database-url", url,
                           env={"PATH": str(bare)})  # fmt: skip
        assert "pg_dump is version 9 but the server is PostgreSQL" in refused
        assert not backup.exists()

    nowhere = "postgresql://postgres@127.0.0.1:1/touchline"
    refused = _refused("db", "backup", str(tmp_path / "b.dump"), "--database-url", nowhere)
    assert "cannot reach the database" in refused


def test_verify_reads_a_postgresql_archive_and_refuses_a_damaged_one(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        assert touchline("db", "upgrade", "--database-url", url).returncode == 0
        with running_server(url, tmp_path / "server.log") as server:
            coach(server).push("kick_off", "goal")
        backup = tmp_path / "b.dump"
        taken = _json("db", "backup", str(backup), "--database-url", url)
    assert _json("db", "verify", str(backup)) == taken
    assert (taken["format"], taken["events"], taken["teams"]) == ("postgresql", 2, 1)
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(backup.read_bytes()[: backup.stat().st_size - 200])
    assert "cannot be read by pg_restore" in _refused("db", "verify", str(damaged))


def test_a_postgresql_restore_reports_each_table_as_it_goes_in(tmp_path: Path) -> None:
    backup = tmp_path / "b.dump"
    with ground("postgresql", tmp_path) as pitch:
        with pitch.server() as server:
            coach(server).push("kick_off", "goal")
        _json("db", "backup", str(backup), "--database-url", pitch.database_url)
        restored = touchline("db", "restore", str(backup), "--database-url", pitch.database_url)
    assert restored.returncode == 0, restored.stderr
    progress = [line.split() for line in restored.stderr.splitlines()]
    assert all(words[:2] == ["restore:", "table"] for words in progress), restored.stderr
    counts = [words[2] for words in progress]
    total = len(counts)
    assert counts == [f"{n}/{total}" for n in range(1, total + 1)]
    assert {"events", "matches", "teams", "server_meta"} <= {words[3] for words in progress}
    header, row = (line.split() for line in restored.stdout.splitlines())
    summary = dict(zip(header, row, strict=True))  # then the backup's verify summary
    assert (summary["integrity"], summary["events"]) == ("ok", "2"), restored.stdout
