"""Hostile /sync input: clear errors naming the field, and nothing stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings
from tests import factories
from tests.sync import Phone, events

JSON = {"Content-Type": "application/json"}


def _team_with_match(client: TestClient) -> tuple[Phone, str]:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    return phone, factories.live_match(client, phone.headers, team_id)


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    engine: Engine, connection: Connection, database_url: str
) -> None:
    joined = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    settings = Settings(environment="test", database_url=database_url, max_body_bytes=2048)
    small = create_app(settings, database=Database(engine=engine, reader=joined, writer=joined))
    with TestClient(small) as client:
        phone, match_id = _team_with_match(client)
        batch = [phone.add_event(match_id, note="x" * 200) for _ in range(20)]

        too_big = phone.post(mutations=batch)
        not_even_json = client.post(
            "/sync",
            content=b"{" * 4096,
            headers=phone.headers | {"Content-Type": "application/json"},
        )
        # Without a Content-Length: counted as it streams, read only after the token.
        streamed = client.post(
            "/sync",
            content=iter([b"{" * 1024] * 4),
            headers=phone.headers | {"Content-Type": "application/json"},
        )

        assert (too_big.status_code, not_even_json.status_code) == (413, 413)
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413, streamed.text
        assert too_big.json()["error"]["code"] == "payload_too_large"
        assert events(client, phone.headers, match_id, markers=False) == []
        assert phone.lag()["last_mutation_id"] == 0


def test_more_than_500_mutations_are_refused_whole(client: TestClient) -> None:
    phone, match_id = _team_with_match(client)

    response = phone.post(mutations=[phone.add_event(match_id) for _ in range(501)])

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "mutations"
    assert events(client, phone.headers, match_id, markers=False) == []


MALFORMED = [
    ({"id": 1, "name": "add_event", "args": []}, "mutations.0.args"),
    ({"id": 1, "name": "add_event", "args": "goal"}, "mutations.0.args"),
    ({"id": 0, "name": "add_event", "args": {}}, "mutations.0.id"),
    ({"id": 2**53, "name": "add_event", "args": {}}, "mutations.0.id"),
    ({"id": 1.5, "name": "add_event", "args": {}}, "mutations.0.id"),
    ({"id": 1, "name": "x" * 65, "args": {}}, "mutations.0.name"),
    ({"id": 1, "name": "add\u0000event", "args": {}}, "mutations.0.name"),
    ({"id": 1, "args": {}}, "mutations.0.name"),
    ({"id": 1, "name": "add_event", "args": {}, "extra": 1}, "mutations.0.extra"),
    ({"id": "1", "name": "add_event", "args": {}}, "mutations.0.id"),
    ({"id": True, "name": "add_event", "args": {}}, "mutations.0.id"),
    ({"id": [1], "name": "add_event", "args": {}}, "mutations.0.id"),
    (
        {"id": 1, "name": "add_event", "args": {}, "client_time": 1790000000},
        "mutations.0.client_time",
    ),
]

# The envelope's numbers and booleans are JSON numbers and booleans, never text or 0/1.
WRONG_TYPES = [
    ({"protocol": "3"}, "protocol"),
    ({"protocol": True}, "protocol"),
    ({"pull": "yes"}, "pull"),
    ({"pull": 1}, "pull"),
    ({"max_changes": "10"}, "max_changes"),
    ({"max_changes": False}, "max_changes"),
    ({"device_id": 7}, "device_id"),
    ({"cursor": 7}, "cursor"),
]


def test_an_envelope_field_of_the_wrong_json_type_is_refused_by_name(client: TestClient) -> None:
    phone, match_id = _team_with_match(client)

    for change, field in WRONG_TYPES:
        response = phone.post(mutations=[phone.add_event(match_id)], **change)
        phone.next_id = 1

        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["code"] == "invalid"
        assert response.json()["error"]["field"] == field
    assert phone.lag()["last_mutation_id"] == 0
    assert events(client, phone.headers, match_id, markers=False) == []


def test_a_malformed_mutation_is_refused_with_its_field(client: TestClient) -> None:
    phone = Phone(client)

    for mutation, field in MALFORMED:
        response = phone.post(mutations=[mutation])

        assert response.status_code == 422, (mutation, response.text)
        assert response.json()["error"]["code"] == "invalid"
        assert response.json()["error"]["field"] == field
    assert phone.lag()["last_mutation_id"] == 0


def test_a_hostile_argument_name_is_rejected_per_mutation_not_stored_raw(
    client: TestClient,
) -> None:
    phone, match_id = _team_with_match(client)
    odd = phone.mutation("delete_event", event_id=str(uuid.uuid4()), **{"\u0000" + "k" * 99: 1})

    answer = phone.sync(odd, phone.add_event(match_id))
    retry = phone.sync(odd)

    [rejected, applied] = answer["results"]
    assert (rejected["verdict"], rejected["error"]["code"]) == ("rejected", "invalid")
    assert "\u0000" not in rejected["error"]["field"] + rejected["error"]["message"]
    assert applied["verdict"] == "applied"
    assert retry["results"][0]["error"] == rejected["error"]


def test_a_nul_in_an_id_argument_is_a_recorded_rejection_quoting_it_escaped(
    client: TestClient,
) -> None:
    phone, match_id = _team_with_match(client)
    broken = phone.add_event(match_id[:8] + "\u0000" + match_id[9:])
    broken_key = phone.mutation("delete_event", event_id="0\ud800")
    body = {"protocol": 1, "device_id": phone.device_id}
    batch = [broken, broken_key, phone.add_event(match_id)]

    def send(mutations: list[dict[str, Any]]) -> dict[str, Any]:
        # Escaped as JSON.stringify does: a lone surrogate travels as written.
        raw = json.dumps(body | {"mutations": mutations}).encode()
        response = client.post("/sync", content=raw, headers=phone.headers | JSON)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    answer = send(batch)
    retry = send(batch[:2])

    [nul, surrogate, applied] = answer["results"]
    assert _verdict(nul) == ("rejected", "invalid", "args.match_id")
    assert _verdict(surrogate) == ("rejected", "invalid", "args.event_id")
    assert "\\u0000" in nul["error"]["message"]
    assert not any("\u0000" in r["error"]["message"] for r in (nul, surrogate))
    assert applied["verdict"] == "applied"
    assert [r["error"] for r in retry["results"]] == [nul["error"], surrogate["error"]]
    assert len(events(client, phone.headers, match_id, markers=False)) == 1


def _verdict(result: dict[str, Any]) -> tuple[str, str, str | None]:
    return result["verdict"], result["error"]["code"], result["error"]["field"]


def test_another_teams_match_is_indistinguishable_from_a_missing_one(client: TestClient) -> None:
    phone, _ = _team_with_match(client)
    rival = factories.coach(client)
    rival_match = factories.match(client, rival, factories.team(client, rival))

    answer = phone.sync(phone.add_event(rival_match), phone.add_event(str(uuid.uuid4())))

    theirs, missing = answer["results"]
    assert theirs["verdict"] == missing["verdict"] == "rejected"
    assert theirs["error"] == missing["error"]
    assert events(client, rival, rival_match) == []


def test_another_teams_event_id_reveals_nothing_of_it(client: TestClient) -> None:
    phone, match_id = _team_with_match(client)
    rival = factories.coach(client)
    rival_match = factories.live_match(client, rival, factories.team(client, rival))
    secret = factories.event(client, rival, rival_match, "goal", note="private note")

    answer = phone.sync(
        phone.add_event(match_id, id=secret["id"]),
        phone.mutation("edit_event", event_id=secret["id"], changes={"minute": 2}),
        phone.mutation("delete_event", event_id=secret["id"]),
        phone.mutation("edit_event", event_id=str(uuid.uuid4()), changes={"minute": 2}),
    )

    added, edited, deleted, missing = answer["results"]
    assert (added["verdict"], added["error"]["code"]) == ("rejected", "id_in_use")
    assert edited["error"] == deleted["error"] == missing["error"]
    assert "private note" not in json.dumps(answer)
    assert [e["minute"] for e in events(client, rival, rival_match, markers=False)] == [1]


def test_share_and_login_tokens_cannot_sync(client: TestClient, app: FastAPI) -> None:
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    phone = Phone(client, factories.coach(client, email=email))
    login = client.post(
        "/api/auth/login", json={"email": email, "password": factories.PASSWORD}
    ).json()["access_token"]
    share = URLSafeSerializer(app.state.settings.secret_keys, salt="touchline.share").dumps(
        uuid.uuid4().hex
    )
    body = {"protocol": 1, "device_id": phone.device_id, "mutations": []}

    as_login = client.post("/sync", json=body, headers={"Authorization": f"Bearer {login}"})
    as_share = client.post("/sync", json=body, headers={"Authorization": f"Bearer {share}"})
    anonymous = client.post("/sync", json=body)

    assert as_login.status_code == as_share.status_code == anonymous.status_code == 401
    assert "needs a device token" in as_login.json()["error"]["message"]
    assert as_share.json()["error"]["code"] == "share_token_not_accepted"


def test_the_token_is_checked_before_the_body_is_parsed(client: TestClient) -> None:
    phone = Phone(client)
    depth = 200_000
    many = b'{"id": 1, "name": "x", "args": {"a": [1, 2, 3]}},' * 15_000
    hostile = [
        (b'{"protocol": ', 400, "body"),
        (b"[" * depth + b"]" * depth, 400, "body"),
        (b'{"mutations": [' + many + b"0]}", 422, "protocol"),
        (b"", 422, "body"),
    ]
    junk = [{"Authorization": "Bearer tl_dev_" + "x" * 40}, {"Authorization": "Bearer junk"}, {}]

    for raw, status, field in hostile:
        for headers in junk:
            response = client.post("/sync", content=raw, headers=headers | JSON)
            assert response.status_code == 401, (raw[:20], headers, response.text)
        # The same body with a good token is parsed, and refused for what it is.
        parsed = client.post("/sync", content=raw, headers=phone.headers | JSON)
        assert parsed.status_code == status, (raw[:20], parsed.text)
        assert parsed.json()["error"]["field"] == field


def test_a_forged_cursor_is_refused_and_nothing_in_the_request_is_stored(
    client: TestClient,
) -> None:
    phone, match_id = _team_with_match(client)
    genuine = phone.sync()["cursor"]
    forged = [
        "not-a-cursor",
        genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB"),
        URLSafeSerializer(["another server"], salt="touchline.cursor").dumps(
            json.dumps({"g": uuid.uuid4().hex, "t": {}, "m": {}})
        ),
    ]

    for cursor in forged:
        phone.cursor = cursor
        response = phone.post(mutations=[phone.add_event(match_id)])
        phone.next_id = 1

        assert response.status_code == 422, cursor
        assert response.json()["error"]["code"] == "invalid_cursor"
        assert response.json()["error"]["field"] == "cursor"
    assert phone.lag()["last_mutation_id"] == 0
    assert events(client, phone.headers, match_id, markers=False) == []


def test_mutation_arguments_nested_too_deep_are_refused_by_name(client: TestClient) -> None:
    headers = factories.coach(client)
    device_id = client.get("/api/devices", headers=headers).json()[0]["id"]
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(10):
        deep = {"deeper": deep}
    mutation = {"id": 1, "name": "add_event", "args": deep}

    response = client.post(
        "/sync",
        json={"protocol": 1, "device_id": device_id, "mutations": [mutation]},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "mutations.0.args"
    lag = client.get(f"/api/devices/{device_id}/sync", headers=headers).json()
    assert lag["last_mutation_id"] == 0
