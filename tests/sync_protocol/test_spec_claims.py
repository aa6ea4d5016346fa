"""Statements of SPEC.md that the conformance file cannot show, checked on a real server:
what a database put back without a new generation answers (and the case SPEC names a
known defect), and what a cursor that is too long or foreign gets. A restore through
``touchline db restore`` answers ``generation_changed`` (tests/test_backups.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.server import Server
from tests.sync import Phone
from tests.sync.clubs import Ground, coach, ground, match, phone, team
from tests.sync.clubs import Phone as RegisteredDevice


def _sync(
    server: Server, device: RegisteredDevice, cursor: str | None, *mutations: Any
) -> dict[str, Any]:
    body = {"protocol": 3, "device_id": device.device_id, "cursor": cursor}
    answer = server.request("POST", "/sync", body | {"mutations": list(mutations)}, device.token)
    assert answer.status == 200, answer.body
    reply: dict[str, Any] = answer.body
    return reply


def _save(mutation_id: int, match_id: str, number: int | None = None) -> dict[str, Any]:
    """Mutation ``mutation_id``: a save whose event id and minute are ``number`` (by default
    the mutation id)."""
    number = number or mutation_id
    args = {"id": f"0193a5b2-7c00-7000-8000-{number:012d}", "match_id": match_id}
    args |= {"kind": "save", "period": 1, "minute": number}
    return {"id": mutation_id, "name": "add_event", "args": args}


@contextmanager
def _restored_on_exit(pitch: Ground, tmp_path: Path) -> Iterator[None]:
    """Back up the SQLite files of a stopped server on entry, as an operator copies them,
    and put the backup back on exit."""
    database = Path(pitch.database_url.removeprefix("sqlite:///"))
    files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    backups = {f: tmp_path / f"backup{i}" for i, f in enumerate(files) if f.exists()}
    for original, backup in backups.items():
        shutil.copy(original, backup)
    yield
    for original in files:
        original.unlink(missing_ok=True)
    for original, backup in backups.items():
        shutil.copy(backup, original)


@pytest.mark.e2e
def test_files_copied_back_by_hand_answer_cursor_ahead_and_a_gap_not_generation_changed(
    tmp_path: Path,
) -> None:
    with ground("sqlite", tmp_path) as pitch:
        with pitch.server() as server:
            device = phone(server, coach(server, "ana@example.org"), "Ana's phone")
            match_id = match(
                server, device.token, team(server, device.token, "Reds"), "Blues", kicked_off=True
            )
            before = _sync(server, device, None, _save(1, match_id))
        with _restored_on_exit(pitch, tmp_path), pitch.server() as server:
            after_backup = _sync(server, device, before["cursor"], _save(2, match_id))
        with pitch.server() as server:
            restored = _sync(server, device, after_backup["cursor"], _save(3, match_id))

    assert after_backup["reset"] is None and after_backup["last_mutation_id"] == 2
    assert restored["reset"]["reason"] == "cursor_ahead"
    assert restored["last_mutation_id"] == 1
    assert (restored["results"], restored["gap"]) == ([], {"expected": 2})


@pytest.mark.e2e
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
