from __future__ import annotations

import uuid

import httpx2
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db.models import Account, Device
from backend.settings import Settings
from tests.factories import PASSWORD


def _register(client: TestClient, email: str, password: str = PASSWORD) -> httpx2.Response:
    return client.post(
        "/api/accounts", json={"email": email, "password": password, "display_name": "Alex"}
    )


def _login(client: TestClient, email: str, password: str) -> httpx2.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def _login_headers(client: TestClient, email: str) -> dict[str, str]:
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _new_coach(client: TestClient) -> tuple[str, dict[str, str]]:
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    assert _register(client, email).status_code == 201
    return email, _login_headers(client, email)


def test_register_lower_cases_the_email(client: TestClient) -> None:
    response = client.post(
        "/api/accounts",
        json={"email": "  Alex.Morgan@Example.ORG ", "password": PASSWORD, "display_name": "Alex"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "alex.morgan@example.org"
    assert body["display_name"] == "Alex"
    assert "password" not in body and "password_hash" not in body


def test_registering_a_taken_email_answers_as_a_new_one_and_changes_nothing(
    client: TestClient, db_session: Session
) -> None:
    first = _register(client, "sam@example.org")
    fresh = _register(client, "kim@example.org")

    again = _register(client, "SAM@example.org", password="another long passphrase")

    assert first.status_code == fresh.status_code == again.status_code == 201
    assert again.headers["content-type"] == fresh.headers["content-type"]
    assert set(again.json()) == set(fresh.json())
    assert again.json()["email"] == "sam@example.org"
    assert again.json()["id"] != first.json()["id"]
    owners = db_session.scalars(select(Account).where(Account.email == "sam@example.org")).all()
    assert [str(owner.id) for owner in owners] == [first.json()["id"]]
    # The owner's password still signs in; the newcomer's does not.
    assert _login(client, "sam@example.org", PASSWORD).status_code == 200
    assert _login(client, "sam@example.org", "another long passphrase").status_code == 401


def test_short_password_is_refused_naming_the_password(client: TestClient) -> None:
    result = _register(client, "short@example.org", password="1234567")

    assert result.status_code == 422
    assert result.json()["error"]["field"] == "password"
    assert _register(client, "short@example.org").status_code == 201


def test_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient) -> None:
    email, _ = _new_coach(client)

    wrong_password = client.post("/api/auth/login", json={"email": email, "password": "x" * 12})
    unknown_email = client.post(
        "/api/auth/login", json={"email": "nobody@example.org", "password": PASSWORD}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


def test_login_token_identifies_the_coach(client: TestClient) -> None:
    email, headers = _new_coach(client)

    me = client.get("/api/me", headers=headers)

    assert me.status_code == 200
    assert me.json()["email"] == email


def test_garbage_or_tampered_login_token_is_refused(client: TestClient) -> None:
    _, headers = _new_coach(client)
    token = headers["Authorization"].removeprefix("Bearer ")
    # Change a character inside the signature's first bytes: the last base64 character
    # of a signature may carry only padding bits, so flipping it can leave it valid.
    payload, _, signature = token.rpartition(".")
    flipped = "A" if signature[0] != "A" else "B"
    tampered = f"{payload}.{flipped}{signature[1:]}"

    for bad in ("nonsense", tampered, "tld_" + "x" * 43, token + "x"):
        response = client.get("/api/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] == "invalid_token"


def test_device_token_is_shown_once_and_listed_without_it(client: TestClient) -> None:
    _, headers = _new_coach(client)

    registered = client.post("/api/devices", json={"name": "Pixel"}, headers=headers)

    assert registered.status_code == 201
    token = registered.json()["token"]
    assert token.startswith("tld_") and len(token) > 40
    listed = client.get("/api/devices", headers=headers)
    assert listed.status_code == 200
    [device] = listed.json()
    assert device["id"] == registered.json()["id"]
    assert device["name"] == "Pixel"
    assert "token" not in device
    assert token not in listed.text


def test_device_list_shows_when_a_device_was_last_seen(client: TestClient) -> None:
    _, headers = _new_coach(client)
    registered = client.post("/api/devices", json={"name": "Pixel"}, headers=headers).json()
    assert registered["last_seen_at"] is None

    used = client.get("/api/me", headers={"Authorization": f"Bearer {registered['token']}"})

    assert used.status_code == 200
    [device] = client.get("/api/devices", headers=headers).json()
    assert device["last_seen_at"] is not None


def test_a_revoked_device_token_is_refused(client: TestClient) -> None:
    _, headers = _new_coach(client)
    registered = client.post("/api/devices", json={"name": "Pixel"}, headers=headers).json()
    device_headers = {"Authorization": f"Bearer {registered['token']}"}
    assert client.get("/api/me", headers=device_headers).status_code == 200

    revoked = client.delete(f"/api/devices/{registered['id']}", headers=headers)

    assert revoked.status_code == 204
    after = client.get("/api/me", headers=device_headers)
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_token"
    [device] = client.get("/api/devices", headers=headers).json()
    assert device["revoked_at"] is not None
    assert client.delete(f"/api/devices/{registered['id']}", headers=headers).status_code == 204


def test_another_coachs_device_looks_like_no_device(client: TestClient) -> None:
    _, owner = _new_coach(client)
    _, stranger = _new_coach(client)
    device = client.post("/api/devices", json={"name": "Pixel"}, headers=owner).json()

    theirs = client.delete(f"/api/devices/{device['id']}", headers=stranger)
    random = client.delete(f"/api/devices/{uuid.uuid4()}", headers=stranger)

    assert theirs.status_code == random.status_code == 404
    assert theirs.json() == random.json()
    device_headers = {"Authorization": f"Bearer {device['token']}"}
    assert client.get("/api/me", headers=device_headers).status_code == 200


def test_only_a_hash_of_the_device_token_is_stored(client: TestClient, db_session: Session) -> None:
    _, headers = _new_coach(client)
    device = client.post("/api/devices", json={"name": "Pixel"}, headers=headers).json()
    token = device["token"]

    row = db_session.execute(
        select(Device.__table__).where(Device.id == uuid.UUID(device["id"]))
    ).one()

    assert row.token_hash
    for value in row:
        assert token not in str(value)
        assert token.removeprefix("tld_") not in str(value)


@pytest.mark.parametrize("password_hasher", ["argon2id"])
def test_passwords_are_stored_with_argon2id(client: TestClient, db_session: Session) -> None:
    email, _ = _new_coach(client)

    stored = db_session.scalars(select(Account.password_hash).where(Account.email == email)).one()

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize("password_hasher", ["argon2id"])
def test_a_hash_with_older_parameters_still_signs_in_and_is_replaced(
    client: TestClient, db_session: Session
) -> None:
    email, _ = _new_coach(client)
    # Argon2-cffi's default (RFC 9106's 64 MiB), what earlier versions stored.
    old = PasswordHasher().hash(PASSWORD)
    db_session.execute(update(Account).where(Account.email == email).values(password_hash=old))
    db_session.flush()

    first = _login(client, email, PASSWORD)
    stored = db_session.scalars(select(Account.password_hash).where(Account.email == email)).one()
    second = _login(client, email, PASSWORD)

    assert first.status_code == second.status_code == 200
    assert old.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _login(client, email, "not the password").status_code == 401


@pytest.mark.parametrize("password_hasher", ["argon2id"])
def test_new_hashes_use_owasp_parameters_for_a_small_instance(
    client: TestClient, db_session: Session
) -> None:
    email, _ = _new_coach(client)

    stored = db_session.scalars(select(Account.password_hash).where(Account.email == email)).one()

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_suite_hashes_at_argon2id_s_floor_where_it_does_not_test_hashing(
    client: TestClient, db_session: Session
) -> None:
    email, _ = _new_coach(client)

    stored = db_session.scalars(select(Account.password_hash).where(Account.email == email)).one()

    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert _login(client, email, PASSWORD).status_code == 200
    assert _login(client, email, "not the password").status_code == 401


def test_argon2id_is_the_default_hasher() -> None:
    assert Settings().password_hasher == "argon2id"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_fast_hasher_is_refused_outside_the_test_environment(environment: str) -> None:
    key = "k" + uuid.uuid4().hex + uuid.uuid4().hex
    with pytest.raises(ValueError, match="TOUCHLINE_PASSWORD_HASHER: 'fast'"):
        Settings(
            environment=environment,  # type: ignore[arg-type]
            secret_keys=[key],
            password_hasher="fast",
        )
