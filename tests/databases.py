"""Throwaway databases for tests: a SQLite file, or a PostgreSQL database created and dropped.

PostgreSQL is reached at $TOUCHLINE_TEST_POSTGRES_URL (default: the local server, database
``test``, user ``postgres``). When it is unreachable its tests are skipped, unless
$TOUCHLINE_REQUIRE_POSTGRES=1 or $CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade
from tests.e2e.server import free_port

ADMIN_URL = os.environ.get(
    "TOUCHLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_required() -> bool:
    return os.environ.get("TOUCHLINE_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true"


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)


def postgres_available() -> bool:
    engine = _admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def skip_or_fail_without_postgres() -> None:
    if postgres_available():
        return
    _skip_or_fail(f"PostgreSQL is not reachable at {ADMIN_URL}")


def _skip_or_fail(message: str) -> None:
    """Skip the test, or fail it where PostgreSQL is required (CI)."""
    if postgres_required():
        pytest.fail(message + " (required here)", pytrace=False)
    pytest.skip(message)


@contextmanager
def fresh_postgres(prefix: str = "touchline_test") -> Iterator[str]:
    """An empty PostgreSQL database for the duration of the block; its URL is yielded."""
    skip_or_fail_without_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database of ``kind`` ("sqlite" or "postgresql"); its URL is yielded."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'touchline-{uuid.uuid4().hex[:8]}.db'}"
        return
    with fresh_postgres() as url:
        yield url


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    """A new database of ``kind`` with every migration applied; its URL is yielded."""
    with fresh_database(kind, directory) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


# --- a private PostgreSQL server, for a test that stops and starts it -----------------


@dataclass
class PrivateCluster:
    """A PostgreSQL server of the test's own (initdb, pg_ctl) on a loopback port, trust
    auth and no Unix socket: restarting it disturbs no other test."""

    bin: Path
    data: Path
    port: int
    run_as: list[str]
    """The command prefix that runs a server tool as the data directory's owner."""

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/touchline"

    def start(self) -> None:
        self._ctl("start", "--log", str(self.data.parent / "postgresql.log"))

    def stop(self, mode: str = "fast", *, check: bool = True) -> None:
        """Stop the server; ``immediate`` kills every backend at once, as a crash of the
        database host would (the next start recovers from the WAL)."""
        self._ctl("stop", "--mode", mode, check=check)

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--wait", *args],
            check=check, capture_output=True, timeout=60,
        )  # fmt: skip


def _server_bin() -> Path | None:
    """The newest PostgreSQL server's binaries (Debian's layout, else initdb on PATH)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda initdb: (
            int(initdb.parent.parent.name) if initdb.parent.parent.name.isdigit() else 0
        ),
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _owner() -> tuple[list[str], int | None]:
    """initdb refuses to run as root: there, the tools run as the ``postgres`` user (or
    ``nobody``), through setpriv. Returns the command prefix and that user's uid."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]
        return prefix, user.pw_uid
    pytest.fail("running as root with neither a postgres nor a nobody user for initdb")


@contextmanager
def private_postgres(directory: Path) -> Iterator[PrivateCluster]:
    """A new PostgreSQL server with an empty ``touchline`` database, stopped at the end.

    Skipped (a failure where PostgreSQL is required) when the server's binaries are not
    installed. As root its files live in a directory of their own under the system's
    temporary directory, owned by the user the server runs as (pytest's are root's only)."""
    server_bin = _server_bin()
    if server_bin is None or not (server_bin / "pg_ctl").exists():
        _skip_or_fail("the PostgreSQL server's binaries (initdb, pg_ctl) are not installed")
    run_as, uid = _owner()
    home = Path(tempfile.mkdtemp(prefix="touchline-pg-")) if uid is not None else directory
    try:
        if uid is not None:
            os.chown(home, uid, -1)
        data = home / "data"
        subprocess.run(
            [*run_as, str(server_bin / "initdb"), "--pgdata", str(data), "--username=postgres",
             "--auth=trust", "--encoding=UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        cluster = PrivateCluster(server_bin, data, free_port(), run_as)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\n"
                "unix_socket_directories = ''\n"
            )
        cluster.start()
        try:
            admin = create_engine(
                cluster.url.replace("/touchline", "/postgres"), isolation_level="AUTOCOMMIT"
            )
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE touchline"))
            admin.dispose()
            yield cluster
        finally:
            cluster.stop("immediate", check=False)  # the test may have stopped it
    finally:
        if uid is not None:
            shutil.rmtree(home, ignore_errors=True)
