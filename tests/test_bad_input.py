"""A catalogue of bad input across the API: each gets its 4xx naming the problem, never a
500, and nothing is written.

Bodies are sent as raw bytes, so that JSON a well-behaved client would never produce (a
lone surrogate escape, NaN, a NUL) reaches the server exactly as written.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings
from tests import factories
from tests.databases import fresh_database
from tests.e2e.server import running_server

KICKOFF = "2026-11-21T10:00:00Z"
JSON = {"Content-Type": "application/json"}
DROP = object()


@dataclass
class World:
    headers: dict[str, str]
    ids: dict[str, str]

    def url(self, template: str) -> str:
        return template.format(**self.ids)


def _world(client: TestClient) -> World:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    player_id = factories.player(client, headers, team_id)
    match_id = factories.live_match(client, headers, team_id)
    event_id = factories.event(client, headers, match_id, "goal", player_id=player_id)["id"]
    ids = {"team_id": team_id, "player_id": player_id, "match_id": match_id, "event_id": event_id}
    return World(headers, ids)


def _snapshot(client: TestClient, world: World) -> dict[str, Any]:
    """Everything a bad write could have touched, as the API shows it."""
    reads = {
        "teams": "/api/teams",
        "matches": "/api/matches",
        "match": "/api/matches/{match_id}",
        "events": "/api/matches/{match_id}/events?include_deleted=true",
        "lineup": "/api/matches/{match_id}/lineup",
        "players": "/api/teams/{team_id}/players?include_deleted=true",
    }
    snapshot = {}
    for name, template in reads.items():
        response = client.get(world.url(template), headers=world.headers)
        assert response.status_code == 200, response.text
        snapshot[name] = _without_running_clocks(response.json())
    return snapshot


def _without_running_clocks(value: Any, key: str = "") -> Any:
    # A live match's clock runs while the bad writes are sent; the time it shows is read
    # from the clock, not written by anyone, so it is left out of what must not change.
    if isinstance(value, dict):
        running = ("seconds", "display") if key == "clock" else ()
        return {k: _without_running_clocks(v, k) for k, v in value.items() if k not in running}
    if isinstance(value, list):
        return [_without_running_clocks(v) for v in value]
    return value


def _send(
    client: TestClient,
    world: World,
    method: str,
    template: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(
        method,
        world.url(template),
        content=content,
        headers=world.headers | JSON | (headers or {}),
    )


# What each kind of write looks like when it is valid; a case changes one field of it.
TARGETS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "event": (
        "POST",
        "/api/matches/{match_id}/events",
        {"kind": "goal", "period": 1, "minute": 10},
    ),
    "event_edit": ("PUT", "/api/events/{event_id}", {"kind": "goal", "period": 1, "minute": 10}),
    "match": ("POST", "/api/matches", {"opponent": "Blues", "kickoff_at": KICKOFF}),
    "match_edit": ("PUT", "/api/matches/{match_id}", {"opponent": "Blues", "kickoff_at": KICKOFF}),
    "player": ("POST", "/api/teams/{team_id}/players", {"display_name": "Jo"}),
    "player_edit": ("PUT", "/api/players/{player_id}", {"display_name": "Jo"}),
    "team": ("POST", "/api/teams", {"name": "Greens"}),
    "share_link": ("POST", "/api/matches/{match_id}/share-links", {"expires_in_hours": 24}),
    "lineup": ("PUT", "/api/matches/{match_id}/lineup", {"players": []}),
    "account": (
        "POST",
        "/api/accounts",
        {"email": "new@example.org", "password": factories.PASSWORD, "display_name": "New"},
    ),
}

HUGE = 2**70
LONE_SURROGATE = "\ud800"

FIELD_CASES: list[tuple[str, str, Any, str]] = [
    # (target, field, bad value, field named in the error)
    ("event", "minute", 151, "minute"),
    ("event", "minute", -1, "minute"),
    ("event", "minute", "ten", "minute"),
    ("event", "minute", HUGE, "minute"),
    ("event", "minute", 1.5, "minute"),
    ("event", "minute", float("nan"), "minute"),
    ("event", "minute", None, "minute"),
    ("event", "minute", DROP, "minute"),
    ("event", "stoppage", 31, "stoppage"),
    ("event", "stoppage", -1, "stoppage"),
    ("event", "period", 0, "period"),
    ("event", "period", 5, "period"),
    ("event", "period", 3, "period"),
    ("event", "period", HUGE, "period"),
    ("event", "kind", "penalty_shootout", "kind"),
    ("event", "kind", "", "kind"),
    ("event", "kind", ["goal"], "kind"),
    ("event", "side", "referee", "side"),
    ("event", "note", "x" * 281, "note"),
    ("event", "note", "a\x00b", "note"),
    ("event", "note", LONE_SURROGATE, "note"),
    ("event", "note", {"text": "nested"}, "note"),
    ("event", "player_id", "not-a-uuid", "player_id"),
    ("event", "player_id", str(uuid.uuid4()), "player_id"),
    ("event", "recorded_at", "2026-11-21T10:00:00", "recorded_at"),
    ("event", "recorded_at", "0001-01-01T00:00:00Z", "recorded_at"),
    ("event", "recorded_at", "9999-12-31T23:59:59Z", "recorded_at"),
    ("event", "recorded_at", HUGE, "recorded_at"),
    ("event", "id", "not-a-uuid", "id"),
    ("event", "id", DROP, "id"),
    ("event_edit", "minute", 151, "minute"),
    ("event_edit", "kind", "throw_in", "kind"),
    ("event_edit", "note", "a\x00b", "note"),
    ("event_edit", "note", LONE_SURROGATE, "note"),
    ("match", "opponent", "x" * 81, "opponent"),
    ("match", "opponent", "", "opponent"),
    ("match", "opponent", "   ", "opponent"),
    ("match", "opponent", "Blues\x00", "opponent"),
    ("match", "opponent", "Blues" + LONE_SURROGATE, "opponent"),
    ("match", "is_home", "maybe", "is_home"),
    ("match", "kickoff_at", "2026-11-21T10:00:00", "kickoff_at"),
    ("match", "kickoff_at", "0001-01-01T00:00:00Z", "kickoff_at"),
    ("match", "kickoff_at", "9999-12-31T23:59:59Z", "kickoff_at"),
    ("match", "kickoff_at", "0001-01-01T00:00:00+05:00", "kickoff_at"),
    ("match", "kickoff_at", "9999-12-31T23:59:59-05:00", "kickoff_at"),
    ("match", "kickoff_at", "next saturday", "kickoff_at"),
    ("match", "kickoff_at", HUGE, "kickoff_at"),
    ("match", "periods", 0, "periods"),
    ("match", "periods", 5, "periods"),
    ("match", "periods", HUGE, "periods"),
    ("match", "period_minutes", 61, "period_minutes"),
    ("match", "venue", "x" * 121, "venue"),
    ("match", "team_id", "not-a-uuid", "team_id"),
    ("match_edit", "opponent", "x" * 81, "opponent"),
    ("match_edit", "kickoff_at", "2026-11-21T10:00:00", "kickoff_at"),
    ("match_edit", "periods", HUGE, "periods"),
    ("player", "squad_number", 100, "squad_number"),
    ("player", "squad_number", -1, "squad_number"),
    ("player", "squad_number", HUGE, "squad_number"),
    ("player", "squad_number", "ten", "squad_number"),
    ("player", "display_name", "x" * 81, "display_name"),
    ("player", "display_name", "Jo\x00", "display_name"),
    ("player", "full_name", "Jo" + LONE_SURROGATE, "full_name"),
    ("player", "id", "not-a-uuid", "id"),
    ("player_edit", "display_name", "", "display_name"),
    ("player_edit", "full_name", "\x00", "full_name"),
    ("team", "name", "", "name"),
    ("team", "name", "x" * 81, "name"),
    ("team", "name", "Reds\x00", "name"),
    ("team", "name", LONE_SURROGATE, "name"),
    ("lineup", "players", [{"player_id": "{player_id}", "role": "captain"}], "players.0.role"),
    ("lineup", "players", [{"player_id": "nope", "role": "bench"}], "players.0.player_id"),
    ("lineup", "players", [{"player_id": "{player_id}", "role": "bench"}] * 61, "players"),
    ("lineup", "players", "everyone", "players"),
    # A value of the wrong JSON type is refused, never coerced: JSON has no date type, a
    # boolean is not an integer, and text is neither a number nor a boolean. (7.0 is an
    # integer to JSON Schema, and accepted.)
    ("event", "minute", "7", "minute"),
    ("event", "minute", [7], "minute"),
    ("event", "period", True, "period"),
    ("event", "stoppage", False, "stoppage"),
    ("event", "recorded_at", 1790000000, "recorded_at"),
    ("event", "recorded_at", "1790000000", "recorded_at"),
    ("event_edit", "period", True, "period"),
    ("event_edit", "minute", "10", "minute"),
    ("match", "is_home", "no", "is_home"),
    ("match", "is_home", 0, "is_home"),
    ("match", "periods", "2", "periods"),
    ("match", "period_minutes", True, "period_minutes"),
    ("match", "kickoff_at", 1790000000, "kickoff_at"),
    ("match", "kickoff_at", 1790000000.5, "kickoff_at"),
    ("match_edit", "is_home", "yes", "is_home"),
    ("match_edit", "kickoff_at", "1790000000", "kickoff_at"),
    ("player", "squad_number", "9", "squad_number"),
    ("player", "squad_number", True, "squad_number"),
    ("player_edit", "squad_number", False, "squad_number"),
    ("share_link", "expires_in_hours", "24", "expires_in_hours"),
    ("share_link", "expires_in_hours", True, "expires_in_hours"),
    ("account", "email", "not-an-email", "email"),
    ("account", "email", "a\x00b@example.org", "email"),
    ("account", "password", "short", "password"),
    ("account", "password", "correct horse\x00", "password"),
    ("account", "password", "x" * 257, "password"),
    ("account", "display_name", "x" * 81, "display_name"),
]


def _valid_body(world: World, target: str) -> dict[str, Any]:
    _, _, valid = TARGETS[target]
    body = dict(valid)
    if target == "event":
        body["id"] = str(uuid.uuid4())
    if target == "match":
        body["team_id"] = world.ids["team_id"]
    return body


def _bad_body(world: World, target: str, field: str, value: Any) -> dict[str, Any]:
    body = _valid_body(world, target)
    if value is DROP:
        del body[field]
    elif isinstance(value, list):
        body[field] = [
            {k: world.url(v) for k, v in item.items()} if isinstance(item, dict) else item
            for item in value
        ]
    else:
        body[field] = value
    return body


def test_the_catalogue_starts_from_bodies_that_are_accepted(client: TestClient) -> None:
    """Each case below differs from one of these accepted bodies in one field only."""
    world = _world(client)

    for target, (method, template, _) in TARGETS.items():
        response = _send(client, world, method, template, _valid_body(world, target))
        assert response.status_code in (200, 201), (target, response.text)


def test_each_bad_field_is_refused_by_name_and_writes_nothing(client: TestClient) -> None:
    world = _world(client)
    before = _snapshot(client, world)

    for target, field, value, named in FIELD_CASES:
        method, template, _ = TARGETS[target]
        case = (target, field, repr(value)[:40])
        response = _send(client, world, method, template, _bad_body(world, target, field, value))

        assert response.status_code == 422, (case, response.text)
        error = response.json()["error"]
        assert error["field"] == named, (case, error)
        assert error["message"], case

    assert _snapshot(client, world) == before
    login = client.post(
        "/api/auth/login", json={"email": "new@example.org", "password": factories.PASSWORD}
    )
    assert login.status_code == 401


MALFORMED = [
    b'{"kind": ',
    b"not json",
    b'{"kind": "goal",}',
    b"{'kind': 'goal'}",
    b"\xff\xfe{}",
    b"\x00",
    b'{"kind": "goal"} trailing',
]


def test_malformed_json_is_a_400_that_writes_nothing(client: TestClient) -> None:
    world = _world(client)
    before = _snapshot(client, world)

    for target in ("event", "event_edit", "match", "lineup", "account"):
        method, template, _ = TARGETS[target]
        for raw in MALFORMED:
            response = _send(client, world, method, template, raw)
            assert response.status_code == 400, (target, raw, response.text)
            assert response.json()["error"]["code"] == "malformed_json", (target, raw)

    assert _snapshot(client, world) == before


def test_hostile_json_never_reaches_a_500(client: TestClient) -> None:
    world = _world(client)
    before = _snapshot(client, world)
    depth = 100_000
    hostile = [
        b"[" * depth + b"]" * depth,
        b'{"a":' * depth + b"1" + b"}" * depth,
        b"[]",
        b'"goal"',
        b"null",
        b"1e999999",
    ]

    for raw in hostile:
        response = _send(client, world, *TARGETS["event"][:2], raw)
        assert 400 <= response.status_code < 500, (raw[:20], response.text)
        assert response.json()["error"]["code"], raw[:20]

    assert _snapshot(client, world) == before


def test_a_body_that_is_not_json_is_a_415(client: TestClient) -> None:
    world = _world(client)
    before = _snapshot(client, world)
    body = json.dumps(_valid_body(world, "event")).encode()
    method, template, _ = TARGETS["event"]

    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "",
    ):
        response = _send(client, world, method, template, body, {"Content-Type": content_type})
        assert response.status_code == 415, (content_type, response.text)
        assert response.json()["error"]["code"] == "unsupported_media_type"

    assert _snapshot(client, world) == before
    charset = _send(
        client, world, method, template, body, {"Content-Type": "application/json; charset=utf-8"}
    )
    assert charset.status_code == 201


def test_a_write_without_a_body_is_a_422(client: TestClient) -> None:
    world = _world(client)
    before = _snapshot(client, world)

    for target, (method, template, _) in TARGETS.items():
        response = client.request(method, world.url(template), headers=world.headers)
        assert response.status_code == 422, (target, response.text)
        assert response.json()["error"]["field"] == "body", target

    assert _snapshot(client, world) == before


BAD_PARAMETERS: list[tuple[str, dict[str, Any], str]] = [
    ("/api/matches/{match_id}/events", {"after_seq": 2**70}, "after_seq"),
    ("/api/matches/{match_id}/events", {"after_seq": -1}, "after_seq"),
    ("/api/matches/{match_id}/events", {"limit": 0}, "limit"),
    ("/api/matches/{match_id}/events", {"include_deleted": "maybe"}, "include_deleted"),
    ("/api/matches", {"limit": 2**70}, "limit"),
    ("/api/matches", {"status": "paused"}, "status"),
    ("/api/matches", {"from": "2026-13-01"}, "from"),
    ("/api/matches", {"to": "tomorrow"}, "to"),
    ("/api/matches", {"team_id": "reds"}, "team_id"),
    ("/api/matches", {"cursor": "x" * 201}, "cursor"),
    ("/api/matches/not-a-uuid", {}, "match_id"),
    ("/api/players/12345", {}, "player_id"),
    ("/api/teams/{team_id}/players", {"include_deleted": "2"}, "include_deleted"),
]


def test_bad_query_and_path_parameters_are_named(client: TestClient) -> None:
    world = _world(client)

    for template, params, field in BAD_PARAMETERS:
        response = client.get(world.url(template), params=params, headers=world.headers)

        assert response.status_code == 422, (template, params, response.text)
        assert response.json()["error"]["field"] == field, (template, params)


@pytest.fixture
def small_client(engine: Engine, connection: Connection, database_url: str) -> Iterator[TestClient]:
    """The app with a 2 KiB body limit, sharing the test's rolled-back transaction."""
    joined = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    settings = Settings(environment="test", database_url=database_url, max_body_bytes=2048)
    app = create_app(settings, database=Database(engine=engine, reader=joined, writer=joined))
    with TestClient(app) as client:
        yield client


def test_a_body_over_the_limit_is_refused_before_parsing(small_client: TestClient) -> None:
    world = _world(small_client)
    before = _snapshot(small_client, world)
    method, template, _ = TARGETS["event"]
    oversized = {**_valid_body(world, "event"), "note": "x" * 3000}
    # Not JSON at all: a refusal after parsing would be a 400, not a 413.
    garbage = b"{" * 5000

    def chunks(body: bytes) -> Iterator[bytes]:
        for start in range(0, len(body), 500):
            yield body[start : start + 500]

    for body in (json.dumps(oversized).encode(), garbage):
        sized = _send(small_client, world, method, template, body)
        chunked = small_client.request(
            method, world.url(template), content=chunks(body), headers=world.headers | JSON
        )
        for response in (sized, chunked):
            assert response.status_code == 413, response.text
            assert response.json()["error"] == {
                "code": "payload_too_large",
                "message": "the body is larger than 2048 bytes",
                "field": "body",
            }
        assert "transfer-encoding" in chunked.request.headers
        assert "content-length" not in chunked.request.headers

    assert _snapshot(small_client, world) == before
    within = {**_valid_body(world, "event"), "note": "x" * 200}
    assert _send(small_client, world, method, template, within).status_code == 201


UNPARSEABLE_LENGTHS = [b"abc", b"-1", b"1e3", b"0x10", b"12, 13", "\u0663".encode()]


@pytest.mark.e2e
def test_a_content_length_that_is_not_a_number_gets_the_json_error_from_a_real_server(
    tmp_path: Path,
) -> None:
    # uvicorn refuses it before the app runs; the server's own protocol answers it.
    with (
        fresh_database("sqlite", tmp_path) as url,
        running_server(url, tmp_path / "serve.log", migrate=True) as server,
    ):
        for length in UNPARSEABLE_LENGTHS:
            connection = http.client.HTTPConnection(server.base_url.removeprefix("http://"))
            connection.putrequest("POST", "/sync")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", length)
            connection.endheaders(b"{}")
            response = connection.getresponse()
            body = json.loads(response.read())
            connection.close()

            assert response.status == 400, length
            assert response.getheader("content-type") == "application/json"
            assert response.getheader("x-content-type-options") == "nosniff"
            assert response.getheader("content-security-policy"), length
            assert response.getheader("connection") == "close"
            assert body["error"]["code"] == "bad_request"
            assert "Content-Length" in body["error"]["message"]
        assert server.request("GET", "/healthz").status == 200


def test_a_content_length_that_is_not_a_number_is_refused_by_the_app(client: TestClient) -> None:
    # Behind a server that passes such a header on, the body guard refuses it.
    world = _world(client)
    method, template, _ = TARGETS["event"]
    body = json.dumps(_valid_body(world, "event")).encode()

    for length in UNPARSEABLE_LENGTHS:
        headers = {k.encode(): v.encode() for k, v in (world.headers | JSON).items()}
        headers[b"content-length"] = length
        response = client.request(method, world.url(template), content=body, headers=headers)
        assert response.status_code == 400, (length, response.text)
        assert response.json()["error"] == {
            "code": "bad_request",
            "message": "Content-Length is not a number",
            "field": "body",
        }
        assert response.headers["x-content-type-options"] == "nosniff"
