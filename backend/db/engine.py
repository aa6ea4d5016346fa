"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite runs with WAL, ``synchronous=FULL`` (a commit is on disk before it returns) and
foreign keys on. Its writers take the write lock when their transaction begins
(``BEGIN IMMEDIATE``) instead of upgrading a read transaction later, which in WAL mode
fails at once with "database is locked" rather than waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend.db.group import GroupCommit, single_writer
from backend.db.models import SCHEMA

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_db_engine(url: str, *, pool_size: int = 10, pool_timeout: float = 5.0) -> Engine:
    """An engine for ``url`` with Touchline's connection settings applied."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            execution_options={"schema_translate_map": {SCHEMA: None}},
            pool_size=pool_size,
            pool_timeout=pool_timeout,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class Database:
    """The engine and the two session factories the app uses.

    ``reader`` sessions are for requests that only read (one snapshot per transaction:
    REPEATABLE READ on PostgreSQL, a WAL read transaction on SQLite); ``writer`` sessions
    take SQLite's write lock up front and run READ COMMITTED on PostgreSQL.
    """

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]
    _write_turns: threading.Lock = field(default_factory=threading.Lock, compare=False)
    _group: GroupCommit = field(default_factory=GroupCommit, compare=False)

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, pool_timeout: float = 5.0) -> Database:
        engine = create_db_engine(url, pool_size=pool_size, pool_timeout=pool_timeout)
        reader_engine: Engine
        writer_engine: Engine
        if engine.dialect.name == "sqlite":
            reader_engine = engine
            writer_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            # Readers see one snapshot for their whole transaction, so a multi-query read
            # (a sync pull, a match with its events) is consistent with itself.
            reader_engine = engine.execution_options(isolation_level="REPEATABLE READ")
            writer_engine = engine
        return cls(
            engine=engine,
            reader=sessionmaker(reader_engine, expire_on_commit=False),
            writer=sessionmaker(writer_engine, expire_on_commit=False),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """Around a busy writer transaction: on SQLite, wait in line in this process for
        the write lock; elsewhere nothing.

        SQLite's busy handler polls, sleeping up to 100 ms between tries, so a writer that
        finds the lock taken sleeps well past its release; in line, the next writer starts
        when the last one ends. After the busy timeout the writer goes ahead and lets
        SQLite decide, as it would without the line.
        """
        if not self.is_sqlite:
            yield
            return
        acquired = self._write_turns.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            yield
        finally:
            if acquired:
                self._write_turns.release()

    def grouped(self, work: Callable[[Session], T], *, crash_points: bool = False) -> T:
        """Apply ``work(session)`` in a writer transaction and return once it has
        committed. ``work`` flushes; it never commits. ``crash_points``: the transaction
        passes the ``sync.*`` crash points (a push; see backend/faults.py).

        On SQLite, which has one write lock, one writer thread applies every write queued
        meanwhile in one transaction, each in a savepoint of its own (group commit, see
        :mod:`backend.db.group`). PostgreSQL already flushes concurrent commits together,
        and there group commit measured slower than a transaction per write in the
        caller's thread (one thread applying every push, over one connection, against
        ten at once): each write runs in its own transaction, as a group of one."""
        alone = not (self.is_sqlite or single_writer())
        return self._group.run(
            self.writer, self.write_turn, work, crash_points=crash_points, alone=alone
        )

    def dispose(self) -> None:
        self.engine.dispose()
