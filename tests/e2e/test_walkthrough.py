"""End to end: `touchline` as real processes, spoken to over real HTTP."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.databases import fresh_database, fresh_postgres
from tests.e2e.server import Server, running_server, touchline

pytestmark = pytest.mark.e2e

PASSWORD = "a long pitch-side passphrase"


def _upgrade(database_url: str) -> None:
    result = touchline("db", "upgrade", "--database-url", database_url)
    assert result.returncode == 0, result.stderr


def _login(server: Server, email: str) -> str:
    login = server.request("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    token: str = login.body["access_token"]
    return token


def _event(server: Server, token: str, match_id: str, kind: str, **fields: object) -> None:
    body = {"id": str(uuid.uuid4()), "kind": kind, "period": 1, "minute": 1} | fields
    response = server.request("POST", f"/api/matches/{match_id}/events", body, token)
    assert response.status == 201, response.body


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_coach_logs_a_match_and_reads_the_score(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as database_url:
        _upgrade(database_url)
        with running_server(database_url, tmp_path / "server.log") as server:
            assert server.request("GET", "/healthz").status == 200
            email = "sam.walker@example.org"
            account = server.request(
                "POST",
                "/api/accounts",
                {"email": email, "password": PASSWORD, "display_name": "Sam Walker"},
            )
            assert account.status == 201, account.body
            login_token = _login(server, email)
            device = server.request("POST", "/api/devices", {"name": "Sam's phone"}, login_token)
            assert device.status == 201, device.body
            token = device.body["token"]

            team = server.request("POST", "/api/teams", {"name": "Reds U10"}, token)
            assert team.status == 201, team.body
            team_id = team.body["id"]
            players = []
            for number, name in [(9, "Alex"), (7, "Jo")]:
                player = server.request(
                    "POST",
                    f"/api/teams/{team_id}/players",
                    {"squad_number": number, "display_name": name, "full_name": f"{name} Rivera"},
                    token,
                )
                assert player.status == 201, player.body
                players.append(player.body["id"])
            match = server.request(
                "POST",
                "/api/matches",
                {
                    "team_id": team_id,
                    "opponent": "Blues U10",
                    "kickoff_at": "2026-11-21T10:00:00Z",
                    "is_home": True,
                },
                token,
            )
            assert match.status == 201, match.body
            match_id = match.body["id"]

            _event(server, token, match_id, "kick_off", minute=0)
            _event(server, token, match_id, "goal", minute=4, player_id=players[0])
            _event(server, token, match_id, "goal", minute=11, side="opposition")
            _event(server, token, match_id, "goal", minute=17, player_id=players[1])
            _event(server, token, match_id, "own_goal", minute=23, side="opposition")

            detail = server.request("GET", f"/api/matches/{match_id}", token=token)
            log = server.log(containing=f"GET /api/matches/{match_id} ")

    assert detail.status == 200, detail.body
    assert detail.body["match"]["score"] == {"team": 3, "opposition": 1, "home": 3, "away": 1}
    assert detail.body["match"]["status"] == "live"
    assert "GET /api/matches/" in log, "the server's access log was not captured"
    for secret in (token, login_token, PASSWORD):
        assert secret not in log


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_coach_created_on_the_command_line_can_log_in(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as database_url:
        _upgrade(database_url)
        created = touchline(
            "coach",
            "create",
            "--email",
            "Kim.Lee@Example.org",
            "--name",
            "Kim Lee",
            "--password-stdin",
            "--json",
            "--database-url",
            database_url,
            stdin=PASSWORD + "\n",
        )
        assert created.returncode == 0, created.stderr
        with running_server(database_url, tmp_path / "server.log") as server:
            token = _login(server, "kim.lee@example.org")
            me = server.request("GET", "/api/me", token=token)

    assert json.loads(created.stdout)["email"] == "kim.lee@example.org"
    assert me.status == 200, me.body
    assert me.body["id"] == json.loads(created.stdout)["id"]


def test_readiness_waits_for_migrations(tmp_path: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as database_url,
        running_server(database_url, tmp_path / "server.log", ready=False) as server,
    ):
        before = server.request("GET", "/readyz")
        alive = server.request("GET", "/healthz")
        _upgrade(database_url)
        after = server.request("GET", "/readyz")

    assert alive.status == 200
    assert before.status == 503, before.body
    assert after.status == 200, after.body


def test_serve_migrates_a_new_database_first(tmp_path: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as database_url,
        running_server(database_url, tmp_path / "server.log", migrate=True) as server,
    ):
        ready = server.request("GET", "/readyz")
        login = server.sign_up()

    assert ready.status == 200, ready.body
    assert login
    assert "database at revision" in server.log()


def test_a_bare_postgresql_url_from_the_environment_works(tmp_path: Path) -> None:
    with fresh_postgres() as database_url:
        bare = "postgresql://" + database_url.split("://", 1)[1]
        result = touchline("db", "upgrade", env={"DATABASE_URL": bare})
        assert result.returncode == 0, result.stderr
        with running_server(bare, tmp_path / "server.log") as server:
            ready = server.request("GET", "/readyz")

    assert "database at revision" in result.stdout
    assert ready.status == 200
