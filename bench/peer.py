"""The peer: PouchDB Server (CouchDB replication protocol, LevelDB on disk), fed the
equivalent workload. Ingest and retry are ``_bulk_docs`` (a retried doc with the same
``_id`` and no ``_rev`` is answered ``conflict``: CouchDB's idempotency); catch-up pages
``_changes`` with ``limit`` and ``since``; fan-out is ``_changes`` feeds, continuous and
longpoll (what the PouchDB client uses for live replication)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import touchline, workload
from bench.touchline import Progress, Receipts, delivery, wait_for_receipts
from bench.wire import Http

VERSION = "4.2.0"
CATCH_UP_PAGE = touchline.CATCH_UP_PAGE  # the same page size as Touchline's catch-up
LONGPOLL_TIMEOUT_MS = 60_000


def install(scratch: Path, progress: Progress) -> tuple[Path | None, str]:
    """``pouchdb-server`` installed under ``scratch`` (npm); (binary, "") or (None, why not)."""
    binary = scratch / "node_modules" / ".bin" / "pouchdb-server"
    if binary.exists():
        return binary, ""
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed"
    progress(f"peer: installing pouchdb-server {VERSION} with npm into {scratch}")
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(scratch),
                f"pouchdb-server@{VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, "npm install pouchdb-server timed out"
    if done.returncode != 0 or not binary.exists():
        return None, f"npm install pouchdb-server failed: {done.stderr.strip()[-300:]}"
    return binary, ""


def doc(event: dict[str, Any]) -> dict[str, Any]:
    """An event as a CouchDB document: its id is the event's UUIDv7."""
    body = {k: v for k, v in event.items() if k != "id"}
    return {"_id": event["id"], "type": "event", **body}


async def ingest(
    base_url: str,
    plan: list[tuple[touchline.MatchSetup, touchline.Device, list[list[dict[str, Any]]]]],
    progress: Progress,
) -> dict[str, Any]:
    http = Http(base_url)
    await http.json("PUT", "/matchday", expect=(201, 412))
    await http.close()

    async def device_run(batches: list[list[dict[str, Any]]]) -> tuple[list[float], int]:
        conn = Http(base_url)
        latencies = []
        try:
            for batch in batches:
                started = time.monotonic()
                results = await conn.json(
                    "POST", "/matchday/_bulk_docs", {"docs": [doc(e) for e in batch]}
                )
                latencies.append(time.monotonic() - started)
                bad = [r for r in results if not r.get("ok")]
                if bad:
                    raise RuntimeError(f"peer ingest refused: {bad[:2]}")
            return latencies, conn.sent + conn.received
        finally:
            await conn.close()

    events = sum(len(b) for _, _, batches in plan for b in batches)
    progress(f"peer ingest: {len(plan)} clients posting {events} docs with _bulk_docs")
    started = time.monotonic()
    runs = await asyncio.gather(*(device_run(batches) for _, _, batches in plan))
    elapsed = time.monotonic() - started
    progress(f"peer ingest: {events / elapsed:.0f} docs/s")

    async def retry(batch: list[dict[str, Any]]) -> tuple[float, int]:
        conn = Http(base_url)
        try:
            started = time.monotonic()
            results = await conn.json(
                "POST", "/matchday/_bulk_docs", {"docs": [doc(e) for e in batch]}
            )
            return time.monotonic() - started, sum(
                1 for r in results if r.get("error") == "conflict"
            )
        finally:
            await conn.close()

    started = time.monotonic()
    retries = await asyncio.gather(*(retry(batches[0]) for _, _, batches in plan))
    retry_elapsed = time.monotonic() - started
    conflicts = sum(n for _, n in retries)
    progress(f"peer retry: {conflicts} docs answered conflict (already stored)")
    return {
        "clients": len(plan),
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_second": round(events / elapsed, 1),
        "batch_latency": workload.summary_ms([x for run, _ in runs for x in run]),
        "pusher_bytes_per_event": round(sum(b for _, b in runs) / events, 1),
        "retry": {
            "docs": conflicts,
            "all_conflict": conflicts == sum(len(batches[0]) for _, _, batches in plan),
            "seconds": round(retry_elapsed, 3),
        },
    }


async def catch_up(base_url: str, expected: int, progress: Progress) -> dict[str, Any]:
    http = Http(base_url)
    since: Any = 0
    seen: set[str] = set()
    trips, spent = 0, 0.0
    try:
        while True:
            path = f"/matchday/_changes?include_docs=true&limit={CATCH_UP_PAGE}&since={since}"
            started = time.monotonic()
            page = await http.json("GET", path)
            spent += time.monotonic() - started
            trips += 1
            seen.update(r["id"] for r in page["results"])
            since = page["last_seq"]
            if len(page["results"]) < CATCH_UP_PAGE:
                break
    finally:
        await http.close()
    if len(seen) != expected:
        raise RuntimeError(f"peer catch-up pulled {len(seen)} docs, expected {expected}")
    wire = http.sent + http.received
    progress(f"peer catch-up: {len(seen)} docs in {trips} round trips, {spent:.2f} s")
    return {
        "events": len(seen),
        "round_trips": trips,
        "seconds_in_requests": round(spent, 3),
        "events_per_second": round(len(seen) / spent, 1),
        "bytes": wire,
        "bytes_per_event": round(wire / len(seen), 1),
    }


async def fan_out(
    base_url: str,
    feed: str,
    viewers: int,
    events: list[dict[str, Any]],
    per_second: float,
    progress: Progress,
) -> dict[str, Any]:
    """``viewers`` clients following one database's ``_changes`` (``feed`` is
    "continuous" or "longpoll") while a client posts one doc at a time at ``per_second``."""
    database = f"/fanout-{feed}"
    admin = Http(base_url)
    await admin.json("PUT", database, expect=(201, 412))
    info = await admin.json("GET", f"{database}/_changes?limit=0&descending=true")
    start_seq = info["last_seq"]
    await admin.close()
    receipts = Receipts()
    counters = [Http(base_url) for _ in range(viewers)]

    async def continuous(http: Http) -> None:
        path = (
            f"{database}/_changes?feed=continuous&include_docs=true&heartbeat=30000&"
            f"since={start_seq}"
        )
        async for line in http.stream_lines(path):
            if not line.strip():
                continue
            now = time.monotonic()
            change = json.loads(line)
            if "id" in change:
                receipts.add(change["id"], now)

    async def longpoll(http: Http) -> None:
        since = start_seq
        while True:
            path = (
                f"{database}/_changes?feed=longpoll&include_docs=true&"
                f"timeout={LONGPOLL_TIMEOUT_MS}&since={since}"
            )
            page = await http.json("GET", path)
            now = time.monotonic()
            for change in page["results"]:
                receipts.add(change["id"], now)
            since = page["last_seq"]

    progress(f"peer fan-out ({feed}): {viewers} viewers")
    runner = continuous if feed == "continuous" else longpoll
    tasks = [asyncio.ensure_future(runner(http)) for http in counters]
    await asyncio.sleep(2.0)  # let every feed open (a continuous feed sends nothing until a change)
    pusher = Http(base_url)
    done: dict[str, float] = {}
    push_latencies = []
    try:
        with workload.measuring():
            async for event in workload.paced(events, per_second):
                sent = time.monotonic()
                body = {"docs": [doc(event)]}
                results = await pusher.json("POST", f"{database}/_bulk_docs", body)
                done[event["id"]] = time.monotonic()
                push_latencies.append(done[event["id"]] - sent)
                if not results[0].get("ok"):
                    raise RuntimeError(f"peer push refused: {results[0]}")
            expected = dict.fromkeys(done, viewers)
            await wait_for_receipts(receipts, expected, touchline.DRAIN_SECONDS)
        result = delivery(done, receipts, expected)
        wire = sum(h.received for h in counters)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for http in counters:
            await http.close()
        await pusher.close()
    deliveries = len(events) * viewers
    progress(
        f"peer fan-out ({feed}): {deliveries - result['missing']}/{deliveries} deliveries, "
        f"p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms"
    )
    return {
        "feed": feed,
        "viewers": viewers,
        "events": len(events),
        "push_rate_per_second": per_second,
        **result,
        "push_latency": workload.summary_ms(push_latencies),
        "pusher_bytes_per_event": round((pusher.sent + pusher.received) / len(events), 1),
        "viewer_bytes_per_event": round(wire / max(deliveries, 1), 1),
    }
