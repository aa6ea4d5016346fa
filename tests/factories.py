"""Build what a test needs through the public API, the way a client would."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def coach(client: TestClient, email: str | None = None, name: str = "Coach") -> dict[str, str]:
    """Register a coach, log in, register a phone; return its Authorization header."""
    email = email or f"coach-{uuid.uuid4().hex[:8]}@example.org"
    created = client.post(
        "/api/accounts", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert created.status_code == 201, created.text
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    login_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    device = client.post("/api/devices", json={"name": "phone"}, headers=login_headers)
    assert device.status_code == 201, device.text
    return {"Authorization": f"Bearer {device.json()['token']}"}


def team(client: TestClient, headers: dict[str, str], name: str = "Reds U10") -> str:
    response = client.post("/api/teams", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def player(
    client: TestClient, headers: dict[str, str], team_id: str, number: int = 9, name: str = "Sam"
) -> str:
    response = client.post(
        f"/api/teams/{team_id}/players",
        json={"squad_number": number, "display_name": name, "full_name": f"{name} Example"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def match(client: TestClient, headers: dict[str, str], team_id: str, **fields: Any) -> str:
    body = {"team_id": team_id, "opponent": "Blues", "kickoff_at": "2026-11-21T10:00:00Z"}
    response = client.post("/api/matches", json=body | fields, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def kick_off(client: TestClient, headers: dict[str, str], match_id: str) -> None:
    """Start the match: it takes no other events before its kick-off."""
    event(client, headers, match_id, "kick_off", minute=0)


def live_match(client: TestClient, headers: dict[str, str], team_id: str, **fields: Any) -> str:
    """A match that has kicked off, ready for events."""
    match_id = match(client, headers, team_id, **fields)
    kick_off(client, headers, match_id)
    return match_id


def event(
    client: TestClient, headers: dict[str, str], match_id: str, kind: str, **fields: Any
) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "kind": kind, "period": 1, "minute": 1} | fields
    response = client.post(f"/api/matches/{match_id}/events", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def join(
    client: TestClient,
    owner: dict[str, str],
    team_id: str,
    coach_headers: dict[str, str],
    role: str = "coach",
) -> None:
    """The owner invites with ``role``, and whoever is behind ``coach_headers`` accepts."""
    invite = client.post(f"/api/teams/{team_id}/invites", json={"role": role}, headers=owner)
    assert invite.status_code == 201, invite.text
    joined = client.post(
        "/api/invites/accept", json={"token": invite.json()["token"]}, headers=coach_headers
    )
    assert joined.status_code == 200, joined.text
