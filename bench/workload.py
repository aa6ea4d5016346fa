"""What the benchmark sends: time-ordered ids, realistic match events, and the statistics
taken of what comes back. Pure functions, no I/O."""

from __future__ import annotations

import asyncio
import gc
import math
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

# --- ids ---------------------------------------------------------------------------------


class UUIDv7:
    """A generator of RFC 9562 version-7 UUIDs: 48 bits of Unix milliseconds, then a
    12-bit counter (``rand_a``) that keeps ids made within one millisecond increasing,
    then 62 random bits. Ids from one generator are strictly increasing."""

    def __init__(
        self,
        clock_ns: Callable[[], int] = time.time_ns,
        random_bits: Callable[[int], int] | None = None,
    ):
        self._clock_ns = clock_ns
        self._random_bits = random_bits or (lambda n: int.from_bytes(os.urandom(8)) >> (64 - n))
        self._last_ms = -1
        self._counter = 0

    def __call__(self) -> uuid.UUID:
        ms = self._clock_ns() // 1_000_000
        if ms <= self._last_ms:
            ms = self._last_ms
            self._counter += 1
            if self._counter > 0xFFF:
                ms, self._counter = ms + 1, 0
        else:
            self._counter = 0
        self._last_ms = ms
        value = (ms & 0xFFFF_FFFF_FFFF) << 80
        value |= 0x7 << 76
        value |= self._counter << 64
        value |= 0b10 << 62
        value |= self._random_bits(62)
        return uuid.UUID(int=value)


def uuid7_millis(value: uuid.UUID) -> int:
    """The Unix time in milliseconds that a version-7 UUID carries."""
    return value.int >> 80


# --- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) by linear interpolation between closest ranks,
    as numpy's default; NaN for no values."""
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """Count, p50, p90, p99 and max of durations given in seconds, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p90_ms": round(percentile(ms, 90), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else math.nan,
    }


# --- match events ------------------------------------------------------------------------

# Rough frequencies of what a touchline parent or coach taps in an under-12s match.
KIND_WEIGHTS: dict[str, int] = {
    "tackle": 18,
    "interception": 12,
    "key_pass": 12,
    "save": 10,
    "foul": 10,
    "free_kick": 8,
    "ball_out": 8,
    "goal": 5,
    "assist": 4,
    "substitution": 4,
    "yellow_card": 2,
    "penalty": 1,
    "own_goal": 1,
    "red_card": 1,
}
NOTES = ["great run down the left", "keeper off his line", "header from a corner", "nutmeg!"]
FIRST_NAMES = [
    "Sam", "Alex", "Jordan", "Charlie", "Riley", "Jamie", "Morgan", "Taylor", "Casey",
    "Robin", "Frankie", "Jess", "Max", "Ollie", "Ruby", "Noah",
]  # fmt: skip
SURNAMES = ["Smith", "Jones", "Patel", "Okafor", "Nowak", "Murphy", "Khan", "Evans"]
OPPONENTS = ["Rovers", "Athletic", "United", "Wanderers", "Albion", "Town", "Villa", "City"]


def players(
    count: int, rng: random.Random, make_id: Callable[[], uuid.UUID]
) -> list[dict[str, Any]]:
    """``add_player`` arguments (without ``team_id``) for a squad of ``count``."""
    return [
        {
            "id": str(make_id()),
            "squad_number": number,
            "display_name": rng.choice(FIRST_NAMES),
            "full_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        }
        for number in range(1, count + 1)
    ]


def play_event(
    match_id: uuid.UUID,
    squad: Sequence[uuid.UUID],
    minute: int,
    rng: random.Random,
    make_id: Callable[[], uuid.UUID],
    recorded_at: datetime,
    period_minutes: int = 45,
) -> dict[str, Any]:
    """``add_event`` arguments for one ordinary (non-marker) event at ``minute``."""
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    side = "opposition" if rng.random() < 0.3 and kind not in {"assist", "substitution"} else "team"
    period = 1 if minute < period_minutes else 2
    event: dict[str, Any] = {
        "id": str(make_id()),
        "match_id": str(match_id),
        "kind": kind,
        "side": side,
        "period": period,
        "minute": min(minute, 150),
        "stoppage": rng.choice([0, 0, 0, 0, 1, 2])
        if minute in {period_minutes, 2 * period_minutes}
        else 0,
        "recorded_at": recorded_at.isoformat().replace("+00:00", "Z"),
    }
    if side == "team":
        scorer, other = rng.sample(list(squad), 2)
        event["player_id"] = str(scorer)
        if kind == "substitution":
            event["replaced_player_id"] = str(other)
    if rng.random() < 0.08:
        event["note"] = rng.choice(NOTES)
    return event


def marker(
    match_id: uuid.UUID,
    kind: str,
    period: int,
    minute: int,
    make_id: Callable[[], uuid.UUID],
    recorded_at: datetime,
) -> dict[str, Any]:
    return {
        "id": str(make_id()),
        "match_id": str(match_id),
        "kind": kind,
        "side": "team",
        "period": period,
        "minute": minute,
        "recorded_at": recorded_at.isoformat().replace("+00:00", "Z"),
    }


def whole_match(
    match_id: uuid.UUID,
    squad: Sequence[uuid.UUID],
    total: int,
    rng: random.Random,
    make_id: Callable[[], uuid.UUID],
    kickoff: datetime,
    period_minutes: int = 45,
) -> list[dict[str, Any]]:
    """A whole two-half match of ``total`` events in order: kick-off, play, half-time,
    kick-off, play, full-time."""
    play = max(total - 4, 0)
    first, second = play // 2, play - play // 2
    at = kickoff
    events = [marker(match_id, "kick_off", 1, 0, make_id, at)]
    for i in range(first):
        minute = (i * period_minutes) // max(first, 1)
        events.append(
            play_event(match_id, squad, minute, rng, make_id, at + timedelta(minutes=minute))
        )
    events.append(
        marker(match_id, "half_time", 1, period_minutes, make_id, at + timedelta(minutes=45))
    )
    events.append(
        marker(match_id, "kick_off", 2, period_minutes, make_id, at + timedelta(minutes=60))
    )
    for i in range(second):
        minute = period_minutes + (i * period_minutes) // max(second, 1)
        events.append(
            play_event(match_id, squad, minute, rng, make_id, at + timedelta(minutes=15 + minute))
        )
    events.append(
        marker(match_id, "full_time", 2, 2 * period_minutes, make_id, at + timedelta(minutes=110))
    )
    return events[:total] if total < 4 else events


def steady_schedule(count: int, per_second: float, start: float) -> Iterator[float]:
    """The monotonic instants at which to send ``count`` pushes at a steady rate."""
    for i in range(count):
        yield start + i / per_second


@contextmanager
def measuring() -> Iterator[None]:
    """The harness's own cyclic garbage collector stays off while latencies are taken.

    A thousand viewers' connections and receipts are many objects, and a full collection
    of them pauses this process for tens of milliseconds: every receipt waiting in that
    pause would count against the server under test. Everything here is freed by
    reference counting; the collector runs once before and once after."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def paced(items: Sequence[T], per_second: float) -> AsyncIterator[T]:
    """Yield ``items`` at a steady rate, starting 0.2 s from now. A slow consumer delays
    the next item; missed instants are not made up in a burst."""
    start = time.monotonic() + 0.2
    for at, item in zip(steady_schedule(len(items), per_second, start), items, strict=True):
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield item


CATCH_UP_RUNS = 3
INGEST_RUNS = 3


async def median_run(runs: int, measure: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """``measure`` run ``runs`` times, one after another: the run with the median
    ``events_per_second``, with every run's rate beside it. One pull on a shared machine
    can land on a burst of someone else's work; every system gets the same number of
    tries."""
    results = [await measure() for _ in range(runs)]
    ranked = sorted(results, key=lambda r: r["events_per_second"])
    return ranked[len(ranked) // 2] | {
        "runs_events_per_second": [r["events_per_second"] for r in results]
    }


def kickoff_time(rng: random.Random) -> datetime:
    """A Saturday-morning kick-off."""
    base = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    return base + timedelta(minutes=15 * rng.randrange(0, 12))
