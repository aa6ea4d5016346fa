"""Benchmark Touchline against this machine's ceilings and a CouchDB-protocol peer, in one run.

    python3 bench/run.py [--quick] [--database sqlite|postgresql|both] [--no-peer]
    python3 bench/run.py --phase insights|ingest|storm [--database ...] [--quick] [--profile DIR]


Writes bench/results/latest.json, bench/results/chart.png and the results section of
bench/README.md. Every server it starts listens on 127.0.0.1 and is stopped at the end,
also on Ctrl-C or an error; every database it creates is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

if __name__ == "__main__" and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    if not VENV_PYTHON.exists():
        sys.exit("bench: run `python3 dev.py test` (or create .venv) first")
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])

sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    ceilings,
    insights,
    peer,
    processes,
    report,
    storm,
    touchline,
    workload,
)

RESULTS = ROOT / "bench" / "results"
SCRATCH = ROOT / "bench" / ".scratch"
MATCHES = 25
DEVICES_PER_MATCH = 2
FAN_MATCHES = 3 + 100  # 200 viewers, 1,000 viewers, two instances, then 100 matches
IDLE_VIEWERS = 1000  # connected to a freshly set-up server, then closed
# ``touchline serve --workers``: one process a core on PostgreSQL (their live fan-out
# rides LISTEN/NOTIFY); SQLite serves with one.
WORKERS = {"sqlite": 1, "postgresql": min(os.cpu_count() or 1, 2)}


@dataclass(frozen=True)
class Plan:
    """How much of each workload a mode runs."""

    batches_per_device: int
    whole_match_events: int
    whole_match_rate: float
    crowd_events: int
    crowd_rate: float
    spread_events: int
    spread_rate: float
    broadcast_viewers: tuple[int, ...]


QUICK = Plan(2, 150, 10.0, 10, 2.0, 30, 10.0, (1000,))
FULL = Plan(4, 150, 5.0, 40, 2.0, 100, 10.0, (200, 1000))


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def server_cpu(pid: int, measured: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """``measured``'s figures, with the server's CPU milliseconds per event over it."""
    before = processes.cpu_seconds(pid)
    result = await measured
    spent = processes.cpu_seconds(pid) - before
    return result | {"server_cpu_ms_per_event": round(spent * 1000 / result["events"], 3)}


async def bench_touchline(
    kind: str,
    profile: Path | None,
    plan: Plan,
    run_dir: Path,
    rng: random.Random,
    make_id: Any,
    samples: dict[str, list[float]],
) -> tuple[dict[str, Any], list[Any], dict[str, list[dict[str, Any]]]]:
    """Every Touchline workload on a fresh ``kind`` database; also returns the ingest
    plans (one a run) and the fan-out events, which the references replay."""
    out: dict[str, Any] = {"fan_out": {}}
    events_used: dict[str, list[dict[str, Any]]] = {}
    with (
        processes.fresh_database(kind, run_dir) as url,
        processes.touchline_server(
            url, run_dir / f"touchline-{kind}.log", workers=WORKERS[kind]
        ) as server,
    ):
        progress(
            f"[{kind}] touchline serve pid {server.pid} at {server.base_url}; setting up "
            f"{MATCHES} matches, {MATCHES * DEVICES_PER_MATCH} devices"
        )
        out["memory"] = {"rss_at_start_kb": server.memory()["VmRSS"]}
        day = await touchline.prepare(server.base_url, MATCHES, FAN_MATCHES, rng, make_id)
        out["idle_viewers"] = await touchline.idle_viewers(
            server.base_url,
            day,
            day.fan_matches[1],
            IDLE_VIEWERS,
            server.pid,
            processes.memory_kb,
            lambda m: progress(f"[{kind}] {m}"),
        )
        ingest_plans: list[Any] = []

        async def ingest_once() -> dict[str, Any]:
            ingest_plans.append(
                touchline.ingest_batches(day, plan.batches_per_device, rng, make_id)
            )
            svg = profile and profile / f"ingest-{kind}-{len(ingest_plans)}.svg"
            with processes.profiled(server.pid, svg):
                return await server_cpu(
                    server.pid,
                    touchline.ingest(
                        server.base_url, ingest_plans[-1], lambda m: progress(f"[{kind}] {m}")
                    ),
                )

        out["ingest"] = await workload.median_run(workload.INGEST_RUNS, ingest_once)
        out["catch_up"] = await workload.median_run(
            workload.CATCH_UP_RUNS,
            lambda: touchline.catch_up(
                server.base_url,
                day.club,
                # What the three ingest runs stored, and each match's kick-off.
                out["ingest"]["events"] * len(ingest_plans) + len(day.matches),
                lambda m: progress(f"[{kind}] {m}"),
            ),
        )
        mem = server.memory

        async def scenario(
            key: str,
            label: str,
            matches: list[uuid.UUID],
            per: int,
            count: int,
            rate: float,
            view: Any = None,
        ) -> None:
            events = touchline.fan_events(day, matches, count, rng, make_id)
            events_used[key] = events
            result = await touchline.fan_out(
                f"[{kind}] {label}",
                server.base_url,
                (view or server).base_url,
                day,
                matches,
                per,
                events,
                rate,
                [(view or server).pid],
                processes.memory_kb,
                progress,
            )
            samples[f"Touchline {label} ({kind})"] = result.pop("samples_ms")
            result["latency_cdf_ms"] = report.cdf(samples[f"Touchline {label} ({kind})"])
            out["fan_out"][key] = result

        fan = day.fan_matches
        await scenario(
            "200_one_match",
            "200 viewers, 1 match",
            [fan[0]],
            200,
            plan.whole_match_events,
            plan.whole_match_rate,
        )
        out["memory"]["peak_rss_after_peer_workload_kb"] = mem()["VmHWM"]
        with processes.profiled(server.pid, profile and profile / f"fan-out-1000-{kind}.svg"):
            await scenario(
                "1000_one_match",
                "1,000 viewers, 1 match",
                [fan[1]],
                1000,
                plan.crowd_events,
                plan.crowd_rate,
            )
        await scenario(
            "1000_over_100_matches",
            "1,000 viewers, 100 matches",
            fan[3:103],
            10,
            plan.spread_events,
            plan.spread_rate,
        )
        if kind == "postgresql":
            with processes.touchline_server(
                url, run_dir / "touchline-second.log", migrate=False
            ) as second:
                progress(
                    f"[{kind}] second instance pid {second.pid}: pushes go to the first, "
                    "viewers watch the second"
                )
                await scenario(
                    "1000_two_instances",
                    "1,000 viewers, 2 instances",
                    [fan[2]],
                    1000,
                    plan.crowd_events,
                    plan.crowd_rate,
                    view=second,
                )
        # Last: the peer has no such phase, so its season must not count in the memory
        # read after the workload both servers share.
        out["insights"] = await insights.season(
            server.base_url, rng, make_id, lambda m: progress(f"[{kind}] {m}")
        )
        out["memory"]["peak_rss_kb"] = mem()["VmHWM"]
        out["memory"]["rss_at_end_kb"] = mem()["VmRSS"]
    return out, ingest_plans, events_used


async def run_insights(kinds: list[str], run_dir: Path, seed: int) -> dict[str, Any]:
    """Only the insights phase, on a fresh database and server of each kind."""
    rng = random.Random(seed)
    make_id = workload.UUIDv7()
    out: dict[str, Any] = {}
    for kind in kinds:
        if kind == "postgresql" and not processes.postgres_available():
            progress(f"PostgreSQL is not reachable at {processes.POSTGRES_ADMIN_URL}; skipping it")
            continue
        with (
            processes.fresh_database(kind, run_dir) as url,
            processes.touchline_server(
                url, run_dir / f"touchline-{kind}.log", workers=WORKERS[kind]
            ) as server,
        ):
            out[kind] = await insights.season(
                server.base_url, rng, make_id, lambda m, k=kind: progress(f"[{k}] {m}")
            )
    return out


async def ingest_phase(
    kind: str, args: argparse.Namespace, plan: Plan, run_dir: Path
) -> dict[str, Any]:
    """Set up a matchday on a fresh ``kind`` database and server, ingest it three times
    (the median run is reported), then measure the insert ceilings on the first run's
    rows."""
    rng = random.Random(args.seed)
    make_id = workload.UUIDv7()

    def say(message: str) -> None:
        progress(f"[{kind}] {message}")

    plans: list[Any] = []
    with (
        processes.fresh_database(kind, run_dir) as url,
        processes.touchline_server(
            url, run_dir / f"touchline-{kind}.log", workers=WORKERS[kind]
        ) as server,
    ):
        day = await touchline.prepare(server.base_url, MATCHES, 0, rng, make_id)

        async def once() -> dict[str, Any]:
            plans.append(touchline.ingest_batches(day, plan.batches_per_device, rng, make_id))
            svg = args.profile and args.profile / f"ingest-{kind}-{len(plans)}.svg"
            with processes.profiled(server.pid, svg):
                pushed = touchline.ingest(server.base_url, plans[-1], say)
                return await server_cpu(server.pid, pushed)

        out = {"ingest": await workload.median_run(workload.INGEST_RUNS, once)}
        out["peak_rss_kb"] = server.memory()["VmHWM"]
    with processes.fresh_database(kind, run_dir) as url:
        out["ceilings"] = ceilings.insert_ceilings(url, plans[0], say)
    return out


async def run_ingest(
    kinds: list[str], run_dir: Path, args: argparse.Namespace, plan: Plan
) -> dict[str, Any]:
    """Only the ingest and its ceilings, on a fresh database and server of each kind."""
    out: dict[str, Any] = {}
    for kind in kinds:
        if kind == "postgresql" and not processes.postgres_available():
            progress(f"PostgreSQL is not reachable at {processes.POSTGRES_ADMIN_URL}; skipping it")
            continue
        out[kind] = await ingest_phase(kind, args, plan, run_dir)
    return out


async def storm_phase(
    kind: str, args: argparse.Namespace, run_dir: Path
) -> tuple[dict[str, Any], list[storm.Phone]]:
    """The reconnect storm against a fresh ``kind`` database and server; also returns
    the phones, whose events the peer is sent."""
    rng = random.Random(args.seed)
    make_id = workload.UUIDv7()
    phones = storm.QUICK_PHONES if args.quick else storm.PHONES

    def say(message: str) -> None:
        progress(f"[{kind}] {message}")

    with (
        processes.fresh_database(kind, run_dir) as url,
        processes.touchline_server(
            url, run_dir / f"touchline-storm-{kind}.log", workers=WORKERS[kind]
        ) as server,
    ):
        say(f"storm: setting up {phones} phones")
        prepared = await storm.prepare(server.base_url, phones, rng, make_id)
        before = server.memory()["VmRSS"]
        with processes.profiled(server.pid, args.profile and args.profile / f"storm-{kind}.svg"):
            out = await server_cpu(
                server.pid, storm.touchline_storm(server.base_url, url, prepared, say)
            )
        out["memory"] = {"rss_before_kb": before, "peak_rss_kb": server.memory()["VmHWM"]}
    return out, prepared


async def peer_storm_phase(run_dir: Path, phones: list[storm.Phone]) -> dict[str, Any]:
    """The same storm, the same events, against PouchDB Server."""
    binary, why = peer.install(SCRATCH, progress)
    if binary is None:
        return {"available": False, "reason": why}
    with processes.pouchdb_server(
        binary, run_dir / "pouchdb-storm", run_dir / "pouchdb-storm.log"
    ) as server:
        before = server.memory()["VmRSS"]
        out = await storm.peer_storm(server.base_url, phones, progress)
        out["memory"] = {"rss_before_kb": before, "peak_rss_kb": server.memory()["VmHWM"]}
    return out


async def run_storm(kinds: list[str], run_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The storm on each database, then (unless --no-peer) on the peer."""
    out: dict[str, Any] = {}
    phones: list[storm.Phone] = []
    for kind in kinds:
        if kind == "postgresql" and not processes.postgres_available():
            continue
        out[kind], phones = await storm_phase(kind, args, run_dir)
    if phones and not args.no_peer:
        out["peer"] = await peer_storm_phase(run_dir, phones)
    return out


def main_phase(args: argparse.Namespace) -> int:
    """``--phase NAME``: only that phase, on fresh servers; its figures go to
    bench/.scratch/NAME.json, never to the published results."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    run_dir = SCRATCH / f"{args.phase}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    run_dir.mkdir()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    progress(f"bench, {args.phase} phase only: databases {args.database}; load {load()}")
    plan = QUICK if args.quick else FULL
    if args.phase == "insights":
        results = asyncio.run(run_insights(kinds, run_dir, args.seed))
    elif args.phase == "storm":
        processes.raise_file_limit()
        results = asyncio.run(run_storm(kinds, run_dir, args))
    else:
        processes.raise_file_limit()
        results = asyncio.run(run_ingest(kinds, run_dir, args, plan))
    if not args.keep_logs:
        shutil.rmtree(run_dir, ignore_errors=True)
    (SCRATCH / f"{args.phase}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


async def run(
    args: argparse.Namespace,
    plan: Plan,
    run_dir: Path,
    results: dict[str, Any],
    samples: dict[str, list[float]],
) -> None:
    # Ctrl-C or SIGTERM cancels the run, so every block unwinds: viewers closed, servers
    # stopped, databases dropped.
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    rng = random.Random(args.seed)
    make_id = workload.UUIDv7()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    if "postgresql" in kinds and not processes.postgres_available():
        progress(f"PostgreSQL is not reachable at {processes.POSTGRES_ADMIN_URL}; skipping it")
        results["skipped"].append("postgresql: server not reachable")
        kinds.remove("postgresql")
    first_plans: list[Any] = []
    fan_events: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        db, ingest_plans, used = await bench_touchline(
            kind, args.profile, plan, run_dir, rng, make_id, samples
        )
        results["databases"][kind] = db
        first_plans = first_plans or ingest_plans
        fan_events = fan_events or used
        with processes.fresh_database(kind, run_dir) as url:
            results["ceilings"]["insert"][kind] = ceilings.insert_ceilings(
                url, ingest_plans[0], lambda m, k=kind: progress(f"[{k}] {m}")
            )

    assert first_plans
    with processes.raw_broadcast_server(run_dir / "raw-broadcast.log") as raw:
        for viewers in plan.broadcast_viewers:
            key = "200_one_match" if viewers == 200 else "1000_one_match"
            messages = ceilings.changes_messages(fan_events[key])
            rate = plan.whole_match_rate if viewers == 200 else plan.crowd_rate
            result = await ceilings.broadcast_ceiling(
                raw.base_url, viewers, messages, rate, progress
            )
            samples[f"raw websockets broadcast, {viewers:,} viewers"] = result.pop("samples_ms")
            result["latency_cdf_ms"] = report.cdf(
                samples[f"raw websockets broadcast, {viewers:,} viewers"]
            )
            results["ceilings"]["broadcast"][str(viewers)] = result

    results["storm"] = await run_storm(kinds, run_dir, args)
    if args.no_peer:
        results["peer"] = {"available": False, "reason": "skipped with --no-peer"}
        return
    binary, why = peer.install(SCRATCH, progress)
    if binary is None:
        progress(f"peer: not measured: {why}")
        results["peer"] = {"available": False, "reason": why}
        return
    with processes.pouchdb_server(
        binary, run_dir / "pouchdb", run_dir / "pouchdb-server.log"
    ) as server:
        progress(
            f"peer: pouchdb-server pid {server.pid} at {server.base_url} (LevelDB in "
            f"{run_dir / 'pouchdb'})"
        )
        out: dict[str, Any] = {"available": True, "version": peer.VERSION, "fan_out": {}}
        # The same three runs as Touchline's, the median reported.
        plans = iter(first_plans)
        out["ingest"] = await workload.median_run(
            workload.INGEST_RUNS, lambda: peer.ingest(server.base_url, next(plans), progress)
        )
        stored = out["ingest"]["events"] * len(first_plans)
        out["catch_up"] = await workload.median_run(
            workload.CATCH_UP_RUNS, lambda: peer.catch_up(server.base_url, stored, progress)
        )
        for feed in ("continuous", "longpoll"):
            result = await peer.fan_out(
                server.base_url,
                feed,
                200,
                fan_events["200_one_match"],
                plan.whole_match_rate,
                progress,
            )
            samples[f"PouchDB Server {feed} feed, 200 viewers"] = result.pop("samples_ms")
            result["latency_cdf_ms"] = report.cdf(
                samples[f"PouchDB Server {feed} feed, 200 viewers"]
            )
            out["fan_out"][feed] = result
        out["peak_rss_kb"] = server.memory()["VmHWM"]
        results["peer"] = out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller workloads, about two minutes (SQLite unless --database says otherwise)",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        help="default: both, or sqlite with --quick",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip PouchDB Server")
    parser.add_argument(
        "--phase",
        choices=["insights", "ingest", "storm"],
        help="run only this phase (on fresh servers), print its figures, publish nothing",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record py-spy flame graphs of the server during ingest, the 1,000-viewer "
        "fan-out and the storm into DIR (install py-spy into .venv first)",
    )
    parser.add_argument("--seed", type=int, default=6, help="seed of the workload's random choices")
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep server logs in bench/.scratch"
    )
    args = parser.parse_args()
    args.database = args.database or ("sqlite" if args.quick else "both")
    if args.phase is not None:
        return main_phase(args)
    plan = QUICK if args.quick else FULL
    limit = processes.raise_file_limit()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    run_dir = SCRATCH / f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    run_dir.mkdir()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "load_average": {"start": load()},
        "open_file_limit": limit,
        "seed": args.seed,
        "plan": plan.__dict__,
        "databases": {},
        "ceilings": {"insert": {}, "broadcast": {}},
        "skipped": [],
    }
    samples: dict[str, list[float]] = {}
    progress(
        f"bench ({results['mode']}): databases {args.database}; load average "
        f"{results['load_average']['start']}; scratch {run_dir}"
    )
    started = time.monotonic()
    ok = False
    try:
        try:  # the event loop uvicorn runs the server on, when it is installed
            import uvloop  # noqa: PLC0415

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        runner(run(args, plan, run_dir, results, samples))
        ok = True
    except (KeyboardInterrupt, asyncio.CancelledError):
        progress("interrupted: every process it started is stopped, every database dropped")
        return 130
    finally:
        if ok and not args.keep_logs:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif not ok:
            progress(f"logs kept in {run_dir}")
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    results["load_average"]["end"] = load()
    results["bars"] = report.bars(results)
    # A quick or profiled run (the sampler takes CPU from the server) never replaces the
    # published results.
    publish = not args.quick and args.profile is None
    out = RESULTS if publish else SCRATCH / "quick"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    why = report.chart(results, samples, out / "chart.png")
    if why:
        progress(f"no chart: {why}")
    if publish:
        report.update_readme(ROOT / "bench" / "README.md", report.markdown(results))
    print()
    print(report.markdown(results))
    progress(f"done in {results['duration_seconds']:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
