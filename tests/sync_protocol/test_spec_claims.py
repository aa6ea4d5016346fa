"""Statements of SPEC.md that the conformance file cannot show, checked on a real server:
what a restored backup answers, and what a cursor that is too long or foreign gets."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.server import Server
from tests.sync import Phone
from tests.sync.clubs import Phone as RegisteredDevice
from tests.sync.clubs import coach, ground, match, phone, team


def _sync(
    server: Server, device: RegisteredDevice, cursor: str | None, *mutations: Any
) -> dict[str, Any]:
    body = {"protocol": 3, "device_id": device.device_id, "cursor": cursor}
    answer = server.request("POST", "/sync", body | {"mutations": list(mutations)}, device.token)
    assert answer.status == 200, answer.body
    reply: dict[str, Any] = answer.body
    return reply


def _save(mutation_id: int, match_id: str) -> dict[str, Any]:
    args = {"id": f"0193a5b2-7c00-7000-8000-{mutation_id:012d}", "match_id": match_id}
    args |= {"kind": "save", "period": 1, "minute": mutation_id}
    return {"id": mutation_id, "name": "add_event", "args": args}


@pytest.mark.e2e
def test_a_restored_backup_answers_cursor_ahead_and_a_gap_not_generation_changed(
    tmp_path: Path,
) -> None:
    # A copy of the SQLite files of a stopped server is a backup, as an operator makes one.
    with ground("sqlite", tmp_path) as pitch:
        database = Path(pitch.database_url.removeprefix("sqlite:///"))
        files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
        with pitch.server() as server:
            device = phone(server, coach(server, "ana@example.org"), "Ana's phone")
            match_id = match(server, device.token, team(server, device.token, "Reds"), "Blues")
            before = _sync(server, device, None, _save(1, match_id))
        backups = {f: tmp_path / f"backup{i}" for i, f in enumerate(files) if f.exists()}
        for original, backup in backups.items():
            shutil.copy(original, backup)
        with pitch.server() as server:
            after_backup = _sync(server, device, before["cursor"], _save(2, match_id))
        for original in files:
            original.unlink(missing_ok=True)
        for original, backup in backups.items():
            shutil.copy(backup, original)
        with pitch.server() as server:
            restored = _sync(server, device, after_backup["cursor"], _save(3, match_id))

    assert after_backup["reset"] is None and after_backup["last_mutation_id"] == 2
    assert restored["reset"]["reason"] == "cursor_ahead"
    assert restored["last_mutation_id"] == 1
    assert (restored["results"], restored["gap"]) == ([], {"expected": 2})


def test_a_cursor_longer_than_the_limit_is_invalid_not_invalid_cursor(client: TestClient) -> None:
    phone = Phone(client)

    answer = phone.post(cursor="x" * 65_537)

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "invalid",
        "cursor",
    )


def test_a_foreign_cursor_is_refused_when_pushing_only_too(client: TestClient) -> None:
    phone = Phone(client)
    team_id = client.post("/api/teams", json={"name": "Reds"}, headers=phone.headers).json()["id"]

    answer = phone.post(
        cursor="eyJnIjoi.forged",
        pull=False,
        mutations=[phone.mutation("delete_player", player_id=team_id)],
    )

    assert answer.status_code == 422
    assert (answer.json()["error"]["code"], answer.json()["error"]["field"]) == (
        "invalid_cursor",
        "cursor",
    )
    assert phone.lag()["last_mutation_id"] == 0
