"""Rate limits: per credential for coaches (a crowd behind one carrier NAT shares an IP),
per IP for the unauthenticated routes, per account for login attempts."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.accounts.credentials import hash_password, verify_password
from backend.ratelimit import Limiter, Rate
from tests import factories
from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline
from tests.ops.conftest import OpsClient

PASSWORD = factories.PASSWORD


def _get(server: Server, path: str, token: str) -> tuple[int, str | None, dict[str, str]]:
    """Status, Retry-After and body of one GET, read straight off the wire."""
    request = urllib.request.Request(
        server.base_url + path, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Retry-After"), json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Retry-After"), json.loads(error.read())


@pytest.mark.e2e
def test_a_flooding_device_is_held_back_while_fifty_on_the_same_ip_carry_on(
    tmp_path: Path,
) -> None:
    limits = {"TOUCHLINE_RATE_BURST": "60", "TOUCHLINE_RATE_PER_SECOND": "0.01"}
    with fresh_database("sqlite", tmp_path) as database_url:
        assert touchline("db", "upgrade", "--database-url", database_url).returncode == 0
        with running_server(database_url, tmp_path / "server.log", env=limits) as server:
            email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
            account = {"email": email, "password": PASSWORD, "display_name": "Coach"}
            assert server.request("POST", "/api/accounts", account).status == 201
            login = server.request(
                "POST", "/api/auth/login", {"email": email, "password": PASSWORD}
            )
            assert login.status == 200, login.body
            login_token = login.body["access_token"]
            tokens = []
            for n in range(51):
                device = server.request("POST", "/api/devices", {"name": f"phone {n}"}, login_token)
                assert device.status == 201, device.body
                tokens.append(device.body["token"])
            flooder, crowd = tokens[0], tokens[1:]

            statuses = [_get(server, "/api/teams", flooder)[0] for _ in range(60)]
            assert statuses == [200] * 60
            status, retry_after, body = _get(server, "/api/teams", flooder)
            assert status == 429
            assert retry_after is not None and int(retry_after) >= 1
            assert body["error"]["code"] == "rate_limited"
            # Every other phone behind the same address is untouched by the flood.
            assert [_get(server, "/api/teams", token)[0] for token in crowd] == [200] * 50
            assert _get(server, "/api/teams", flooder)[0] == 429


def test_register_login_and_share_views_share_a_looser_per_ip_limit(
    ops_client: OpsClient,
) -> None:
    with ops_client(anonymous_burst=4, anonymous_rate_per_second=0.01) as client:
        device = factories.coach(client)  # register + login: two of the four
        team_id = factories.team(client, device)
        match_id = factories.match(client, device, team_id)
        link = client.post(f"/api/matches/{match_id}/share-links", json={}, headers=device)
        assert link.status_code == 201, link.text
        share = {"Authorization": f"Bearer {link.json()['token']}"}
        assert client.get("/api/watch", headers=share).status_code == 200
        assert _register(client).status_code == 201

        refused = [
            _register(client),
            client.post("/api/auth/login", json={"email": "a@b.org", "password": PASSWORD}),
            client.get("/api/watch", headers=share),
        ]
        for response in refused:
            assert response.status_code == 429, response.text
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"]["code"] == "rate_limited"
        # A coach's own token is not spent by anonymous traffic from the same address.
        assert client.get("/api/teams", headers=device).status_code == 200


def test_login_attempts_are_limited_per_account_before_the_ip_limit(
    ops_client: OpsClient,
) -> None:
    with ops_client(login_attempts_per_minute=3, anonymous_burst=20) as client:
        target, other = _register(client).json()["email"], _register(client).json()["email"]
        wrong = {"email": target, "password": "not the password"}
        assert [client.post("/api/auth/login", json=wrong).status_code for _ in range(3)] == [
            401
        ] * 3
        # Even the right password now waits, however the address is spelt.
        for email in (target, target.upper(), f"  {target}  "):
            held = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert held.status_code == 429, held.text
            assert int(held.headers["retry-after"]) >= 1
        # The address itself is not yet limited: another coach signs in from it.
        allowed = client.post("/api/auth/login", json={"email": other, "password": PASSWORD})
        assert allowed.status_code == 200, allowed.text


def test_every_spelling_of_one_token_spends_the_same_bucket(ops_client: OpsClient) -> None:
    with ops_client(rate_burst=4, rate_per_second=0.01) as client:
        email = _register(client).json()["email"]
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        token = login.json()["access_token"]
        spellings = [
            f"Bearer {token}",
            f"bearer {token}",
            f"Bearer   {token}  ",
            f"BeArEr {token}",
        ]
        answers = [
            client.get("/api/teams", headers={"Authorization": spelling}).status_code
            for spelling in spellings
        ]
        # Four spellings, one login token, one account: the fifth request waits. (A padded
        # `=` is no spelling of it: a token is accepted only exactly as issued.)
        held = client.get("/api/teams", headers={"Authorization": f"BEARER {token}"})

    assert answers == [200] * 4
    assert held.status_code == 429, held.text


def test_junk_tokens_are_limited_by_address_and_spend_no_coach_bucket(
    ops_client: OpsClient,
) -> None:
    with ops_client(anonymous_burst=3, anonymous_rate_per_second=0.01) as client:
        device = factories.coach(client)
        junk = [
            client.get("/api/teams", headers={"Authorization": f"Bearer tld_junk{n}"})
            for n in range(3)
        ]
        more = [
            client.get("/api/teams", headers={"Authorization": "Bearer junk.payload.signature"}),
            client.get("/api/teams"),  # no credential at all
        ]
        coach = client.get("/api/teams", headers=device)

    assert [r.status_code for r in junk] == [401] * 3
    for refused in more:
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
    # Behind the same address, a coach whose token verifies carries on.
    assert coach.status_code == 200, coach.text


def test_no_flood_of_other_keys_frees_a_bucket_that_is_limiting() -> None:
    limiter = Limiter(max_keys=100)
    login = Rate(per_second=10 / 60, burst=10)
    assert [limiter.hit("login", "kim@example.org", login) for _ in range(10)] == [None] * 10
    assert limiter.hit("login", "kim@example.org", login) is not None

    for n in range(10_000):
        limiter.hit("login", f"guess-{n}@example.org", login)
        limiter.hit("failed-auth", f"10.{n // 256}.{n % 256}.1", login)

    # Still limited: eviction only forgets buckets that have refilled.
    assert limiter.hit("login", "kim@example.org", login) is not None
    # Buckets that refill at once are forgotten, so the table stays at its size.
    instant = Rate(per_second=1e12, burst=5)
    for n in range(1_000):
        limiter.hit("address", f"192.0.2.{n}", instant)
    assert limiter.size("address") == 100


def test_preflights_and_other_anonymous_requests_spend_no_per_address_budget(
    ops_client: OpsClient,
) -> None:
    origin = "https://pitchside.example.org"
    with ops_client(
        cors_origins=[origin], anonymous_burst=2, anonymous_rate_per_second=0.01
    ) as client:
        preflights = [
            client.options(
                path,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            for path, method in [("/api/accounts", "POST"), ("/api/auth/login", "POST")] * 10
            + [("/api/watch", "GET")] * 10
        ]
        pages = [client.get(path) for path in ("/", "/healthz", "/watch", "/manifest.webmanifest")]
        registered = [_register(client).status_code for _ in range(3)]

    assert {r.status_code for r in preflights} == {200}
    assert all(r.status_code != 429 for r in pages)
    assert registered == [201, 201, 429]


def test_guessing_from_elsewhere_never_locks_the_coach_out_of_a_phone_they_use(
    ops_client: OpsClient,
) -> None:
    with ops_client(login_attempts_per_minute=3) as client:
        email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
        phone = factories.coach(client, email=email)  # one login: one of the three
        right = {"email": email, "password": PASSWORD}
        wrong = {"email": email, "password": "not the password"}
        guesses = [client.post("/api/auth/login", json=wrong).status_code for _ in range(2)]
        locked = client.post("/api/auth/login", json=right)
        from_phone = client.post("/api/auth/login", json=right, headers=phone)
        guess_from_phone = client.post("/api/auth/login", json=wrong, headers=phone)
        other = factories.coach(client)  # a device of another account is no pass
        from_stranger = client.post("/api/auth/login", json=right, headers=other)

    assert guesses == [401, 401]
    assert locked.status_code == 429, locked.text
    assert from_phone.status_code == 200, from_phone.text
    assert guess_from_phone.status_code == 401, guess_from_phone.text
    assert from_stranger.status_code == 429, from_stranger.text


@pytest.mark.e2e
def test_signing_in_takes_no_write_lock_while_the_password_is_checked(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as database_url:
        assert touchline("db", "upgrade", "--database-url", database_url).returncode == 0
        # Argon2id, so that checking the password takes as long as it does in production.
        env = {"TOUCHLINE_DB_POOL_TIMEOUT_SECONDS": "1", "TOUCHLINE_PASSWORD_HASHER": "argon2id"}
        with running_server(database_url, tmp_path / "server.log", env=env) as server:
            email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
            account = {"email": email, "password": PASSWORD, "display_name": "Coach"}
            assert server.request("POST", "/api/accounts", account).status == 201
            # Another process holds SQLite's write lock for the whole sign-in.
            holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
            try:
                holder.execute("BEGIN IMMEDIATE")
                login = server.request(
                    "POST", "/api/auth/login", {"email": email, "password": PASSWORD}
                )
            finally:
                holder.rollback()
                holder.close()

    assert login.status == 200, login.body


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(client: TestClient) -> None:
    email = _register(client).json()["email"]
    wrong = client.post("/api/auth/login", json={"email": email, "password": "not the password"})
    unknown = client.post(
        "/api/auth/login", json={"email": f"nobody-{email}", "password": "not the password"}
    )
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.content == unknown.content


def test_verifying_against_no_account_still_hashes_and_never_succeeds() -> None:
    real = hash_password(PASSWORD)
    assert verify_password(PASSWORD, real) is True
    assert verify_password("not it", real) is False
    # An unknown account is checked against a stand-in hash, so it costs a full Argon2id
    # verification like any other attempt and can never match.
    assert verify_password(PASSWORD, None) is False
    assert verify_password("", None) is False


def _register(client: TestClient):  # type: ignore[no-untyped-def]
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    return client.post(
        "/api/accounts", json={"email": email, "password": PASSWORD, "display_name": "Coach"}
    )
