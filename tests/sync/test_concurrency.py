"""The pull cursor never passes a change committed later: phones push events into one match
(and others) at the same time as other phones pull, through a real server process.

Every writer's batch starts with an ``update_match`` followed by its events, so the
batch's first event takes the sequence number right after the match's own change. A
reader that has pulled to the end and holds that event must therefore hold the match at
that version or a later one; a pull that read the match and its events at different
moments would leave it behind for good. At the end every reader has every event exactly
once and the matches as the server has them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sync_protocol import PROTOCOL_VERSION
from sync_protocol.records import full
from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline

pytestmark = pytest.mark.e2e

PASSWORD = "a long pitch-side passphrase"
WRITERS = 4
READERS = 3
BATCHES = 24
EVENTS_PER_BATCH = 8
MATCHES = 3
PAGE_SIZES = [7, 50, 500]
JOIN_SECONDS = 60
SERVER_ENV = {
    # Readers pull as fast as they can; the limit would only slow them down.
    "TOUCHLINE_RATE_PER_SECOND": "1000000",
    "TOUCHLINE_RATE_BURST": "1000000",
    "TOUCHLINE_DB_POOL_SIZE": "20",
}


@dataclass
class Reader:
    token: str
    device_id: str
    cursor: str | None = None
    received: Counter[str] = field(default_factory=Counter)
    events: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Each event received: its match and sequence number."""
    matches: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_seq: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Per space, the sequence number and type of the last change received."""
    problems: list[str] = field(default_factory=list)


def _device(server: Server, login: str) -> tuple[str, str]:
    device = server.request("POST", "/api/devices", {"name": "phone"}, login)
    assert device.status == 201, device.body
    return device.body["token"], device.body["id"]


def _sync(server: Server, token: str, device_id: str, **fields: Any) -> dict[str, Any]:
    body = {"protocol": PROTOCOL_VERSION, "device_id": device_id} | fields
    response = server.request("POST", "/sync", body, token)
    assert response.status == 200, response.body
    answer: dict[str, Any] = response.body
    return answer


def _write(
    server: Server, phone: tuple[str, str], number: int, match_ids: list[str], paired: set[str]
) -> None:
    next_id = 1
    for batch_number in range(BATCHES):
        # Every other batch goes to the first match, which all writers share.
        match_id = match_ids[0 if batch_number % 2 else 1 + (number + batch_number) % 2]
        update = {"match_id": match_id, "opponent": f"w{number} b{batch_number}"}
        mutations = [{"id": next_id, "name": "update_match", "args": update}]
        for n in range(EVENTS_PER_BATCH):
            event = {
                "id": str(uuid.uuid4()),
                "match_id": match_id,
                "kind": "tackle",
                "period": 1,
                "minute": n,
            }
            mutations.append({"id": next_id + 1 + n, "name": "add_event", "args": event})
        paired.add(mutations[1]["args"]["id"])
        answer = _sync(server, *phone, mutations=mutations, pull=False)
        next_id += len(mutations)
        assert answer["last_mutation_id"] == next_id - 1, answer
        assert all(r["verdict"] == "applied" for r in answer["results"]), answer


def _pull(server: Server, reader: Reader, page_size: int, paired: set[str]) -> bool:
    """One pull, checked; returns has_more."""
    answer = _sync(
        server, reader.token, reader.device_id, cursor=reader.cursor, max_changes=page_size
    )
    assert answer["reset"] is None, answer["reset"]
    reader.cursor = answer["cursor"]
    for change in map(full, answer["changes"]):
        space, seq = change["space"], change["seq"]
        if change["type"] == "team":
            continue
        # A period marker and its match's row share the marker's seq, so a match row and
        # an event may come at one seq; two changes of one type never.
        last, last_type = reader.last_seq.get(space, (0, ""))
        if seq < last or (seq == last and change["type"] == last_type):
            reader.problems.append(f"seq {seq} of {space} came after {last}")
        reader.last_seq[space] = (seq, change["type"])
        if change["type"] == "event":
            reader.received[change["id"]] += 1
            reader.events[change["id"]] = (space, seq)
        elif change["type"] == "match":
            reader.matches[space] = change["data"] | {"seq": seq}
    if not answer["has_more"]:
        # Pulled to the end of one snapshot: the match change that came just before a
        # batch's first event (or a later one) must be here too.
        for event_id in paired & reader.events.keys():
            space, seq = reader.events[event_id]
            match_seq = reader.matches.get(space, {}).get("seq", 0)
            if match_seq < seq - 1:
                reader.problems.append(
                    f"holds event {event_id} (seq {seq}) but its match at seq {match_seq}"
                )
    more: bool = answer["has_more"]
    return more


def _read(server: Server, reader: Reader, writers_done: threading.Event, paired: set[str]) -> None:
    turn = 0
    while not writers_done.is_set():
        _pull(server, reader, PAGE_SIZES[turn % len(PAGE_SIZES)], paired)
        turn += 1
    while _pull(server, reader, PAGE_SIZES[turn % len(PAGE_SIZES)], paired):
        turn += 1


def _in_thread(target: Any, *args: Any) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            target(*args)
        except BaseException as failure:  # reported by the test thread
            failures.append(failure)

    return threading.Thread(target=run), failures


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_readers_pulling_during_concurrent_pushes_receive_every_change_once(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as database_url:
        result = touchline("db", "upgrade", "--database-url", database_url)
        assert result.returncode == 0, result.stderr
        with running_server(database_url, tmp_path / "server.log", env=SERVER_ENV) as server:
            email = "sam.walker@example.org"
            account = {"email": email, "password": PASSWORD, "display_name": "Sam"}
            assert server.request("POST", "/api/accounts", account).status == 201
            credentials = {"email": email, "password": PASSWORD}
            login = server.request("POST", "/api/auth/login", credentials).body["access_token"]
            team = server.request("POST", "/api/teams", {"name": "Reds U10"}, login).body["id"]
            match_ids = []
            for n in range(MATCHES):
                fields = {
                    "team_id": team,
                    "opponent": f"Blues {n}",
                    "kickoff_at": "2026-11-21T10:00:00Z",
                }
                match = server.request("POST", "/api/matches", fields, login)
                assert match.status == 201, match.body
                match_ids.append(match.body["id"])
                whistle = {"id": str(uuid.uuid4()), "kind": "kick_off", "period": 1, "minute": 0}
                path = f"/api/matches/{match.body['id']}/events"
                assert server.request("POST", path, whistle, login).status == 201
            readers = [Reader(*_device(server, login)) for _ in range(READERS)]
            paired: set[str] = set()
            writers_done = threading.Event()

            writers = [
                _in_thread(_write, server, _device(server, login), n, match_ids, paired)
                for n in range(WRITERS)
            ]
            pullers = [_in_thread(_read, server, r, writers_done, paired) for r in readers]
            for thread, _ in pullers + writers:
                thread.start()
            for thread, _ in writers:
                thread.join(JOIN_SECONDS)
            writers_done.set()
            for thread, _ in pullers:
                thread.join(JOIN_SECONDS)
            for thread, failures in writers + pullers:
                assert not thread.is_alive(), "a thread did not finish in time"
                assert not failures, failures

            written = set()
            for match_id in match_ids:
                page = server.request(
                    "GET", f"/api/matches/{match_id}/events?limit=1000", token=login
                )
                written |= {e["id"] for e in page.body["items"]}
            # Every event written, and each match's kick-off.
            assert len(written) == WRITERS * BATCHES * EVENTS_PER_BATCH + MATCHES
            final = {
                m: server.request("GET", f"/api/matches/{m}", token=login).body for m in match_ids
            }
            for reader in readers:
                assert reader.problems == []
                assert set(reader.received) == written  # none missed
                assert set(reader.received.values()) == {1}  # none twice
                assert {m: d["opponent"] for m, d in reader.matches.items()} == {
                    m: final[m]["match"]["opponent"] for m in match_ids
                }
