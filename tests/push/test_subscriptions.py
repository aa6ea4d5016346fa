"""Subscribing a browser to a share link's alerts: what is accepted, what is refused, and
that a subscription dies with its link."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.app import create_app
from backend.db.engine import Database
from backend.db.models import PushSubscription
from backend.settings import Settings
from backend.vapid_keys import generate_private_key, public_key
from tests import factories
from tests.e2e.server import TOUCHLINE

VAPID_KEY = generate_private_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_subscription(endpoint: str = "https://push.example.net/send/abc") -> dict[str, Any]:
    """What ``PushSubscription.toJSON()`` gives, with a fresh key pair."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {
            "p256dh": _b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
            "auth": _b64(b"0123456789abcdef"),
        },
    }


def _client(
    engine: Engine, connection: Connection, database_url: str, **settings: Any
) -> TestClient:
    """A client of an app on the test's own connection, its lifespan not run: the alert
    sender (a thread of its own) must not share that one connection with the requests."""
    joined = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    app = create_app(
        Settings(
            **{
                "environment": "test",
                "database_url": database_url,
                "anonymous_burst": 1_000_000,
                "rate_burst": 1_000_000,
                "secret_keys": [_b64(bytes(range(48)))],
            }
            | settings
        ),
        database=Database(engine=engine, reader=joined, writer=joined),
    )
    return TestClient(app)


@pytest.fixture
def push_client(engine: Engine, connection: Connection, database_url: str) -> Iterator[TestClient]:
    yield _client(engine, connection, database_url, vapid_private_key=VAPID_KEY)


def _shared_match(client: TestClient) -> tuple[dict[str, str], str, dict[str, Any]]:
    coach = factories.coach(client)
    match_id = factories.match(client, coach, factories.team(client, coach))
    link = client.get(f"/api/matches/{match_id}/share", headers=coach).json()
    return coach, match_id, link


def _subscriptions(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(PushSubscription)) or 0


def test_the_server_answers_its_public_key_only_when_push_is_set_up(
    push_client: TestClient, engine: Engine, connection: Connection, database_url: str
) -> None:
    assert push_client.get("/api/watch/push").json() == {
        "enabled": True,
        "public_key": public_key(VAPID_KEY),
    }
    off = _client(engine, connection, database_url)
    assert off.get("/api/watch/push").json() == {"enabled": False, "public_key": None}
    _, _, link = _shared_match(off)
    refused = off.post(
        "/api/watch/push",
        json={"subscription": browser_subscription()},
        headers={"Authorization": f"Bearer {link['token']}"},
    )
    assert refused.status_code == 404


def test_a_family_subscribes_with_the_share_token_and_unsubscribes(
    push_client: TestClient, db_session: Session
) -> None:
    _, _, link = _shared_match(push_client)
    viewer = {"Authorization": f"Bearer {link['token']}"}
    subscription = browser_subscription()
    before = _subscriptions(db_session)

    answer = push_client.post(
        "/api/watch/push",
        json={"subscription": subscription, "goals": True, "breaks": False, "cards": True},
        headers=viewer,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"goals": True, "breaks": False, "cards": True}
    again = push_client.post(
        "/api/watch/push", json={"subscription": subscription, "cards": False}, headers=viewer
    )
    assert again.json() == {"goals": True, "breaks": True, "cards": False}
    assert _subscriptions(db_session) == before + 1

    gone = push_client.request(
        "DELETE", "/api/watch/push", json={"endpoint": subscription["endpoint"]}, headers=viewer
    )
    assert gone.status_code == 204
    assert _subscriptions(db_session) == before
    assert (
        push_client.request(
            "DELETE", "/api/watch/push", json={"endpoint": "https://x.example/"}, headers=viewer
        ).status_code
        == 204
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example.net/send/abc"}, "subscription.endpoint"),
        ({"endpoint": "https://10.0.0.5/send"}, "subscription.endpoint"),
        ({"endpoint": "https://localhost/send"}, "subscription.endpoint"),
        ({"endpoint": "http://127.0.0.2:9/send"}, "subscription.endpoint"),
        ({"endpoint": "https://user:pw@push.example.net/"}, "subscription.endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": _b64(b"0123456789abcdef")}}, "p256dh"),
        ({"keys": {"p256dh": "!!", "auth": "x"}}, "p256dh"),
    ],
)
def test_a_subscription_that_could_never_work_is_refused_naming_the_field(
    push_client: TestClient, db_session: Session, change: dict[str, Any], field: str
) -> None:
    _, _, link = _shared_match(push_client)
    before = _subscriptions(db_session)
    refused = push_client.post(
        "/api/watch/push",
        json={"subscription": browser_subscription() | change},
        headers={"Authorization": f"Bearer {link['token']}"},
    )
    assert refused.status_code == 422, refused.text
    assert field in refused.json()["error"]["field"]
    assert _subscriptions(db_session) == before


def test_choices_must_be_booleans_and_a_token_is_needed(push_client: TestClient) -> None:
    _, _, link = _shared_match(push_client)
    viewer = {"Authorization": f"Bearer {link['token']}"}
    body = {"subscription": browser_subscription(), "goals": "true"}
    refused = push_client.post("/api/watch/push", json=body, headers=viewer)
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "goals")
    assert push_client.post("/api/watch/push", json=body | {"goals": True}).status_code == 401


def test_loopback_http_endpoints_are_for_development_only(
    push_client: TestClient, engine: Engine, connection: Connection, database_url: str
) -> None:
    loopback = browser_subscription("http://127.0.0.1:8123/push/1")
    _, _, link = _shared_match(push_client)
    viewer = {"Authorization": f"Bearer {link['token']}"}
    assert (
        push_client.post(
            "/api/watch/push", json={"subscription": loopback}, headers=viewer
        ).status_code
        == 200
    )
    production = {
        "vapid_private_key": VAPID_KEY,
        "environment": "production",
        "vapid_subject": "mailto:fixtures@riverside.example",
    }
    strict = _client(engine, connection, database_url, **production)
    _, _, link = _shared_match(strict)
    refused = strict.post(
        "/api/watch/push",
        json={"subscription": loopback},
        headers={"Authorization": f"Bearer {link['token']}"},
    )
    assert refused.status_code == 422


def test_revoking_the_link_deletes_its_subscriptions(
    push_client: TestClient, db_session: Session
) -> None:
    coach, _, link = _shared_match(push_client)
    viewer = {"Authorization": f"Bearer {link['token']}"}
    before = _subscriptions(db_session)
    for n in range(2):
        push_client.post(
            "/api/watch/push",
            json={"subscription": browser_subscription(f"https://push.example.net/{n}")},
            headers=viewer,
        )
    assert _subscriptions(db_session) == before + 2
    assert push_client.delete(f"/api/share-links/{link['id']}", headers=coach).status_code == 204
    assert _subscriptions(db_session) == before
    refused = push_client.post(
        "/api/watch/push", json={"subscription": browser_subscription()}, headers=viewer
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (410, "link_revoked")


def test_touchline_push_keys_prints_a_working_key_pair() -> None:
    result = subprocess.run(
        [TOUCHLINE, "push", "keys", "--json"], capture_output=True, text=True, check=True
    )
    pair = json.loads(result.stdout)
    assert public_key(pair["TOUCHLINE_VAPID_PRIVATE_KEY"]) == pair["public_key"]
    with pytest.raises(ValueError, match="VAPID"):
        Settings(vapid_private_key="not-a-key")
    with pytest.raises(ValueError, match="TOUCHLINE_VAPID_SUBJECT"):
        Settings(vapid_subject="admin@club.org")
    strong = {"environment": "production", "secret_keys": [_b64(bytes(range(48)))]}
    with pytest.raises(ValueError, match="TOUCHLINE_VAPID_SUBJECT: in production"):
        Settings(**strong, vapid_private_key=VAPID_KEY)
    assert Settings(**strong).push_enabled is False
