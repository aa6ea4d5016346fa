"""Team changes through /sync: a member pulls like a coach and has every write answered
``read_only``; a removed coach's phone gets the team's tombstone and its queued changes for
the team answered ``no_access``, while its other teams keep syncing; a rename, a role
change and a deleted team reach every phone that holds the team."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests import factories
from tests.sync import Phone


def _account_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/me", headers=headers).json()["id"])


def _teams(changes: list[dict[str, Any]]) -> list[tuple[str, bool, Any]]:
    return [
        (c["id"], c["deleted"], c["data"] and (c["data"]["name"], c["data"]["role"]))
        for c in changes
        if c["type"] == "team"
    ]


def _refusals(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["verdict"], r["error"]["code"], r["error"]["message"]) for r in answer["results"]]


def test_a_member_pulls_like_a_coach_and_every_write_is_answered_read_only(
    client: TestClient,
) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    player_id = factories.player(client, owner, team_id)
    match_id = factories.live_match(client, owner, team_id)
    goal = factories.event(client, owner, match_id, "goal", player_id=player_id)
    phone = Phone(client)
    factories.join(client, owner, team_id, phone.headers, role="member")

    pulled = phone.pull_all()
    answer = phone.sync(
        phone.add_event(match_id),
        phone.mutation("edit_event", event_id=goal["id"], changes={"minute": 5}),
        phone.mutation("delete_event", event_id=goal["id"]),
        phone.mutation("add_player", id=str(uuid.uuid4()), team_id=team_id, display_name="Al"),
        phone.mutation("update_player", player_id=player_id, display_name="Al"),
        phone.mutation(
            "create_match",
            id=str(uuid.uuid4()),
            team_id=team_id,
            opponent="Greens",
            kickoff_at="2026-11-28T10:00:00Z",
        ),
    )

    assert _teams(pulled) == [(team_id, False, ("Reds U10", "member"))]
    assert {c["type"] for c in pulled} >= {"player", "match", "event"}
    assert answer["last_mutation_id"] == 6
    assert [(v, c) for v, c, _ in _refusals(answer)] == [("rejected", "read_only")] * 6
    assert len(client.get(f"/api/matches/{match_id}/events", headers=owner).json()["items"]) == 2
    assert phone.sync(phone.add_event(match_id))["last_mutation_id"] == 7


def test_a_removed_coach_is_told_and_keeps_syncing_other_teams(client: TestClient) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    match_id = factories.live_match(client, owner, team_id)
    phone = Phone(client)
    factories.join(client, owner, team_id, phone.headers)
    own_team = factories.team(client, phone.headers, name="Blues U9")
    own_match = factories.live_match(client, phone.headers, own_team)
    phone.pull_all()
    queued = [phone.add_event(match_id), phone.add_event(own_match)]

    removed = client.delete(
        f"/api/teams/{team_id}/members/{_account_id(client, phone.headers)}", headers=owner
    )
    answer = phone.sync(*queued)

    assert removed.status_code == 204
    assert answer["last_mutation_id"] == 2
    assert answer["results"][0] == {
        "id": 1,
        "verdict": "rejected",
        "error": {
            "code": "no_access",
            "message": "You were removed from Reds U10",
            "field": None,
        },
    }
    assert answer["results"][1] == {"id": 2, "verdict": "applied"}
    assert _teams(answer["changes"]) == [(team_id, True, None)]
    assert [c["type"] for c in answer["changes"] if c["space"] == own_match] == ["event"]
    assert phone.pull_all() == []
    later = phone.sync(
        phone.mutation("add_player", id=str(uuid.uuid4()), team_id=team_id, display_name="Al")
    )
    assert _refusals(later) == [("rejected", "no_access", "You were removed from Reds U10")]
    replayed = phone.post(mutations=[queued[0]]).json()["results"][0]
    assert (replayed["error"]["code"], replayed["replayed"]) == ("no_access", True)


def test_a_stranger_still_gets_not_found(client: TestClient) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    match_id = factories.live_match(client, owner, team_id)
    phone = Phone(client)

    answer = phone.sync(phone.add_event(match_id))

    assert [(v, c) for v, c, _ in _refusals(answer)] == [("rejected", "not_found")]


def test_a_rename_and_a_role_change_reach_every_phone_holding_the_team(
    client: TestClient,
) -> None:
    owner_phone = Phone(client)
    owner = owner_phone.headers
    team_id = factories.team(client, owner)
    factories.player(client, owner, team_id)
    phone = Phone(client)
    factories.join(client, owner, team_id, phone.headers)
    owner_phone.pull_all()
    phone.pull_all()

    client.put(f"/api/teams/{team_id}", json={"name": "Reds U11"}, headers=owner)
    factories.player(client, owner, team_id, number=4, name="Kim")
    renamed = phone.pull_all(max_changes=1)
    client.put(
        f"/api/teams/{team_id}/members/{_account_id(client, phone.headers)}",
        json={"role": "member"},
        headers=owner,
    )
    re_roled = phone.pull_all()

    assert [(c["type"], c["seq"]) for c in renamed] == [("team", 2), ("player", 3)]
    assert _teams(renamed) == [(team_id, False, ("Reds U11", "coach"))]
    assert _teams(re_roled) == [(team_id, False, ("Reds U11", "member"))]
    assert _teams(owner_phone.pull_all()) == [(team_id, False, ("Reds U11", "owner"))]
    assert phone.pull_all() == []


def test_a_deleted_team_is_a_tombstone_on_every_members_phone(client: TestClient) -> None:
    owner_phone, coach_phone, member_phone = Phone(client), Phone(client), Phone(client)
    owner = owner_phone.headers
    team_id = factories.team(client, owner)
    match_id = factories.live_match(client, owner, team_id)
    factories.join(client, owner, team_id, coach_phone.headers)
    factories.join(client, owner, team_id, member_phone.headers, role="member")
    for phone in (owner_phone, coach_phone, member_phone):
        phone.pull_all()

    assert client.delete(f"/api/teams/{team_id}", headers=owner).status_code == 204

    for phone in (owner_phone, coach_phone, member_phone):
        answer = phone.sync(phone.add_event(match_id))
        assert _refusals(answer) == [("rejected", "no_access", "Reds U10 was deleted")]
        assert _teams(answer["changes"]) == [(team_id, True, None)]
        assert len(answer["changes"]) == 1
        assert phone.pull_all() == []
