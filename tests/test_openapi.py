"""Schemathesis against the app's own OpenAPI document, with every check it has.

Each database kind gets a brand-new database, seeded with a team, players, a match and its
events, so generated requests hit real ids and whatever they delete or edit harms no other
test. Requests are authenticated as a coach's device.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings
from tests import factories
from tests.databases import migrated_database

MAX_EXAMPLES = 25
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T|$)")


def _seed(client: TestClient) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A coach with a team, players, a match with events; their ids by path parameter."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    players = [
        factories.player(client, headers, team_id, number, name)
        for number, name in [(9, "Alex"), (7, "Jo"), (1, "Sam")]
    ]
    match_id = factories.match(client, headers, team_id)
    spare_match = factories.match(client, headers, team_id, opponent="Greens")
    events = [
        factories.event(client, headers, match_id, "kick_off", minute=0)["id"],
        factories.event(client, headers, match_id, "goal", minute=3, player_id=players[0])["id"],
        factories.event(client, headers, match_id, "own_goal", minute=9, side="opposition")["id"],
    ]
    login = client.post(
        "/api/auth/login",
        json={
            "email": client.get("/api/me", headers=headers).json()["email"],
            "password": factories.PASSWORD,
        },
    ).json()["access_token"]
    # A second phone, so that a generated DELETE /api/devices/{id} revokes it, not ours.
    spare_device = client.post(
        "/api/devices", json={"name": "old phone"}, headers={"Authorization": f"Bearer {login}"}
    ).json()["id"]
    ids = {
        "team_id": [team_id],
        "player_id": players,
        "match_id": [match_id, spare_match],
        "event_id": events,
        "device_id": [spare_device],
    }
    return headers, ids


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# Generation needs the seeded ids, which exist only once the fixture has run; the hook
# reads them from here. Schemathesis's fixture-based loader does not work with this pytest.
SEEDED: dict[str, list[str]] = {}
DEVICE: dict[str, str] = {}


def _load_schema() -> Any:
    # Only the OpenAPI document is read from this app. An engine connects on first use, which
    # never comes, so no database is opened; each test sends its requests to a seeded app.
    unused = "sqlite:///unused-by-the-openapi-document.db"
    app = create_app(
        Settings(environment="test", database_url=unused), database=Database.connect(unused)
    )
    config = SchemathesisConfig()
    project = config.projects.default
    project.checks.update(included_check_names=["all"])
    # Unknown query parameters are ignored, as HTTP servers commonly do (only bodies are
    # strict), so a request that only adds one is not a request that must be refused.
    project.generation.update(
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
        allow_extra_parameters=False,
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


schema = _load_schema()


@schema.hook
def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> Any:
    # Half the time, a seeded id, so requests reach real rows, not only 404s. Only a valid
    # UUID is swapped, so a deliberately invalid parameter stays invalid.
    choices = {
        name: st.sampled_from([value, *SEEDED[name]])
        for name, value in (path_parameters or {}).items()
        if name in SEEDED and _is_uuid(value)
    }
    if not choices:
        return st.just(path_parameters)
    return st.fixed_dictionaries(choices).map(lambda chosen: path_parameters | chosen)


def _in_range_instants(value: Any) -> Any:
    """``value`` with every date or date-time string's year moved into 1901..2198 if it was
    outside."""
    if isinstance(value, dict):
        return {key: _in_range_instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_range_instants(item) for item in value]
    if isinstance(value, str) and DATE.match(value) and not 1901 <= int(value[:4]) <= 2198:
        return "2026" + value[4:]
    return value


@schema.hook
def map_case(_context: Any, case: Case) -> Case:
    # JSON Schema cannot say that a date-time must fall between the years 1900 and 2200 (the
    # server checks the UTC instant); a case meant to be valid gets years inside the range,
    # while cases meant to be invalid keep whatever they were given.
    # Likewise a list cursor is valid only if the server issued it, and a date range only if
    # `from` is not after `to`, which no schema can say.
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        case.body = _in_range_instants(case.body)
        if case.query:
            query = {k: v for k, v in case.query.items() if k != "cursor"}
            case.query = _in_order(_in_range_instants(query))
        case.body = _known_lineup(case.body)
    return case


def _known_lineup(body: Any) -> Any:
    """A lineup body whose slots name the seeded players, each once (no schema can say that
    a slot must name a player of the match's team, nor that a player is named once)."""
    if not (isinstance(body, dict) and isinstance(body.get("players"), list)):
        return body
    slots = [slot for slot in body["players"] if isinstance(slot, dict)]
    named = zip(slots, SEEDED.get("player_id", []), strict=False)
    return body | {"players": [slot | {"player_id": player} for slot, player in named]}


def _in_order(query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with its ``from`` and ``to`` dates swapped if ``from`` came later."""
    start, end = query.get("from"), query.get("to")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        return query | {"from": end, "to": start}
    return query


@schema.auth(refresh_interval=None)
class DeviceToken:
    """The seeded coach's device token; schemathesis knows it as the auth, so its checks
    can tell a request that drops it from one that carries it."""

    def get(self, _case: Case, _context: Any) -> str | None:
        # None while collecting (schema examples are built then, before any database exists).
        return DEVICE.get("token")

    def set(self, case: Case, token: str | None, _context: Any) -> None:
        if token is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The app on a fresh, seeded database."""
    with migrated_database(request.param, tmp_path_factory.mktemp("openapi")) as url:
        database = Database.connect(url)
        # Every generated request comes from one client at full speed: rate limits (which
        # have tests of their own) would answer most of them 429.
        settings = Settings(
            environment="test",
            database_url=url,
            rate_burst=1_000_000,
            anonymous_burst=1_000_000,
            login_attempts_per_minute=1_000_000,
            reset_requests_per_hour=1_000_000,
        )
        app = create_app(settings, database=database)
        with TestClient(app) as client:
            headers, ids = _seed(client)
        SEEDED.clear()
        SEEDED.update(ids)
        DEVICE["token"] = headers["Authorization"].removeprefix("Bearer ")
        try:
            yield app
        finally:
            SEEDED.clear()
            DEVICE.clear()
            database.dispose()


@schema.parametrize()
def test_api_conforms_to_its_openapi(case: Case, seeded_app: FastAPI) -> None:
    case.call_and_validate(app=seeded_app)
