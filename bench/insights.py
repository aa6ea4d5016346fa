"""A season's stats and fairness against the 50 ms bar (issue 16).

One team with a squad of 14 plays 40 matches of 150 events each (two halves, substitutions,
cards, goals), every match with a lineup of 11 starters and 3 on the bench, all set up
through /sync as a coach's phone would. Then ``GET /api/teams/{id}/stats`` and
``GET /api/teams/{id}/fairness`` are asked for one after another, ``REQUESTS`` times each,
over one kept-alive connection; each time is from the request's first byte sent to the
answer's last byte read, so it holds the whole server side (the reads, the rules, the JSON)
and the loopback.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import touchline, workload
from bench.wire import Http

MATCHES = 40
EVENTS_PER_MATCH = 150
STARTERS = 11
REQUESTS = 200
WARM_UP = 10
BAR_MS = 50.0
FIRST_KICKOFF = datetime(2026, 8, 29, 9, 0, tzinfo=UTC)


def _season_mutations(
    team_id: str, squad: list[uuid.UUID], rng: random.Random, make_id: Callable[[], uuid.UUID]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Per match, in order: create it, set its lineup, then its 150 events."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for week in range(MATCHES):
        match_id = make_id()
        kickoff = FIRST_KICKOFF + timedelta(days=7 * week)
        out.append(
            (
                "create_match",
                [
                    {
                        "id": str(match_id),
                        "team_id": team_id,
                        "opponent": rng.choice(workload.OPPONENTS),
                        "kickoff_at": kickoff.isoformat().replace("+00:00", "Z"),
                    }
                ],
            )
        )
        order = rng.sample(squad, len(squad))
        slots = [
            {"player_id": str(p), "role": "starting" if i < STARTERS else "bench"}
            for i, p in enumerate(order)
        ]
        out.append(("set_lineup", [{"match_id": str(match_id), "players": slots}]))
        events = workload.whole_match(match_id, squad, EVENTS_PER_MATCH, rng, make_id, kickoff)
        out.append(("add_event", events))
    return out


async def _set_up(
    http: Http, rng: random.Random, make_id: Callable[[], uuid.UUID]
) -> tuple[str, str]:
    """The coach, their phone, the team and its season, a match a request; the team's id
    and the phone's token."""
    _, login = await touchline._coach(http, "season")
    device = await touchline._device(http, login, "season phone")
    team_id, players = await touchline._team_with_matches(http, login, device, [], rng, make_id)
    squad = [uuid.UUID(p["id"]) for p in players]
    mutations = _season_mutations(team_id, squad, rng, make_id)
    for match in range(0, len(mutations), 3):
        batch = [
            m for name, args in mutations[match : match + 3] for m in device.mutations(name, args)
        ]
        response = await http.json(
            "POST", "/sync", touchline.sync_body(device, batch, pull=False), token=device.token
        )
        refused = [r for r in response["results"] if r["verdict"] != "applied"]
        if refused:
            raise RuntimeError(f"season set-up refused: {refused[:3]}")
    return team_id, device.token


async def _timed(http: Http, path: str, token: str) -> dict[str, Any]:
    for _ in range(WARM_UP):
        await http.json("GET", path, token=token)
    seconds = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        status, _body = await http.raw("GET", path, token=token)
        seconds.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
    summary = workload.summary_ms(seconds)
    return summary | {"under_bar": summary["p99_ms"] < BAR_MS}


async def season(
    base_url: str, rng: random.Random, make_id: Callable[[], uuid.UUID], progress: Any
) -> dict[str, Any]:
    """Set up the season, then time the two routes; their summaries in milliseconds."""
    http = Http(base_url)
    try:
        progress(f"insights: setting up {MATCHES} matches x {EVENTS_PER_MATCH} events")
        team_id, token = await _set_up(http, rng, make_id)
        body = await http.json("GET", f"/api/teams/{team_id}/stats", token=token)
        progress(f"insights: timing stats and fairness, {REQUESTS} requests each")
        out: dict[str, Any] = {
            "matches": body["matches"],
            "events": MATCHES * EVENTS_PER_MATCH,
            "players": len(body["players"]),
            "bar_ms": BAR_MS,
        }
        out["stats"] = await _timed(http, f"/api/teams/{team_id}/stats", token)
        out["fairness"] = await _timed(http, f"/api/teams/{team_id}/fairness", token)
        return out
    finally:
        await http.close()
