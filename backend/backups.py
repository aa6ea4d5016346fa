"""``touchline db backup|restore|verify|new-generation``: copies of the database taken while
it serves, checked, and put back.

A SQLite backup is a single SQLite file, copied through SQLite's online backup API inside
one read transaction: a consistent snapshot that writers (in WAL mode) never wait for and
that never restarts however busy the server is. A PostgreSQL backup is a ``pg_dump``
custom-format archive of the ``grassroots`` schema (one snapshot too). Either is written
beside PATH under a temporary name and renamed to PATH only once it has been verified.

A restore replaces the whole database or nothing, and gives it a new generation, so that
every phone's cursor from before the restore is answered ``generation_changed`` and the
phone rebuilds its pulled state (SPEC.md, "Reset"). It refuses while anything else has the
database open: a server would go on serving from what it has in memory (and on SQLite from
a file that is no longer the database).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend.commands import (
    CommandError,
    DatabaseOption,
    Group,
    Operator,
    Row,
    add_command,
    show_progress,
)
from backend.db.engine import SQLITE_BUSY_TIMEOUT_MS
from backend.db.models import SCHEMA, Repair, ServerMeta
from backend.faults import crash_point

SQLITE_MAGIC = b"SQLite format 3\x00"
ARCHIVE_MAGIC = b"PGDMP"
# With the snapshot held, a step's size only sets how often progress is reported.
PAGES_PER_STEP = 256
COUNTED = ("teams", "matches", "events")


# --- paths and formats -------------------------------------------------------------------


def _new_file(path: Path, force: bool) -> Path:
    """PATH as a place to write a new backup, or the reason it is not one."""
    if path.is_dir():
        raise CommandError(f"PATH {path} is a directory: name the backup file to write")
    if not path.parent.is_dir():
        raise CommandError(f"PATH {path}: the directory {path.parent} does not exist")
    if path.exists() and not force:
        raise CommandError(f"PATH {path} already exists: name a new file, or pass --force")
    return path


def _backup_format(path: Path) -> str:
    """``"sqlite"`` or ``"postgresql"``, from the file's first bytes."""
    if path.is_dir():
        raise CommandError(f"PATH {path} is a directory, not a backup file")
    try:
        with path.open("rb") as file:
            start = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise CommandError(f"PATH {path}: no such file") from None
    except OSError as error:
        raise CommandError(f"PATH {path}: {error.strerror}") from None
    if start.startswith(SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(ARCHIVE_MAGIC):
        return "postgresql"
    raise CommandError(
        f"PATH {path} is not a Touchline backup (neither a SQLite database nor a "
        "pg_dump custom-format archive)"
    )


def _database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_file(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        raise CommandError("an in-memory SQLite database has no file to back up or restore")
    return Path(name)


def _staging(path: Path, purpose: str) -> Path:
    """The file a new ``path`` is written to before it is renamed into place: beside it,
    so the rename is atomic. A run that was killed leaves one; the next run replaces it."""
    return path.with_name(f"{path.name}.{purpose}")


def _sync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _replace(staged: Path, path: Path) -> None:
    """Rename ``staged`` over ``path``, durably: the file's data, then the directory entry."""
    _sync_file(staged)
    os.replace(staged, path)
    _sync_file(path.parent)


def _report_pages(label: str) -> Callable[[int, int, int], None]:
    """A progress callback for :meth:`sqlite3.Connection.backup`: pages done, on stderr
    (when piped, a line every tenth of the way)."""
    tenths = [-1]

    def report(_status: int, remaining: int, total: int) -> None:
        done = total - remaining
        tenth = 10 * done // max(total, 1)
        show_progress(label, done, total, line=tenth != tenths[0], unit=" pages")
        tenths[0] = tenth

    return report


# --- SQLite ------------------------------------------------------------------------------


def _open_sqlite_backup(path: Path) -> sqlite3.Connection:
    """``path`` opened read-only: verifying or restoring from a backup never changes it.

    Without a ``-wal`` beside it the file is the whole database, and is opened as
    immutable, so that a copy of a WAL-mode file gets no ``-wal`` or ``-shm`` made beside
    it either."""
    whole = not path.with_name(path.name + "-wal").exists()
    options = "mode=ro&immutable=1" if whole else "mode=ro"
    uri = f"{path.resolve().as_uri()}?{options}"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def _sqlite_summary(path: Path) -> Row:
    """The integrity check, schema revision, generation and counts of a SQLite file;
    a :class:`CommandError` naming what is wrong unless it is a sound Touchline database."""
    try:
        connection = _open_sqlite_backup(path)
    except sqlite3.Error as error:
        raise CommandError(f"PATH {path} cannot be opened: {error}") from None
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise CommandError(f"PATH {path} fails SQLite's integrity check: {problems[0]}")
        summary: Row = {"backup": str(path), "format": "sqlite", "integrity": "ok"}
        summary |= _touchline_facts(path, lambda sql: connection.execute(sql).fetchone())
    except sqlite3.DatabaseError as error:
        raise CommandError(f"PATH {path} is damaged: {error}") from None
    finally:
        connection.close()
    return summary


def _touchline_facts(path: Path, first: Callable[[str], tuple[object, ...] | None]) -> Row:
    """The revision, generation and counts, read with ``first`` (a query's first row)."""
    queries = {
        "revision": "SELECT version_num FROM alembic_version",
        "generation": "SELECT generation FROM server_meta",
    } | {table: f"SELECT count(*) FROM {table}" for table in COUNTED}  # noqa: S608
    facts: Row = {}
    try:
        for name, query in queries.items():
            row = first(query)
            facts[name] = None if row is None else row[0]
    except sqlite3.OperationalError as error:
        raise CommandError(f"PATH {path} is not a Touchline database: {error}") from None
    if facts["revision"] is None or facts["generation"] is None:
        raise CommandError(f"PATH {path} is not a migrated Touchline database")
    facts["generation"] = str(uuid.UUID(str(facts["generation"])))
    return facts


def _sqlite_backup(database: Path, path: Path) -> Row:
    if not database.is_file():
        raise CommandError(f"no SQLite database at {database}")
    if path.resolve() == database.resolve():
        raise CommandError(f"PATH {path} is the database itself: name another file")
    staged = _staging(path, "partial")
    staged.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(
            database, isolation_level=None, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
        )
        try:
            # One read transaction for the whole copy: every step reads the same snapshot,
            # so writes committed meanwhile neither restart the backup nor wait for it.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            copy = sqlite3.connect(staged, isolation_level=None)
            try:
                source.backup(copy, pages=PAGES_PER_STEP, progress=_report_pages("backup"))
                # A file of its own: no -wal or -shm beside it, now or when it is opened.
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
            source.execute("COMMIT")
        finally:
            source.close()
        summary = _sqlite_summary(staged)
        _replace(staged, path)
    except sqlite3.Error as error:
        staged.unlink(missing_ok=True)
        raise CommandError(f"backup of {database} failed: {error}") from None
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return summary | {"backup": str(path)}


def _hold_sqlite(database: Path) -> sqlite3.Connection | None:
    """An exclusive hold on ``database`` (None if there is no file yet), or a
    :class:`CommandError` if another connection has it open.

    Leaving WAL mode needs every other connection gone, and checkpoints the WAL into the
    file, so nothing of the old database is left in a ``-wal`` file to be replayed onto the
    new one. The server sets WAL mode again when it opens the database."""
    wal = database.with_name(database.name + "-wal")
    if not database.exists():
        if wal.exists():
            raise CommandError(
                f"{wal} is left from a database that is gone; move it away, then restore"
            )
        return None
    hold = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        hold.execute("PRAGMA journal_mode=DELETE").fetchone()
        hold.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as error:
        hold.close()
        if "locked" in str(error) or "busy" in str(error):
            raise CommandError(
                f"the database {database} is open in another process (a running server?): "
                "stop every server on it, then restore"
            ) from None
        raise CommandError(f"the database {database} cannot be opened: {error}") from None
    except sqlite3.DatabaseError as error:
        hold.close()
        raise CommandError(f"{database} is not a SQLite database: {error}") from None
    return hold


def _release(hold: sqlite3.Connection, restored: bool) -> None:
    hold.execute("ROLLBACK")
    if not restored:
        # The old database stays: as it was, WAL mode included.
        hold.execute("PRAGMA journal_mode=WAL")
    hold.close()


def _sqlite_restore(path: Path, database: Path) -> Row:
    summary = _sqlite_summary(path)
    if not database.parent.is_dir():
        raise CommandError(f"the database's directory {database.parent} does not exist")
    if database.exists() and path.resolve() == database.resolve():
        raise CommandError(f"PATH {path} is the database itself")
    hold = _hold_sqlite(database)
    staged = _staging(database, "restoring")
    restored = False
    generation = uuid.uuid4()
    try:
        staged.unlink(missing_ok=True)
        source = _open_sqlite_backup(path)
        copy = sqlite3.connect(staged, isolation_level=None)
        try:
            source.backup(copy, pages=PAGES_PER_STEP, progress=_report_pages("restore"))
            copy.execute("PRAGMA synchronous=FULL")
            copy.execute("UPDATE server_meta SET generation = ?", (generation.hex,))
        finally:
            copy.close()
            source.close()
        crash_point("restore.before_replace")
        _replace(staged, database)
        restored = True
    except sqlite3.Error as error:
        raise CommandError(f"restore failed, the database is as it was: {error}") from None
    finally:
        if not restored:
            staged.unlink(missing_ok=True)
        if hold is not None:
            _release(hold, restored)
    return summary | {"restored_to": str(database), "generation": str(generation)}


# --- PostgreSQL ----------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """``url`` as the client tools take it, with the password in their environment
    rather than on a command line that any local user can read."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _tool(name: str, server_major: int | None = None) -> str:
    """The path of the PostgreSQL client tool ``name``; with ``server_major``, refused
    unless it is of the server's major version."""
    package = "postgresql-client" + (f"-{server_major}" if server_major else "")
    found = shutil.which(name)
    if found is None:
        raise CommandError(
            f"{name} is not installed (not on PATH): install the PostgreSQL client tools "
            f"of the server's major version (e.g. the package {package})"
        )
    if server_major is not None:
        said = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
        version = re.search(r"\d+", said.stdout)
        major = int(version.group()) if version else None
        if major != server_major:
            raise CommandError(
                f"{name} is version {major} but the server is PostgreSQL {server_major}: "
                f"install the client tools of version {server_major} ({package})"
            )
    return found


def _ask(url: str, query: str) -> int:
    """The integer ``query`` answers on the database at ``url``."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text(query)) or 0)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise CommandError(f"cannot reach the database: {reason}") from None
    finally:
        engine.dispose()


def _server_major(url: str) -> int:
    return _ask(url, "SHOW server_version_num") // 10000


def _run_tool(command: list[str], environment: dict[str, str], label: str, failed: str) -> None:
    """Run a client tool, passing on the tables it names as progress, or a
    :class:`CommandError` starting ``failed`` with the end of what it said."""
    said: list[str] = []
    with subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environment
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if "dumping contents of table" in line:
                table = line.rsplit(" ", 1)[-1].strip().strip('"')
                sys.stderr.write(f"{label}: {table}\n")
            elif line.strip():
                said.append(line.strip())
    if process.returncode != 0:
        raise CommandError(f"{failed}: " + ("; ".join(said[-3:]) or f"exit {process.returncode}"))


def _archive_rows(path: Path, environment: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """(table, the row's text columns) for every row of the counted tables in a
    custom-format archive, read through ``pg_restore`` (which checks every data block)."""
    tables = [*COUNTED, "alembic_version", "server_meta"]
    command = [
        _tool("pg_restore"), "--data-only", "--file=-", f"--schema={SCHEMA}",
        *(f"--table={table}" for table in tables), str(path),
    ]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        table = None
        for line in process.stdout:
            if table is None:
                copy = re.match(r"COPY \S+?\.(\w+) \((.*)\) FROM stdin;", line)
                if copy:
                    table = copy.group(1)
                    yield table, [c.strip('"') for c in copy.group(2).split(", ")]
            elif line == "\\.\n":
                table = None
            else:
                yield table, line.rstrip("\n").split("\t")
        errors = process.stderr.read()
    if process.returncode != 0:
        raise CommandError(f"PATH {path} cannot be read by pg_restore: {errors.strip()}")


def _archive_summary(path: Path, environment: dict[str, str]) -> Row:
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(path)],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    if listing.returncode != 0:
        raise CommandError(f"PATH {path} cannot be read by pg_restore: {listing.stderr.strip()}")
    summary: Row = {"backup": str(path), "format": "postgresql", "integrity": "ok"}
    summary |= {"revision": None, "generation": None} | dict.fromkeys(COUNTED, 0)
    headers: dict[str, list[str]] = {}
    for table, values in _archive_rows(path, environment):
        if table not in headers:
            headers[table] = values
        elif table in COUNTED:
            summary[table] += 1
        elif table == "alembic_version":
            summary["revision"] = values[headers[table].index("version_num")]
        else:
            summary["generation"] = str(uuid.UUID(values[headers[table].index("generation")]))
    if summary["revision"] is None or summary["generation"] is None:
        raise CommandError(f"PATH {path} is not a backup of a Touchline database")
    return summary


def _pg_backup(url: str, path: Path) -> Row:
    libpq, environment = _libpq(url)
    pg_dump = _tool("pg_dump", _server_major(url))
    staged = _staging(path, "partial")
    staged.unlink(missing_ok=True)
    try:
        _run_tool(
            [pg_dump, "--format=custom", f"--schema={SCHEMA}", "--verbose",
             f"--file={staged}", f"--dbname={libpq}"],
            environment, "backup", f"pg_dump of {make_url(url).database} failed",
        )  # fmt: skip
        summary = _archive_summary(staged, environment)
        _replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return summary | {"backup": str(path)}


def _other_connections(url: str) -> int:
    return _ask(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )


TABLE_MARK = "touchline-restore-table "


def _mark_tables(script: Path) -> int:
    """Put a ``SELECT`` of a line naming each table before its data in ``script``
    (pg_restore's SQL), for :func:`_run_psql` to report as psql reaches it. Returns how many
    tables have data. (Not psql's ``\\echo``: pg_restore's script forbids backslash commands
    after its ``\\restrict`` line, so that a crafted archive cannot run any.)

    A ``COPY`` line starts a table's data only outside another table's (which ends at a
    line ``\\.``): a row that happens to start with ``COPY`` is left alone."""
    marked = script.with_name(script.name + ".marked")
    tables = 0
    with script.open("rb") as lines, marked.open("wb") as out:  # byte for byte
        copying = False
        for line in lines:
            if copying:
                copying = line != b"\\.\n"
            elif copy := re.match(rb"COPY \S+?\.(\w+) ", line):
                out.write(b"SELECT '" + TABLE_MARK.encode() + copy.group(1) + b"';\n")
                tables += 1
                copying = True
            out.write(line)
    marked.replace(script)
    return tables


def _run_psql(command: list[str], environment: dict[str, str], tables: int) -> None:
    """Run psql on a script from :func:`_mark_tables`, reporting each table on stderr as
    its data goes in ("restore: table 3/9 events"), or a :class:`CommandError` with the
    end of what psql said."""
    said: list[str] = []
    done = 0
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(TABLE_MARK):
                done += 1
                table = line.removeprefix(TABLE_MARK).strip()
                sys.stderr.write(f"restore: table {done}/{tables} {table}\n")
                sys.stderr.flush()
            elif "ERROR" in line or "FATAL" in line or "psql:" in line:
                said.append(line.strip())
    if process.returncode != 0:
        raise CommandError(
            "restore failed, the database is as it was (one transaction, rolled back): "
            + ("; ".join(said[-3:]) or f"exit {process.returncode}")
        )


def _pg_restore(path: Path, url: str) -> Row:
    libpq, environment = _libpq(url)
    major = _server_major(url)
    pg_restore, psql = _tool("pg_restore", major), _tool("psql", major)
    summary = _archive_summary(path, environment)
    others = _other_connections(url)
    if others:
        raise CommandError(
            f"{others} other connection(s) to the database (a running server?): stop every "
            "server on it, then restore"
        )
    generation = uuid.uuid4()
    with tempfile.TemporaryDirectory(prefix="touchline-restore-") as scratch:
        # Whole before any of it runs: a script cut short would still commit what it had.
        script = Path(scratch) / "restore.sql"
        _run_tool(
            [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(path)],
            environment, "restore", f"PATH {path} cannot be read by pg_restore",
        )  # fmt: skip
        tables = _mark_tables(script)
        # One transaction for the lot: the schema dropped with whatever it holds now (a
        # table of a later migration too), the archive's put in, the new generation set.
        _run_psql(
            [psql, "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
             "--single-transaction", "--set=ON_ERROR_STOP=1",
             f"--command=DROP SCHEMA IF EXISTS {SCHEMA} CASCADE", f"--file={script}",
             f"--command=UPDATE {SCHEMA}.server_meta SET generation = '{generation}'",  # noqa: S608
             f"--dbname={libpq}"],
            environment, tables,
        )  # fmt: skip
    return summary | {"restored_to": make_url(url).database, "generation": str(generation)}


# --- the commands --------------------------------------------------------------------------


def db_backup(operator: Operator, args: argparse.Namespace) -> Row:
    path = _new_file(Path(args.path), args.force)
    url = operator.settings.database_url
    if _database_kind(url) == "sqlite":
        return _sqlite_backup(_sqlite_file(url), path)
    return _pg_backup(url, path)


def db_verify(_operator: Operator, args: argparse.Namespace) -> Row:
    path = Path(args.path)
    if _backup_format(path) == "sqlite":
        return _sqlite_summary(path)
    return _archive_summary(path, dict(os.environ))


def db_restore(operator: Operator, args: argparse.Namespace) -> Row:
    path = Path(args.path)
    found = _backup_format(path)
    url = operator.settings.database_url
    kind = _database_kind(url)
    if found != kind:
        raise CommandError(
            f"PATH {path} is a {found} backup but the database is {kind}: restore it into "
            f"a {found} database"
        )
    if kind == "sqlite":
        return _sqlite_restore(path, _sqlite_file(url))
    return _pg_restore(path, url)


def db_new_generation(operator: Operator, _args: argparse.Namespace) -> Row:
    """For a database put back by other means (a managed service's own restore, a
    failover): every phone's cursor from before is then answered ``generation_changed``."""
    generation = uuid.uuid4()
    with operator.db.writer() as session:
        changed = session.execute(
            update(ServerMeta).values(generation=generation).returning(ServerMeta.id)
        ).first()
        if changed is None:
            raise CommandError("the database has no generation yet: run `touchline db upgrade`")
        session.commit()
    return {"generation": str(generation)}


def db_repairs(operator: Operator, args: argparse.Namespace) -> Row | None:
    """What phones have given back (the repair step) since the database's generation began:
    after a restore, since the restore."""
    with operator.db.reader() as session:
        generation = session.scalar(select(ServerMeta.generation))
        if generation is None:
            raise CommandError("the database has no generation yet: run `touchline db upgrade`")
        rows = session.execute(
            select(Repair.device_id, Repair.records).where(Repair.generation == generation)
        ).all()
    by_device = {str(device_id): int(records) for device_id, records in rows}
    records = sum(by_device.values())
    if not args.json:
        devices = len(by_device)
        print(
            f"{records} record{'' if records == 1 else 's'} repaired by {devices} "
            f"device{'' if devices == 1 else 's'} since the restore"
        )
        return None
    return {
        "generation": str(generation),
        "records": records,
        "devices": len(by_device),
        "by_device": by_device,
    }


def add_commands(db: Group, database_option: DatabaseOption) -> None:
    """``backup``, ``restore``, ``verify``, ``new-generation`` and ``repairs`` in
    ``touchline db``."""
    backup = add_command(
        db, "backup", "copy the database to PATH while it serves, then verify the copy",
        db_backup, database_option,
    )  # fmt: skip
    backup.add_argument("path", metavar="PATH")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    restore = add_command(
        db, "restore", "replace the database with the backup at PATH (servers stopped)",
        db_restore, database_option,
    )  # fmt: skip
    restore.add_argument("path", metavar="PATH")
    verify = add_command(
        db, "verify", "check the backup at PATH and count what it holds", db_verify,
        database_option,
    )  # fmt: skip
    verify.add_argument("path", metavar="PATH")
    add_command(
        db, "new-generation", "make every phone rebuild from the database on its next sync "
        "(after a restore by other means)", db_new_generation, database_option,
    )  # fmt: skip
    add_command(
        db, "repairs", "count the records phones gave back since the restore (the repair "
        "step)", db_repairs, database_option,
    )  # fmt: skip
