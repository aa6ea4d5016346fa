"""The index of hostile input: one row per attack on the API, ``/sync`` and the live
WebSocket, with the answer it must get. None may be a 5xx, and none may change anything.

Field-by-field validation of each resource is catalogued in tests/test_bad_input.py and
hostile mutation arguments in tests/sync/test_hostile.py; this table covers the transport,
credentials, paths, the sync envelope and the live channel.
"""

# One row per line keeps the catalogue readable as the table it is.
# ruff: noqa: E501

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests import factories
from tests.ops.conftest import OpsClient

JSON = "application/json"
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Http:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = JSON
    auth: str | None = "device"
    """Which credential of the world to send: a key of World.tokens, or a literal header."""
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False


@dataclass(frozen=True)
class Ws:
    path: str
    sends: tuple[str | bytes, ...]
    origin: str | None = None


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def sync(**fields: Any) -> bytes:
    envelope = {"protocol": 1, "device_id": "{device_id}", "pull": False, "mutations": []}
    return body(envelope | fields)


def add_team(mutation_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": mutation_id, "name": "add_team", "args": {"name": "Greens"}} | fields


def hello(**fields: Any) -> str:
    return json.dumps({"type": "hello", "token": "{share}", "last_seq": 0} | fields)


DEEP = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
TEAM = "/api/teams"
MATCH_WS = "/ws/match/{match_id}"

CATALOGUE: list[tuple[str, Http | Ws, int, str | None]] = [
    # --- transport ---
    ("body over the limit, announced", Http("POST", TEAM, b" " * (MAX_BODY + 1)), 413, "payload_too_large"),
    ("body over the limit, chunked", Http("POST", TEAM, b" " * (MAX_BODY + 1), chunked=True), 413, "payload_too_large"),
    ("text/plain body", Http("POST", TEAM, b"name=Greens", content_type="text/plain"), 415, "unsupported_media_type"),
    ("form-encoded body", Http("POST", TEAM, b"name=Greens", content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type"),
    ("body with no content type", Http("POST", TEAM, b'{"name": "Greens"}', content_type=None), 415, "unsupported_media_type"),
    ("truncated JSON", Http("POST", TEAM, b'{"name": "Gre'), 400, "malformed_json"),
    ("JSON nested 100 000 deep", Http("POST", TEAM, DEEP), 400, "malformed_json"),
    ("bytes that are not UTF-8", Http("POST", TEAM, b'{"name": "\xff\xfe"}'), 400, "malformed_json"),
    ("NaN where a name goes", Http("POST", TEAM, b'{"name": NaN}'), 422, "invalid"),
    ("a JSON array, not an object", Http("POST", TEAM, b'[{"name": "Greens"}]'), 422, "invalid"),
    ("JSON null", Http("POST", TEAM, b"null"), 422, "invalid"),
    ("an empty body", Http("POST", TEAM, b""), 422, "invalid"),
    ("a field the server sets", Http("POST", TEAM, body({"name": "Greens", "created_at": "2020-01-01T00:00:00Z"})), 422, "invalid"),
    ("a number of 400 digits", Http("POST", "/api/teams/{team_id}/players", body({"display_name": "Jo", "squad_number": 10**400})), 422, "invalid"),
    # --- credentials ---
    ("no credentials", Http("GET", TEAM, auth=None), 401, "unauthorized"),
    ("a forged device token", Http("GET", TEAM, auth="Bearer tld_" + "A" * 43), 401, "invalid_token"),
    ("a forged login token", Http("GET", TEAM, auth="Bearer eyJhIjoiMDAifQ.forged.sig"), 401, "invalid_token"),
    ("a token 8 KiB long", Http("GET", TEAM, auth="Bearer " + "x" * 8192), 401, "invalid_token"),
    ("Basic instead of Bearer", Http("GET", TEAM, auth="Basic Y29hY2g6cGFzcw=="), 401, "unauthorized"),
    ("a revoked device token", Http("GET", TEAM, auth="revoked"), 401, "invalid_token"),
    ("a share token on a coach's route", Http("GET", TEAM, auth="share"), 401, "share_token_not_accepted"),
    ("a login token where a device is needed", Http("POST", "/sync", sync(), auth="login"), 401, "unauthorized"),
    ("a device token as a share link", Http("GET", "/api/watch", auth="device"), 401, "invalid_token"),
    ("a tampered share token", Http("GET", "/api/watch", auth="tampered_share"), 401, "invalid_token"),
    ("a password of 10 000 characters", Http("POST", "/api/auth/login", body({"email": "a@b.org", "password": "p" * 10_000}), auth=None), 422, "invalid"),
    ("an email with no @", Http("POST", "/api/accounts", body({"email": "coach.example.org", "password": "x" * 12, "display_name": "C"}), auth=None), 422, "invalid"),
    # --- paths and queries ---
    ("a match id that is not a UUID", Http("GET", "/api/matches/not-a-uuid"), 422, "invalid"),
    ("a match id that exists nowhere", Http("GET", f"/api/matches/{uuid.UUID(int=7)}"), 404, "not_found"),
    ("a path that climbs out of the web app", Http("GET", "/js/..%2F..%2F..%2Fetc%2Fpasswd", auth=None), 404, "not_found"),
    ("a NUL in the path", Http("GET", "/api/matches/%00"), 422, "invalid"),
    ("a path of 8 000 characters", Http("GET", "/api/" + "a" * 8000), 404, "not_found"),
    ("a method the route does not have", Http("DELETE", TEAM), 405, "method_not_allowed"),
    ("a negative page size", Http("GET", "/api/matches?limit=-1"), 422, "invalid"),
    ("a page size of a million", Http("GET", "/api/matches?limit=1000000"), 422, "invalid"),
    ("a forged page cursor", Http("GET", "/api/matches?cursor=forged"), 422, "invalid"),
    # --- the sync envelope ---
    ("protocol version 0", Http("POST", "/sync", sync(protocol=0)), 422, "invalid"),
    ("a protocol from the future", Http("POST", "/sync", sync(protocol=999)), 409, "protocol_too_new"),
    ("another device's id", Http("POST", "/sync", sync(device_id=str(uuid.UUID(int=9)))), 200, "unknown_device"),
    ("501 mutations in one batch", Http("POST", "/sync", sync(mutations=[add_team(n) for n in range(1, 502)])), 422, "invalid"),
    ("mutation id 0", Http("POST", "/sync", sync(mutations=[add_team(0)])), 422, "invalid"),
    ("mutation id past 2^53", Http("POST", "/sync", sync(mutations=[add_team(2**53)])), 422, "invalid"),
    ("mutation args that are a list", Http("POST", "/sync", sync(mutations=[add_team(args=["Greens"])])), 422, "invalid"),
    ("a command name of 1 000 characters", Http("POST", "/sync", sync(mutations=[add_team(name="x" * 1000)])), 422, "invalid"),
    ("a command that does not exist", Http("POST", "/sync", sync(mutations=[add_team(name="drop_table")])), 200, "unknown_command"),
    ("a forged sync cursor", Http("POST", "/sync", sync(pull=True, cursor="Zm9yZ2Vk.sig")), 422, "invalid_cursor"),
    ("a sync cursor of 70 000 characters", Http("POST", "/sync", sync(cursor="c" * 70_000)), 422, "invalid"),
    ("max_changes of zero", Http("POST", "/sync", sync(max_changes=0)), 422, "invalid"),
    ("mutations that are not a list", Http("POST", "/sync", sync(mutations={"id": 1})), 422, "invalid"),
    # --- the live channel (close codes) ---
    ("a first message that is not JSON", Ws(MATCH_WS, ("hello?",)), 4400, None),
    ("a first message that is not a hello", Ws(MATCH_WS, (json.dumps({"type": "subscribe"}),)), 4400, None),
    ("a hello with no token", Ws(MATCH_WS, (json.dumps({"type": "hello"}),)), 4400, None),
    ("a hello with a negative last_seq", Ws(MATCH_WS, (hello(last_seq=-1),)), 4400, None),
    ("a hello with last_seq as a string", Ws(MATCH_WS, (hello(last_seq="0"),)), 4400, None),
    ("a hello of 5 000 characters", Ws(MATCH_WS, (hello(pad="x" * 5000),)), 4413, None),
    ("a forged share token", Ws(MATCH_WS, (hello(token="forged.token"),)), 4401, None),
    ("a forged device token in a hello", Ws(MATCH_WS, (hello(token="tld_" + "A" * 43),)), 4401, None),
    ("a share token for another match", Ws(f"/ws/match/{uuid.UUID(int=5)}", (hello(),)), 4404, None),
    ("a device token for a match it cannot see", Ws(f"/ws/match/{uuid.UUID(int=5)}", (hello(token="{device}"),)), 4404, None),
    ("a revoked device token in a hello", Ws(MATCH_WS, (hello(token="{revoked}"),)), 4401, None),
    ("a page from another site", Ws(MATCH_WS, (hello(),), origin="https://evil.example.com"), 4403, None),
    ("a message of 5 000 bytes after the welcome", Ws(MATCH_WS, (hello(), "x" * 5000)), 4413, None),
]  # fmt: skip


@dataclass
class World:
    ids: dict[str, str]
    tokens: dict[str, str]

    def fill(self, text: str) -> str:
        for name, value in (self.ids | self.tokens).items():
            text = text.replace("{" + name + "}", value)
        return text


def _world(client: TestClient) -> World:
    device = factories.coach(client)["Authorization"].removeprefix("Bearer ")
    headers = {"Authorization": f"Bearer {device}"}
    login = client.post("/api/accounts", json=_account()).json()["email"]
    login_token = client.post(
        "/api/auth/login", json={"email": login, "password": factories.PASSWORD}
    ).json()["access_token"]
    revoked_headers = factories.coach(client)
    revoked_device = client.get("/api/devices", headers=revoked_headers).json()[0]["id"]
    assert (
        client.delete(f"/api/devices/{revoked_device}", headers=revoked_headers).status_code == 204
    )
    team_id = factories.team(client, headers)
    match_id = factories.match(client, headers, team_id)
    share = client.post(f"/api/matches/{match_id}/share-links", json={}, headers=headers)
    assert share.status_code == 201, share.text
    share_token = share.json()["token"]
    return World(
        ids={
            "team_id": team_id,
            "match_id": match_id,
            "device_id": client.get("/api/devices", headers=headers).json()[0]["id"],
        },
        tokens={
            "device": device,
            "login": login_token,
            "share": share_token,
            "tampered_share": share_token[:-2] + ("AA" if share_token[-2:] != "AA" else "BB"),
            "revoked": revoked_headers["Authorization"].removeprefix("Bearer "),
        },
    )


def _account() -> dict[str, str]:
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    return {"email": email, "password": factories.PASSWORD, "display_name": "Coach"}


def _http(client: TestClient, world: World, request: Http) -> tuple[int, str | None]:
    headers = dict(request.headers)
    if request.content_type is not None and request.body is not None:
        headers["Content-Type"] = request.content_type
    if request.auth is not None:
        token = world.tokens.get(request.auth)
        headers["Authorization"] = f"Bearer {token}" if token is not None else request.auth
    content: Any = request.body
    if request.body is not None and b"{" in request.body[:200]:
        content = world.fill(request.body.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
    if request.chunked:
        chunks = [content[i : i + 65536] for i in range(0, len(content), 65536)]
        content = iter(chunks)
    response = client.request(
        request.method, world.fill(request.path), content=content, headers=headers
    )
    answer = response.json() if response.content else {}
    if "results" in answer:
        # A sync answer: the first mutation's error, or why the device must start over.
        if answer["results"]:
            error = answer["results"][0]["error"]
            return response.status_code, error["code"] if error else None
        return response.status_code, (answer.get("reset") or {}).get("reason")
    return response.status_code, (answer.get("error") or {}).get("code")


def _ws(client: TestClient, world: World, request: Ws) -> int | None:
    headers = {"Origin": request.origin} if request.origin else {}
    try:
        with client.websocket_connect(world.fill(request.path), headers=headers) as socket:
            for message in request.sends:
                if isinstance(message, str):
                    socket.send_text(world.fill(message))
                else:
                    socket.send_bytes(message)
            while True:
                socket.receive_json()
    except WebSocketDisconnect as closed:
        return closed.code
    return None


def _snapshot(client: TestClient, world: World) -> Any:
    headers = {"Authorization": f"Bearer {world.tokens['device']}"}
    return [
        client.get(path, headers=headers).json()
        for path in ("/api/teams", "/api/matches", f"/api/teams/{world.ids['team_id']}/players")
    ]


def test_every_hostile_input_gets_its_catalogued_answer(ops_client: OpsClient) -> None:
    assert len(CATALOGUE) >= 40
    assert len({row[0] for row in CATALOGUE}) == len(CATALOGUE), "descriptions must be unique"
    with ops_client() as client:
        world = _world(client)
        before = _snapshot(client, world)
        wrong = []
        for description, request, expected, code in CATALOGUE:
            if isinstance(request, Http):
                status, got_code = _http(client, world, request)
                answer: tuple[int | None, str | None] = (status, got_code)
                want: tuple[int | None, str | None] = (expected, code)
                if code is None:
                    answer = (status, None)
                assert status < 500, f"{description}: {status}"
            else:
                answer, want = (_ws(client, world, request), None), (expected, None)
            if answer != want:
                wrong.append(f"{description}: expected {want}, got {answer}")
        assert _snapshot(client, world) == before
    assert not wrong, "\n".join(wrong)
