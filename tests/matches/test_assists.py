"""Shots, corners, and a goal's assisting player: over REST and through /sync, where the
same refusals become rejected mutations."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.sync import Phone


def _team_with_two_players(client: TestClient, headers: dict[str, str]) -> tuple[str, str, str]:
    team_id = factories.team(client, headers)
    scorer = factories.player(client, headers, team_id, number=9, name="Sam")
    maker = factories.player(client, headers, team_id, number=7, name="Kit")
    return team_id, scorer, maker


def _post(client: TestClient, headers: dict[str, str], match_id: str, **fields: Any) -> Any:
    body = {"id": str(uuid.uuid4()), "kind": "goal", "period": 1, "minute": 9} | fields
    return client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)


@pytest.mark.parametrize("kind", ["shot_on_target", "shot_off_target", "corner"])
def test_shots_and_corners_are_events_like_any_other(client: TestClient, kind: str) -> None:
    headers = factories.coach(client)
    team_id, scorer, _ = _team_with_two_players(client, headers)
    match_id = factories.live_match(client, headers, team_id)

    ours = factories.event(client, headers, match_id, kind, player_id=scorer)
    theirs = factories.event(client, headers, match_id, kind, side="opposition")

    listed = client.get(f"/api/matches/{match_id}/events", headers=headers).json()["items"]
    assert [(e["kind"], e["side"]) for e in listed if e["kind"] == kind] == [
        (kind, "team"),
        (kind, "opposition"),
    ]
    assert ours["player"]["display_name"] == "Sam"
    assert theirs["player"] is None
    score = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]["score"]
    assert (score["team"], score["opposition"]) == (0, 0)


def test_a_goal_names_its_assist_and_an_edit_changes_or_clears_it(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id, scorer, maker = _team_with_two_players(client, headers)
    match_id = factories.live_match(client, headers, team_id)

    goal = factories.event(
        client, headers, match_id, "goal", player_id=scorer, assist_player_id=maker
    )
    assert goal["assist_player"] == {"id": maker, "squad_number": 7, "display_name": "Kit"}

    swapped = client.put(
        f"/api/events/{goal['id']}",
        json={"kind": "goal", "period": 1, "minute": 1, "player_id": maker,
              "assist_player_id": scorer},
        headers=headers,
    )  # fmt: skip
    assert swapped.status_code == 200, swapped.text
    assert (swapped.json()["player"]["id"], swapped.json()["assist_player"]["id"]) == (
        maker,
        scorer,
    )
    # PUT replaces the event: an assist left out is cleared.
    cleared = client.put(
        f"/api/events/{goal['id']}",
        json={"kind": "goal", "period": 1, "minute": 1, "player_id": maker},
        headers=headers,
    )
    assert cleared.json()["assist_player"] is None


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"kind": "save"}, "invalid", "only a goal"),
        ({"kind": "own_goal"}, "invalid", "only a goal"),
        ({"side": "opposition", "player_id": None}, "invalid", "only a goal"),
        ({"assist_player_id": "<scorer>"}, "invalid", "own goal"),
        ({"assist_player_id": str(uuid.uuid4())}, "unknown_player", "no such player"),
    ],
)
def test_an_assist_is_refused_where_it_cannot_be(
    client: TestClient, fields: dict[str, Any], code: str, message: str
) -> None:
    headers = factories.coach(client)
    team_id, scorer, maker = _team_with_two_players(client, headers)
    match_id = factories.live_match(client, headers, team_id)
    body = {"player_id": scorer, "assist_player_id": maker} | fields
    if body["assist_player_id"] == "<scorer>":
        body["assist_player_id"] = scorer

    refused = _post(client, headers, match_id, **body)

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == (code, "assist_player_id")
    assert message in error["message"]
    listed = client.get(f"/api/matches/{match_id}/events", headers=headers).json()["items"]
    assert [e["kind"] for e in listed] == ["kick_off"]


def test_another_teams_player_cannot_assist(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id, scorer, _ = _team_with_two_players(client, headers)
    other_team = factories.team(client, headers, name="Blues U10")
    stranger = factories.player(client, headers, other_team, number=4, name="Max")
    match_id = factories.live_match(client, headers, team_id)

    refused = _post(client, headers, match_id, player_id=scorer, assist_player_id=stranger)

    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "assist_player_id"


def test_sync_adds_edits_and_clears_an_assist_and_rejects_one_on_a_save(
    client: TestClient,
) -> None:
    phone = Phone(client)
    team_id, scorer, maker = _team_with_two_players(client, phone.headers)
    match_id = factories.match(client, phone.headers, team_id)
    kick_off = phone.add_event(match_id, "kick_off", minute=0)
    goal = phone.add_event(match_id, "goal", player_id=scorer, assist_player_id=maker)
    goal_id = goal["args"]["id"]
    corner = phone.add_event(match_id, "corner", player_id=maker)
    answer = phone.sync(
        kick_off,
        goal,
        corner,
        phone.add_event(match_id, "save", assist_player_id=maker),
        phone.mutation("edit_event", event_id=goal_id, changes={"assist_player_id": scorer}),
        phone.mutation("edit_event", event_id=corner["args"]["id"], changes={"kind": "goal"}),
        phone.mutation(
            "edit_event", event_id=corner["args"]["id"], changes={"assist_player_id": scorer}
        ),
    )
    verdicts = [(r["verdict"], (r.get("error") or {}).get("field")) for r in answer["results"]]
    assert verdicts == [
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("rejected", "args.assist_player_id"),
        ("rejected", "args.assist_player_id"),  # the scorer cannot assist their own goal
        ("applied", None),
        ("applied", None),
    ]

    later = phone.sync(
        phone.mutation("edit_event", event_id=goal_id, changes={"assist_player_id": None}),
        phone.mutation("edit_event", event_id=corner["args"]["id"], changes={"kind": "save"}),
    )
    # A goal with an assist cannot become another kind while it keeps the assist.
    assert [(r["verdict"], (r.get("error") or {}).get("field")) for r in later["results"]] == [
        ("applied", None),
        ("rejected", "args.assist_player_id"),
    ]
    records = {c["id"]: c["data"] for c in answer["changes"] + later["changes"] if c["data"]}
    assert records[goal_id]["assist_player_id"] is None
    assert records[corner["args"]["id"]]["assist_player_id"] == scorer
    assert records[corner["args"]["id"]]["kind"] == "goal"
