"""Answers that carry a token are never cached, and a token used where it does not belong
is told so plainly."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import factories

# Every route whose answer carries a token: (method, path, body).
TOKEN_ANSWERS = [
    ("POST", "/api/auth/login", None),
    ("POST", "/api/devices", {"name": "phone"}),
    ("GET", "/api/matches/{match_id}/share", None),
    ("POST", "/api/matches/{match_id}/share-links", {}),
    ("GET", "/api/matches/{match_id}/share-links", None),
    ("POST", "/api/teams/{team_id}/invites", {}),
    ("GET", "/api/teams/{team_id}/invites", None),
    ("GET", "/api/teams/{team_id}/calendar", None),
    ("POST", "/api/teams/{team_id}/calendar/rotate", None),
    # Last: it signs out every login token (the device that asks stays signed in).
    (
        "POST",
        "/api/account/password",
        {"current_password": factories.PASSWORD, "new_password": "a new long passphrase"},
    ),
]


def _carries_a_token(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    if "items" in schema:
        return _carries_a_token(schema["items"], components)
    return bool({"token", "access_token"} & set(schema.get("properties", {})))


def test_every_route_answering_with_a_token_is_listed(client: TestClient) -> None:
    document: dict[str, Any] = client.app.openapi()  # type: ignore[attr-defined]
    components = document["components"]["schemas"]
    found = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
        and _carries_a_token(
            answer.get("content", {}).get("application/json", {}).get("schema", {}), components
        )
    }

    assert found == {(method, path) for method, path, _ in TOKEN_ANSWERS}


def test_answers_that_carry_a_token_are_never_stored(client: TestClient) -> None:
    email = "keeper@example.org"
    device = factories.coach(client, email=email)
    team_id = factories.team(client, device)
    ids = {"team_id": team_id, "match_id": factories.match(client, device, team_id)}
    login = client.post("/api/auth/login", json={"email": email, "password": factories.PASSWORD})
    login_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    for method, path, body in TOKEN_ANSWERS:
        if path == "/api/auth/login":
            response = login
        else:
            headers = login_headers if path == "/api/devices" else device
            response = client.request(method, path.format(**ids), json=body, headers=headers)

        assert response.status_code in (200, 201), (path, response.text)
        assert "token" in response.text, path
        assert response.headers.get("cache-control") == "no-store", (method, path)


def test_a_share_token_on_a_coach_route_is_told_it_only_opens_the_watch_page(
    client: TestClient,
) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    match_id = factories.match(client, coach, team_id)
    share = client.get(f"/api/matches/{match_id}/share", headers=coach).json()["token"]
    as_share = {"Authorization": f"Bearer {share}"}

    for method, path in (("GET", "/api/me"), ("GET", f"/api/matches/{match_id}")):
        answer = client.request(method, path, headers=as_share)

        assert answer.status_code == 401
        error = answer.json()["error"]
        assert error["code"] == "share_token_not_accepted"
        assert "share link" in error["message"] and "watch" in error["message"]

    assert client.get("/api/watch", headers=as_share).status_code == 200
    respelt = client.get("/api/watch", headers={"Authorization": f"Bearer {share}="})
    assert (respelt.status_code, respelt.json()["error"]["code"]) == (401, "invalid_token")
