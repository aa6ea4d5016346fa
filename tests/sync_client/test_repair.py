"""The reference client's repair step against real server processes: a database restored
from a backup gets back, from the phones, what it had acknowledged since, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from sync_client.client import SyncClient, SyncRefused
from tests.e2e.server import running_server, touchline
from tests.sync.clubs import (
    coach,
    from_replica,
    ground,
    live,
    match,
    new_id,
    phone,
    server_events,
    team,
)

pytestmark = pytest.mark.e2e
DATABASES = pytest.mark.parametrize("kind", ["sqlite", "postgresql"])


def _run(*args: str) -> str:
    result = touchline(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@DATABASES
def test_phones_that_pulled_and_phones_that_never_pulled_heal_a_restored_server(
    kind: str, tmp_path: Path
) -> None:
    backup = tmp_path / "before.backup"
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            login = coach(server, "sam@example.org")
            reader, pusher = (phone(server, login, name) for name in ("tablet", "phone"))
            team_id = team(server, reader.token, "Reds U10")
            match_id = match(server, reader.token, team_id, "Blues U10", kicked_off=True)
            tablet = SyncClient(tmp_path / "t.db", pitch.base_url, reader.token, reader.device_id)
            handset = SyncClient(tmp_path / "p.db", pitch.base_url, pusher.token, pusher.device_id)
            early = tablet.add_event(match_id, "goal", period=1, minute=3)
            tablet.sync_until_idle()
            saved = handset.add_event(match_id, "save", period=1, minute=5)
            handset.sync(pull=False)
            _run("db", "backup", str(backup), "--database-url", pitch.database_url)

            # Acknowledged after the backup: lost by the restore, held by the phones.
            late = tablet.add_event(match_id, "goal", period=1, minute=20)
            tablet.edit_event(late, minute=21, note="header")
            tablet.delete_event(early)
            tablet.sync_until_idle()
            foul = handset.add_event(match_id, "foul", period=1, minute=30)
            booked = handset.add_event(match_id, "yellow_card", period=1, minute=31)
            handset.delete_event(booked)
            handset.sync(pull=False)
            assert handset.events(match_id, include_pending=False)[-1]["id"] == foul
            before = server_events(server, reader.token, match_id)

        _run("db", "restore", str(backup), "--database-url", pitch.database_url)
        with pitch.server() as server:
            pushed = handset.sync(pull=False)
            pulled = tablet.sync_until_idle()
            handset.sync_until_idle()
            tablet.sync_until_idle()
            after = server_events(server, reader.token, match_id)
        told = _run("db", "repairs", "--database-url", pitch.database_url)
        counted = json.loads(_run("db", "repairs", "--json", "--database-url", pitch.database_url))

    # The handset never pulled: it learnt of the restore from its lower mutation count.
    assert (pushed.resets, pushed.repairs, pushed.restored) == ([], 1, 2)  # foul, booking
    assert (pulled.resets, pulled.repairs, pulled.restored) == (["generation_changed"], 1, 2)
    assert len({e["id"] for e in after}) == len(after) == 6
    assert live(after) == live(before)
    deleted = {e["id"] for e in after if e["deleted"]}
    assert deleted == {early, booked}
    assert {saved, late, foul} <= set(live(after))
    assert live(after)[late]["minute"] == 21
    for device in (tablet, handset):
        assert {e["id"]: from_replica(e) for e in device.events(match_id)} == live(after)
        device.close()
    assert told.strip() == "4 records repaired by 2 devices since the restore"
    assert sorted(counted["by_device"].values()) == [2, 2]


@DATABASES
def test_a_repair_the_server_refused_is_given_again_on_the_next_sync(
    kind: str, tmp_path: Path
) -> None:
    """A server that cannot take the repair (here: a body limit the records exceed) leaves
    the phone holding everything, and the next sync, to a server that can, repairs."""
    backup = tmp_path / "before.backup"
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            login = coach(server, "sam@example.org")
            device = phone(server, login, "tablet")
            team_id = team(server, device.token, "Reds U10")
            match_id = match(server, device.token, team_id, "Blues U10", kicked_off=True)
            tablet = SyncClient(tmp_path / "t.db", pitch.base_url, device.token, device.device_id)
            tablet.sync_until_idle()
            _run("db", "backup", str(backup), "--database-url", pitch.database_url)
            late = [tablet.add_event(match_id, "goal", period=1, minute=m) for m in (5, 9, 14)]
            tablet.sync_until_idle()
        _run("db", "restore", str(backup), "--database-url", pitch.database_url)

        small = {"TOUCHLINE_MAX_BODY_BYTES": "1024"}
        log = tmp_path / "small.log"
        with running_server(pitch.database_url, log, port=pitch.port, env=small):
            with pytest.raises(SyncRefused) as refused:
                tablet.sync()
            held = {e["id"] for e in tablet.events(match_id)}
            due = tablet.store.get("repairing")
        with pitch.server() as server:
            report = tablet.sync_until_idle()
            stored = server_events(server, device.token, match_id)

    assert refused.value.status == 413
    assert set(late) <= held and due == "1"
    assert (report.repairs, report.restored) == (1, 3)
    assert {e["id"] for e in stored} == held and len(stored) == 4
    assert tablet.store.get("repairing") is None
    tablet.close()


@DATABASES
def test_phones_repairing_one_match_at_once_store_each_record_once(
    kind: str, tmp_path: Path
) -> None:
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        login = coach(server, "sam@example.org")
        phones = [phone(server, login, f"phone {n}") for n in range(4)]
        team_id = team(server, phones[0].token, "Reds U10")
        match_id = match(server, phones[0].token, team_id, "Blues U10", kicked_off=True)
        records = [
            {
                "type": "event",
                "id": new_id(),
                "data": {"match_id": match_id, "kind": "goal", "period": 1, "minute": minute},
            }
            for minute in range(1, 41)
        ]
        answers: list[Any] = [None] * len(phones)
        start = threading.Barrier(len(phones))

        def give_back(n: int) -> None:
            body = {"protocol": 3, "device_id": phones[n].device_id, "records": records}
            start.wait()
            answers[n] = server.request("POST", "/sync/repair", body, phones[n].token)

        threads = [threading.Thread(target=give_back, args=(n,)) for n in range(len(phones))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stored = server_events(server, phones[0].token, match_id)

    assert [answer.status for answer in answers] == [200] * len(phones)
    assert sum(answer.body["restored"] for answer in answers) == len(records)
    goals = [e["id"] for e in stored if e["kind"] == "goal"]
    assert sorted(goals) == sorted(r["id"] for r in records)
