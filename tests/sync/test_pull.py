"""Pulling through /sync: what a device receives, paging, positions, resets and lag."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.db.models import Membership, ServerMeta
from backend.sync.cursors import Position
from sync_protocol.paging import Candidate, SpaceChanges, cut_page
from tests import factories
from tests.sync import PERIOD_MARKERS, Phone, events


def _logged(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes without period markers (each match is kicked off before its events)."""
    return [c for c in changes if (c.get("data") or {}).get("kind") not in PERIOD_MARKERS]


def _kinds(changes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["type"], c["id"]) for c in _logged(changes)]


def test_a_first_sync_receives_everything_and_the_next_nothing(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    player_id = factories.player(client, phone.headers, team_id)
    dropped = factories.player(client, phone.headers, team_id, number=3, name="Jo")
    client.delete(f"/api/players/{dropped}", headers=phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    client.put(
        f"/api/matches/{match_id}/lineup",
        json={"players": [{"player_id": player_id, "role": "starting"}]},
        headers=phone.headers,
    )
    goal = factories.event(client, phone.headers, match_id, "goal", player_id=player_id)
    undone = factories.event(client, phone.headers, match_id, "save")
    client.delete(f"/api/events/{undone['id']}", headers=phone.headers)

    first = phone.sync()

    assert first["reset"] is None and first["has_more"] is False
    assert _kinds(first["changes"]) == [
        ("team", team_id),
        ("player", player_id),
        ("match", match_id),
        ("lineup", match_id),
        ("event", goal["id"]),
    ]
    team, player, match, lineup, event = _logged(first["changes"])
    assert team["data"] == {"id": team_id, "name": "Reds U10", "role": "owner"}
    assert player["data"]["display_name"] == "Sam" and player["space"] == team_id
    assert match["data"]["status"] == "live" and match["space"] == match_id
    assert lineup["data"] == {
        "players": [{"player_id": player_id, "role": "starting", "position": None}]
    }
    assert event["data"]["player_id"] == player_id and event["deleted"] is False
    assert phone.sync()["changes"] == []


def test_rest_writes_arrive_with_the_seq_rest_shows(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.match(client, phone.headers, team_id)
    phone.sync()
    kick_off = factories.event(client, phone.headers, match_id, "kick_off", minute=0)
    goal = factories.event(client, phone.headers, match_id, "goal", minute=3)
    client.put(
        f"/api/events/{goal['id']}",
        json={"kind": "goal", "period": 1, "minute": 4},
        headers=phone.headers,
    )
    save = factories.event(client, phone.headers, match_id, "save", minute=5)
    client.delete(f"/api/events/{save['id']}", headers=phone.headers)

    pulled = {c["id"]: c for c in phone.sync()["changes"] if c["type"] == "event"}

    shown = {e["id"]: e for e in events(client, phone.headers, match_id)}
    assert set(pulled) == set(shown) == {kick_off["id"], goal["id"], save["id"]}
    for event_id, change in pulled.items():
        assert change["seq"] == shown[event_id]["seq"]
        assert change["deleted"] == shown[event_id]["deleted"]
    assert pulled[goal["id"]]["data"]["minute"] == 4


def test_a_long_pull_arrives_in_pages_with_every_change_once(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    players = [factories.player(client, phone.headers, team_id, number=n) for n in range(3)]
    matches = [factories.live_match(client, phone.headers, team_id) for _ in range(3)]
    logged = [phone.add_event(m, minute=minute) for m in matches for minute in range(11)]
    phone.sync(*logged, pull=False)
    expected = {("team", team_id)} | {("player", p) for p in players}
    expected |= {("match", m) for m in matches} | {("event", e["args"]["id"]) for e in logged}

    pages: list[dict[str, Any]] = []
    while not pages or pages[-1]["has_more"]:
        pages.append(phone.sync(max_changes=7))

    received = [change for page in pages for change in page["changes"]]
    assert len(_logged(received)) == len(expected) == 40
    assert len(received) == 40 + 3  # and each match's kick-off
    assert set(_kinds(received)) == expected
    assert len(pages) >= 6
    assert all(len(page["changes"]) <= 7 for page in pages)
    assert all(page["has_more"] for page in pages[:-1])
    assert phone.sync()["changes"] == []


def test_a_change_larger_than_the_byte_budget_still_travels() -> None:
    space = uuid.uuid4()
    big, small = Candidate(seq=1, size=900, payload="big"), Candidate(2, 10, "small")
    spaces = [SpaceChanges(space, since=0, head=2, changes=[big, small])]

    first = cut_page(spaces, max_changes=500, max_bytes=100)
    second = cut_page(
        [SpaceChanges(space, since=first.positions[space], head=2, changes=[small])],
        max_changes=500,
        max_bytes=100,
    )

    assert (first.payloads, first.positions[space], first.has_more) == (["big"], 1, True)
    assert (second.payloads, second.positions[space], second.has_more) == (["small"], 2, False)


def test_a_coach_added_to_a_team_receives_its_data_on_the_next_pull(client: TestClient) -> None:
    email = f"helper-{uuid.uuid4().hex[:8]}@example.org"
    owner = factories.coach(client)
    helper = Phone(client, factories.coach(client, email=email))
    team_id = factories.team(client, owner)
    player_id = factories.player(client, owner, team_id)
    match_id = factories.live_match(client, owner, team_id)
    goal = factories.event(client, owner, match_id, "goal")
    assert helper.sync()["changes"] == []

    factories.join(client, owner, team_id, helper.headers)
    answer = helper.sync()

    assert _kinds(answer["changes"]) == [
        ("team", team_id),
        ("player", player_id),
        ("match", match_id),
        ("event", goal["id"]),
    ]
    assert answer["changes"][0]["data"]["role"] == "coach"


def test_a_team_the_device_lost_is_sent_as_a_tombstone_even_one_per_page(
    client: TestClient, db_session: Session
) -> None:
    phone = Phone(client)
    kept, *lost = (factories.team(client, phone.headers, name=n) for n in ("A", "B", "C"))
    match_id = factories.match(client, phone.headers, lost[0])
    phone.pull_all()
    account_id = client.get("/api/me", headers=phone.headers).json()["id"]
    db_session.execute(
        delete(Membership).where(
            Membership.account_id == uuid.UUID(account_id),
            Membership.team_id.in_([uuid.UUID(t) for t in lost]),
        )
    )
    db_session.commit()

    received = phone.pull_all(max_changes=1)

    assert sorted(_kinds(received)) == sorted(("team", t) for t in lost)
    assert all(c["deleted"] and c["data"] is None for c in received)
    assert phone.sync()["changes"] == []
    assert match_id not in {c["id"] for c in phone.pull_all()}
    assert kept not in {c["id"] for c in received}


def _generation(db_session: Session) -> uuid.UUID:
    generation: uuid.UUID | None = db_session.scalar(select(ServerMeta.generation))
    assert generation is not None
    return generation


def test_a_cursor_from_another_generation_is_answered_with_a_reset_and_everything(
    client: TestClient, db_session: Session
) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    phone.pull_all()
    db_session.execute(update(ServerMeta).values(generation=uuid.uuid4()))
    db_session.commit()
    goal = phone.add_event(match_id)

    answer = phone.sync(goal)

    assert answer["reset"]["reason"] == "generation_changed"
    assert answer["results"] == [{"id": 1, "verdict": "applied"}]
    assert _kinds(answer["changes"]) == [
        ("team", team_id),
        ("match", match_id),
        ("event", goal["args"]["id"]),
    ]
    again = phone.sync()
    assert (again["reset"], again["changes"]) == (None, [])


def test_a_cursor_ahead_of_the_server_is_answered_with_a_reset(
    client: TestClient, app: FastAPI, db_session: Session
) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.match(client, phone.headers, team_id)
    ahead = Position(_generation(db_session), matches={uuid.UUID(match_id): 1_000})
    phone.cursor = app.state.cursor_codec.encode(ahead)

    answer = phone.sync()

    assert answer["reset"]["reason"] == "cursor_ahead"
    assert _kinds(answer["changes"]) == [("team", team_id), ("match", match_id)]
    assert phone.sync()["reset"] is None


def test_another_devices_id_gets_a_reset_naming_the_callers_device(client: TestClient) -> None:
    phone, stranger = Phone(client), Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    phone.sync(phone.add_event(match_id), phone.add_event(match_id))

    response = client.post(
        "/sync",
        json={
            "protocol": 1,
            "device_id": stranger.device_id,
            "mutations": [phone.add_event(match_id)],
        },
        headers=phone.headers,
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["reset"]["reason"] == "unknown_device"
    assert (answer["device_id"], answer["last_mutation_id"]) == (phone.device_id, 2)
    assert answer["results"] == []
    assert len(events(client, phone.headers, match_id)) == 1 + 2  # the kick-off, two goals
    assert {c["id"] for c in answer["changes"]} >= {team_id, match_id}
    assert stranger.lag()["last_mutation_id"] == 0


def test_the_lag_endpoint_counts_what_the_device_has_not_pulled(client: TestClient) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.live_match(client, phone.headers, team_id)
    assert phone.lag()["behind"] is None

    phone.pull_all()
    phone.sync()
    assert phone.lag()["behind"] == 0
    for minute in range(3):
        factories.event(client, phone.headers, match_id, "goal", minute=minute)
    factories.player(client, phone.headers, team_id)
    phone.sync()
    assert phone.lag()["behind"] == 4

    phone.sync()
    status = phone.lag()
    assert status["behind"] == 0 and status["synced_at"] is not None


def test_the_lag_of_another_coachs_device_is_not_found(client: TestClient) -> None:
    phone, stranger = Phone(client), Phone(client)

    response = client.get(f"/api/devices/{stranger.device_id}/sync", headers=phone.headers)

    assert response.status_code == 404
