"""Group commit: writes that arrive while a commit is in flight share the next one.

A commit costs a flush to disk (SQLite's ``synchronous=FULL``, PostgreSQL's WAL flush),
and one commit per request caps a server at one request per disk flush. Here one writer
thread takes every unit of work queued so far, applies each in its own SAVEPOINT of one
transaction (one unit's error rolls back that unit alone), and commits them together.
Each caller waits for its unit's future, which is settled only once the transaction
holding it has committed: nothing is acknowledged before it is durable. If the commit
fails, every unit of the group gets the error and none is acknowledged. A unit that lost a
lock conflict on PostgreSQL (a deadlock between two open transactions) is applied
again in a new transaction, up to ``LOCK_TRIES`` times, before its error is answered.

The thread starts with the first unit and ends after it has been idle a while, so a
process that never writes through it (or a test's app) holds no thread.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.faults import crash_point

T = TypeVar("T")

MAX_GROUP = 64
"""The most units one transaction holds: a bound on a group's latency and memory."""
IDLE_SECONDS = 5.0
GROUP_AT_LEAST = "TOUCHLINE_GROUP_AT_LEAST"
"""Test environment only (as ``TOUCHLINE_CRASH_AT``): the first group that holds a push
(a unit with crash points) waits until this many units are queued, so a crash test kills
a commit that holds several devices."""


@dataclass
class _Unit:
    work: Callable[[Session], Any]
    future: Future[Any] = field(default_factory=Future)
    tries: int = 0
    crash_points: bool = False

    def settle(self, ok: bool, value: Any) -> bool:
        """Answer the caller; False (unanswered) if ``value`` is a lock conflict worth
        another try in a later group."""
        if not ok and _lock_conflict(value) and self.tries < LOCK_TRIES:
            self.tries += 1
            return False
        if ok:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)
        return True


LOCK_TRIES = 3
# PostgreSQL's deadlock_detected, serialization_failure and lock_not_available: a group
# of several pushes can lock matches in an order another transaction does not (each push
# locks its own in id order); the unit that lost is applied again.
LOCK_CONFLICTS = frozenset({"40P01", "40001", "55P03"})


def _lock_conflict(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in LOCK_CONFLICTS


class GroupCommit:
    """The writer thread of one :class:`~backend.db.engine.Database`."""

    def __init__(self, at_least: int | None = None) -> None:
        """``at_least``: the first group waits until that many units are queued (tests;
        by default ``TOUCHLINE_GROUP_AT_LEAST`` in the test environment, else none)."""
        self._queue: queue.SimpleQueue[_Unit] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._gate = _group_gate() if at_least is None else at_least

    def run(
        self,
        factory: Callable[[], Session],
        turn: Callable[[], AbstractContextManager[None]],
        work: Callable[[Session], T],
        *,
        crash_points: bool = False,
        alone: bool = False,
    ) -> T:
        """Apply ``work(session)`` in the next group's transaction and return its result
        (or raise its error) once that transaction has committed.

        ``work`` may flush but must never commit or roll back; what it raises is raised
        here, and its writes are rolled back without touching the group's others. With
        ``crash_points``, a group holding it passes the ``sync.*`` crash points. With
        ``alone``, it is a group of one, committed in the calling thread."""
        unit = _Unit(work, crash_points=crash_points)
        if alone:
            while _commit(factory, turn, [unit]):
                pass  # it lost a lock conflict: again, in a new transaction
        else:
            self._enqueue(unit, factory, turn)
        result: T = unit.future.result()
        return result

    def _enqueue(
        self,
        unit: _Unit,
        factory: Callable[[], Session],
        turn: Callable[[], AbstractContextManager[None]],
    ) -> None:
        """Queue the unit for the writer thread, starting the thread if it is not running."""
        with self._lock:
            self._queue.put(unit)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, args=(factory, turn), name="group-commit", daemon=True
                )
                self._thread.start()

    def _serve(
        self, factory: Callable[[], Session], turn: Callable[[], AbstractContextManager[None]]
    ) -> None:
        while (group := self._next_group()) is not None:
            for unit in _commit(factory, turn, group):
                self._queue.put(unit)

    def _next_group(self) -> list[_Unit] | None:
        """Every unit queued now (at most MAX_GROUP), waiting for the first; None once
        the queue has stayed empty for IDLE_SECONDS (the thread then ends)."""
        try:
            group = [self._queue.get(timeout=IDLE_SECONDS)]
        except queue.Empty:
            with self._lock:
                if self._queue.empty():
                    self._thread = None
                    return None
            group = [self._queue.get()]
        if group[0].crash_points:  # the first push's group waits for the gate's count
            while self._gate > len(group):
                try:
                    group.append(self._queue.get(timeout=IDLE_SECONDS))
                except queue.Empty:
                    break
            self._gate = 0
        while len(group) < MAX_GROUP:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return group


def _group_gate() -> int:
    if os.environ.get("TOUCHLINE_ENVIRONMENT") != "test":
        return 0
    return int(os.environ.get(GROUP_AT_LEAST, "0"))


def single_writer() -> bool:
    """True where a crash test gathers one group of several devices: then PostgreSQL too
    commits through the writer thread's groups."""
    return _group_gate() > 1


def _commit(
    factory: Callable[[], Session],
    turn: Callable[[], AbstractContextManager[None]],
    group: list[_Unit],
) -> list[_Unit]:
    """One transaction for the group; each unit's future settled after the commit.
    Returns the units that lost a lock conflict, to be applied again."""
    outcomes: list[tuple[bool, Any]] = []
    armed = any(unit.crash_points for unit in group)
    try:
        with turn(), factory() as session:
            # The transaction begins here, once: were it begun by the first unit's
            # savepoint, a refused BEGIN (SQLite's write lock held elsewhere past the busy
            # timeout, PostgreSQL down) would be that unit's error alone, and every other
            # unit would wait out the refusal again in turn.
            session.connection()
            for unit in group:
                outcomes.append(_apply(session, unit, alone=len(group) == 1))
            if armed:
                crash_point("sync.before_commit")
            session.commit()
    except BaseException as error:  # nothing of the group is durable: nobody is answered ok
        return [unit for unit in group if not unit.settle(False, error)]
    if armed:
        crash_point("sync.after_commit")
    return [
        unit
        for unit, (ok, value) in zip(group, outcomes, strict=True)
        if not unit.settle(ok, value)
    ]


def _apply(session: Session, unit: _Unit, *, alone: bool) -> tuple[bool, Any]:
    """Run one unit inside its own savepoint: (True, its result) or (False, its error).

    A unit alone in its group needs no savepoint: its error rolls back the transaction."""
    if alone:
        return True, unit.work(session)
    savepoint = session.begin_nested()
    try:
        value = unit.work(session)
        savepoint.commit()
    except Exception as error:
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            raise  # the connection is gone, and the whole group's transaction with it
        savepoint.rollback()
        # The rollback released the row locks the unit took (PostgreSQL), so another
        # transaction may change those rows before a later unit locks them again; and a
        # locking read does not refresh an object the session already holds. The next
        # unit reads everything afresh, as in a transaction of its own.
        session.expunge_all()
        return False, error
    return True, value
