from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests import factories


def _setup(
    client: TestClient, *, live: bool = False, **match_fields: Any
) -> tuple[dict[str, str], str, str]:
    """A coach, a team and a match; ``live``: the match has kicked off."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    made = factories.live_match if live else factories.match
    return headers, team_id, made(client, headers, team_id, **match_fields)


MARKERS = {"kick_off", "half_time", "full_time"}


def _events(
    client: TestClient,
    headers: dict[str, str],
    match_id: str,
    *,
    markers: bool = False,
    **params: Any,
) -> list[dict[str, Any]]:
    """The match's events; its period markers only with ``markers``."""
    response = client.get(f"/api/matches/{match_id}/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return [e for e in items if markers or e["kind"] not in MARKERS]


def _post(
    client: TestClient,
    headers: dict[str, str],
    match_id: str,
    kind: str,
    period: int = 1,
    **fields: Any,
) -> Any:
    body = {"id": str(uuid.uuid4()), "kind": kind, "period": period, "minute": 0} | fields
    return client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)


def _state(client: TestClient, headers: dict[str, str], match_id: str) -> tuple[str, int]:
    match = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]
    return match["status"], match["current_period"]


def test_the_same_event_id_is_stored_once(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True)
    body = {"id": str(uuid.uuid4()), "kind": "goal", "period": 1, "minute": 12}

    first = client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)
    retry = client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert [e["id"] for e in _events(client, headers, match_id)] == [body["id"]]
    score = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]["score"]
    assert score["team"] == 1


def test_an_event_id_used_in_another_match_is_a_conflict(client: TestClient) -> None:
    headers, team_id, match_id = _setup(client, live=True)
    other_match = factories.match(client, headers, team_id)
    event = factories.event(client, headers, match_id, "goal")

    clash = client.post(
        f"/api/matches/{other_match}/events",
        json={"id": event["id"], "kind": "goal", "period": 1, "minute": 1},
        headers=headers,
    )

    assert clash.status_code == 409
    assert clash.json()["error"]["field"] == "id"
    assert _events(client, headers, other_match) == []


def test_editing_an_event_replaces_it_and_raises_its_seq(client: TestClient) -> None:
    headers, team_id, match_id = _setup(client, live=True)
    scorer = factories.player(client, headers, team_id, number=11, name="Ada")
    event = factories.event(client, headers, match_id, "goal", minute=20)

    edited = client.put(
        f"/api/events/{event['id']}",
        json={"kind": "goal", "period": 1, "minute": 21, "player_id": scorer, "note": "header"},
        headers=headers,
    )

    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["minute"], body["note"]) == (21, "header")
    assert body["player"]["display_name"] == "Ada"
    assert body["seq"] > event["seq"]
    [stored] = _events(client, headers, match_id)
    assert stored == body


def test_a_deleted_event_leaves_a_tombstone(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True)
    kept = factories.event(client, headers, match_id, "tackle")
    doomed = factories.event(client, headers, match_id, "goal")

    first = client.delete(f"/api/events/{doomed['id']}", headers=headers)
    second = client.delete(f"/api/events/{doomed['id']}", headers=headers)

    assert (first.status_code, second.status_code) == (204, 204)
    assert [e["id"] for e in _events(client, headers, match_id)] == [kept["id"]]
    everything = _events(client, headers, match_id, include_deleted="true")
    [tombstone] = [e for e in everything if e["id"] == doomed["id"]]
    assert tombstone["deleted"] is True
    assert tombstone["seq"] > doomed["seq"]
    score = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]["score"]
    assert score["team"] == 0


def test_a_deleted_event_cannot_be_edited(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True)
    event = factories.event(client, headers, match_id, "goal", minute=5)
    assert client.delete(f"/api/events/{event['id']}", headers=headers).status_code == 204

    edit = client.put(
        f"/api/events/{event['id']}",
        json={"kind": "goal", "period": 1, "minute": 6},
        headers=headers,
    )

    assert edit.status_code == 410
    [tombstone] = _events(client, headers, match_id, include_deleted="true")
    assert tombstone["minute"] == 5
    assert tombstone["deleted"] is True


def test_a_retried_post_of_a_deleted_event_does_not_revive_it(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True)
    body = {"id": str(uuid.uuid4()), "kind": "goal", "period": 1, "minute": 12}
    client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)
    assert client.delete(f"/api/events/{body['id']}", headers=headers).status_code == 204

    retry = client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)

    assert retry.status_code == 200
    assert retry.json()["deleted"] is True
    assert _events(client, headers, match_id) == []


def test_period_markers_drive_the_match_state(client: TestClient) -> None:
    headers, _, match_id = _setup(client)
    assert _state(client, headers, match_id) == ("scheduled", 0)

    steps = [
        ("kick_off", 1, ("live", 1)),
        ("half_time", 1, ("interval", 1)),
        ("kick_off", 2, ("live", 2)),
        ("full_time", 2, ("finished", 2)),
    ]
    for kind, period, expected in steps:
        response = _post(client, headers, match_id, kind, period)
        assert response.status_code == 201, (kind, period, response.text)
        assert _state(client, headers, match_id) == expected

    clock = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]["clock"]
    assert (clock["seconds"], clock["running"]) == (2 * 45 * 60, False)


def test_a_marker_that_does_not_follow_is_refused(client: TestClient) -> None:
    headers, _, match_id = _setup(client)
    assert _post(client, headers, match_id, "half_time").status_code == 409
    assert _post(client, headers, match_id, "kick_off", period=2).status_code == 409
    assert _post(client, headers, match_id, "kick_off").status_code == 201
    before = _events(client, headers, match_id, markers=True)

    again = _post(client, headers, match_id, "kick_off")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "transition_refused"
    assert _events(client, headers, match_id, markers=True) == before
    assert _state(client, headers, match_id) == ("live", 1)


def test_only_the_latest_marker_can_be_deleted(client: TestClient) -> None:
    headers, _, match_id = _setup(client)
    kick_off = _post(client, headers, match_id, "kick_off").json()
    half_time = _post(client, headers, match_id, "half_time").json()

    refused = client.delete(f"/api/events/{kick_off['id']}", headers=headers)

    assert refused.status_code == 409
    assert _state(client, headers, match_id) == ("interval", 1)
    assert client.delete(f"/api/events/{half_time['id']}", headers=headers).status_code == 204
    assert _state(client, headers, match_id) == ("live", 1)
    clock = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]["clock"]
    assert clock["running"] is True
    assert _post(client, headers, match_id, "half_time").status_code == 201
    assert _state(client, headers, match_id) == ("interval", 1)


def test_a_marker_keeps_its_kind_and_period(client: TestClient) -> None:
    headers, _, match_id = _setup(client)
    kick_off = _post(client, headers, match_id, "kick_off").json()
    goal = factories.event(client, headers, match_id, "goal")

    to_half_time = client.put(
        f"/api/events/{kick_off['id']}",
        json={"kind": "half_time", "period": 1, "minute": 0},
        headers=headers,
    )
    goal_to_marker = client.put(
        f"/api/events/{goal['id']}",
        json={"kind": "full_time", "period": 1, "minute": 1},
        headers=headers,
    )

    assert to_half_time.status_code == goal_to_marker.status_code == 409
    assert _state(client, headers, match_id) == ("live", 1)


def test_events_page_by_sequence(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True)
    logged = [factories.event(client, headers, match_id, "tackle", minute=m) for m in range(7)]

    seen: list[str] = []
    after_seq = 0
    while True:
        response = client.get(
            f"/api/matches/{match_id}/events",
            params={"after_seq": after_seq, "limit": 3},
            headers=headers,
        )
        page = response.json()
        seen.extend(e["id"] for e in page["items"])
        if page["next_after_seq"] is None:
            break
        after_seq = page["next_after_seq"]

    assert seen[1:] == [e["id"] for e in logged]  # after the kick-off
    last = logged[-1]["seq"]
    assert _events(client, headers, match_id, after_seq=last) == []
    edited = client.put(
        f"/api/events/{logged[2]['id']}",
        json={"kind": "foul", "period": 1, "minute": 2},
        headers=headers,
    )
    assert [e["id"] for e in _events(client, headers, match_id, after_seq=last)] == [
        edited.json()["id"]
    ]


def test_a_player_of_another_team_is_refused(client: TestClient) -> None:
    headers, _, match_id = _setup(client)
    other_team = factories.team(client, headers, "Other")
    outsider = factories.player(client, headers, other_team)

    response = _post(client, headers, match_id, "goal", player_id=outsider)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "player_id"
    assert _events(client, headers, match_id) == []


def test_a_deleted_player_cannot_be_named(client: TestClient) -> None:
    headers, team_id, match_id = _setup(client)
    gone = factories.player(client, headers, team_id)
    assert client.delete(f"/api/players/{gone}", headers=headers).status_code == 204

    response = _post(client, headers, match_id, "goal", player_id=gone)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "player_id"


def test_an_opposition_event_names_no_player_of_ours(client: TestClient) -> None:
    headers, team_id, match_id = _setup(client)
    ours = factories.player(client, headers, team_id)

    response = _post(client, headers, match_id, "goal", side="opposition", player_id=ours)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "player_id"
    assert _events(client, headers, match_id) == []


def test_a_period_beyond_the_match_is_refused(client: TestClient) -> None:
    headers, _, match_id = _setup(client, periods=2)

    response = _post(client, headers, match_id, "goal", period=3)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "period"
    assert _events(client, headers, match_id) == []


def test_a_substitution_names_both_players(client: TestClient) -> None:
    headers, team_id, match_id = _setup(client, live=True)
    on = factories.player(client, headers, team_id, number=12, name="Noor")
    off = factories.player(client, headers, team_id, number=7, name="Eli")

    sub = factories.event(
        client, headers, match_id, "substitution", player_id=on, replaced_player_id=off
    )
    foul = _post(client, headers, match_id, "foul", replaced_player_id=off)

    assert sub["player"]["display_name"] == "Noor"
    assert sub["replaced_player"]["display_name"] == "Eli"
    assert foul.status_code == 422
    assert foul.json()["error"]["field"] == "replaced_player_id"


def test_an_event_before_kick_off_is_refused(client: TestClient) -> None:
    headers, _, match_id = _setup(client)

    early = _post(client, headers, match_id, "goal")

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "match_not_started"
    assert early.json()["error"]["field"] == "kind"
    assert _events(client, headers, match_id) == []
    match = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]
    assert match["score"]["team"] == 0


def test_a_finished_match_takes_only_events_within_its_played_time(client: TestClient) -> None:
    headers, _, match_id = _setup(client, live=True, periods=1, period_minutes=20)
    goal = factories.event(client, headers, match_id, "goal", minute=12)
    assert _post(client, headers, match_id, "full_time", minute=20, stoppage=1).status_code == 201

    in_time = _post(client, headers, match_id, "save", minute=20, stoppage=1)
    after = _post(client, headers, match_id, "goal", minute=20, stoppage=2)
    edit = {"kind": "goal", "period": 1}
    moved_late = client.put(
        f"/api/events/{goal['id']}", json=edit | {"minute": 22}, headers=headers
    )
    fixed = edit | {"minute": 13, "note": "header"}
    corrected = client.put(f"/api/events/{goal['id']}", json=fixed, headers=headers)

    assert in_time.status_code == 201, in_time.text
    assert (after.status_code, after.json()["error"]["code"]) == (409, "match_finished")
    assert (moved_late.status_code, moved_late.json()["error"]["code"]) == (409, "match_finished")
    assert corrected.status_code == 200, corrected.text
    assert [e["kind"] for e in _events(client, headers, match_id)] == ["save", "goal"]
    assert _state(client, headers, match_id) == ("finished", 1)
