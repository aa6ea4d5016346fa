from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests import factories


def _list(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/matches", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_get_update_and_delete_a_match(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers, "Reds U10")

    created = client.post(
        "/api/matches",
        json={
            "team_id": team_id,
            "opponent": "Blues",
            "is_home": False,
            "kickoff_at": "2026-11-21T10:00:00+01:00",
            "venue": "Rec ground",
            "periods": 4,
            "period_minutes": 12,
        },
        headers=headers,
    )

    assert created.status_code == 201, created.text
    match = created.json()
    assert match["team_id"] == team_id
    assert (match["home_team"], match["away_team"]) == ("Blues", "Reds U10")
    assert match["kickoff_at"].startswith("2026-11-21T09:00:00")
    assert (match["periods"], match["period_minutes"]) == (4, 12)
    assert match["status"] == "scheduled"
    assert client.get(f"/api/matches/{match['id']}", headers=headers).json()["match"] == match

    updated = client.put(
        f"/api/matches/{match['id']}",
        json={"opponent": "Greens", "is_home": True, "kickoff_at": "2026-11-22T10:00:00Z"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["home_team"], updated.json()["away_team"]) == ("Reds U10", "Greens")
    assert updated.json()["venue"] is None
    assert updated.json()["seq"] > match["seq"]

    assert client.delete(f"/api/matches/{match['id']}", headers=headers).status_code == 204
    gone = client.get(f"/api/matches/{match['id']}", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    put_after = client.put(
        f"/api/matches/{match['id']}",
        json={"opponent": "Greens", "kickoff_at": "2026-11-22T10:00:00Z"},
        headers=headers,
    )
    assert put_after.status_code == 404
    assert client.delete(f"/api/matches/{match['id']}", headers=headers).status_code == 404
    events = client.get(f"/api/matches/{match['id']}/events", headers=headers)
    assert events.status_code == 404
    assert _list(client, headers)["items"] == []


def test_a_client_made_match_id_is_stored_once(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    body = {
        "id": str(uuid.uuid4()),
        "team_id": team_id,
        "opponent": "Blues",
        "kickoff_at": "2026-11-21T10:00:00Z",
    }

    first = client.post("/api/matches", json=body, headers=headers)
    retry = client.post("/api/matches", json=body, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json() == retry.json()
    assert len(_list(client, headers)["items"]) == 1


def test_matches_page_newest_first_and_each_is_seen_once(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    kickoffs = [f"2026-09-{day:02d}T10:00:00Z" for day in (3, 17, 6, 28, 10, 1, 21)]
    ids = {factories.match(client, headers, team_id, kickoff_at=k): k for k in kickoffs}

    seen: list[dict[str, Any]] = []
    page = _list(client, headers, limit=3)
    pages = 1
    while True:
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        page = _list(client, headers, limit=3, cursor=page["next_cursor"])
        pages += 1

    assert pages == 3
    assert sorted(m["id"] for m in seen) == sorted(ids)
    assert [m["kickoff_at"][:10] for m in seen] == [
        f"2026-09-{day:02d}" for day in (28, 21, 17, 10, 6, 3, 1)
    ]


def test_matches_with_the_same_kickoff_page_without_gaps(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    ids = {factories.match(client, headers, team_id) for _ in range(5)}

    first = _list(client, headers, limit=2)
    second = _list(client, headers, limit=2, cursor=first["next_cursor"])
    third = _list(client, headers, limit=2, cursor=second["next_cursor"])

    seen = [m["id"] for m in first["items"] + second["items"] + third["items"]]
    assert sorted(seen) == sorted(ids)
    assert third["next_cursor"] is None


def test_matches_filter_by_team_status_and_dates(client: TestClient) -> None:
    headers = factories.coach(client)
    reds = factories.team(client, headers, "Reds")
    blues = factories.team(client, headers, "Blues")
    early = factories.match(client, headers, reds, kickoff_at="2026-09-05T09:00:00Z")
    late = factories.match(client, headers, reds, kickoff_at="2026-09-12T23:30:00Z")
    other_team = factories.match(client, headers, blues, kickoff_at="2026-09-12T08:00:00Z")
    factories.event(client, headers, late, "kick_off", minute=0)

    def ids(**params: Any) -> set[str]:
        return {m["id"] for m in _list(client, headers, **params)["items"]}

    assert ids() == {early, late, other_team}
    assert ids(team_id=reds) == {early, late}
    assert ids(team_id=blues) == {other_team}
    assert ids(status="live") == {late}
    assert ids(status="scheduled") == {early, other_team}
    assert ids(status="finished") == set()
    assert ids(**{"from": "2026-09-12"}) == {late, other_team}
    assert ids(to="2026-09-11") == {early}
    assert ids(**{"from": "2026-09-05", "to": "2026-09-05"}) == {early}
    assert ids(**{"from": "2026-09-06", "to": "2026-09-11"}) == set()
    assert ids(team_id=reds, status="scheduled", to="2026-09-30") == {early}


def test_another_coachs_team_filter_lists_nothing(client: TestClient) -> None:
    owner = factories.coach(client)
    stranger = factories.coach(client)
    team_id = factories.team(client, owner)
    factories.match(client, owner, team_id)

    assert _list(client, stranger)["items"] == []
    assert _list(client, stranger, team_id=team_id)["items"] == []


def test_a_forged_cursor_is_refused_naming_the_cursor(client: TestClient) -> None:
    headers = factories.coach(client)
    factories.match(client, headers, factories.team(client, headers))

    def encoded(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    forged = [
        "not a cursor",
        "%%%",
        encoded("yesterday|" + str(uuid.uuid4())),
        encoded("2026-09-01T10:00:00+00:00|not-a-uuid"),
        encoded("2026-09-01T10:00:00|" + str(uuid.uuid4())),
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    ]
    for cursor in forged:
        response = client.get("/api/matches", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (cursor, response.text)
        assert response.json()["error"]["field"] == "cursor"


def test_a_cursor_at_the_edge_of_time_is_refused_not_crashed(client: TestClient) -> None:
    headers = factories.coach(client)
    factories.match(client, headers, factories.team(client, headers))

    for instant in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        raw = f"{instant}|{uuid.uuid4()}".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get("/api/matches", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (instant, response.text)
        assert response.json()["error"]["field"] == "cursor"


def test_the_match_answers_in_its_mobile_shape(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers, "Reds U10")
    match_id = factories.match(client, headers, team_id, opponent="Blues", is_home=True)
    scorer = factories.player(client, headers, team_id, number=9, name="Sam")
    factories.event(client, headers, match_id, "kick_off", minute=0)
    for minute in range(1, 12):
        factories.event(client, headers, match_id, "tackle", minute=minute)
    goal = factories.event(client, headers, match_id, "goal", minute=12, player_id=scorer)
    late_entry = factories.event(client, headers, match_id, "save", minute=5, side="opposition")

    response = client.get(f"/api/matches/{match_id}", headers=headers)

    assert response.status_code == 200
    body = response.json()
    match = body["match"]
    assert (match["home_team"], match["away_team"]) == ("Reds U10", "Blues")
    assert match["score"] == {"home": 1, "away": 0, "team": 1, "opposition": 0}
    assert (match["status"], match["current_period"]) == ("live", 1)
    assert match["clock"]["running"] is True
    assert match["clock"]["seconds"] >= 0
    assert match["clock"]["period_started_at"] is not None
    recent = body["recent_events"]
    assert len(recent) == 10
    assert recent[0]["id"] == goal["id"]
    assert recent[0]["player"] == {"id": scorer, "squad_number": 9, "display_name": "Sam"}
    assert "full_name" not in recent[0]["player"]
    minutes = [e["minute"] for e in recent]
    assert minutes == sorted(minutes, reverse=True)
    assert minutes == [12, 11, 10, 9, 8, 7, 6, 5, 5, 4]
    assert recent[7]["id"] == late_entry["id"]


def test_the_last_representable_day_is_an_open_upper_bound(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    match_id = factories.match(client, headers, team_id)

    response = client.get("/api/matches", params={"to": "9999-12-31"}, headers=headers)

    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()["items"]] == [match_id]
