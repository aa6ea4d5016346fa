"""The pitch-side simulation: a Saturday morning of phones that lose signal.

Twenty phones and tablets of ten coaches (two coaches to a team) log several matches
through the reference client against a real server process. A seeded random schedule
takes devices offline and online, queues goals, cards, substitutions and period markers,
has two coaches edit and delete the same events, pushes in random-sized pieces, pulls in
random-sized pages, restarts client objects, and stops and restarts the server half-way.
At the end every device syncs until idle, and then every device shows exactly the
server's state and the server holds every logged event exactly once.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sync_client.client import ServerUnavailable, SyncClient
from tests.e2e.server import Server
from tests.sync.clubs import (
    Ground,
    coach,
    from_replica,
    ground,
    live,
    match,
    new_id,
    ok,
    phone,
    player,
    server_events,
    team,
)

pytestmark = pytest.mark.e2e

SEED = 20261121
TEAMS = 5
MATCHES_PER_TEAM = 2
STEPS_PER_HALF = 350
ORDINARY = ["goal", "goal", "own_goal", "save", "tackle", "foul", "yellow_card", "red_card"]


@dataclass
class Device:
    name: str
    path: Path
    team: int
    client: SyncClient
    online: bool = True
    queued_adds: list[str] = field(default_factory=list)


@dataclass
class Club:
    tokens: list[str]
    matches: list[list[str]]
    players: list[list[str]]


def _next_marker(status: str, period: int, periods: int) -> tuple[str, int] | None:
    """The period marker a coach would tap next, judging by the match as last pulled."""
    if status == "scheduled":
        return "kick_off", 1
    if status == "live":
        return ("full_time" if period == periods else "half_time"), period
    if status == "interval":
        return "kick_off", period + 1
    return None


def _log_event(rng: random.Random, device: Device, club: Club) -> None:
    kind = rng.choice([*ORDINARY, "substitution"])
    side = "opposition" if kind != "substitution" and rng.random() < 0.3 else "team"
    on, off = rng.sample(club.players[device.team], 2)
    event_id = device.client.add_event(
        rng.choice(club.matches[device.team]),
        kind,
        period=rng.randint(1, 2),
        minute=rng.randint(0, 50),
        side=side,
        player_id=on if side == "team" else None,
        replaced_player_id=off if kind == "substitution" else None,
    )
    device.queued_adds.append(event_id)


def _step(rng: random.Random, device: Device, club: Club, ground: Ground) -> None:
    client = device.client
    match_id = rng.choice(club.matches[device.team])
    players = club.players[device.team]
    roll = rng.random()
    if roll < 0.12:
        device.online = not device.online
    elif roll < 0.40:
        if not device.online:
            return
        client.push_limit = rng.randint(1, 12)
        client.max_changes = rng.choice([1, 2, 3, 5, 8, 20, 100])
        client.max_round_trips = rng.randint(1, 4)
        client.sync()
    elif roll < 0.68:
        _log_event(rng, device, club)
    elif roll < 0.78:
        # The whistle is blown mostly in the team's first match, so some matches finish.
        match_id = club.matches[device.team][0] if rng.random() < 0.8 else match_id
        state = client.match(match_id)
        assert state is not None
        marker = _next_marker(state["status"], state["current_period"], state["periods"])
        if marker is not None:
            kind, period = marker
            device.queued_adds.append(
                client.add_event(match_id, kind, period=period, minute=45 * (period - 1))
            )
    elif roll < 0.86:
        targets = [e for e in client.events(match_id) if e["kind"] in ORDINARY]
        if targets:
            target = rng.choice(targets)
            client.edit_event(
                target["id"], minute=rng.randint(0, 50), note=rng.choice([None, "great finish"])
            )
    elif roll < 0.92:
        events = client.events(match_id)
        # Mostly ordinary events; now and then a period marker, of which only the latest
        # may be removed (an undo), so some of these are refused.
        targets = events if rng.random() < 0.1 else [e for e in events if e["kind"] in ORDINARY]
        if targets:
            client.delete_event(rng.choice(targets)["id"])
    elif roll < 0.94:
        chosen = rng.sample(players, 4)
        slots = [
            {"player_id": p, "role": "starting" if i < 3 else "bench"} for i, p in enumerate(chosen)
        ]
        client.set_lineup(match_id, slots)
    elif roll < 0.96:
        # A player id this team never had: rejected, and the queue moves on.
        device.queued_adds.append(
            client.add_event(match_id, "goal", period=1, minute=1, player_id=new_id())
        )
    else:
        # The phone was switched off and on: a new client on the same file.
        client.close()
        device.client = SyncClient(device.path, ground.base_url)


def _build_club(server: Server, tmp_path: Path, ground: Ground) -> tuple[Club, list[Device]]:
    club = Club([], [], [])
    devices: list[Device] = []
    for number in range(TEAMS):
        owner, second = f"coach{number}a@example.org", f"coach{number}b@example.org"
        logins = [coach(server, owner), coach(server, second)]
        phones = [phone(server, login, kind) for login in logins for kind in ("phone", "tablet")]
        token = phones[0].token
        team_id = team(server, token, f"Team {number} U11", coaches=[logins[1]])
        club.tokens.append(token)
        club.players.append([player(server, token, team_id, n) for n in range(1, 9)])
        club.matches.append(
            [match(server, token, team_id, f"Rivals {n}") for n in range(MATCHES_PER_TEAM)]
        )
        for index, device in enumerate(phones):
            path = tmp_path / f"team{number}-device{index}.db"
            client = SyncClient(path, ground.base_url, device.token, device.device_id)
            client.sync()
            devices.append(Device(path.stem, path, number, client))
            if index == 0:
                # The team's first phone kicks every match off: only then do they take events.
                for match_id in club.matches[-1]:
                    kick_off = client.add_event(match_id, "kick_off", period=1, minute=0)
                    devices[-1].queued_adds.append(kick_off)
                client.sync()
    return club, devices


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_every_device_ends_with_the_servers_state(kind: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            club, devices = _build_club(server, tmp_path, pitch)
            for _ in range(STEPS_PER_HALF):
                _step(rng, rng.choice(devices), club, pitch)

        # The server is down: phones keep logging, and those that try to sync give up.
        for device in rng.sample(devices, 6):
            _log_event(rng, device, club)
            device.client.retries, device.client.backoff_base = 1, 0.01
            with pytest.raises(ServerUnavailable):
                device.client.sync()
            device.client.retries, device.client.backoff_base = 6, 0.2

        with pitch.server() as server:
            for _ in range(STEPS_PER_HALF):
                _step(rng, rng.choice(devices), club, pitch)
            for device in devices:
                device.client.push_limit = 100
                device.client.max_changes = 500
                device.client.max_round_trips = 20
                assert device.client.sync_until_idle().idle, device.name
            # A second pass brings everyone the pushes of devices that synced after them.
            finals = [device.client.sync_until_idle() for device in devices]
            truth = _server_state(server, club)

    assert all(report.idle and report.applied == 0 for report in finals)
    for device in devices:
        assert device.client.pending() == [], device.name
        for match_id in club.matches[device.team]:
            _assert_shows(device, match_id, truth[match_id])

    on_server = Counter(e["id"] for state in truth.values() for e in state["events"])
    assert set(on_server.values()) == {1}, "an event is stored twice"
    refused = Counter(problem.code for device in devices for problem in device.client.problems())
    refused_adds = {
        problem.args["id"]
        for device in devices
        for problem in device.client.problems()
        if problem.name == "add_event"
    }
    logged = {event_id for device in devices for event_id in device.queued_adds}
    assert set(on_server) == logged - refused_adds
    assert refused_adds < logged
    # The schedule produced every kind of disagreement the protocol has to settle.
    assert refused["transition_refused"] > 0
    assert refused["unknown_player"] > 0
    assert refused["event_deleted"] > 0
    assert any(truth[m]["match"]["status"] == "finished" for ms in club.matches for m in ms)


def _server_state(server: Server, club: Club) -> dict[str, dict[str, Any]]:
    state = {}
    for token, match_ids in zip(club.tokens, club.matches, strict=True):
        for match_id in match_ids:
            state[match_id] = {
                "events": server_events(server, token, match_id),
                "match": ok(server, "GET", f"/api/matches/{match_id}", token=token)["match"],
                "lineup": ok(server, "GET", f"/api/matches/{match_id}/lineup", token=token),
            }
    return state


def _assert_shows(device: Device, match_id: str, truth: dict[str, Any]) -> None:
    client = device.client
    replica = {e["id"]: from_replica(e) for e in client.events(match_id, include_pending=False)}
    assert replica == live(truth["events"]), (device.name, match_id)
    shown = client.match(match_id)
    assert shown is not None
    expected = truth["match"]
    assert (shown["status"], shown["current_period"]) == (
        expected["status"],
        expected["current_period"],
    ), (device.name, match_id)
    score = client.score(match_id)
    assert (score.team, score.opposition) == (
        expected["score"]["team"],
        expected["score"]["opposition"],
    )
    lineup = client.lineup(match_id)
    players = [
        {"player_id": slot["player"]["id"], "role": slot["role"], "position": slot["position"]}
        for slot in truth["lineup"]["players"]
    ]
    shown_players = lineup["players"] if lineup is not None else []
    assert sorted(shown_players, key=str) == sorted(players, key=str), (device.name, match_id)
