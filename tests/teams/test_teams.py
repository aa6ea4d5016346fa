from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests import factories


def test_the_creator_of_a_team_is_its_owner(client: TestClient) -> None:
    headers = factories.coach(client)

    created = client.post("/api/teams", json={"name": "Reds U10"}, headers=headers)

    assert created.status_code == 201
    team = created.json()
    assert team["name"] == "Reds U10"
    assert team["role"] == "owner"
    assert client.get(f"/api/teams/{team['id']}", headers=headers).json() == team
    [coach] = client.get(f"/api/teams/{team['id']}/coaches", headers=headers).json()
    assert coach["role"] == "owner"


def test_a_coach_lists_only_their_own_teams(client: TestClient) -> None:
    headers = factories.coach(client)
    other = factories.coach(client)
    reds = factories.team(client, headers, "Reds U10")
    blues = factories.team(client, headers, "Blues U12")
    factories.team(client, other, "Someone else's")

    listed = client.get("/api/teams", headers=headers)

    assert listed.status_code == 200
    assert {(t["id"], t["name"]) for t in listed.json()} == {
        (reds, "Reds U10"),
        (blues, "Blues U12"),
    }


def test_two_coaches_of_a_team_log_the_same_match(client: TestClient) -> None:
    owner = factories.coach(client)
    assistant = factories.coach(client, email="assistant@example.org")
    team_id = factories.team(client, owner)
    match_id = factories.match(client, owner, team_id)
    assert client.get(f"/api/matches/{match_id}", headers=assistant).status_code == 404

    factories.join(client, owner, team_id, assistant)

    assert client.get(f"/api/teams/{team_id}", headers=assistant).json()["role"] == "coach"
    factories.event(client, owner, match_id, "kick_off", minute=0)
    factories.event(client, assistant, match_id, "goal", minute=3)
    factories.event(client, owner, match_id, "goal", side="opposition", minute=7)
    events = client.get(f"/api/matches/{match_id}/events", headers=assistant).json()["items"]
    assert [e["kind"] for e in events] == ["kick_off", "goal", "goal"]
    score = client.get(f"/api/matches/{match_id}", headers=owner).json()["match"]["score"]
    assert (score["team"], score["opposition"]) == (1, 1)
    renamed = client.put(
        f"/api/matches/{match_id}",
        json={"opponent": "Greens", "kickoff_at": "2026-11-21T10:00:00Z"},
        headers=assistant,
    )
    assert renamed.status_code == 200
    assert renamed.json()["opponent"] == "Greens"


def test_players_crud_with_tombstones_and_a_rising_roster_seq(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    players_url = f"/api/teams/{team_id}/players"

    created = client.post(
        players_url,
        json={"squad_number": 7, "display_name": "Mia", "full_name": "Mia Johnson"},
        headers=headers,
    )
    assert created.status_code == 201
    mia = created.json()
    assert mia["full_name"] == "Mia Johnson"
    assert mia["team_id"] == team_id
    assert mia["deleted_at"] is None
    keeper_id = factories.player(client, headers, team_id, number=1, name="Ola")
    keeper_seq = client.get(f"/api/players/{keeper_id}", headers=headers).json()["seq"]
    assert keeper_seq > mia["seq"]

    updated = client.put(
        f"/api/players/{mia['id']}",
        json={"squad_number": 10, "display_name": "Mia J", "full_name": "Mia Johnson"},
        headers=headers,
    )
    assert updated.status_code == 200
    assert updated.json()["squad_number"] == 10
    assert updated.json()["display_name"] == "Mia J"
    assert updated.json()["seq"] > keeper_seq
    assert client.get(f"/api/players/{mia['id']}", headers=headers).json() == updated.json()

    assert client.delete(f"/api/players/{mia['id']}", headers=headers).status_code == 204
    default = client.get(players_url, headers=headers).json()
    assert [p["id"] for p in default] == [keeper_id]
    everyone = client.get(players_url, params={"include_deleted": "true"}, headers=headers).json()
    [tombstone] = [p for p in everyone if p["id"] == mia["id"]]
    assert tombstone["deleted_at"] is not None
    assert tombstone["seq"] > updated.json()["seq"]
    again = client.put(f"/api/players/{mia['id']}", json={"display_name": "Back"}, headers=headers)
    assert again.status_code == 404
    assert client.delete(f"/api/players/{mia['id']}", headers=headers).status_code == 404


def test_a_client_made_player_id_is_stored_once(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    player_id = str(uuid.uuid4())
    body = {"id": player_id, "squad_number": 4, "display_name": "Jo"}

    first = client.post(f"/api/teams/{team_id}/players", json=body, headers=headers)
    retry = client.post(f"/api/teams/{team_id}/players", json=body, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"] == player_id
    assert retry.json()["seq"] == first.json()["seq"]
    listed = client.get(f"/api/teams/{team_id}/players", headers=headers).json()
    assert [p["id"] for p in listed] == [player_id]


def test_a_player_id_used_by_another_team_is_refused(client: TestClient) -> None:
    headers = factories.coach(client)
    reds = factories.team(client, headers, "Reds")
    blues = factories.team(client, headers, "Blues")
    body = {"id": str(uuid.uuid4()), "display_name": "Jo"}
    assert client.post(f"/api/teams/{reds}/players", json=body, headers=headers).status_code == 201

    clash = client.post(f"/api/teams/{blues}/players", json=body, headers=headers)

    assert clash.status_code == 409
    assert clash.json()["error"]["field"] == "id"
    assert client.get(f"/api/teams/{blues}/players", headers=headers).json() == []
