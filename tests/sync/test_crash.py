"""/sync when the server dies mid-request: real `touchline serve` processes, SIGKILLed at an
armed crash point (see backend/faults.py), then restarted on the same database.

Killed after the commit, the phone never hears its acknowledgement and sends the batch
again: every mutation is answered as a replay and stored once. Killed before the commit,
nothing of the batch exists and the resend applies all of it.
"""

from __future__ import annotations

import http.client
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sync_protocol import PROTOCOL_VERSION
from sync_protocol.records import full
from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline

pytestmark = pytest.mark.e2e

KINDS = ["sqlite", "postgresql"]


def _phone(server: Server) -> tuple[str, str, str]:
    """A coach with a registered phone and a match that has kicked off: (device token,
    device id, match id)."""
    device_id, token = server.phone(server.sign_up(name="Sam"))
    team = server.request("POST", "/api/teams", {"name": "Reds U10"}, token)
    match = server.request(
        "POST",
        "/api/matches",
        {"team_id": team.body["id"], "opponent": "Blues", "kickoff_at": "2026-11-21T10:00:00Z"},
        token,
    )
    assert match.status == 201, match.body
    whistle = {"id": str(uuid.uuid4()), "kind": "kick_off", "period": 1, "minute": 0}
    kicked_off = server.request("POST", f"/api/matches/{match.body['id']}/events", whistle, token)
    assert kicked_off.status == 201, kicked_off.body
    return token, device_id, match.body["id"]


def _batch(match_id: str, size: int) -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "name": "add_event",
            "args": {
                "id": str(uuid.uuid4()),
                "match_id": match_id,
                "kind": "tackle",
                "period": 1,
                "minute": n % 90,
            },
        }
        for n in range(1, size + 1)
    ]


def _sync(server: Server, token: str, device_id: str, batch: list[dict[str, Any]]) -> Any:
    body = {"protocol": PROTOCOL_VERSION, "device_id": device_id, "mutations": batch}
    return server.request("POST", "/sync", body, token)


def _push_into_crash(
    server: Server, token: str, device_id: str, batch: list[dict[str, Any]]
) -> None:
    """Send the batch to a server armed to die on it: no answer ever comes back."""
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        _sync(server, token, device_id, batch)
    assert server.process.wait(timeout=10) == -signal.SIGKILL, server.log()


def _event_ids(server: Server, token: str, match_id: str) -> list[str]:
    page = server.request(
        "GET", f"/api/matches/{match_id}/events?include_deleted=true&limit=1000", token=token
    )
    assert page.status == 200, page.body
    return [event["id"] for event in page.body["items"] if event["kind"] != "kick_off"]


def _last_mutation_id(server: Server, token: str, device_id: str) -> int:
    status = server.request("GET", f"/api/devices/{device_id}/sync", token=token)
    assert status.status == 200, status.body
    last: int = status.body["last_mutation_id"]
    return last


def _upgrade(database_url: str) -> None:
    result = touchline("db", "upgrade", "--database-url", database_url)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_lost_acknowledgement_is_answered_again_and_nothing_stored_twice(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as database_url:
        _upgrade(database_url)
        armed = {"TOUCHLINE_CRASH_AT": "sync.after_commit"}
        with running_server(database_url, tmp_path / "armed.log", env=armed) as server:
            token, device_id, match_id = _phone(server)
            batch = _batch(match_id, 5)
            _push_into_crash(server, token, device_id, batch)

        with running_server(database_url, tmp_path / "restarted.log") as server:
            logged = sorted(m["args"]["id"] for m in batch)
            assert sorted(_event_ids(server, token, match_id)) == logged  # it did commit
            retry = _sync(server, token, device_id, batch)
            assert retry.status == 200, retry.body
            assert retry.body["last_mutation_id"] == 5
            assert retry.body["gap"] is None
            assert [(r["id"], r["verdict"], r["replayed"]) for r in retry.body["results"]] == [
                (n, "applied", True) for n in range(1, 6)
            ]
            assert sorted(_event_ids(server, token, match_id)) == logged
            pulled = [
                change["id"]
                for change in map(full, retry.body["changes"])
                if change["type"] == "event" and change["data"]["kind"] != "kick_off"
            ]
            assert sorted(pulled) == logged


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_killed_before_its_commit_leaves_nothing_and_the_resend_applies_it_all(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as database_url:
        _upgrade(database_url)
        armed = {"TOUCHLINE_CRASH_AT": "sync.before_commit"}
        with running_server(database_url, tmp_path / "armed.log", env=armed) as server:
            token, device_id, match_id = _phone(server)
            batch = _batch(match_id, 50)
            _push_into_crash(server, token, device_id, batch)

        with running_server(database_url, tmp_path / "restarted.log") as server:
            assert _event_ids(server, token, match_id) == []
            assert _last_mutation_id(server, token, device_id) == 0
            retry = _sync(server, token, device_id, batch)
            assert retry.status == 200, retry.body
            assert retry.body["last_mutation_id"] == 50
            assert [(r["id"], r["verdict"]) for r in retry.body["results"]] == [
                (n, "applied") for n in range(1, 51)
            ]
            assert not any(r.get("replayed") for r in retry.body["results"])
            logged = sorted(m["args"]["id"] for m in batch)
            assert sorted(_event_ids(server, token, match_id)) == logged
            assert _last_mutation_id(server, token, device_id) == 50


GROUP = 4


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("point", ["sync.before_commit", "sync.after_commit"])
def test_a_group_of_devices_killed_at_its_commit_is_stored_exactly_once_on_retry(
    kind: str, point: str, tmp_path: Path
) -> None:
    """Four phones push at once into one group commit (the server holds the first group
    until all four are queued) and the server dies at the crash point. Nobody was
    answered; each phone resends its batch: before the commit nothing of the group exists
    and every mutation is applied now, after it every mutation is a replay; either way
    each event is stored exactly once."""
    with fresh_database(kind, tmp_path) as database_url:
        _upgrade(database_url)
        armed = {"TOUCHLINE_CRASH_AT": point, "TOUCHLINE_GROUP_AT_LEAST": str(GROUP)}
        with running_server(database_url, tmp_path / "armed.log", env=armed) as server:
            phones = [_phone(server) for _ in range(GROUP)]
            batches = [_batch(match_id, 20) for _, _, match_id in phones]
            pushes = [(t, d, b) for (t, d, _), b in zip(phones, batches, strict=True)]
            with ThreadPoolExecutor(GROUP) as pool:
                answered = list(pool.map(lambda push: _answered(server, *push), pushes))
            assert answered == [False] * GROUP
            assert server.process.wait(timeout=10) == -signal.SIGKILL, server.log()

        committed = point == "sync.after_commit"
        with running_server(database_url, tmp_path / "restarted.log") as server:
            for (token, device_id, match_id), batch in zip(phones, batches, strict=True):
                logged = sorted(m["args"]["id"] for m in batch)
                stored = sorted(_event_ids(server, token, match_id))
                assert stored == (logged if committed else [])
                assert _last_mutation_id(server, token, device_id) == (20 if committed else 0)
                retry = _sync(server, token, device_id, batch)
                assert retry.status == 200, retry.body
                assert [
                    (r["id"], r["verdict"], r.get("replayed", False)) for r in retry.body["results"]
                ] == [(n, "applied", committed) for n in range(1, 21)]
                assert sorted(_event_ids(server, token, match_id)) == logged
                assert _last_mutation_id(server, token, device_id) == 20


def _answered(server: Server, token: str, device_id: str, batch: list[dict[str, Any]]) -> bool:
    """False if the push got no answer: the server died holding it."""
    try:
        _sync(server, token, device_id, batch)
    except (ConnectionError, http.client.HTTPException, OSError):
        return False
    return True
