"""A coach reaches only their own teams' data, and only with credentials.

Another team's ids must answer exactly like ids that do not exist, so an id reveals
nothing; fields the server owns cannot be set by a client. Within a team, each role gets
exactly what ``ROLES`` says: the owner manages, a coach writes, a member only reads.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests import factories

# GET /api/watch/push answers only the VAPID public key, which every subscriber is given.
# A forgotten password: whether the server mails links, asking for one (the same answer for
# every address), and using one (the link is the credential).
PUBLIC = {
    ("POST", "/api/accounts"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/watch/push"),
    ("GET", "/api/auth/recovery"),
    ("POST", "/api/auth/reset-request"),
    ("POST", "/api/auth/reset"),
}
KICKOFF = "2026-11-21T10:00:00Z"

# Downloads of a team's data: for its owner and coaches only, like every read by id.
EXPORTS = {
    ("GET", "/api/matches/{match_id}/events.csv"),
    ("GET", "/api/teams/{team_id}/export.json"),
    ("GET", "/api/teams/{team_id}/export.zip"),
}

# A valid body for every write that names an id in its path, so that the id is the only
# thing that can be wrong with the request.
WRITE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/matches/{match_id}"): {"opponent": "Greens", "kickoff_at": KICKOFF},
    ("POST", "/api/matches/{match_id}/events"): {"kind": "goal", "period": 1, "minute": 4},
    ("PUT", "/api/matches/{match_id}/lineup"): {"players": []},
    ("PUT", "/api/events/{event_id}"): {"kind": "goal", "period": 1, "minute": 5},
    ("PUT", "/api/players/{player_id}"): {"display_name": "Renamed"},
    ("POST", "/api/teams/{team_id}/players"): {"display_name": "New"},
    ("POST", "/api/teams/{team_id}/invites"): {"max_uses": 2},
    ("POST", "/api/matches/{match_id}/share-links"): {"names": "initials"},
    ("POST", "/api/teams/{team_id}/calendar/rotate"): {},
    ("PUT", "/api/teams/{team_id}"): {"name": "Renamed"},
    ("PUT", "/api/teams/{team_id}/members/{account_id}"): {"role": "coach"},
    ("POST", "/api/teams/{team_id}/transfer"): {"account_id": "{account_id}"},
}


def _operations(client: TestClient) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def _request(
    client: TestClient, method: str, path: str, ids: dict[str, str], headers: dict[str, str]
) -> Any:
    body = WRITE_BODIES.get((method, path))
    if body is not None and path.endswith("/events"):
        body = body | {"id": str(uuid.uuid4())}
    if body is not None:
        body = {k: _fill(v, ids) if isinstance(v, str) else v for k, v in body.items()}
    return client.request(method, _fill(path, ids), json=body, headers=headers)


def _owner_with_everything(client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    """Coach A with one of each thing that has an id; A's headers and the ids by name."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    player_id = factories.player(client, headers, team_id)
    match_id = factories.live_match(client, headers, team_id)
    event_id = factories.event(client, headers, match_id, "goal", player_id=player_id)["id"]
    [device] = client.get("/api/devices", headers=headers).json()
    link_id = client.get(f"/api/matches/{match_id}/share", headers=headers).json()["id"]
    invite = client.post(f"/api/teams/{team_id}/invites", json={}, headers=headers).json()
    member = factories.coach(client)
    factories.join(client, headers, team_id, member, role="member")
    ids = {
        "account_id": client.get("/api/me", headers=member).json()["id"],
        "invite_id": invite["id"],
        "link_id": link_id,
        "team_id": team_id,
        "player_id": player_id,
        "match_id": match_id,
        "event_id": event_id,
        "device_id": device["id"],
    }
    return headers, ids


def _match_as_stored(client: TestClient, headers: dict[str, str], match_id: str) -> Any:
    """The match's detail without its clock, which runs while the match is live."""
    detail = client.get(f"/api/matches/{match_id}", headers=headers).json()
    del detail["match"]["clock"]
    return detail


def test_another_teams_ids_look_like_ids_that_do_not_exist(client: TestClient) -> None:
    owner, theirs = _owner_with_everything(client)
    before = _match_as_stored(client, owner, theirs["match_id"])
    stranger = factories.coach(client, email="stranger@example.org")
    factories.match(client, stranger, factories.team(client, stranger))
    with_ids = [
        (method, path)
        for method, path in _operations(client)
        if path.startswith("/api/") and "{" in path
    ]
    unlisted = {
        op for op in with_ids if op[0] in {"POST", "PUT", "PATCH"} and op not in WRITE_BODIES
    }
    assert not unlisted, f"give these a valid body in WRITE_BODIES: {sorted(unlisted)}"
    assert set(with_ids) >= EXPORTS
    # Reads and writes first, deletes last, so a wrongly allowed delete cannot hide others.
    with_ids.sort(key=lambda op: op[0] == "DELETE")

    for method, path in with_ids:
        random_ids = {name: str(uuid.uuid4()) for name in theirs}
        other = _request(client, method, path, theirs, stranger)
        random = _request(client, method, path, random_ids, stranger)

        assert other.status_code == random.status_code == 404, (method, path, other.text)
        assert other.json() == random.json(), (method, path)

    assert _match_as_stored(client, owner, theirs["match_id"]) == before
    assert client.get(f"/api/players/{theirs['player_id']}", headers=owner).status_code == 200
    assert client.get("/api/me", headers=owner).status_code == 200
    invites = client.get(f"/api/teams/{theirs['team_id']}/invites", headers=owner).json()
    assert {i["id"]: i["revoked_at"] for i in invites}[theirs["invite_id"]] is None
    assert len(client.get(f"/api/teams/{theirs['team_id']}/members", headers=owner).json()) == 2
    assert client.get(f"/api/teams/{theirs['team_id']}", headers=owner).json()["role"] == "owner"


def test_the_calendar_feed_opens_by_its_token_alone(client: TestClient) -> None:
    """The feed is public like /watch: outside /api, no login, the token in its URL is the
    capability. A coach's credentials open no feed, and another team's or a made-up token
    answers like a feed that does not exist."""
    owner, theirs = _owner_with_everything(client)
    stranger = factories.coach(client)
    path = client.get(f"/api/teams/{theirs['team_id']}/calendar", headers=owner).json()["path"]
    feeds = [(m, p) for m, p in _operations(client) if p.startswith("/calendar/")]

    assert feeds == [("GET", "/calendar/{token}.ics")]
    assert client.get(path).status_code == 200
    assert client.get(path, headers=stranger).status_code == 200
    made_up = client.get("/calendar/made-up.ics", headers=owner)
    assert made_up.status_code == 404
    assert made_up.json() == client.get("/calendar/other.ics").json()


def test_erasure_and_my_data_reach_only_what_is_ones_own(client: TestClient) -> None:
    """Erasing is a delete by id like any other: another team's player answers like one
    that does not exist. "My data" has no id: it is the caller's own, and nobody else's."""
    owner, theirs = _owner_with_everything(client)
    stranger = factories.coach(client)
    erase = {"erase": "true"}
    assert ("GET", "/api/me/export.json") in _operations(client)

    other = client.delete(f"/api/players/{theirs['player_id']}", params=erase, headers=stranger)
    random = client.delete(f"/api/players/{uuid.uuid4()}", params=erase, headers=stranger)
    mine = client.get("/api/me/export.json", headers=stranger)

    assert other.status_code == random.status_code == 404
    assert other.json() == random.json()
    assert client.get(f"/api/players/{theirs['player_id']}", headers=owner).json()["full_name"]
    assert mine.status_code == 200
    assert mine.json()["teams"] == [] and mine.json()["devices"] != []
    assert theirs["team_id"] not in mine.text and theirs["device_id"] not in mine.text


INSIGHT_READS = {
    ("GET", "/api/teams/{team_id}/stats"),
    ("GET", "/api/teams/{team_id}/stats.csv"),
    ("GET", "/api/teams/{team_id}/fairness"),
    ("GET", "/api/players/{player_id}/stats"),
    ("GET", "/api/matches/{match_id}/stats"),
    ("GET", "/api/matches/{match_id}/minutes.csv"),
}


def test_the_stats_routes_are_in_the_matrix(client: TestClient) -> None:
    """The matrix above is every route with an id; the stats and exports must be among
    them, so another team's stats answer like stats of nothing."""
    assert set(_operations(client)) >= INSIGHT_READS
    owner, theirs = _owner_with_everything(client)
    stranger = factories.coach(client)
    for method, path in sorted(INSIGHT_READS):
        assert _request(client, method, path, theirs, owner).status_code == 200, path
        assert _request(client, method, path, theirs, stranger).status_code == 404, path


def test_another_teams_id_in_a_body_looks_like_one_that_does_not_exist(
    client: TestClient,
) -> None:
    _, theirs = _owner_with_everything(client)
    stranger = factories.coach(client)

    def create(team_id: str) -> Any:
        body = {"team_id": team_id, "opponent": "Blues", "kickoff_at": KICKOFF}
        return client.post("/api/matches", json=body, headers=stranger)

    other, random = create(theirs["team_id"]), create(str(uuid.uuid4()))

    assert other.status_code == random.status_code == 404
    assert other.json() == random.json()
    assert other.json()["error"]["field"] == "team_id"
    listed = client.get("/api/matches", params={"team_id": theirs["team_id"]}, headers=stranger)
    assert listed.json()["items"] == []


def test_every_api_route_but_sign_up_and_login_needs_credentials(client: TestClient) -> None:
    names = ("team_id", "player_id", "match_id", "event_id", "link_id", "invite_id", "account_id")
    ids = {name: str(uuid.uuid4()) for name in names}
    ids["device_id"] = str(uuid.uuid4())
    checked = 0

    for method, path in _operations(client):
        if not path.startswith("/api/") or (method, path) in PUBLIC:
            continue
        for headers in (None, {"Authorization": "Basic Y29hY2g6c2VjcmV0"}):
            response = client.request(
                method,
                _fill(path, ids),
                json={} if method in {"POST", "PUT"} else None,
                headers=headers,
            )
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["error"]["code"] in {"unauthorized", "invalid_token"}
        checked += 1

    assert checked >= 15


SERVER_OWNED: list[tuple[str, str, dict[str, Any], str]] = [
    ("PUT", "/api/matches/{match_id}", {"opponent": "X", "kickoff_at": KICKOFF}, "seq"),
    ("PUT", "/api/matches/{match_id}", {"opponent": "X", "kickoff_at": KICKOFF}, "team_id"),
    ("PUT", "/api/matches/{match_id}", {"opponent": "X", "kickoff_at": KICKOFF}, "status"),
    ("POST", "/api/matches", {"opponent": "X", "kickoff_at": KICKOFF}, "created_at"),
    ("POST", "/api/matches", {"opponent": "X", "kickoff_at": KICKOFF}, "deleted_at"),
    ("POST", "/api/matches/{match_id}/events", {"kind": "goal"}, "seq"),
    ("POST", "/api/matches/{match_id}/events", {"kind": "goal"}, "deleted_at"),
    ("POST", "/api/matches/{match_id}/events", {"kind": "goal"}, "device_id"),
    ("PUT", "/api/events/{event_id}", {"kind": "goal"}, "match_id"),
    ("PUT", "/api/events/{event_id}", {"kind": "goal"}, "created_at"),
    ("PUT", "/api/players/{player_id}", {"display_name": "X"}, "team_id"),
    ("PUT", "/api/players/{player_id}", {"display_name": "X"}, "deleted_at"),
    ("POST", "/api/teams/{team_id}/players", {"display_name": "X"}, "seq"),
    ("POST", "/api/teams", {"name": "X"}, "role"),
    ("POST", "/api/accounts", {"password": factories.PASSWORD}, "role"),
    ("POST", "/api/devices", {"name": "phone"}, "token_hash"),
    ("PUT", "/api/matches/{match_id}/lineup", {"players": []}, "seq"),
]


def test_fields_the_server_owns_cannot_be_set(client: TestClient) -> None:
    owner, ids = _owner_with_everything(client)
    before = _match_as_stored(client, owner, ids["match_id"])

    for method, path, valid, field in SERVER_OWNED:
        body = dict(valid)
        if path == "/api/matches":
            body["team_id"] = ids["team_id"]
        if path == "/api/accounts":
            body |= {"email": "new@example.org", "display_name": "New"}
        if "/events" in path:
            body |= {"period": 1, "minute": 1}
            if method == "POST":
                body["id"] = str(uuid.uuid4())

        response = client.request(
            method, _fill(path, ids), json=body | {field: ids["team_id"]}, headers=owner
        )

        assert response.status_code == 422, (method, path, field, response.text)
        assert response.json()["error"]["field"] == field, (method, path, field)

    assert _match_as_stored(client, owner, ids["match_id"]) == before


def test_the_repair_step_answers_another_teams_ids_like_ids_that_do_not_exist(
    client: TestClient,
) -> None:
    """``POST /sync/repair`` (no id in its path, so not in the matrix above): a record of
    another team is refused exactly like one of nothing, and changes nothing."""
    owner = factories.coach(client)
    match_id = factories.live_match(client, owner, factories.team(client, owner))
    goal = factories.event(client, owner, match_id, "goal", minute=3)
    stranger = factories.coach(client, email="stranger@example.org")
    [device] = client.get("/api/devices", headers=stranger).json()

    def offered(target_match: str, event_id: str) -> list[dict[str, Any]]:
        body = {"protocol": 3, "device_id": device["id"]}
        data = {"match_id": target_match, "kind": "goal", "period": 1, "minute": 3}
        record = {"type": "event", "id": event_id, "deleted": True, "data": data}
        answer = client.post("/sync/repair", json=body | {"records": [record]}, headers=stranger)
        assert answer.status_code == 200, answer.text
        results: list[dict[str, Any]] = answer.json()["results"]
        return results

    theirs = offered(match_id, goal["id"])
    nothing = offered(str(uuid.uuid4()), str(uuid.uuid4()))

    assert [(r["outcome"], r["error"]) for r in theirs] == [
        (r["outcome"], r["error"]) for r in nothing
    ]
    assert theirs[0]["outcome"] == "refused"
    kept = client.get(f"/api/matches/{match_id}/events", headers=owner).json()["items"]
    assert [e["deleted"] for e in kept if e["id"] == goal["id"]] == [False]
    unauthenticated = client.post("/sync/repair", json={"protocol": 3, "records": []})
    assert unauthenticated.status_code == 401


# What each role in the team gets from each route that acts on the team or its data:
# (owner, coach, member, stranger). The owner's request runs last, on a team of its own.
ROLES: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/api/teams/{team_id}"): (200, 200, 200, 404),
    ("GET", "/api/teams/{team_id}/members"): (200, 200, 200, 404),
    ("GET", "/api/teams/{team_id}/coaches"): (200, 200, 200, 404),
    ("PUT", "/api/teams/{team_id}"): (200, 403, 403, 404),
    ("DELETE", "/api/teams/{team_id}"): (204, 403, 403, 404),
    ("PUT", "/api/teams/{team_id}/members/{account_id}"): (200, 403, 403, 404),
    ("DELETE", "/api/teams/{team_id}/members/{account_id}"): (204, 403, 403, 404),
    ("POST", "/api/teams/{team_id}/transfer"): (200, 403, 403, 404),
    ("POST", "/api/teams/{team_id}/invites"): (201, 403, 403, 404),
    ("GET", "/api/teams/{team_id}/invites"): (200, 403, 403, 404),
    ("GET", "/api/invites/{invite_id}/qr.svg"): (200, 403, 403, 404),
    ("DELETE", "/api/invites/{invite_id}"): (204, 403, 403, 404),
    ("POST", "/api/teams/{team_id}/players"): (201, 201, 403, 404),
    ("PUT", "/api/players/{player_id}"): (200, 200, 403, 404),
    ("GET", "/api/matches/{match_id}"): (200, 200, 200, 404),
    ("PUT", "/api/matches/{match_id}"): (200, 200, 403, 404),
    ("POST", "/api/matches/{match_id}/events"): (201, 201, 403, 404),
    ("PUT", "/api/events/{event_id}"): (200, 200, 403, 404),
    ("POST", "/api/matches/{match_id}/share-links"): (201, 201, 403, 404),
    ("GET", "/api/teams/{team_id}/export.json"): (200, 200, 200, 404),
    ("GET", "/api/teams/{team_id}/calendar"): (200, 200, 200, 404),
    ("POST", "/api/teams/{team_id}/calendar/rotate"): (201, 201, 403, 404),
}


def test_each_role_gets_what_the_matrix_says(client: TestClient) -> None:
    assert set(_operations(client)) >= set(ROLES)
    for (method, path), (as_owner, as_coach, as_member, as_stranger) in ROLES.items():
        owner, ids = _owner_with_everything(client)
        coach = factories.coach(client)
        factories.join(client, owner, ids["team_id"], coach)
        member = factories.coach(client)
        factories.join(client, owner, ids["team_id"], member, role="member")
        stranger = factories.coach(client)
        for headers, expected in (
            (stranger, as_stranger),
            (member, as_member),
            (coach, as_coach),
            (owner, as_owner),
        ):
            response = _request(client, method, path, ids, headers)
            assert response.status_code == expected, (method, path, expected, response.text)
            if expected == 403:
                code = response.json()["error"]["code"]
                assert code == ("read_only" if as_coach < 400 else "owner_only"), (method, path)
