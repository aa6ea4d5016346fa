"""A club on a real ``touchline serve``, built through the public API: coaches and their
phones, teams shared between coaches, players and matches; and the server's own view of a
match, to compare a device's replica with."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.databases import fresh_database
from tests.e2e.server import Server, free_port, running_server, touchline

EVENT_FIELDS = ("kind", "side", "period", "minute", "stoppage", "note")


@dataclass(frozen=True)
class Phone:
    device_id: str
    token: str


@dataclass
class Ground:
    """A database and a fixed port, so the server can be stopped and started again."""

    database_url: str
    port: int
    logs: Path
    starts: int = 0

    @contextmanager
    def server(self) -> Iterator[Server]:
        self.starts += 1
        with running_server(
            self.database_url, self.logs / f"server-{self.starts}.log", port=self.port
        ) as server:
            yield server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def ground(kind: str, tmp_path: Path) -> Iterator[Ground]:
    """A migrated, empty database of ``kind`` and a port for its server (not started)."""
    with fresh_database(kind, tmp_path) as database_url:
        result = touchline("db", "upgrade", "--database-url", database_url)
        assert result.returncode == 0, result.stderr
        yield Ground(database_url, free_port(), tmp_path)


def ok(server: Server, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    response = server.request(method, path, body, token)
    assert response.status in (200, 201), (method, path, response.status, response.body)
    return response.body


def coach(server: Server, email: str) -> str:
    """Register a coach and return a login token."""
    return server.sign_up(email, name=email.split("@", maxsplit=1)[0])


def phone(server: Server, login_token: str, name: str) -> Phone:
    return Phone(*server.phone(login_token, name))


def team(server: Server, token: str, name: str, coaches: Sequence[str] = ()) -> str:
    """A team owned by ``token``'s coach, joined by the coaches of the ``coaches`` tokens."""
    team_id: str = ok(server, "POST", "/api/teams", {"name": name}, token)["id"]
    for coach_token in coaches:
        invite = ok(server, "POST", f"/api/teams/{team_id}/invites", {}, token)
        ok(server, "POST", "/api/invites/accept", {"token": invite["token"]}, coach_token)
    return team_id


def player(server: Server, token: str, team_id: str, number: int) -> str:
    body = {"squad_number": number, "display_name": f"Player {number}"}
    player_id: str = ok(server, "POST", f"/api/teams/{team_id}/players", body, token)["id"]
    return player_id


def match(
    server: Server, token: str, team_id: str, opponent: str, *, kicked_off: bool = False
) -> str:
    """A match; with ``kicked_off``, its kick-off logged too, so it takes events."""
    body = {"team_id": team_id, "opponent": opponent, "kickoff_at": "2026-11-21T10:00:00Z"}
    match_id: str = ok(server, "POST", "/api/matches", body, token)["id"]
    if kicked_off:
        whistle = {"id": new_id(), "kind": "kick_off", "period": 1, "minute": 0}
        ok(server, "POST", f"/api/matches/{match_id}/events", whistle, token)
    return match_id


def server_events(server: Server, token: str, match_id: str) -> list[dict[str, Any]]:
    """Every event of the match the server holds, tombstones included, in sequence order."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = ok(
            server,
            "GET",
            f"/api/matches/{match_id}/events?include_deleted=true&limit=1000&after_seq={after}",
            token=token,
        )
        events += page["items"]
        if page["next_after_seq"] is None:
            return events
        after = page["next_after_seq"]


def from_server(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the REST API shows it, in the shape a replica keeps, for comparing."""
    return {name: event[name] for name in EVENT_FIELDS} | {
        "player_id": (event["player"] or {}).get("id"),
        "replaced_player_id": (event["replaced_player"] or {}).get("id"),
        "recorded_at": _instant(event["recorded_at"]),
    }


def from_replica(event: dict[str, Any]) -> dict[str, Any]:
    return {name: event[name] for name in EVENT_FIELDS} | {
        "player_id": event["player_id"],
        "replaced_player_id": event["replaced_player_id"],
        "recorded_at": _instant(event["recorded_at"]),
    }


def live(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["id"]: from_server(e) for e in events if not e["deleted"]}


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_id() -> str:
    return str(uuid.uuid4())
