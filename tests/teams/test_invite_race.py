"""Coaches racing for an invite's last uses, through a real server process: the invite
lets in exactly as many as it allows, however the accepts interleave."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.databases import migrated_database
from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

USES = 2
COACHES = 6


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_invite_lets_in_only_as_many_as_it_allows_under_a_race(
    kind: str, tmp_path: Path
) -> None:
    with (
        migrated_database(kind, tmp_path) as url,
        running_server(
            url, tmp_path / "server.log", env={"TOUCHLINE_DB_POOL_SIZE": "10"}
        ) as server,
    ):
        owner = server.sign_up()
        team = server.request("POST", "/api/teams", {"name": "Reds U10"}, owner)
        assert team.status == 201, team.body
        team_id = team.body["id"]
        invite = server.request("POST", f"/api/teams/{team_id}/invites", {"max_uses": USES}, owner)
        assert invite.status == 201, invite.body
        logins = [server.sign_up() for _ in range(COACHES)]
        start = threading.Barrier(COACHES)
        answers: list[tuple[int, str | None]] = []

        def accept(login: str) -> None:
            start.wait(timeout=30)
            answer = server.request(
                "POST", "/api/invites/accept", {"token": invite.body["token"]}, login
            )
            error = answer.body.get("error") if isinstance(answer.body, dict) else None
            answers.append((answer.status, error["code"] if error else None))

        threads = [threading.Thread(target=accept, args=(login,)) for login in logins]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(answers) == [(200, None)] * USES + [(410, "invite_used_up")] * (
            COACHES - USES
        )
        coaches = server.request("GET", f"/api/teams/{team_id}/coaches", None, owner).body
        assert len(coaches) == 1 + USES
        [listed] = server.request("GET", f"/api/teams/{team_id}/invites", None, owner).body
        assert listed["uses"] == USES
