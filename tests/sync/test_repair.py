"""The repair step (``POST /sync/repair``): records a device gives back after the server's
database went back in time are applied by id, through the rules of any mutation."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from sync_protocol import PROTOCOL_VERSION
from sync_protocol.repair_order import MAX_REPAIR_RECORDS
from tests import factories
from tests.sync import Phone, events

KICKOFF = "2026-11-21T10:00:00Z"


def _repair(phone: Phone, records: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"protocol": PROTOCOL_VERSION, "device_id": phone.device_id, "records": records}
    response = phone.client.post("/sync/repair", json=body, headers=phone.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _outcomes(answer: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in answer["results"]}


def _event(
    match_id: str, kind: str, minute: int, *, deleted: bool = False, **fields: Any
) -> dict[str, Any]:
    event_id = str(uuid.uuid4())
    data = {"id": event_id, "match_id": match_id, "kind": kind, "side": "team", "period": 1}
    data |= {"minute": minute, "stoppage": 0, "note": None, "recorded_at": None} | fields
    return {"type": "event", "id": event_id, "deleted": deleted, "data": data}


def _lost_match(team_id: str, player_id: str) -> list[dict[str, Any]]:
    """A match, its lineup and events, as a phone holds them: a server never saw them.
    Given out of order: the server applies them in repair order."""
    match_id = str(uuid.uuid4())
    match = {"id": match_id, "team_id": team_id, "opponent": "Blues", "kickoff_at": KICKOFF}
    match |= {"is_home": True, "periods": 2, "period_minutes": 45, "status": "finished"}
    slots = [{"player_id": player_id, "role": "starting", "position": None}]
    return [
        _event(match_id, "goal", 12, player_id=player_id),
        _event(match_id, "full_time", 45, period=1),
        _event(match_id, "kick_off", 0),
        _event(match_id, "corner", 30, deleted=True),
        {"type": "lineup", "id": match_id, "data": {"match_id": match_id, "players": slots}},
        {"type": "match", "id": match_id, "data": match},
    ]


def test_records_the_server_lost_are_restored_once_and_phones_converge(
    client: TestClient,
) -> None:
    first = Phone(client)
    team_id = factories.team(client, first.headers)
    second = Phone(client, factories.coach(client, email="second@example.org"))
    factories.join(client, first.headers, team_id, second.headers)
    player_id = str(uuid.uuid4())
    lost_player = {"id": player_id, "team_id": team_id, "display_name": "Alex"}
    records = [{"type": "player", "id": player_id, "data": lost_player}]
    records += _lost_match(team_id, player_id)
    match_id = records[-1]["id"]

    restored = _repair(first, records)
    again = _repair(second, list(reversed(records)))

    assert restored["restored"] == len(records) == 7
    assert set(_outcomes(restored).values()) == {"restored"}
    assert again["restored"] == 0
    assert set(_outcomes(again).values()) == {"known"}
    held = events(client, first.headers, match_id)
    assert [(e["kind"], e["deleted"]) for e in held] == [
        ("kick_off", False),
        ("goal", False),
        ("full_time", False),
        ("corner", True),
    ]
    detail = client.get(f"/api/matches/{match_id}", headers=first.headers).json()
    assert (detail["match"]["status"], detail["match"]["score"]["team"]) == ("finished", 1)
    lineup = client.get(f"/api/matches/{match_id}/lineup", headers=first.headers).json()
    assert [slot["player"]["id"] for slot in lineup["players"]] == [player_id]


def test_a_tombstone_wins_both_ways(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    live = factories.event(client, phone.headers, match_id, "goal", minute=3)
    gone = factories.event(client, phone.headers, match_id, "save", minute=4)
    assert client.delete(f"/api/events/{gone['id']}", headers=phone.headers).status_code == 204
    offered = [
        {"type": "event", "id": live["id"], "deleted": True, "data": None},
        _event(match_id, "save", 4) | {"id": gone["id"]},
    ]

    answer = _repair(phone, offered)

    assert _outcomes(answer) == {gone["id"]: "known", live["id"]: "restored"}
    assert answer["restored"] == 1
    deleted = {e["id"]: e["deleted"] for e in events(client, phone.headers, match_id)}
    assert deleted[live["id"]] is deleted[gone["id"]] is True


def test_what_cannot_be_applied_is_refused_and_the_rest_goes_on(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    orphan = _event(str(uuid.uuid4()), "goal", 5)
    bare = {"type": "event", "id": str(uuid.uuid4()), "deleted": True, "data": None}
    wrong = _event(match_id, "goal", 999)
    fine = _event(match_id, "goal", 6)

    answer = _repair(phone, [orphan, bare, wrong, fine])

    by_id = {r["id"]: r for r in answer["results"]}
    assert by_id[fine["id"]]["outcome"] == "restored"
    refused = {
        key: (by_id[r["id"]]["error"]["code"], by_id[r["id"]]["error"]["field"])
        for key, r in (("orphan", orphan), ("bare", bare), ("wrong", wrong))
    }
    assert refused == {
        "orphan": ("not_found", "data.match_id"),
        "bare": ("not_restorable", "data"),
        "wrong": ("invalid", "data.minute"),
    }
    assert answer["restored"] == 1
    assert [e["id"] for e in events(client, phone.headers, match_id, markers=False)] == [fine["id"]]


def test_a_bad_repair_request_names_the_field(client: TestClient) -> None:
    phone = Phone(client)
    record = {"type": "player", "id": str(uuid.uuid4())}
    base = {"protocol": PROTOCOL_VERSION, "device_id": phone.device_id}
    cases = [
        (base | {"records": [record] * (MAX_REPAIR_RECORDS + 1)}, 422, "records"),
        (base | {"records": [record | {"seq": 3}]}, 422, "records.0.seq"),
        (base | {"records": [record | {"deleted": "yes"}]}, 422, "records.0.deleted"),
        (base | {"device_id": str(uuid.uuid4()), "records": []}, 409, "device_id"),
        (base | {"protocol": PROTOCOL_VERSION + 1, "records": []}, 409, "protocol"),
    ]
    for body, status, field in cases:
        response = client.post("/sync/repair", json=body, headers=phone.headers)
        assert response.status_code == status, (field, response.text)
        assert response.json()["error"]["field"] == field
    assert client.post("/sync/repair", json=base | {"records": []}).status_code == 401
