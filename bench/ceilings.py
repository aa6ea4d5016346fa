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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade
from backend.db.models import Account, Device, Event, Match, Player, Team
from bench import touchline, workload
from bench.touchline import Progress, Receipts, close_viewers, delivery, wait_for_receipts
from bench.wire import open_websocket

WORKERS = 10  # the server's database pool


def _ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def insert_ceiling(
    database_url: str,
    plan: list[tuple[touchline.MatchSetup, touchline.Device, list[list[dict[str, Any]]]]],
    progress: Progress,
) -> dict[str, Any]:
    """Insert every planned batch as event rows, ``WORKERS`` threads at a time."""
    engine = create_db_engine(database_url, pool_size=WORKERS)
    try:
        upgrade(engine)
        writer = (
            engine.execution_options(sqlite_begin="IMMEDIATE")
            if engine.dialect.name == "sqlite"
            else engine
        )
        now = datetime.now(UTC)
        account = uuid.uuid4()
        devices = {device.id: uuid.uuid4() for _, device, _ in plan}
        with writer.begin() as connection:
            connection.execute(
                insert(Account),
                [
                    {
                        "id": account,
                        "email": "ceiling@bench.example",
                        "password_hash": "x",
                        "display_name": "c",
                    }
                ],
            )
            connection.execute(
                insert(Device),
                [
                    {"id": d, "account_id": account, "name": "phone", "token_hash": d.hex}
                    for d in devices.values()
                ],
            )
            setups = {setup.id: setup for setup, _, _ in plan}
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
                    {
                        "id": s.id,
                        "team_id": uuid.UUID(s.team_id),
                        "opponent": "o",
                        "kickoff_at": now,
                    }
                    for s in setups.values()
                ],
            )
        seqs: dict[uuid.UUID, int] = {}
        batches = []
        for setup, device, device_batches in plan:
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
                            "player_id": uuid.UUID(event["player_id"])
                            if event.get("player_id")
                            else None,
                            "replaced_player_id": uuid.UUID(event["replaced_player_id"])
                            if event.get("replaced_player_id")
                            else None,
                            "note": event.get("note"),
                            "recorded_at": _ts(event.get("recorded_at")),
                            "device_id": devices[device.id],
                            "created_at": now,
                            "updated_at": now,
                            "seq": seqs[setup.id],
                        }
                    )
                batches.append(rows)
        work: queue.Queue[list[dict[str, Any]] | None] = queue.Queue()
        # Interleave devices as the concurrent ingest does: batch k of every device, then k+1.
        rounds = max(len(b) for _, _, b in plan)
        per_device = [b for _, _, b in plan]
        index = 0
        ordered: list[list[dict[str, Any]]] = []
        offsets = []
        for b in per_device:
            offsets.append(index)
            index += len(b)
        for k in range(rounds):
            for d, b in enumerate(per_device):
                if k < len(b):
                    ordered.append(batches[offsets[d] + k])
        for rows in ordered:
            work.put(rows)
        for _ in range(WORKERS):
            work.put(None)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                while (rows := work.get()) is not None:
                    with writer.begin() as connection:
                        connection.execute(insert(Event), rows)
            except BaseException as exc:  # reported after join
                errors.append(exc)

        events = sum(len(rows) for rows in ordered)
        progress(f"insert ceiling: {events} rows in {len(ordered)} batches, {WORKERS} threads")
        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        if errors:
            raise errors[0]
        progress(f"insert ceiling: {events / elapsed:.0f} rows/s")
        return {
            "events": events,
            "batches": len(ordered),
            "threads": WORKERS,
            "seconds": round(elapsed, 3),
            "events_per_second": round(events / elapsed, 1),
        }
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
