"""This machine's ceilings, measured in the same run as Touchline:

- inserts: the ingest's event rows, in the same batches, straight into the same schema
  with the same durability (SQLite WAL + synchronous=FULL, one transaction per batch;
  PostgreSQL, one commit per batch) through SQLAlchemy Core ``executemany``: no HTTP, no
  validation, no sequence bookkeeping;
- broadcast: a bare ``websockets`` server (bench/raw_broadcast.py) relaying the same
  messages to the same number of local viewers.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert

from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade
from backend.db.models import SCHEMA, Account, Device, Event, Match, Player, Team
from bench import touchline, workload
from bench.touchline import Progress, Receipts, close_viewers, delivery, wait_for_receipts
from bench.wire import open_websocket

WORKERS = 10  # the server's database pool
COLUMNS = (
    "id", "match_id", "kind", "side", "period", "minute", "stoppage", "player_id",
    "replaced_player_id", "note", "recorded_at", "device_id", "created_at", "updated_at", "seq",
)  # fmt: skip
Plan = list[tuple[touchline.MatchSetup, touchline.Device, list[list[dict[str, Any]]]]]


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _setup(writer: Any, plan: Plan) -> dict[str, uuid.UUID]:
    """The account, devices, teams, players and matches the ingest's events refer to;
    returns each bench device's row id."""
    now = datetime.now(UTC)
    account = uuid.uuid4()
    devices = {device.id: uuid.uuid4() for _, device, _ in plan}
    setups = {setup.id: setup for setup, _, _ in plan}
    with writer.begin() as connection:
        connection.execute(
            insert(Account),
            [{"id": account, "email": "ceiling@bench.example", "password_hash": "x",
              "display_name": "c"}],
        )  # fmt: skip
        connection.execute(
            insert(Device),
            [
                {"id": d, "account_id": account, "name": "phone", "token_hash": d.hex}
                for d in devices.values()
            ],
        )
        connection.execute(
            insert(Team), [{"id": uuid.UUID(s.team_id), "name": "t"} for s in setups.values()]
        )
        connection.execute(
            insert(Player),
            [
                {
                    "id": uuid.UUID(p["id"]),
                    "team_id": uuid.UUID(s.team_id),
                    "squad_number": p["squad_number"],
                    "display_name": p["display_name"],
                    "full_name": p["full_name"],
                    "seq": 1,
                }
                for s in setups.values()
                for p in s.players
            ],
        )
        connection.execute(
            insert(Match),
            [
                {"id": s.id, "team_id": uuid.UUID(s.team_id), "opponent": "o", "kickoff_at": now}
                for s in setups.values()
            ],
        )
    return devices


def _uuid(text: str | None) -> uuid.UUID | None:
    return uuid.UUID(text) if text else None


def _batches(plan: Plan, devices: dict[str, uuid.UUID]) -> list[list[dict[str, Any]]]:
    """Every planned batch as event rows, interleaved as the concurrent ingest sends them:
    batch k of every device, then k+1."""
    now = datetime.now(UTC)
    seqs: dict[uuid.UUID, int] = {}
    per_device: list[list[list[dict[str, Any]]]] = []
    for setup, device, device_batches in plan:
        rows_of_device = []
        for batch in device_batches:
            rows = []
            for event in batch:
                seqs[setup.id] = seqs.get(setup.id, 1) + 1
                rows.append(
                    {
                        "id": uuid.UUID(event["id"]),
                        "match_id": setup.id,
                        "kind": event["kind"],
                        "side": event["side"],
                        "period": event["period"],
                        "minute": event["minute"],
                        "stoppage": event.get("stoppage", 0),
                        "player_id": _uuid(event.get("player_id")),
                        "replaced_player_id": _uuid(event.get("replaced_player_id")),
                        "note": event.get("note"),
                        "recorded_at": _ts(event.get("recorded_at")),
                        "device_id": devices[device.id],
                        "created_at": now,
                        "updated_at": now,
                        "seq": seqs[setup.id],
                    }
                )
            rows_of_device.append(rows)
        per_device.append(rows_of_device)
    rounds = max(len(b) for b in per_device)
    return [b[k] for k in range(rounds) for b in per_device if k < len(b)]


def _driver_rows(
    engine: Engine, batches: list[list[dict[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows as the driver takes them (each column's bind processing done up front)."""
    table = Event.__table__
    processors = []
    for name in COLUMNS:
        kind = table.c[name].type
        processors.append(kind.dialect_impl(engine.dialect).bind_processor(engine.dialect))
    return [
        [
            tuple(
                p(row[name]) if p is not None else row[name]
                for name, p in zip(COLUMNS, processors, strict=True)
            )
            for row in rows
        ]
        for rows in batches
    ]


def _threads(count: int, work: Callable[[Any], None], items: list[Any]) -> float:
    """Run ``work`` on every item with ``count`` threads; the seconds it took."""
    todo: queue.Queue[Any] = queue.Queue()
    for item in items:
        todo.put(item)
    for _ in range(count):
        todo.put(None)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while (item := todo.get()) is not None:
                work(item)
        except BaseException as exc:  # reported after join
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if errors:
        raise errors[0]
    return elapsed


def _driver_batch(engine: Engine, sql: str) -> Callable[[list[tuple[Any, ...]]], None]:
    """One batch through a raw DB-API connection of the pool: one transaction, one
    ``executemany``, one commit."""
    sqlite = engine.dialect.name == "sqlite"

    def run(rows: list[tuple[Any, ...]]) -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            if sqlite:  # the driver leaves BEGIN to us (see backend/db/engine.py)
                cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(sql, rows)
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
            cursor.close()
        finally:
            raw.close()

    return run


def _copy_all(engine: Engine, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Every row in one ``COPY`` and one commit (PostgreSQL)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def insert_ceilings(database_url: str, plan: Plan, progress: Progress) -> dict[str, Any]:
    """The ingest's rows inserted straight into a fresh schema, by every way measured:

    - ``per_batch``: today's bar: one transaction and commit per batch of 50 through
      SQLAlchemy Core ``executemany``, ``WORKERS`` threads (the server's pool);
    - ``driver_single`` / ``driver_threaded``: the same batches and commits through the
      DB-API driver alone, one connection, then ``WORKERS`` threads;
    - ``driver_one_commit``: every row in one ``executemany`` and one commit;
    - ``copy`` (PostgreSQL): every row in one ``COPY`` and one commit.

    Each way starts from an empty events table."""
    engine = create_db_engine(database_url, pool_size=WORKERS)
    try:
        upgrade(engine)
        sqlite = engine.dialect.name == "sqlite"
        writer = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
        batches = _batches(plan, _setup(writer, plan))
        rows = _driver_rows(engine, batches)
        table = "events" if sqlite else f"{SCHEMA}.events"
        marks = "?" if sqlite else "%s"
        values = ", ".join([marks] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({values})"

        def core(batch: list[dict[str, Any]]) -> None:
            with writer.begin() as connection:
                connection.execute(insert(Event), batch)

        one_batch = _driver_batch(engine, sql)
        ways: dict[str, Callable[[], float]] = {
            "per_batch": lambda: _threads(WORKERS, core, batches),
            "driver_single": lambda: _threads(1, one_batch, rows),
            "driver_threaded": lambda: _threads(WORKERS, one_batch, rows),
            "driver_one_commit": lambda: _threads(1, one_batch, [[r for b in rows for r in b]]),
        }
        if not sqlite:
            every_row = [r for b in rows for r in b]
            ways["copy"] = lambda: _threads(
                1, lambda all_rows: _copy_all(engine, table, all_rows), [every_row]
            )
        events = sum(len(b) for b in batches)
        out: dict[str, Any] = {}
        for name, measure in ways.items():
            with writer.begin() as connection:
                connection.execute(delete(Event))
            elapsed = measure()
            out[name] = {
                "events": events,
                "batches": len(batches),
                "seconds": round(elapsed, 3),
                "events_per_second": round(events / elapsed, 1),
            }
            progress(f"insert ceiling {name}: {events / elapsed:.0f} rows/s")
        # The bar's ceiling (issue 6), where the report reads it.
        return out["per_batch"] | {"threads": WORKERS, "ways": out}
    finally:
        engine.dispose()


async def broadcast_ceiling(
    base_url: str, viewers: int, messages: list[str], per_second: float, progress: Progress
) -> dict[str, Any]:
    """``viewers`` clients on the raw server; a pusher sends each message at a steady
    rate; latency from the server's ack to each viewer's receipt."""
    ws_base = base_url.replace("http://", "ws://")
    receipts = Receipts()
    targets = [(uuid.UUID(int=0), "raw")] * viewers
    progress(f"broadcast ceiling: connecting {viewers} viewers")
    connected = await touchline.connect_viewers(ws_base.rstrip("/") + "/raw", targets, receipts)
    try:
        pusher = await open_websocket(ws_base + "/push")
        await pusher.send(json.dumps({"type": "pusher"}))
        done: dict[str, float] = {}
        with workload.measuring():
            async for message in workload.paced(messages, per_second):
                event_id = json.loads(message)["changes"][0]["id"]
                await pusher.send(message)
                await pusher.recv()
                done[event_id] = time.monotonic()
            expected = dict.fromkeys(done, viewers)
            await wait_for_receipts(receipts, expected, touchline.DRAIN_SECONDS)
        await pusher.close()
        result = delivery(done, receipts, expected)
    finally:
        await close_viewers(connected)
    progress(
        f"broadcast ceiling: {viewers} viewers, p50 {result['latency']['p50_ms']} ms, "
        f"p99 {result['latency']['p99_ms']} ms"
    )
    return {
        "viewers": viewers,
        "events": len(messages),
        "push_rate_per_second": per_second,
        **result,
    }


def changes_messages(events: list[dict[str, Any]]) -> list[str]:
    """The live channel's ``changes`` message for each event, as Touchline sends it."""
    out = []
    for seq, event in enumerate(events, start=1):
        data = {
            "id": event["id"], "match_id": event["match_id"],
            "kind": event["kind"], "side": event["side"],
            "period": event["period"], "minute": event["minute"],
            "stoppage": event.get("stoppage", 0), "player_id": event.get("player_id"),
            "replaced_player_id": event.get("replaced_player_id"),
            "note": None, "recorded_at": event.get("recorded_at"),
        }  # fmt: skip
        change = {
            "type": "event",
            "id": event["id"],
            "space": event["match_id"],
            "seq": seq,
            "deleted": False,
            "data": data,
        }
        out.append(
            json.dumps(
                {"type": "changes", "after": seq - 1, "head": seq, "changes": [change]},
                separators=(",", ":"),
            )
        )
    return out
