"""A coach joins a team only by accepting its owner's invitation, and may leave it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.db.models import TeamInvite, utcnow
from tests import factories
from tests.sync import Phone


def _invite(client: TestClient, owner: dict[str, str], team_id: str, **body: Any) -> Any:
    response = client.post(f"/api/teams/{team_id}/invites", json=body, headers=owner)
    assert response.status_code == 201, response.text
    return response.json()


def _accept(client: TestClient, headers: dict[str, str], token: str) -> Any:
    return client.post("/api/invites/accept", json={"token": token}, headers=headers)


def _coach_emails(client: TestClient, headers: dict[str, str], team_id: str) -> set[str]:
    coaches = client.get(f"/api/teams/{team_id}/coaches", headers=headers)
    assert coaches.status_code == 200, coaches.text
    return {c["email"] for c in coaches.json()}


def test_a_coach_joins_only_by_accepting_an_invite(client: TestClient) -> None:
    owner = factories.coach(client)
    assistant = factories.coach(client, email="assistant@example.org")
    team_id = factories.team(client, owner)
    match_id = factories.match(client, owner, team_id)

    created = client.post(f"/api/teams/{team_id}/invites", json={}, headers=owner)

    assert created.status_code == 201, created.text
    invite = created.json()
    assert created.headers["cache-control"] == "no-store"
    assert invite["path"] == f"/join#{invite['token']}"
    assert (invite["team_id"], invite["role"], invite["uses"], invite["max_uses"]) == (
        team_id,
        "coach",
        0,
        1,
    )
    lifetime = invite["expires_at"][:13], invite["created_at"][:13]
    assert lifetime[0] > lifetime[1]
    assert client.get(f"/api/teams/{team_id}", headers=assistant).status_code == 404

    joined = _accept(client, assistant, invite["token"])

    assert joined.status_code == 200, joined.text
    assert (joined.json()["id"], joined.json()["role"]) == (team_id, "coach")
    assert client.get(f"/api/teams/{team_id}", headers=assistant).json()["role"] == "coach"
    assert client.get(f"/api/matches/{match_id}", headers=assistant).status_code == 200
    assert "assistant@example.org" in _coach_emails(client, owner, team_id)
    [listed] = client.get(f"/api/teams/{team_id}/invites", headers=owner).json()
    assert (listed["id"], listed["uses"], listed["revoked_at"]) == (invite["id"], 1, None)


def test_adding_a_coach_by_email_is_retired_and_reveals_no_account(client: TestClient) -> None:
    owner = factories.coach(client)
    factories.coach(client, email="victim@example.org", name="Victim Name")
    team_id = factories.team(client, owner)
    url = f"/api/teams/{team_id}/coaches"

    existing = client.post(url, json={"email": "victim@example.org"}, headers=owner)
    unknown = client.post(url, json={"email": "nobody@example.org"}, headers=owner)

    assert existing.status_code == unknown.status_code == 410
    assert existing.json() == unknown.json()
    assert existing.json()["error"]["code"] == "use_invites"
    assert "/invites" in existing.json()["error"]["message"]
    assert "Victim Name" not in existing.text
    assert _coach_emails(client, owner, team_id) == {
        client.get("/api/me", headers=owner).json()["email"]
    }
    assert client.post(url, json={"email": "victim@example.org"}).status_code == 401


def test_a_single_use_invite_lets_in_one_coach_and_a_retry_of_theirs(client: TestClient) -> None:
    owner = factories.coach(client)
    first = factories.coach(client)
    second = factories.coach(client)
    team_id = factories.team(client, owner)
    token = _invite(client, owner, team_id)["token"]
    assert _accept(client, first, token).status_code == 200

    again = _accept(client, first, token)
    late = _accept(client, second, token)

    assert (again.status_code, again.json()["role"]) == (200, "coach")
    assert late.status_code == 410
    assert (late.json()["error"]["code"], late.json()["error"]["field"]) == (
        "invite_used_up",
        "token",
    )
    assert client.get(f"/api/teams/{team_id}", headers=second).status_code == 404
    [invite] = client.get(f"/api/teams/{team_id}/invites", headers=owner).json()
    assert invite["uses"] == 1


def test_an_invite_for_several_lets_in_that_many(client: TestClient) -> None:
    owner = factories.coach(client)
    coaches = [factories.coach(client) for _ in range(3)]
    team_id = factories.team(client, owner)
    token = _invite(client, owner, team_id, max_uses=2, expires_in_hours=1)["token"]

    answers = [_accept(client, coach, token).status_code for coach in coaches]

    assert answers == [200, 200, 410]
    assert len(_coach_emails(client, owner, team_id)) == 3


def test_a_revoked_invite_is_refused_and_members_stay(client: TestClient) -> None:
    owner = factories.coach(client)
    joined, refused = factories.coach(client), factories.coach(client)
    team_id = factories.team(client, owner)
    invite = _invite(client, owner, team_id, max_uses=5)
    assert _accept(client, joined, invite["token"]).status_code == 200

    revoked = client.delete(f"/api/invites/{invite['id']}", headers=owner)

    assert revoked.status_code == 204
    answer = _accept(client, refused, invite["token"])
    assert (answer.status_code, answer.json()["error"]["code"]) == (410, "invite_revoked")
    assert client.get(f"/api/teams/{team_id}", headers=refused).status_code == 404
    assert client.get(f"/api/teams/{team_id}", headers=joined).status_code == 200
    [listed] = client.get(f"/api/teams/{team_id}/invites", headers=owner).json()
    assert listed["revoked_at"] is not None
    assert client.delete(f"/api/invites/{invite['id']}", headers=owner).status_code == 204


def test_an_expired_invite_is_refused(client: TestClient, db_session: Session) -> None:
    owner, late = factories.coach(client), factories.coach(client)
    team_id = factories.team(client, owner)
    invite = _invite(client, owner, team_id)
    db_session.execute(
        update(TeamInvite)
        .where(TeamInvite.id == uuid.UUID(invite["id"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db_session.flush()

    answer = _accept(client, late, invite["token"])

    assert (answer.status_code, answer.json()["error"]["code"]) == (410, "invite_expired")
    assert client.get(f"/api/teams/{team_id}", headers=late).status_code == 404


def test_a_forged_altered_or_other_purpose_token_names_no_invite(
    client: TestClient, app: FastAPI
) -> None:
    owner, stranger = factories.coach(client), factories.coach(client)
    team_id = factories.team(client, owner)
    invite = _invite(client, owner, team_id, max_uses=10)
    keys = app.state.settings.secret_keys
    as_share_token = URLSafeSerializer(keys, salt="touchline.share").dumps(
        uuid.UUID(invite["id"]).hex
    )
    forged = URLSafeSerializer(["not our key"], salt="touchline.invite").dumps(
        uuid.UUID(invite["id"]).hex
    )

    for bad in ("nonsense", invite["token"] + "=", " " + invite["token"], as_share_token, forged):
        answer = _accept(client, stranger, bad)
        assert answer.status_code == 404, bad
        assert answer.json()["error"]["field"] == "token", bad

    assert client.get(f"/api/teams/{team_id}", headers=stranger).status_code == 404
    [listed] = client.get(f"/api/teams/{team_id}/invites", headers=owner).json()
    assert listed["uses"] == 0


def test_only_the_owner_invites_lists_and_revokes(client: TestClient) -> None:
    owner, assistant = factories.coach(client), factories.coach(client)
    team_id = factories.team(client, owner)
    invite = _invite(client, owner, team_id, max_uses=2)
    assert _accept(client, assistant, invite["token"]).status_code == 200

    answers = [
        client.post(f"/api/teams/{team_id}/invites", json={}, headers=assistant),
        client.get(f"/api/teams/{team_id}/invites", headers=assistant),
        client.delete(f"/api/invites/{invite['id']}", headers=assistant),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert invite["token"] not in answers[1].text
    [listed] = client.get(f"/api/teams/{team_id}/invites", headers=owner).json()
    assert listed["revoked_at"] is None


def test_bad_invite_requests_name_the_field(client: TestClient) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    url = f"/api/teams/{team_id}/invites"
    cases = [
        (url, {"max_uses": 0}, "max_uses"),
        (url, {"max_uses": 101}, "max_uses"),
        (url, {"max_uses": "2"}, "max_uses"),
        (url, {"expires_in_hours": 721}, "expires_in_hours"),
        (url, {"role": "owner"}, "role"),
        (url, {"uses": 1}, "uses"),
        ("/api/invites/accept", {}, "token"),
        ("/api/invites/accept", {"token": ""}, "token"),
        ("/api/invites/accept", {"token": 7}, "token"),
    ]

    for path, body, field in cases:
        answer = client.post(path, json=body, headers=owner)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["field"] == field, body

    assert client.get(url, headers=owner).json() == []


def test_a_coach_leaves_a_team_and_their_phone_drops_it(client: TestClient) -> None:
    owner = factories.coach(client)
    phone = Phone(client)
    team_id = factories.team(client, owner)
    factories.match(client, owner, team_id)
    factories.join(client, owner, team_id, phone.headers)
    assert ("team", team_id) in {(c["type"], c["id"]) for c in phone.pull_all()}

    left = client.delete(f"/api/teams/{team_id}/members/me", headers=phone.headers)

    assert left.status_code == 204
    assert client.get(f"/api/teams/{team_id}", headers=phone.headers).status_code == 404
    [tombstone] = phone.pull_all()
    assert (tombstone["type"], tombstone["id"], tombstone["deleted"]) == ("team", team_id, True)
    assert len(_coach_emails(client, owner, team_id)) == 1
    again = client.delete(f"/api/teams/{team_id}/members/me", headers=phone.headers)
    assert again.status_code == 404
    factories.join(client, owner, team_id, phone.headers)
    assert client.get(f"/api/teams/{team_id}", headers=phone.headers).json()["role"] == "coach"


def test_the_only_owner_cannot_leave(client: TestClient) -> None:
    owner, assistant = factories.coach(client), factories.coach(client)
    team_id = factories.team(client, owner)
    factories.join(client, owner, team_id, assistant)

    refused = client.delete(f"/api/teams/{team_id}/members/me", headers=owner)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "sole_owner"
    assert client.get(f"/api/teams/{team_id}", headers=owner).json()["role"] == "owner"
