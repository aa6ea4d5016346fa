"""The Saturday-morning workload against real ``touchline serve`` processes: set-up through
the public API, ingest and retry through /sync, a catch-up pull, and live fan-out to
share-link viewers over WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench import workload
from bench.wire import Http, open_websocket
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.messages import MAX_CHANGES

SQUAD = 14
EVENTS_PER_BATCH = 50
PASSWORD = "bench-password-not-secret"
CONNECT_CONCURRENCY = 64
DRAIN_SECONDS = 20.0
# Set-up is not measured; on a loaded machine a sign-up may wait out SQLite's lock.
SETUP_RETRIES = 10
CATCH_UP_PAGE = MAX_CHANGES  # a client back after days asks for the largest page

Progress = Callable[[str], None]


@dataclass
class Device:
    id: str
    token: str
    next_mutation: int = 1

    def mutations(self, name: str, args_list: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Number ``args_list`` as this device's next queued mutations."""
        out = []
        for args in args_list:
            out.append({"id": self.next_mutation, "name": name, "args": args})
            self.next_mutation += 1
        return out


@dataclass
class MatchSetup:
    id: uuid.UUID
    team_id: str
    squad: list[uuid.UUID]
    players: list[dict[str, Any]]
    devices: list[Device]


@dataclass
class Matchday:
    matches: list[MatchSetup]
    club: Device
    fan_device: Device
    fan_squad: list[uuid.UUID]
    fan_matches: list[uuid.UUID]
    share_tokens: dict[uuid.UUID, str] = field(default_factory=dict)


def sync_body(device: Device, mutations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"protocol": PROTOCOL_VERSION, "device_id": device.id, "mutations": mutations} | extra


async def _coach(http: Http, label: str) -> tuple[str, str]:
    """Register a coach and log in: (email, login token)."""
    email = f"{label}-{uuid.uuid4().hex[:8]}@bench.example"
    await http.json(
        "POST",
        "/api/accounts",
        {"email": email, "password": PASSWORD, "display_name": label},
        retries=SETUP_RETRIES,
    )
    login = await http.json(
        "POST", "/api/auth/login", {"email": email, "password": PASSWORD}, retries=SETUP_RETRIES
    )
    return email, login["access_token"]


async def _device(http: Http, login: str, name: str) -> Device:
    made = await http.json(
        "POST", "/api/devices", {"name": name}, token=login, retries=SETUP_RETRIES
    )
    return Device(made["id"], made["token"])


async def _team_with_matches(
    http: Http,
    login: str,
    device: Device,
    match_ids: list[uuid.UUID],
    rng: random.Random,
    make_id: Callable[[], uuid.UUID],
    *,
    kicked_off: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """A team, its squad and ``match_ids``, set up by ``device`` in one sync; with
    ``kicked_off``, each match is kicked off too (a match takes events only once it has)."""
    team = await http.json(
        "POST",
        "/api/teams",
        {"name": f"Bench {rng.randrange(10**6)} FC"},
        token=login,
        retries=SETUP_RETRIES,
    )
    squad = workload.players(SQUAD, rng, make_id)
    matches = [
        {
            "id": str(match_id),
            "team_id": team["id"],
            "opponent": rng.choice(workload.OPPONENTS),
            "kickoff_at": workload.kickoff_time(rng).isoformat().replace("+00:00", "Z"),
            "venue": "Rec ground, pitch 3",
            "competition": "U12 league",
        }
        for match_id in match_ids
    ]
    mutations = device.mutations("add_player", [p | {"team_id": team["id"]} for p in squad])
    mutations += device.mutations("create_match", matches)
    if kicked_off:
        kick_offs = [
            workload.marker(m, "kick_off", 1, 0, make_id, workload.kickoff_time(rng))
            for m in match_ids
        ]
        mutations += device.mutations("add_event", kick_offs)
    response = await http.json(
        "POST", "/sync", sync_body(device, mutations, pull=False), token=device.token
    )
    refused = [r for r in response["results"] if r["verdict"] != "applied"]
    if refused:
        raise RuntimeError(f"set-up mutations refused: {refused[:3]}")
    return team["id"], squad


async def prepare(
    base_url: str,
    matches: int,
    fan_matches: int,
    rng: random.Random,
    make_id: Callable[[], uuid.UUID],
) -> Matchday:
    """Coaches, devices, teams, squads and matches, through the public API: per match a
    coach with two phones; a club account that coaches every team (its tablet is the
    catch-up device); a fan-out team with ``fan_matches`` matches and a share link each."""
    http = Http(base_url)
    _, club_login = await _coach(http, "club")
    club = await _device(http, club_login, "club tablet")
    limit = asyncio.Semaphore(3)
    # One registration at a time: the server hashes the password (Argon2) inside its
    # write transaction, so concurrent sign-ups queue on SQLite's write lock.
    registering = asyncio.Lock()

    async def one(index: int) -> MatchSetup:
        async with limit:
            own = Http(base_url)
            try:
                async with registering:
                    _, login = await _coach(own, f"coach{index}")
                phones = [await _device(own, login, f"phone {n}") for n in "AB"]
                match_id = make_id()
                team_id, squad = await _team_with_matches(
                    own, login, phones[0], [match_id], rng, make_id, kicked_off=True
                )
                invite = await own.json(
                    "POST",
                    f"/api/teams/{team_id}/invites",
                    {},
                    token=login,
                    retries=SETUP_RETRIES,
                )
                await own.json(
                    "POST",
                    "/api/invites/accept",
                    {"token": invite["token"]},
                    token=club_login,
                    retries=SETUP_RETRIES,
                )
                return MatchSetup(
                    match_id, team_id, [uuid.UUID(p["id"]) for p in squad], squad, phones
                )
            finally:
                await own.close()

    setups = list(await asyncio.gather(*(one(i) for i in range(matches))))
    _, fan_login = await _coach(http, "fanout")
    fan_device = await _device(http, fan_login, "fan-out phone")
    fan_ids = [make_id() for _ in range(fan_matches)]
    _, fan_squad = await _team_with_matches(http, fan_login, fan_device, fan_ids, rng, make_id)
    day = Matchday(setups, club, fan_device, [uuid.UUID(p["id"]) for p in fan_squad], fan_ids)
    for match_id in fan_ids:
        link = await http.json("GET", f"/api/matches/{match_id}/share", token=fan_device.token)
        day.share_tokens[match_id] = link["token"]
    await http.close()
    return day


# --- ingest ------------------------------------------------------------------------------


def ingest_batches(
    day: Matchday, batches_per_device: int, rng: random.Random, make_id: Callable[[], uuid.UUID]
) -> list[tuple[MatchSetup, Device, list[list[dict[str, Any]]]]]:
    """Per device, its batches of ``add_event`` arguments in the order it logged them. The
    matches were kicked off at set-up: both phones of a match push at once, and a match
    takes events only once it has kicked off."""
    plan = []
    total = batches_per_device * EVENTS_PER_BATCH
    for setup in day.matches:
        kickoff = workload.kickoff_time(rng)
        for device in setup.devices:
            events = []
            for j in range(total):
                minute = j * 90 // total
                at = kickoff + timedelta(minutes=minute, seconds=rng.randrange(60))
                events.append(workload.play_event(setup.id, setup.squad, minute, rng, make_id, at))
            batches = [events[i : i + EVENTS_PER_BATCH] for i in range(0, total, EVENTS_PER_BATCH)]
            plan.append((setup, device, batches))
    return plan


async def ingest(
    base_url: str,
    plan: list[tuple[MatchSetup, Device, list[list[dict[str, Any]]]]],
    progress: Progress,
) -> dict[str, Any]:
    """Every device pushes its batches one after another, all devices at once; then every
    device resends its first batch, which must be answered as replayed."""
    sent: dict[str, list[dict[str, Any]]] = {}

    async def device_run(
        device: Device, batches: list[list[dict[str, Any]]]
    ) -> tuple[list[float], int, int]:
        http = Http(base_url, device.token)
        latencies = []
        try:
            for batch in batches:
                mutations = device.mutations("add_event", batch)
                sent.setdefault(device.id, mutations)
                started = time.monotonic()
                response = await http.json(
                    "POST", "/sync", sync_body(device, mutations, pull=False)
                )
                latencies.append(time.monotonic() - started)
                bad = [
                    r for r in response["results"] if r["verdict"] != "applied" or r.get("replayed")
                ]
                if bad or response["last_mutation_id"] != mutations[-1]["id"]:
                    raise RuntimeError(f"ingest batch not applied: {bad[:2]}")
            return latencies, http.sent, http.received
        finally:
            await http.close()

    events = sum(len(b) for _, _, batches in plan for b in batches)
    progress(
        f"ingest: {len(plan)} devices pushing {events} events in batches of {EVENTS_PER_BATCH}"
    )
    started = time.monotonic()
    runs = await asyncio.gather(*(device_run(device, batches) for _, device, batches in plan))
    elapsed = time.monotonic() - started
    latencies = [x for run, _, _ in runs for x in run]
    wire = sum(s + r for _, s, r in runs)
    progress(f"ingest: {events} events in {elapsed:.2f} s ({events / elapsed:.0f} events/s)")

    async def retry(device: Device) -> tuple[float, int]:
        http = Http(base_url, device.token)
        try:
            mutations = sent[device.id]
            started = time.monotonic()
            response = await http.json("POST", "/sync", sync_body(device, mutations, pull=False))
            took = time.monotonic() - started
            replayed = sum(
                1 for r in response["results"] if r.get("replayed") and r["verdict"] == "applied"
            )
            if replayed != len(mutations):
                raise RuntimeError(f"retry: {replayed} of {len(mutations)} answered as replayed")
            return took, replayed
        finally:
            await http.close()

    started = time.monotonic()
    retries = await asyncio.gather(*(retry(device) for _, device, _ in plan))
    retry_elapsed = time.monotonic() - started
    replayed = sum(n for _, n in retries)
    progress(
        f"retry: {len(retries)} devices resent a batch; {replayed} mutations answered as replayed"
    )
    return {
        "devices": len(plan),
        "events": events,
        "batch_size": EVENTS_PER_BATCH,
        "seconds": round(elapsed, 3),
        "events_per_second": round(events / elapsed, 1),
        "batch_latency": workload.summary_ms(latencies),
        "pusher_bytes_per_event": round(wire / events, 1),
        "retry": {
            "devices": len(retries),
            "mutations": replayed,
            "all_replayed": replayed == len(retries) * EVENTS_PER_BATCH,
            "seconds": round(retry_elapsed, 3),
            "batch_latency": workload.summary_ms([t for t, _ in retries]),
        },
    }


# --- catch-up ----------------------------------------------------------------------------


async def catch_up(
    base_url: str, device: Device, expected_events: int, progress: Progress
) -> dict[str, Any]:
    """The club tablet, never synced, pulls everything; every event must arrive once."""
    http = Http(base_url, device.token)
    cursor, seen, changes, trips, spent = None, set(), 0, 0, 0.0
    try:
        while True:
            body = sync_body(device, [], cursor=cursor, max_changes=CATCH_UP_PAGE)
            started = time.monotonic()
            response = await http.json("POST", "/sync", body)
            spent += time.monotonic() - started
            trips += 1
            changes += len(response["changes"])
            seen.update(c["id"] for c in response["changes"] if c["type"] == "event")
            cursor = response["cursor"]
            if not response["has_more"]:
                break
            if trips > 10_000:
                raise RuntimeError("catch-up did not finish")
    finally:
        await http.close()
    if len(seen) != expected_events:
        raise RuntimeError(f"catch-up pulled {len(seen)} events, expected {expected_events}")
    progress(
        f"catch-up: {len(seen)} events ({changes} changes) in {trips} round trips, {spent:.2f} s"
    )
    return {
        "events": len(seen),
        "changes": changes,
        "round_trips": trips,
        "seconds_in_requests": round(spent, 3),
        "events_per_second": round(len(seen) / spent, 1),
        "bytes": http.sent + http.received,
        "bytes_per_event": round((http.sent + http.received) / len(seen), 1),
        "exactly_once": True,
    }


# --- fan-out -----------------------------------------------------------------------------


@dataclass
class Viewer:
    match_id: uuid.UUID
    connection: Any = None
    last: int = 0
    gaps: int = 0
    bytes_at_push: int = 0
    task: asyncio.Task[None] | None = None


class Receipts:
    """When each viewer received each event (monotonic seconds), by event id."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}

    def add(self, event_id: str, at: float) -> None:
        self.times.setdefault(event_id, []).append(at)


async def _read(viewer: Viewer, receipts: Receipts) -> None:
    try:
        async for raw in viewer.connection:
            now = time.monotonic()
            message = json.loads(raw)
            if message.get("type") != "changes":
                continue
            if message["after"] != viewer.last:
                viewer.gaps += 1
            viewer.last = message["head"]
            for change in message["changes"]:
                if change["type"] == "event":
                    receipts.add(change["id"], now)
    except Exception:  # a closed connection ends the reader; counted as missing receipts
        return


async def connect_viewers(
    ws_base: str,
    targets: list[tuple[uuid.UUID, str]],
    receipts: Receipts,
    hello_seq: Callable[[uuid.UUID], int] | None = None,
) -> list[Viewer]:
    """Open one viewer per (match, share token), each past its welcome and first catch-up."""
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(match_id: uuid.UUID, token: str) -> Viewer:
        viewer = Viewer(match_id)
        async with limit:
            viewer.connection = await open_websocket(f"{ws_base}/ws/match/{match_id}")
            await viewer.connection.send(
                json.dumps({"type": "hello", "token": token, "last_seq": 0})
            )
            welcome = json.loads(await asyncio.wait_for(viewer.connection.recv(), 60))
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"expected a welcome, got {welcome}")
            first = json.loads(await asyncio.wait_for(viewer.connection.recv(), 60))
            viewer.last = first["head"]
        viewer.task = asyncio.ensure_future(_read(viewer, receipts))
        return viewer

    return list(await asyncio.gather(*(one(m, t) for m, t in targets)))


async def close_viewers(viewers: list[Viewer]) -> None:
    async def one(viewer: Viewer) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(viewer.connection.close(), 5)
        if viewer.task is not None:
            viewer.task.cancel()

    await asyncio.gather(*(one(v) for v in viewers))


async def idle_viewers(
    view_url: str,
    day: Matchday,
    match_id: uuid.UUID,
    count: int,
    pid: int,
    memory: Callable[[int], dict[str, int]],
    progress: Progress,
) -> dict[str, Any]:
    """What ``count`` idle viewers of one match cost a server that has only been set up:
    its RSS with them connected minus its RSS before, per viewer. On a server that has
    already freed memory in busier phases, new viewers reuse it and look cheaper."""
    before = memory(pid)["VmRSS"]
    viewers = await connect_viewers(
        view_url.replace("http://", "ws://"),
        [(match_id, day.share_tokens[match_id])] * count,
        Receipts(),
    )
    await asyncio.sleep(1.0)
    after = memory(pid)["VmRSS"]
    await close_viewers(viewers)
    per_viewer = round((after - before) / count, 2)
    progress(f"{count} idle viewers on a fresh server: {per_viewer} KiB each")
    return {
        "viewers": count,
        "server_rss_before_kb": before,
        "server_rss_with_viewers_kb": after,
        "memory_per_viewer_kb": per_viewer,
    }


async def push_steadily(
    base_url: str, device: Device, events: list[dict[str, Any]], per_second: float
) -> tuple[dict[str, float], list[float], int]:
    """Push one event per /sync at a steady rate: when each push's response arrived (by
    event id), the push latencies, and the bytes on the pusher's wire."""
    http = Http(base_url, device.token)
    done: dict[str, float] = {}
    latencies = []
    try:
        async for event in workload.paced(events, per_second):
            mutations = device.mutations("add_event", [event])
            sent = time.monotonic()
            response = await http.json("POST", "/sync", sync_body(device, mutations, pull=False))
            done[event["id"]] = time.monotonic()
            latencies.append(done[event["id"]] - sent)
            if response["results"][0]["verdict"] != "applied":
                raise RuntimeError(f"fan-out push refused: {response['results'][0]}")
        return done, latencies, http.sent + http.received
    finally:
        await http.close()


def delivery(
    done: dict[str, float], receipts: Receipts, expected: dict[str, int]
) -> dict[str, Any]:
    """Push-response-to-receipt latencies over every (event, viewer); a receipt before the
    push's response counts as 0."""
    latencies, early, missing = [], 0, 0
    for event_id, pushed in done.items():
        got = receipts.times.get(event_id, [])
        missing += max(expected[event_id] - len(got), 0)
        for at in got:
            if at < pushed:
                early += 1
            latencies.append(max(at - pushed, 0.0))
    return {
        "latency": workload.summary_ms(latencies),
        "received_before_push_response": early,
        "missing": missing,
        "samples_ms": sorted(round(x * 1000, 2) for x in latencies),
    }


async def wait_for_receipts(receipts: Receipts, expected: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(receipts.times.get(e, ())) >= n for e, n in expected.items()):
            return
        await asyncio.sleep(0.05)


async def fan_out(
    label: str,
    push_url: str,
    view_url: str,
    day: Matchday,
    match_ids: list[uuid.UUID],
    viewers_per_match: int,
    events: list[dict[str, Any]],
    per_second: float,
    server_pids: list[int],
    memory: Callable[[int], dict[str, int]],
    progress: Progress,
) -> dict[str, Any]:
    """Viewers on ``match_ids`` (``viewers_per_match`` each) while one device pushes
    ``events`` (already addressed to those matches) at ``per_second``."""
    receipts = Receipts()
    before = sum(memory(pid)["VmRSS"] for pid in server_pids)
    targets = [(m, day.share_tokens[m]) for m in match_ids for _ in range(viewers_per_match)]
    progress(f"{label}: connecting {len(targets)} viewers")
    started = time.monotonic()
    viewers = await connect_viewers(view_url.replace("http://", "ws://"), targets, receipts)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(1.0)
    after = sum(memory(pid)["VmRSS"] for pid in server_pids)
    try:
        for viewer in viewers:
            viewer.bytes_at_push = viewer.connection.received_bytes
        progress(
            f"{label}: {len(viewers)} viewers connected in {connect_seconds:.1f} s; pushing "
            f"{len(events)} events at {per_second}/s"
        )
        with workload.measuring():
            done, push_latencies, pusher_bytes = await push_steadily(
                push_url, day.fan_device, events, per_second
            )
            by_match = {m: viewers_per_match for m in match_ids}
            expected = {e["id"]: by_match[uuid.UUID(e["match_id"])] for e in events}
            await wait_for_receipts(receipts, expected, DRAIN_SECONDS)
        result = delivery(done, receipts, expected)
        live_bytes = sum(v.connection.received_bytes - v.bytes_at_push for v in viewers)
        whole = [v.connection.received_bytes for v in viewers]
    finally:
        await close_viewers(viewers)
    deliveries = sum(expected.values())
    progress(
        f"{label}: {deliveries - result['missing']}/{deliveries} deliveries, "
        f"p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms"
    )
    return {
        "viewers": len(viewers),
        "matches": len(match_ids),
        "events": len(events),
        "push_rate_per_second": per_second,
        "connect_seconds": round(connect_seconds, 2),
        "gaps": sum(v.gaps for v in viewers),
        **result,
        "push_latency": workload.summary_ms(push_latencies),
        "pusher_bytes_per_event": round(pusher_bytes / len(events), 1),
        "viewer_bytes_per_event": round(live_bytes / max(deliveries, 1), 1),
        "viewer_bytes_whole_run_mean": round(sum(whole) / len(whole), 1),
        "server_rss_before_kb": before,
        "server_rss_with_viewers_kb": after,
        "memory_per_idle_viewer_kb": round((after - before) / len(viewers), 2),
    }


def fan_events(
    day: Matchday,
    match_ids: list[uuid.UUID],
    count: int,
    rng: random.Random,
    make_id: Callable[[], uuid.UUID],
) -> list[dict[str, Any]]:
    """``count`` events of whole matches, dealt round-robin over ``match_ids``."""
    per_match = -(-count // len(match_ids))
    streams = [
        workload.whole_match(
            m, day.fan_squad, max(per_match, 4), rng, make_id, workload.kickoff_time(rng)
        )
        for m in match_ids
    ]
    out = []
    for i in range(count):
        stream = streams[i % len(match_ids)]
        out.append(stream[i // len(match_ids)])
    return out
