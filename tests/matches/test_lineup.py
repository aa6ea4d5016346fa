from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import factories


def _lineup_url(match_id: str) -> str:
    return f"/api/matches/{match_id}/lineup"


def _setup(client: TestClient) -> tuple[dict[str, str], str, str, list[str]]:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    match_id = factories.match(client, headers, team_id)
    squad = [
        factories.player(client, headers, team_id, number=n, name=name)
        for n, name in ((1, "Ola"), (4, "Jo"), (9, "Sam"), (12, "Noor"))
    ]
    return headers, team_id, match_id, squad


def test_a_new_match_has_an_empty_lineup(client: TestClient) -> None:
    headers, _, match_id, _ = _setup(client)

    lineup = client.get(_lineup_url(match_id), headers=headers)

    assert lineup.status_code == 200
    assert lineup.json() == {"match_id": match_id, "seq": 0, "players": []}


def test_set_and_get_the_lineup(client: TestClient) -> None:
    headers, _, match_id, (keeper, defender, striker, sub) = _setup(client)
    body = {
        "players": [
            {"player_id": keeper, "role": "starting", "position": "GK"},
            {"player_id": defender, "role": "starting", "position": "CB"},
            {"player_id": striker, "role": "starting", "position": "ST"},
            {"player_id": sub, "role": "bench"},
        ]
    }

    put = client.put(_lineup_url(match_id), json=body, headers=headers)

    assert put.status_code == 200, put.text
    got = client.get(_lineup_url(match_id), headers=headers).json()
    assert got == put.json()
    slots = {s["player"]["id"]: (s["role"], s["position"]) for s in got["players"]}
    assert slots == {
        keeper: ("starting", "GK"),
        defender: ("starting", "CB"),
        striker: ("starting", "ST"),
        sub: ("bench", None),
    }
    assert {s["player"]["display_name"] for s in got["players"]} == {"Ola", "Jo", "Sam", "Noor"}
    assert all("full_name" not in s["player"] for s in got["players"])


def test_setting_the_lineup_replaces_it_and_raises_its_seq(client: TestClient) -> None:
    headers, _, match_id, (keeper, defender, _, sub) = _setup(client)
    first = client.put(
        _lineup_url(match_id),
        json={"players": [{"player_id": keeper, "role": "starting"}]},
        headers=headers,
    ).json()

    second = client.put(
        _lineup_url(match_id),
        json={
            "players": [
                {"player_id": defender, "role": "starting"},
                {"player_id": sub, "role": "bench"},
            ]
        },
        headers=headers,
    ).json()

    assert 0 < first["seq"] < second["seq"]
    assert {s["player"]["id"] for s in second["players"]} == {defender, sub}
    emptied = client.put(_lineup_url(match_id), json={"players": []}, headers=headers).json()
    assert emptied["players"] == []
    assert emptied["seq"] > second["seq"]


def _refused(
    client: TestClient, headers: dict[str, str], match_id: str, players: list[dict[str, Any]]
) -> dict[str, Any]:
    before = client.get(_lineup_url(match_id), headers=headers).json()
    response = client.put(_lineup_url(match_id), json={"players": players}, headers=headers)
    assert response.status_code == 422, response.text
    assert client.get(_lineup_url(match_id), headers=headers).json() == before
    error: dict[str, Any] = response.json()["error"]
    return error


def test_a_player_listed_twice_is_refused_naming_the_entry(client: TestClient) -> None:
    headers, _, match_id, (keeper, defender, _, _) = _setup(client)
    client.put(
        _lineup_url(match_id),
        json={"players": [{"player_id": keeper, "role": "starting"}]},
        headers=headers,
    )

    error = _refused(
        client,
        headers,
        match_id,
        [
            {"player_id": defender, "role": "starting"},
            {"player_id": keeper, "role": "starting"},
            {"player_id": defender, "role": "bench"},
        ],
    )

    assert error["field"] == "players.2.player_id"


def test_a_player_of_another_team_is_refused(client: TestClient) -> None:
    headers, _, match_id, (keeper, _, _, _) = _setup(client)
    outsider = factories.player(client, headers, factories.team(client, headers, "Other"))

    error = _refused(
        client,
        headers,
        match_id,
        [{"player_id": keeper, "role": "starting"}, {"player_id": outsider, "role": "bench"}],
    )

    assert error["field"] == "players.1.player_id"


def test_a_deleted_player_cannot_join_the_lineup(client: TestClient) -> None:
    headers, _, match_id, (keeper, *_) = _setup(client)
    assert client.delete(f"/api/players/{keeper}", headers=headers).status_code == 204

    error = _refused(client, headers, match_id, [{"player_id": keeper, "role": "starting"}])

    assert error["field"] == "players.0.player_id"


def test_an_unknown_role_is_refused(client: TestClient) -> None:
    headers, _, match_id, (keeper, *_) = _setup(client)

    error = _refused(client, headers, match_id, [{"player_id": keeper, "role": "captain"}])

    assert error["field"] == "players.0.role"
