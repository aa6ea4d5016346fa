"""The reference client against a real server process: offline queueing, restarts of the
client and the server, backoff, rejections and resets, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from sync_client.client import ServerUnavailable, SyncClient
from sync_protocol.match import PERIOD_MARKERS, Score
from tests.e2e.server import Server
from tests.sync.clubs import (
    Ground,
    Phone,
    coach,
    from_replica,
    ground,
    live,
    match,
    new_id,
    phone,
    player,
    server_events,
    team,
)

pytestmark = pytest.mark.e2e
DATABASES = pytest.mark.parametrize("kind", ["sqlite", "postgresql"])


@DATABASES
def test_a_match_logged_offline_is_applied_once_after_a_restart(kind: str, tmp_path: Path) -> None:
    outbox = tmp_path / "phone.db"
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            login = coach(server, "sam@example.org")
            device = phone(server, login, "Sam's phone")
            team_id = team(server, device.token, "Reds U10")
            alex, jo = (player(server, device.token, team_id, n) for n in (9, 7))
            match_id = match(server, device.token, team_id, "Blues U10")
            first = SyncClient(outbox, pitch.base_url, device.token, device.device_id)
            first.sync()
            assert first.match(match_id) is not None

        # The server is down: everything below is queued on the phone only.
        kick_off = first.add_event(match_id, "kick_off", period=1, minute=0)
        goal = first.add_event(match_id, "goal", period=1, minute=4, player_id=alex)
        first.add_event(match_id, "goal", period=1, minute=9, side="opposition")
        booked = first.add_event(match_id, "yellow_card", period=1, minute=12, player_id=jo)
        first.add_event(
            match_id, "substitution", period=1, minute=20, player_id=jo, replaced_player_id=alex
        )
        first.edit_event(goal, minute=5, note="top corner")
        first.delete_event(booked)
        refused = first.add_event(match_id, "goal", period=1, minute=30, player_id=new_id())
        offline = SyncClient(outbox, pitch.base_url, retries=1, sleep=lambda _: None)
        with pytest.raises(ServerUnavailable):
            offline.sync()
        offline.close()
        # The phone shows what was tapped, the refused goal too until the server says no.
        assert first.score(match_id) == Score(team=2, opposition=1)
        first.close()

        with pitch.server() as server:
            # A new client object on the same file: a phone that was switched off.
            again = SyncClient(outbox, pitch.base_url)
            report = again.sync_until_idle()
            on_server = server_events(server, device.token, match_id)
            repeat = again.sync_until_idle()
            detail = server.request("GET", f"/api/matches/{match_id}", token=device.token)

    assert report.idle and again.pending() == []
    assert report.applied == 8 - 1
    ids = [e["id"] for e in on_server]
    assert len(ids) == len(set(ids)) == 5
    assert refused not in ids
    replica = {e["id"]: from_replica(e) for e in again.events(match_id)}
    assert replica == live(on_server)
    assert replica[goal]["minute"] == 5 and replica[goal]["note"] == "top corner"
    assert booked not in replica and kick_off in replica
    assert again.score(match_id) == Score(team=1, opposition=1)
    assert detail.body["match"]["score"]["team"] == 1
    assert again.match(match_id)["status"] == detail.body["match"]["status"] == "live"  # type: ignore[index]
    [problem] = again.problems()
    assert (problem.name, problem.verdict, problem.code) == (
        "add_event",
        "rejected",
        "unknown_player",
    )
    assert problem.args["id"] == refused
    assert repeat.applied == 0 and repeat.problems == [] and repeat.round_trips == 1


@DATABASES
def test_backoff_is_bounded_and_a_server_that_returns_gets_the_queue(
    kind: str, tmp_path: Path
) -> None:
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            device = phone(server, coach(server, "kim@example.org"), "Kim's phone")
            team_id = team(server, device.token, "Greens U12")
            match_id = match(server, device.token, team_id, "Golds U12", kicked_off=True)

        waits: list[float] = []
        client = SyncClient(
            tmp_path / "phone.db",
            pitch.base_url,
            device.token,
            device.device_id,
            retries=4,
            backoff_base=0.5,
            backoff_cap=3.0,
            sleep=waits.append,
            rng=random.Random(7),
        )
        goal = client.add_event(match_id, "goal", period=1, minute=3)
        with pytest.raises(ServerUnavailable):
            client.sync()
        given_up_after = list(waits)

        started: list[Server] = []
        with ExitStack() as stack:

            def wait_then_come_back(seconds: float) -> None:
                waits.append(seconds)
                if len(waits) == len(given_up_after) + 2:
                    started.append(stack.enter_context(pitch.server()))

            client._sleep = wait_then_come_back
            report = client.sync()
            [on_server] = [
                e for e in server_events(started[0], device.token, match_id) if e["kind"] == "goal"
            ]

    # Ceilings 0.5, 1, 2, 3 (capped); "equal jitter" waits between half and all of each.
    assert len(given_up_after) == 4
    for wait, ceiling in zip(given_up_after, [0.5, 1.0, 2.0, 3.0], strict=True):
        assert ceiling / 2 <= wait <= ceiling
    assert len(waits) == len(given_up_after) + 2
    assert report.idle and report.applied == 1
    assert on_server["id"] == goal and client.pending() == []


@DATABASES
def test_resets_rebuild_the_replica_and_keep_the_outbox(kind: str, tmp_path: Path) -> None:
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        client, current, match_id, earlier = _remembering_another_device(
            pitch, server, tmp_path, saves=2
        )
        queued = [client.add_event(match_id, "tackle", period=1, minute=m) for m in (3, 4, 5)]
        renumbered = client.sync()
        client.store.put("cursor", "a cursor this server never signed")
        rebuilt = client.sync()
        on_server = server_events(server, current.token, match_id)

    assert "unknown_device" in renumbered.resets and renumbered.idle
    assert client.device_id == current.device_id
    assert renumbered.applied == 3 and client.pending() == []
    assert [e["id"] for e in on_server if e["kind"] != "kick_off"] == earlier + queued
    assert rebuilt.resets == ["invalid_cursor"] and rebuilt.idle
    assert {e["id"]: from_replica(e) for e in client.events(match_id)} == live(on_server)
    assert client.cursor is not None and client.problems() == []


@DATABASES
def test_unknown_device_drops_nothing_even_when_every_queued_id_is_already_counted(
    kind: str, tmp_path: Path
) -> None:
    # SPEC "Handling a response": on unknown_device, last_mutation_id counts the token's
    # device, so dropping the entries it covers would lose all of these taps.
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        client, current, match_id, earlier = _remembering_another_device(
            pitch, server, tmp_path, saves=5, push_limit=2, max_changes=2
        )
        queued = [client.add_event(match_id, "tackle", period=1, minute=m) for m in (10, 11, 12)]
        report = client.sync()
        on_server = server_events(server, current.token, match_id)

    assert report.resets[0] == "unknown_device" and report.idle
    assert [e["id"] for e in on_server if e["kind"] not in PERIOD_MARKERS] == earlier + queued
    assert client.pending() == [] and client.problems() == []
    assert client.store.get("acknowledged_id") == str(len(earlier) + len(queued))
    assert {e["id"]: from_replica(e) for e in client.events(match_id)} == live(on_server)


def _remembering_another_device(
    pitch: Ground, server: Server, tmp_path: Path, saves: int, **options: Any
) -> tuple[SyncClient, Phone, str, list[str]]:
    """A coach's new phone syncs ``saves`` saves of a match from a store of its own; then a
    store that remembers the old phone's id is opened with the new phone's token. Its
    mutation ids count for the old phone, so the server will push nothing from it and name
    the token's device. Returns that store's client, the new phone, the match and the saves.
    """
    login = coach(server, "lee@example.org")
    old, current = phone(server, login, "old phone"), phone(server, login, "new phone")
    team_id = team(server, current.token, "Blues U9")
    match_id = match(server, current.token, team_id, "Whites U9", kicked_off=True)
    elsewhere = SyncClient(tmp_path / "other.db", pitch.base_url, current.token, current.device_id)
    earlier = [elsewhere.add_event(match_id, "save", period=1, minute=m) for m in range(saves)]
    elsewhere.sync()
    elsewhere.close()
    client = SyncClient(
        tmp_path / "phone.db", pitch.base_url, current.token, old.device_id, **options
    )
    return client, current, match_id, earlier
