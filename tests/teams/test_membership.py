"""Roles in a team, and its owner managing it: members read and never write; the owner
lists, removes, changes roles, transfers ownership, renames and deletes."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from backend.teams.qr import invite_qr_svg
from tests import factories


def _account_id(client: TestClient, headers: dict[str, str]) -> str:
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200, me.text
    return str(me.json()["id"])


def _roles(client: TestClient, headers: dict[str, str], team_id: str) -> dict[str, str]:
    members = client.get(f"/api/teams/{team_id}/members", headers=headers)
    assert members.status_code == 200, members.text
    return {m["account_id"]: m["role"] for m in members.json()}


def _code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def _club(client: TestClient) -> tuple[dict[str, str], dict[str, str], dict[str, str], str]:
    """An owner, a coach and a member of one team."""
    owner, coach, member = (factories.coach(client) for _ in range(3))
    team_id = factories.team(client, owner)
    factories.join(client, owner, team_id, coach)
    factories.join(client, owner, team_id, member, role="member")
    return owner, coach, member, team_id


def test_a_member_reads_what_a_coach_reads_and_writes_nothing(client: TestClient) -> None:
    owner, _, member, team_id = _club(client)
    player_id = factories.player(client, owner, team_id)
    match_id = factories.live_match(client, owner, team_id)
    event = factories.event(client, owner, match_id, "goal", player_id=player_id)

    assert client.get(f"/api/teams/{team_id}", headers=member).json()["role"] == "member"
    assert client.get(f"/api/teams/{team_id}/players", headers=member).status_code == 200
    assert client.get(f"/api/matches/{match_id}", headers=member).status_code == 200
    assert client.get(f"/api/matches/{match_id}/events", headers=member).status_code == 200
    writes = [
        client.post(f"/api/teams/{team_id}/players", json={"display_name": "Al"}, headers=member),
        client.put(f"/api/players/{player_id}", json={"display_name": "Al"}, headers=member),
        client.delete(f"/api/players/{player_id}", headers=member),
        client.post(
            "/api/matches",
            json={"team_id": team_id, "opponent": "Blues", "kickoff_at": "2026-11-21T10:00:00Z"},
            headers=member,
        ),
        client.put(
            f"/api/matches/{match_id}",
            json={"opponent": "Greens", "kickoff_at": "2026-11-21T10:00:00Z"},
            headers=member,
        ),
        client.post(
            f"/api/matches/{match_id}/events",
            json={"id": str(uuid.uuid4()), "kind": "goal", "period": 1, "minute": 3},
            headers=member,
        ),
        client.delete(f"/api/events/{event['id']}", headers=member),
        client.post(f"/api/matches/{match_id}/share-links", json={}, headers=member),
        client.delete(f"/api/matches/{match_id}", headers=member),
    ]
    assert [_code(w) for w in writes] == [(403, "read_only")] * len(writes)
    assert (
        client.get(f"/api/matches/{match_id}", headers=owner).json()["match"]["opponent"] == "Blues"
    )
    assert len(client.get(f"/api/matches/{match_id}/events", headers=owner).json()["items"]) == 2


def test_an_invite_grants_coach_or_member_but_never_owner(client: TestClient) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    url = f"/api/teams/{team_id}/invites"

    member = client.post(url, json={"role": "member"}, headers=owner)
    owner_invite = client.post(url, json={"role": "owner"}, headers=owner)

    assert member.status_code == 201 and member.json()["role"] == "member"
    assert owner_invite.status_code == 422
    assert owner_invite.json()["error"]["field"] == "role"


def test_the_owner_lists_members_and_changes_their_roles(client: TestClient) -> None:
    owner, coach, member, team_id = _club(client)
    ids = [_account_id(client, h) for h in (owner, coach, member)]
    assert _roles(client, member, team_id) == dict(
        zip(ids, ["owner", "coach", "member"], strict=True)
    )
    old_name = client.get(f"/api/teams/{team_id}/coaches", headers=coach)
    assert {c["account_id"] for c in old_name.json()} == set(ids)

    demoted = client.put(
        f"/api/teams/{team_id}/members/{ids[1]}", json={"role": "member"}, headers=owner
    )
    promoted = client.put(
        f"/api/teams/{team_id}/members/{ids[2]}", json={"role": "coach"}, headers=owner
    )

    assert demoted.status_code == promoted.status_code == 200, demoted.text
    assert _roles(client, owner, team_id) == dict(
        zip(ids, ["owner", "member", "coach"], strict=True)
    )
    assert _code(_post_player(client, coach, team_id)) == (403, "read_only")
    assert _post_player(client, member, team_id).status_code == 201
    by_coach = client.put(
        f"/api/teams/{team_id}/members/{ids[1]}", json={"role": "coach"}, headers=member
    )
    to_owner = client.put(
        f"/api/teams/{team_id}/members/{ids[1]}", json={"role": "owner"}, headers=owner
    )
    own = client.put(
        f"/api/teams/{team_id}/members/{ids[0]}", json={"role": "coach"}, headers=owner
    )
    assert _code(by_coach) == (403, "owner_only")
    assert to_owner.status_code == 422
    assert _code(own) == (409, "sole_owner")


def _post_player(client: TestClient, headers: dict[str, str], team_id: str) -> Any:
    return client.post(
        f"/api/teams/{team_id}/players", json={"display_name": "Jo"}, headers=headers
    )


def test_ownership_is_transferred_and_the_old_owner_becomes_a_coach(client: TestClient) -> None:
    owner, coach, member, team_id = _club(client)
    coach_id = _account_id(client, coach)
    stranger_id = _account_id(client, factories.coach(client))
    url = f"/api/teams/{team_id}/transfer"

    assert _code(client.post(url, json={"account_id": coach_id}, headers=member)) == (
        403,
        "owner_only",
    )
    assert client.post(url, json={"account_id": stranger_id}, headers=owner).status_code == 404
    moved = client.post(url, json={"account_id": coach_id}, headers=owner)

    assert moved.status_code == 200, moved.text
    assert moved.json()["role"] == "coach"
    assert client.get(f"/api/teams/{team_id}", headers=coach).json()["role"] == "owner"
    assert client.delete(f"/api/teams/{team_id}/members/me", headers=owner).status_code == 204
    renamed = client.put(f"/api/teams/{team_id}", json={"name": "Reds U11"}, headers=coach)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Reds U11"


def test_only_the_owner_renames_the_team(client: TestClient) -> None:
    owner, coach, _, team_id = _club(client)

    refused = client.put(f"/api/teams/{team_id}", json={"name": "Mine"}, headers=coach)
    blank = client.put(f"/api/teams/{team_id}", json={"name": ""}, headers=owner)
    renamed = client.put(f"/api/teams/{team_id}", json={"name": "Reds U11"}, headers=owner)

    assert _code(refused) == (403, "owner_only")
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "name"
    assert renamed.status_code == 200, renamed.text
    assert [t["name"] for t in client.get("/api/teams", headers=coach).json()] == ["Reds U11"]


def test_the_owner_removes_a_coach_who_then_reaches_nothing(client: TestClient) -> None:
    owner, coach, member, team_id = _club(client)
    match_id = factories.match(client, owner, team_id)
    coach_id = _account_id(client, coach)
    url = f"/api/teams/{team_id}/members/{coach_id}"

    assert _code(client.delete(url, headers=member)) == (403, "owner_only")
    removed = client.delete(url, headers=owner)

    assert removed.status_code == 204
    assert client.get(f"/api/teams/{team_id}", headers=coach).status_code == 404
    assert client.get(f"/api/matches/{match_id}", headers=coach).status_code == 404
    assert client.get("/api/teams", headers=coach).json() == []
    assert coach_id not in _roles(client, owner, team_id)
    assert client.delete(url, headers=owner).status_code == 404
    owner_id = _account_id(client, owner)
    own = client.delete(f"/api/teams/{team_id}/members/{owner_id}", headers=owner)
    assert _code(own) == (409, "sole_owner")


def test_the_owner_cannot_leave_but_may_hand_over_or_delete(client: TestClient) -> None:
    owner, _, _, team_id = _club(client)

    refused = client.delete(f"/api/teams/{team_id}/members/me", headers=owner)

    assert _code(refused) == (409, "sole_owner")
    assert "transfer ownership" in refused.json()["error"]["message"]


def test_a_deleted_team_is_gone_for_everyone_with_its_links(client: TestClient) -> None:
    owner, coach, member, team_id = _club(client)
    match_id = factories.match(client, owner, team_id)
    link = client.post(f"/api/matches/{match_id}/share-links", json={}, headers=coach).json()
    invite = client.post(f"/api/teams/{team_id}/invites", json={}, headers=owner).json()
    newcomer = factories.coach(client)

    assert client.delete(f"/api/teams/{team_id}", headers=coach).status_code == 403
    deleted = client.delete(f"/api/teams/{team_id}", headers=owner)

    assert deleted.status_code == 204
    for headers in (owner, coach, member):
        assert client.get(f"/api/teams/{team_id}", headers=headers).status_code == 404
        assert client.get(f"/api/matches/{match_id}", headers=headers).status_code == 404
        assert client.get("/api/teams", headers=headers).json() == []
    watch = client.get("/api/watch", headers={"Authorization": f"Bearer {link['token']}"})
    assert watch.status_code == 410
    accept = client.post("/api/invites/accept", json={"token": invite["token"]}, headers=newcomer)
    assert accept.status_code == 404
    assert client.delete(f"/api/teams/{team_id}", headers=owner).status_code == 404


def test_an_invite_is_drawn_as_a_qr_code_of_its_whole_link(client: TestClient) -> None:
    owner, coach, _, team_id = _club(client)
    invite = client.post(f"/api/teams/{team_id}/invites", json={}, headers=owner).json()
    url = f"/api/invites/{invite['id']}/qr.svg"

    drawn = client.get(url, headers=owner)

    assert drawn.status_code == 200
    assert drawn.headers["content-type"] == "image/svg+xml"
    assert drawn.headers["cache-control"] == "no-store"
    assert drawn.content == invite_qr_svg(f"http://testserver{invite['path']}")
    assert _code(client.get(url, headers=coach)) == (403, "owner_only")
    assert client.get(url, headers=factories.coach(client)).status_code == 404
    page = client.get("/join")
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
