"""A coach on a running server: a phone, a team with players, a match, and events pushed
through ``POST /sync`` exactly as the app sends them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.server import Server


@dataclass
class Coach:
    server: Server
    token: str
    device_id: str
    team_id: str
    match_id: str
    players: list[dict[str, Any]]
    login_token: str
    mutations: int = field(default=0)

    def push(self, *kinds: str, note: str | None = None) -> list[str]:
        """Add one event per kind in one /sync batch (one transaction); returns their ids
        in the order pushed. The first push of a match must start with ``kick_off``."""
        events = []
        for kind in kinds:
            self.mutations += 1
            events.append(
                {
                    "id": self.mutations,
                    "name": "add_event",
                    "args": {
                        "id": str(uuid.uuid4()),
                        "match_id": self.match_id,
                        "kind": kind,
                        "period": 1,
                        "minute": self.mutations % 45,
                        "player_id": self.players[0]["id"] if kind == "goal" else None,
                        "note": note,
                    },
                }
            )
        response = self.server.request(
            "POST",
            "/sync",
            {"protocol": 1, "device_id": self.device_id, "mutations": events, "pull": False},
            self.token,
        )
        assert response.status == 200, response.body
        assert [r["verdict"] for r in response.body["results"]] == ["applied"] * len(kinds)
        return [e["args"]["id"] for e in events]

    def share(self, **options: Any) -> dict[str, Any]:
        """A new share link (``names``, ``expires_in_hours``) for the match."""
        response = self.server.request(
            "POST", f"/api/matches/{self.match_id}/share-links", options, self.token
        )
        assert response.status == 201, response.body
        link: dict[str, Any] = response.body
        return link


def coach(
    server: Server,
    players: tuple[tuple[int, str, str], ...] = ((9, "Sam", "Sam Whitfield"),),
    team_name: str = "Reds U10",
) -> Coach:
    """Register a coach with a phone, a team of ``players`` (number, first name, full name)
    and a scheduled home match against Blues."""
    login_token = server.sign_up()
    device_id, token = server.phone(login_token)
    team = server.request("POST", "/api/teams", {"name": team_name}, token)
    assert team.status == 201, team.body
    roster = []
    for number, first, full in players:
        player = server.request(
            "POST",
            f"/api/teams/{team.body['id']}/players",
            {"squad_number": number, "display_name": first, "full_name": full},
            token,
        )
        assert player.status == 201, player.body
        roster.append(player.body)
    match = server.request(
        "POST",
        "/api/matches",
        {"team_id": team.body["id"], "opponent": "Blues", "kickoff_at": "2026-11-22T10:00:00Z"},
        token,
    )
    assert match.status == 201, match.body
    return Coach(server, token, device_id, team.body["id"], match.body["id"], roster, login_token)
