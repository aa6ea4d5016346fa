"""The full-time reconnect storm: every phone of a league finds signal within seconds and
pushes what it queued during the match.

``PHONES`` phones (two per match, five matches per coach), each holding ``EVENTS`` queued
events in ``BATCHES`` batches, reconnect at moments spread evenly at random over
``WINDOW_SECONDS``; each pushes its batches one after another, waiting for each answer,
as the PWA's outbox does. A 429 or 503 is retried after its ``Retry-After`` (or half a
second), and counted; anything else is an error. Measured: the time from the first
phone's reconnect until every phone is acknowledged, each batch's latency (first send to
accepted answer, retries included), the retries and errors, the server's peak memory,
and, read from the database itself afterwards, that every event is stored exactly once.
The peer gets the same phones and events through ``_bulk_docs``.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from backend.db.engine import create_db_engine
from backend.db.models import Event, EventKind
from bench import peer, workload
from bench.touchline import (
    Device,
    Progress,
    _coach,
    _device,
    _team_with_matches,
    sync_body,
)
from bench.wire import Http

PHONES = 500
QUICK_PHONES = 100
EVENTS = 120
BATCHES = 4
WINDOW_SECONDS = 10.0
PHONES_PER_MATCH = 2
MATCHES_PER_COACH = 5
RETRY_STATUSES = (429, 503)
MAX_TRIES = 50


@dataclass
class Phone:
    device: Device
    match_id: uuid.UUID
    batches: list[list[dict[str, Any]]]
    start: float = 0.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    retried: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    acknowledged: int = 0
    done_at: float = 0.0
    acked: list[tuple[float, int]] = field(default_factory=list)
    """Each accepted batch: (seconds since the storm began, its events)."""


async def prepare(
    base_url: str, phones: int, rng: random.Random, make_id: Callable[[], uuid.UUID]
) -> list[Phone]:
    """Coaches, their phones and kicked-off matches, through the public API, and each
    phone's queued events."""
    per_coach = PHONES_PER_MATCH * MATCHES_PER_COACH
    out: list[Phone] = []
    http = Http(base_url)
    try:
        for index in range(-(-phones // per_coach)):
            _, login = await _coach(http, f"storm{index}")
            devices = [await _device(http, login, f"phone {n}") for n in range(per_coach)]
            match_ids = [make_id() for _ in range(MATCHES_PER_COACH)]
            _, squad = await _team_with_matches(
                http, login, devices[0], match_ids, rng, make_id, kicked_off=True
            )
            players = [uuid.UUID(p["id"]) for p in squad]
            for n, device in enumerate(devices[: phones - len(out)]):
                match_id = match_ids[n // PHONES_PER_MATCH]
                kickoff = workload.kickoff_time(rng)
                events = [
                    workload.play_event(match_id, players, j * 90 // EVENTS, rng, make_id, kickoff)
                    for j in range(EVENTS)
                ]
                size = EVENTS // BATCHES
                batches = [events[i : i + size] for i in range(0, EVENTS, size)]
                out.append(Phone(device, match_id, batches, rng.uniform(0, WINDOW_SECONDS)))
    finally:
        await http.close()
    return out


async def _until_accepted(
    send: Callable[[], Awaitable[tuple[int, bytes]]], tally: Tally
) -> tuple[int, bytes]:
    """Send until the answer is neither 429 nor 503 (each retry counted)."""
    for _ in range(MAX_TRIES):
        try:
            status, payload = await send()
        except (OSError, asyncio.IncompleteReadError) as error:
            tally.errors.append(f"connection: {error!r}")
            status, payload = 0, b""
        if status not in RETRY_STATUSES and status != 0:
            return status, payload
        if status:
            tally.retried[status] = tally.retried.get(status, 0) + 1
        await asyncio.sleep(0.5)
    return status, payload


async def _storm(
    phones: list[Phone],
    push: Callable[[Phone, Http, list[dict[str, Any]], Tally], Awaitable[None]],
    base_url: str,
) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()

    async def run(phone: Phone) -> None:
        await asyncio.sleep(max(0.0, started + phone.start - time.monotonic()))
        http = Http(base_url, phone.device.token)
        try:
            for batch in phone.batches:
                sent = time.monotonic()
                await push(phone, http, batch, tally)
                tally.latencies.append(time.monotonic() - sent)
                tally.acked.append((time.monotonic() - started, len(batch)))
            tally.acknowledged += 1
            tally.done_at = max(tally.done_at, time.monotonic())
        except Exception as error:
            tally.errors.append(repr(error)[:300])
        finally:
            await http.close()

    await asyncio.gather(*(run(phone) for phone in phones))
    return tally, (tally.done_at or time.monotonic()) - started


def _summary(phones: list[Phone], tally: Tally, seconds: float) -> dict[str, Any]:
    return {
        "phones": len(phones),
        "events": sum(len(b) for p in phones for b in p.batches),
        "window_seconds": WINDOW_SECONDS,
        "acknowledged_phones": tally.acknowledged,
        "seconds_to_drain": round(seconds, 3),
        # After the last phone's reconnect: how long the server took to catch up with the
        # offered load, beside the window every system must wait out.
        "seconds_after_last_reconnect": round(seconds - max(p.start for p in phones), 3),
        "batch_latency": workload.summary_ms(tally.latencies),
        "retried": {str(k): v for k, v in sorted(tally.retried.items())},
        "errors": len(tally.errors),
        "first_errors": tally.errors[:3],
        "curve": curve(phones, tally.acked),
    }


CURVE_STEP = 0.5


def curve(phones: list[Phone], acked: list[tuple[float, int]]) -> dict[str, list[float]]:
    """Every ``CURVE_STEP`` seconds from the storm's start: the events queued on phones
    that had reconnected by then (offered) and the events acknowledged by then, for the
    chart."""
    queued = sorted((p.start, sum(len(b) for b in p.batches)) for p in phones)
    end = max([at for at, _ in acked] + [at for at, _ in queued] + [0.0])
    steps = [round(i * CURVE_STEP, 3) for i in range(int(end / CURVE_STEP) + 2)]

    def by(moments: list[tuple[float, int]]) -> list[float]:
        return [sum(n for at, n in moments if at <= step) for step in steps]

    return {"seconds": steps, "offered": by(queued), "acknowledged": by(acked)}


async def touchline_storm(
    base_url: str, database_url: str, phones: list[Phone], progress: Progress
) -> dict[str, Any]:
    """The storm against one ``touchline serve``; every event counted in its database."""

    async def push(phone: Phone, http: Http, batch: list[dict[str, Any]], tally: Tally) -> None:
        mutations = phone.device.mutations("add_event", batch)
        body = sync_body(phone.device, mutations, pull=False)
        data = json.dumps(body, separators=(",", ":")).encode()
        status, payload = await _until_accepted(lambda: http.raw("POST", "/sync", data), tally)
        answer = json.loads(payload) if status == 200 else None
        if answer is None or answer["last_mutation_id"] != mutations[-1]["id"]:
            raise RuntimeError(f"sync answered {status}: {payload[:200]!r}")
        if any(r["verdict"] != "applied" for r in answer["results"]):
            raise RuntimeError(f"refused: {answer['results'][:2]}")

    progress(f"storm: {len(phones)} phones reconnecting within {WINDOW_SECONDS:.0f} s")
    tally, seconds = await _storm(phones, push, base_url)
    out = _summary(phones, tally, seconds)
    out |= stored_once(database_url, phones)
    progress(
        f"storm: {tally.acknowledged} phones acknowledged in {seconds:.2f} s, batch p99 "
        f"{out['batch_latency']['p99_ms']} ms, retried {out['retried']}, errors "
        f"{out['errors']}, stored exactly once: {out['stored_exactly_once']}"
    )
    return out


def stored_once(database_url: str, phones: list[Phone]) -> dict[str, Any]:
    """Read from the database: every queued event is there, and only once (the event id
    is the primary key, so a second copy would be a second id: none may exist)."""
    expected = {uuid.UUID(e["id"]) for p in phones for b in p.batches for e in b}
    matches = {p.match_id for p in phones}
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            stored = list(
                connection.scalars(
                    select(Event.id).where(
                        Event.match_id.in_(matches), Event.kind != EventKind.KICK_OFF
                    )
                )
            )
            rows = connection.scalar(select(func.count()).select_from(Event))
    finally:
        engine.dispose()
    return {
        "events_stored": len(stored),
        "event_rows_in_database": rows,
        "stored_exactly_once": len(stored) == len(set(stored)) and set(stored) == expected,
    }


async def peer_storm(base_url: str, phones: list[Phone], progress: Progress) -> dict[str, Any]:
    """The same storm against PouchDB Server's ``_bulk_docs``."""
    http = Http(base_url)
    await http.json("PUT", "/storm", expect=(201, 412))
    await http.close()

    async def push(phone: Phone, conn: Http, batch: list[dict[str, Any]], tally: Tally) -> None:
        data = json.dumps({"docs": [peer.doc(e) for e in batch]}).encode()
        status, payload = await _until_accepted(
            lambda: conn.raw("POST", "/storm/_bulk_docs", data), tally
        )
        results = json.loads(payload) if status == 201 else None
        if results is None or any(not r.get("ok") for r in results):
            raise RuntimeError(f"_bulk_docs answered {status}: {payload[:200]!r}")

    progress(f"peer storm: {len(phones)} clients reconnecting within {WINDOW_SECONDS:.0f} s")
    tally, seconds = await _storm(phones, push, base_url)
    out = _summary(phones, tally, seconds)
    info = await Http(base_url).json("GET", "/storm")
    out["events_stored"] = info["doc_count"]
    out["stored_exactly_once"] = info["doc_count"] == out["events"]
    progress(
        f"peer storm: {tally.acknowledged} acknowledged in {seconds:.2f} s, batch p99 "
        f"{out['batch_latency']['p99_ms']} ms, errors {out['errors']}"
    )
    return out
