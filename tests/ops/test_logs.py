"""Logs in production: one JSON object per line, a request id on every access line, and
never a secret, whatever the clients send."""

from __future__ import annotations

import asyncio
import json
import secrets
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import websockets

from backend.settings import DEVELOPMENT_SECRET
from tests.databases import fresh_database
from tests.e2e.server import Server, free_port, running_server, touchline
from tests.ops.raw_http import exchange

pytestmark = pytest.mark.e2e

PASSWORD = "pitch-side-" + secrets.token_urlsafe(16)
METRICS_TOKEN = "metrics-" + secrets.token_urlsafe(24)


def _raw(server: Server, path: str, data: bytes | None, headers: dict[str, str]) -> int:
    request = urllib.request.Request(server.base_url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
    except urllib.error.HTTPError as error:
        with error:
            status = error.code
    return status


async def _hello(server: Server, path: str, token: str) -> Any:
    url = server.base_url.replace("http://", "ws://") + path
    async with websockets.connect(url, open_timeout=10) as socket:
        await socket.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
        return json.loads(await asyncio.wait_for(socket.recv(), 10))


def _walk(server: Server) -> dict[str, str]:
    """Everything a coach, a phone and a viewer do, with a few mistakes; returns each
    secret that crossed the wire."""
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    login_token = server.sign_up(email, password=PASSWORD)
    device_id, token = server.phone(login_token)
    team = server.request("POST", "/api/teams", {"name": "Reds U10"}, token)
    match = server.request(
        "POST",
        "/api/matches",
        {"team_id": team.body["id"], "opponent": "Blues", "kickoff_at": "2026-11-21T10:00:00Z"},
        token,
    )
    assert match.status == 201, match.body
    match_id = match.body["id"]
    event = {"id": str(uuid.uuid4()), "kind": "kick_off", "period": 1, "minute": 0}
    assert server.request("POST", f"/api/matches/{match_id}/events", event, token).status == 201
    push = {
        "protocol": 1,
        "device_id": device_id,
        "mutations": [
            {
                "id": 1,
                "name": "add_event",
                "args": {"id": str(uuid.uuid4()), "match_id": match_id, "kind": "free_kick"}
                | {"period": 1, "minute": 3},
            }
        ],
    }
    synced = server.request("POST", "/sync", push, token)
    assert synced.status == 200, synced.body
    link = server.request("POST", f"/api/matches/{match_id}/share-links", {}, token)
    assert link.status == 201, link.body
    share = link.body["token"]
    assert server.request("GET", "/api/watch", None, share).status == 200
    assert asyncio.run(_hello(server, f"/ws/match/{match_id}", share))["type"] == "welcome"
    assert asyncio.run(_hello(server, f"/ws/match/{match_id}", token))["type"] == "welcome"
    assert _raw(server, "/metrics", None, {"Authorization": f"Bearer {METRICS_TOKEN}"}) == 200

    # Mistakes a careless or hostile client makes with its secrets.
    wrong = {"email": email, "password": PASSWORD + "!"}
    assert server.request("POST", "/api/auth/login", wrong).status == 401
    assert server.request("GET", "/api/teams", None, PASSWORD).status == 401
    assert server.request("GET", f"/api/watch?token={share}&password={PASSWORD}").status == 401
    assert server.request("GET", f"/api/teams?access_token={login_token}", None).status == 401
    broken = b'{"email": "' + email.encode() + b'", "password": "' + PASSWORD.encode()
    assert _raw(server, "/api/auth/login", broken, {"Content-Type": "application/json"}) == 400
    assert _raw(server, "/metrics", None, {"Authorization": f"Bearer {METRICS_TOKEN}x"}) == 404
    url_token = f"/ws/match/{match_id}?token={share}"
    assert asyncio.run(_hello(server, url_token, token))["type"] == "welcome"
    return {
        "password": PASSWORD,
        "login token": login_token,
        "device token": token,
        "share token": share,
        "metrics token": METRICS_TOKEN,
    }


def test_production_logs_are_json_lines_with_request_ids_and_no_secrets(
    tmp_path: Path,
) -> None:
    production = {
        "TOUCHLINE_ENVIRONMENT": "production",
        "TOUCHLINE_SECRET_KEYS": secrets.token_urlsafe(30)[:40],
        "TOUCHLINE_METRICS_TOKEN": METRICS_TOKEN,
    }
    with fresh_database("sqlite", tmp_path) as database_url:
        assert touchline("db", "upgrade", "--database-url", database_url).returncode == 0
        with running_server(database_url, tmp_path / "server.log", env=production) as server:
            used = _walk(server)
        log = server.log()  # complete: the process has stopped

    lines = [line for line in log.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(entry, dict) and entry["message"] for entry in entries)
    access = [entry for entry in entries if entry["logger"] == "touchline.access"]
    assert len(access) >= 15
    for entry in access:
        assert entry["request_id"] and isinstance(entry["status"], int), entry
        assert "?" not in entry["message"], entry
    for line in lines:
        for what, secret in used.items():
            assert secret not in line, f"the {what} is in a log line: {line}"
    assert production["TOUCHLINE_SECRET_KEYS"] not in log


@pytest.mark.parametrize(
    "keys",
    [None, DEVELOPMENT_SECRET, "short-but-not-default", f"{'k' * 40},short"],
    ids=["default", "development", "short", "one-short-of-two"],
)
def test_production_refuses_to_start_with_a_default_or_short_key(
    keys: str | None, tmp_path: Path
) -> None:
    env = {"TOUCHLINE_ENVIRONMENT": "production"}
    if keys is not None:
        env["TOUCHLINE_SECRET_KEYS"] = keys
    database_url = f"sqlite:///{tmp_path / 'never.db'}"
    result = touchline("serve", "--port", str(free_port()), "--database-url", database_url, env=env)
    assert result.returncode != 0
    assert "TOUCHLINE_SECRET_KEYS" in result.stderr
    assert "at least 32 characters" in result.stderr
    for key in (keys or DEVELOPMENT_SECRET).split(","):
        assert key not in result.stderr + result.stdout
    assert not (tmp_path / "never.db").exists()


def test_readable_logs_escape_line_breaks_and_control_characters_in_paths(
    tmp_path: Path,
) -> None:
    forged = "INFO    touchline.access: GET /api/admin 200"
    # Percent-encoded CR LF, NUL, NEL and U+2028: each decodes into the path the app sees.
    target = "/forged%0d%0a" + forged.replace(" ", "%20") + "%00%c2%85%e2%80%a8end"
    with fresh_database("sqlite", tmp_path) as database_url:
        assert touchline("db", "upgrade", "--database-url", database_url).returncode == 0
        readable = {"TOUCHLINE_LOG_JSON": "false"}
        with running_server(database_url, tmp_path / "server.log", env=readable) as server:
            request = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            assert exchange(server.base_url, request.encode()).status == 404
            # Raw control bytes never reach the app: the server's parser refuses them.
            for raw in (b"/raw\x00nul", b"/raw\x01ctl", b"/raw\x7fdel", b"/raw\xc2\x85nel"):
                request_line = b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\n\r\n"
                assert exchange(server.base_url, request_line).status == 400
            assert "forged" in server.log("end 404")
        log = server.log()

    lines = log.splitlines()
    access = [line for line in lines if "forged" in line]
    assert len(access) == 1, log
    assert "/forged\\r\\n" + forged + "\\x00\\x85\\u2028end 404" in access[0]
    assert not any(line.startswith(forged) for line in lines), log
    assert "\x00" not in log and "raw" not in log
