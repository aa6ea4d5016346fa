"""The device's durable local state: one SQLite file holding the outbox, the device's
identity and cursor, the problems the server reported, and a replica of pulled state.

The replica also holds what the device must be able to give back in the repair step
(SPEC.md, "Repair"): the effects of every mutation the server acknowledged as applied
(written into the replica when the mutation leaves the outbox, so a device that pushes but
never pulls still holds what it logged), and tombstones with the record's last data.

Every method that changes the file commits before it returns (``synchronous=FULL``), so a
queued mutation survives a dead battery the moment :meth:`LocalStore.queue` returns.
:meth:`LocalStore.absorb` takes one sync response and applies all of it in one
transaction: the replica, the cursor and the dropped outbox entries move together or not
at all, so a crash half-way through a response leaves the store as it was before it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sync_protocol.records import full

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    client_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS problems (
    mutation_id INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    verdict TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    field TEXT,
    current TEXT,
    PRIMARY KEY (device_id, mutation_id)
);
CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS players (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS matches (id TEXT PRIMARY KEY, team_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    match_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_match ON events (match_id, seq);
CREATE TABLE IF NOT EXISTS lineups (match_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tombstones (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT,
    PRIMARY KEY (type, id)
);
"""
REPLICA_TABLES = ("teams", "players", "matches", "events", "lineups", "tombstones")
_TABLES = {
    "event": "events",
    "match": "matches",
    "lineup": "lineups",
    "player": "players",
    "team": "teams",
}
"""The replica's table for each change type."""
_CREATED = {"add_event": "event", "create_match": "match", "add_player": "player"}
"""An acknowledged create: the type of the record its ``args`` describe."""
_CHANGED = {
    "edit_event": ("events", "event_id"),
    "update_match": ("matches", "match_id"),
    "update_player": ("players", "player_id"),
}
"""An acknowledged partial update: the table it changes and the argument naming the row."""
_DELETED = {
    "delete_event": ("event", "event_id"),
    "delete_match": ("match", "match_id"),
    "delete_player": ("player", "player_id"),
}
EVENT_DEFAULTS = {
    "side": "team",
    "stoppage": 0,
    "player_id": None,
    "replaced_player_id": None,
    "note": None,
    "recorded_at": None,
    "assist_player_id": None,
}


@dataclass(frozen=True, slots=True)
class Queued:
    id: int
    name: str
    args: dict[str, Any]
    client_time: str

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "args": self.args,
            "client_time": self.client_time,
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """A queued mutation the server refused (``rejected``) or overruled (``conflict``).

    It is kept until dismissed, so the screen can tell the coach what did not happen;
    ``current`` is the server's record that won a conflict, when there is one.
    """

    mutation_id: int
    name: str
    args: dict[str, Any]
    verdict: str
    code: str
    message: str
    field: str | None
    current: dict[str, Any] | None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LocalStore:
    """The SQLite file of one device. Not safe to share between threads."""

    def __init__(self, path: str | Path):
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything done inside commits together, or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- identity and cursor ------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0]) if row[0] is not None else None

    def put(self, key: str, value: str | None) -> None:
        with self.transaction():
            self._put(key, value)

    def _put(self, key: str, value: str | None) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- outbox -------------------------------------------------------------------------

    def queue(self, name: str, args: Mapping[str, Any]) -> int:
        """Append a mutation with the next id of the device's counter; durable on return."""
        with self.transaction():
            last = int(self.get("last_queued_id") or 0)
            mutation_id = last + 1
            self._db.execute(
                "INSERT INTO outbox (id, name, args, client_time) VALUES (?, ?, ?, ?)",
                (mutation_id, name, json.dumps(dict(args), separators=(",", ":")), now_iso()),
            )
            self._put("last_queued_id", str(mutation_id))
        return mutation_id

    def pending(self, limit: int | None = None) -> list[Queued]:
        """Queued mutations not yet acknowledged, oldest first."""
        rows = self._db.execute(
            "SELECT id, name, args, client_time FROM outbox ORDER BY id LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return [Queued(row[0], row[1], json.loads(row[2]), row[3]) for row in rows]

    def renumber(self, first_id: int) -> None:
        """Give the queued mutations the ids ``first_id``, ``first_id + 1``, ... in order.

        For a counter the server does not know (a new device id, or a server that is
        behind): the order is kept, nothing is dropped.
        """
        with self.transaction():
            self._renumber(first_id)

    def _renumber(self, first_id: int) -> None:
        rows = self._db.execute("SELECT id FROM outbox ORDER BY id").fetchall()
        # Through negative ids first, so that no new id collides with an old one.
        for offset, (old,) in enumerate(rows):
            self._db.execute("UPDATE outbox SET id = ? WHERE id = ?", (-1 - offset, old))
        for offset in range(len(rows)):
            self._db.execute(
                "UPDATE outbox SET id = ? WHERE id = ?", (first_id + offset, -1 - offset)
            )
        self._put("last_queued_id", str(first_id + len(rows) - 1))

    # --- problems -----------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        rows = self._db.execute(
            "SELECT mutation_id, name, args, verdict, code, message, field, current "
            "FROM problems ORDER BY rowid"
        ).fetchall()
        return [
            Problem(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6], _loads(r[7]))
            for r in rows
        ]

    def dismiss(self, mutation_id: int) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM problems WHERE mutation_id = ?", (mutation_id,))

    # --- a sync response ----------------------------------------------------------------

    def absorb(
        self,
        *,
        sent: Sequence[Queued],
        device_id: str,
        last_mutation_id: int,
        results: Sequence[Mapping[str, Any]],
        changes: Sequence[Mapping[str, Any]],
        cursor: str | None,
        wipe: bool,
        unknown_device: bool = False,
    ) -> list[Problem]:
        """Apply one sync response atomically, in SPEC.md's order ("Handling a response"),
        and return the problems it reported.

        ``device_id`` (the id the server named) becomes the device's own. With
        ``unknown_device``, ``last_mutation_id`` counts another device's mutations: nothing
        is dropped and the outbox is renumbered from ``last_mutation_id + 1``; otherwise
        every queued mutation up to ``last_mutation_id`` is dropped. With ``wipe``, the
        replica is discarded before ``changes`` are applied (the outbox is kept).
        """
        by_id = {m.id: m for m in sent}
        reported: list[Problem] = []
        with self.transaction():
            if unknown_device:
                self._renumber(last_mutation_id + 1)
            for result in results:
                if result["verdict"] == "applied" and result["id"] in by_id:
                    self._hold(by_id[result["id"]])
                if result["verdict"] == "applied" or result["id"] not in by_id:
                    continue
                mutation, error = by_id[result["id"]], result.get("error") or {}
                problem = Problem(
                    mutation.id,
                    mutation.name,
                    mutation.args,
                    result["verdict"],
                    error.get("code", ""),
                    error.get("message", ""),
                    error.get("field"),
                    None if result.get("current") is None else full(result["current"]),
                )
                reported.append(problem)
                # A replayed verdict (a lost response, retried) is recorded once.
                self._db.execute(
                    "INSERT OR IGNORE INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        problem.mutation_id,
                        device_id,
                        problem.name,
                        json.dumps(problem.args),
                        problem.verdict,
                        problem.code,
                        problem.message,
                        problem.field,
                        None if problem.current is None else json.dumps(problem.current),
                    ),
                )
            if not unknown_device:
                self._db.execute("DELETE FROM outbox WHERE id <= ?", (last_mutation_id,))
            self._put("device_id", device_id)
            self._put("acknowledged_id", str(last_mutation_id))
            if wipe:
                for table in REPLICA_TABLES:
                    self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            for change in changes:
                self._apply(change)
            self._put("cursor", cursor)
        return reported

    def _hold(self, mutation: Queued) -> None:
        """Write an acknowledged mutation's effect into the replica; a later pull replaces
        it with the server's record."""
        name, args = mutation.name, mutation.args
        if name in _CREATED:
            kind = _CREATED[name]
            data = EVENT_DEFAULTS | args if kind == "event" else dict(args)
            space = args.get("match_id") if kind == "event" else args.get("team_id")
            self._store(kind, str(args.get("id")), space, 0, data, replace=False)
        elif name == "set_lineup":
            data = {"match_id": args.get("match_id"), "players": args.get("players")}
            self._store("lineup", str(args.get("match_id")), None, 0, data)
        elif name in _CHANGED:
            table, key = _CHANGED[name]
            held = self.record(table, str(args.get(key)))
            changes = args.get("changes") if name == "edit_event" else args
            if held is not None and isinstance(changes, dict):
                fields = {k: v for k, v in changes.items() if k != key}
                self._db.execute(
                    f"UPDATE {table} SET data = ? WHERE id = ?",  # noqa: S608 (fixed names)
                    (json.dumps(held | fields), str(args.get(key))),
                )
        elif name in _DELETED:
            kind, key = _DELETED[name]
            self._remove(kind, str(args.get(key)))

    def _store(
        self,
        kind: str,
        key: str,
        space: Any,
        seq: int,
        data: Mapping[str, Any],
        *,
        replace: bool = True,
    ) -> None:
        text = json.dumps(data, separators=(",", ":"))
        row = {
            "event": (key, space, seq, text),
            "match": (key, data.get("team_id"), text),
            "lineup": (key, text),
            "player": (key, space, text),
            "team": (key, text),
        }.get(kind)
        if row is not None:
            marks = ", ".join("?" * len(row))
            verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
            self._db.execute(f"{verb} INTO {_TABLES[kind]} VALUES ({marks})", row)

    def _apply(self, change: Mapping[str, Any]) -> None:
        # Stored whole, as a protocol-1 pull would have carried it. Change types this
        # client does not know yet are skipped: a newer server may send them, and the
        # protocol promises older clients keep working.
        change = full(change)
        kind, key, data = change["type"], change["id"], change["data"]
        if data is None:
            self._remove(kind, key)
            return
        self._store(kind, key, change["space"], change["seq"], data)

    def _remove(self, kind: str, key: str) -> None:
        if kind in ("event", "match", "player"):
            # Kept with the record's last data, to give back in a repair.
            held = self.record(_TABLES[kind], key)
            # A tombstone pulled after the device's own delete keeps the data it had.
            self._db.execute(
                "INSERT INTO tombstones VALUES (?, ?, ?) ON CONFLICT (type, id) "
                "DO UPDATE SET data = coalesce(excluded.data, tombstones.data)",
                (kind, key, None if held is None else json.dumps(held)),
            )
        if kind == "match":
            self._forget_match(key)
        elif kind == "team":
            # A team the device can no longer see takes everything of it along.
            for (match_id,) in self._db.execute(
                "SELECT id FROM matches WHERE team_id = ?", (key,)
            ).fetchall():
                self._forget_match(match_id)
            self._db.execute("DELETE FROM players WHERE team_id = ?", (key,))
            self._db.execute("DELETE FROM teams WHERE id = ?", (key,))
        elif kind in ("event", "player"):
            self._db.execute(f"DELETE FROM {_TABLES[kind]} WHERE id = ?", (key,))  # noqa: S608 (fixed names)

    def _forget_match(self, match_id: str) -> None:
        self._db.execute("DELETE FROM events WHERE match_id = ?", (match_id,))
        self._db.execute("DELETE FROM lineups WHERE match_id = ?", (match_id,))
        self._db.execute("DELETE FROM matches WHERE id = ?", (match_id,))

    # --- the repair step ----------------------------------------------------------------

    def held_records(self) -> list[dict[str, Any]]:
        """Every record the device holds, as the repair step offers it: live records of
        the replica, then tombstones (with the last data held, or null)."""
        held: list[dict[str, Any]] = []
        for kind, table, key in (
            ("player", "players", "id"),
            ("match", "matches", "id"),
            ("lineup", "lineups", "match_id"),
            ("event", "events", "id"),
        ):
            rows = self._db.execute(f"SELECT {key}, data FROM {table}").fetchall()  # noqa: S608
            held += [{"type": kind, "id": r[0], "data": json.loads(r[1])} for r in rows]
        dead = self._db.execute("SELECT type, id, data FROM tombstones").fetchall()
        held += [{"type": r[0], "id": r[1], "deleted": True, "data": _loads(r[2])} for r in dead]
        return held

    def forget_pulled_state(self) -> None:
        """After a repair: the replica and cursor go, the outbox stays; pull from scratch."""
        with self.transaction():
            for table in REPLICA_TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            self._put("cursor", None)
            self._put("repairing", None)

    # --- the replica --------------------------------------------------------------------

    def replica_events(self, match_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT data FROM events WHERE match_id = ? ORDER BY seq", (match_id,)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def replica_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else _loads(row[0])

    def record(self, table: str, key: str) -> dict[str, Any] | None:
        column = "match_id" if table == "lineups" else "id"
        row = self._db.execute(
            f"SELECT data FROM {table} WHERE {column} = ?",  # noqa: S608 (fixed names)
            (key,),
        ).fetchone()
        return None if row is None else _loads(row[0])

    def records(self, table: str) -> list[dict[str, Any]]:
        rows = self._db.execute(f"SELECT data FROM {table} ORDER BY rowid").fetchall()  # noqa: S608
        return [json.loads(row[0]) for row in rows]


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
