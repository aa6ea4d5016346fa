"""Signing out: a login token or device token that was signed out is refused on its next
use, and signing out everywhere refuses every one the account holds. A login token is
accepted only in the exact spelling it was issued in."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from tests.factories import PASSWORD


def _account(client: TestClient) -> str:
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    created = client.post(
        "/api/accounts", json={"email": email, "password": PASSWORD, "display_name": "Alex"}
    )
    assert created.status_code == 201, created.text
    return email


def _login(client: TestClient, email: str) -> dict[str, str]:
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _device(client: TestClient, login: dict[str, str]) -> dict[str, str]:
    device = client.post("/api/devices", json={"name": "phone"}, headers=login)
    assert device.status_code == 201, device.text
    return {"Authorization": f"Bearer {device.json()['token']}"}


def _refused(client: TestClient, headers: dict[str, str]) -> bool:
    me = client.get("/api/me", headers=headers)
    assert me.status_code in (200, 401), me.text
    return me.status_code == 401 and me.json()["error"]["code"] == "invalid_token"


def test_a_signed_out_login_token_is_refused_on_its_next_use(client: TestClient) -> None:
    email = _account(client)
    signing_out, other_tab = _login(client, email), _login(client, email)
    phone = _device(client, other_tab)

    signed_out = client.post("/api/auth/logout", headers=signing_out)

    assert signed_out.status_code == 204, signed_out.text
    assert _refused(client, signing_out)
    assert client.post("/api/devices", json={"name": "x"}, headers=signing_out).status_code == 401
    assert client.post("/api/auth/logout", headers=signing_out).status_code == 401
    assert not _refused(client, other_tab)
    assert not _refused(client, phone)


def test_signing_out_with_a_device_token_revokes_that_device(client: TestClient) -> None:
    email = _account(client)
    login = _login(client, email)
    leaving, staying = _device(client, login), _device(client, login)

    signed_out = client.post("/api/auth/logout", headers=leaving)

    assert signed_out.status_code == 204, signed_out.text
    assert _refused(client, leaving)
    assert not _refused(client, staying)
    assert not _refused(client, login)
    revoked = [
        d["revoked_at"] is not None for d in client.get("/api/devices", headers=login).json()
    ]
    assert sorted(revoked) == [False, True]


def test_signing_out_everywhere_refuses_every_token_of_the_account(client: TestClient) -> None:
    email, bystander_email = _account(client), _account(client)
    first, second = _login(client, email), _login(client, email)
    phones = [_device(client, first), _device(client, second)]
    bystander = _login(client, bystander_email)
    assert client.post("/api/auth/logout", headers=second).status_code == 204

    everywhere = client.post("/api/auth/logout-everywhere", headers=phones[0])

    assert everywhere.status_code == 204, everywhere.text
    for headers in (first, second, *phones):
        assert _refused(client, headers)
    assert not _refused(client, bystander)
    fresh = _login(client, email)
    assert not _refused(client, fresh)
    assert not _refused(client, _device(client, fresh))
    devices = client.get("/api/devices", headers=fresh).json()
    assert [d["revoked_at"] is not None for d in devices] == [True, True, False]


def _respellings(token: str) -> list[str]:
    """The same token written another way. The signature is compared as decoded bytes, and
    base64 decoding forgives padding and spare low bits."""
    payload, timestamp, signature = token.rsplit(".", 2)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 20 signature bytes fill 27 characters with two bits to spare: flip a spare bit.
    last = alphabet.index(signature[-1])
    spare_bit = alphabet[last ^ 1]
    return [
        token + "=",
        token + "==",
        f"{payload}.{timestamp}.{signature[:-1]}{spare_bit}",
    ]


def test_a_login_token_is_accepted_only_as_it_was_issued(client: TestClient) -> None:
    login = _login(client, _account(client))
    token = login["Authorization"].removeprefix("Bearer ")
    assert not _refused(client, login)

    for respelt in _respellings(token):
        assert _refused(client, {"Authorization": f"Bearer {respelt}"}), respelt

    assert not _refused(client, login)


def test_a_login_token_from_before_sign_out_existed_is_refused(
    client: TestClient, app: FastAPI
) -> None:
    email = _account(client)
    me = client.get("/api/me", headers=_login(client, email)).json()
    serializer = URLSafeTimedSerializer(app.state.settings.secret_keys, salt="touchline.login")
    old_style = serializer.dumps({"a": uuid.UUID(me["id"]).hex})

    assert _refused(client, {"Authorization": f"Bearer {old_style}"})
