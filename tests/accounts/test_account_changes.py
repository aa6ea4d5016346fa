"""A coach changes their own password and e-mail and deletes their account: each needs the
password, and each leaves exactly the right phones signed in."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.db.models import Event, Match, Membership, Player, Team
from tests import factories
from tests.factories import PASSWORD

NEW_PASSWORD = "another long passphrase"


def _coach(client: TestClient) -> tuple[str, dict[str, str]]:
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    return email, factories.coach(client, email=email)


def _login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    login = client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _signed_in(client: TestClient, headers: dict[str, str]) -> bool:
    me = client.get("/api/me", headers=headers)
    assert me.status_code in (200, 401), me.text
    return me.status_code == 200


def _second_phone(client: TestClient, email: str) -> dict[str, str]:
    device = client.post("/api/devices", json={"name": "tablet"}, headers=_login(client, email))
    assert device.status_code == 201, device.text
    return {"Authorization": f"Bearer {device.json()['token']}"}


def test_changing_the_password_keeps_only_this_phone_signed_in(client: TestClient) -> None:
    email, phone = _coach(client)
    tablet, browser = _second_phone(client, email), _login(client, email)
    wrong = client.post(
        "/api/account/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=phone,
    )
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (403, "current_password")
    assert _signed_in(client, tablet) and _signed_in(client, browser)

    changed = client.post(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=phone,
    )

    assert changed.status_code == 200, changed.text
    assert changed.headers["Cache-Control"] == "no-store"
    assert _signed_in(client, phone)
    assert _signed_in(client, {"Authorization": f"Bearer {changed.json()['access_token']}"})
    assert not _signed_in(client, tablet) and not _signed_in(client, browser)
    old = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    _login(client, email, NEW_PASSWORD)


def test_changing_the_password_with_a_login_token_hands_back_a_new_one(
    client: TestClient,
) -> None:
    email, phone = _coach(client)
    browser = _login(client, email)

    changed = client.post(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=browser,
    )

    assert changed.status_code == 200, changed.text
    assert not _signed_in(client, browser) and not _signed_in(client, phone)
    assert _signed_in(client, {"Authorization": f"Bearer {changed.json()['access_token']}"})


def test_changing_the_email_needs_the_password_and_a_free_address(client: TestClient) -> None:
    email, phone = _coach(client)
    taken, _ = _coach(client)
    body = {"password": PASSWORD, "email": f"  New-{email.upper()} "}

    wrong = client.post("/api/account/email", json=body | {"password": "nope"}, headers=phone)
    clash = client.post("/api/account/email", json=body | {"email": taken.upper()}, headers=phone)
    changed = client.post("/api/account/email", json=body, headers=phone)

    assert (wrong.status_code, wrong.json()["error"]["field"]) == (403, "password")
    assert (clash.status_code, clash.json()["error"]["field"]) == (409, "email")
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == f"new-{email}"
    assert client.get("/api/me", headers=phone).json()["email"] == f"new-{email}"
    _login(client, f"new-{email}")
    gone = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert gone.status_code == 401
    same = client.post("/api/account/email", json=body, headers=phone)
    assert same.status_code == 200, same.text


def test_signing_out_every_phone_from_a_phone_revokes_every_device(client: TestClient) -> None:
    email, phone = _coach(client)
    tablet, browser = _second_phone(client, email), _login(client, email)

    out = client.post("/api/auth/logout-everywhere", headers=phone)

    assert out.status_code == 204, out.text
    assert not any(_signed_in(client, h) for h in (phone, tablet, browser))
    devices = client.get("/api/devices", headers=_login(client, email)).json()
    assert len(devices) == 2 and all(d["revoked_at"] for d in devices)


def _teams_named(db_session: Session, *names: str) -> list[str]:
    found = db_session.scalars(select(Team.name).where(Team.name.in_(names)).order_by(Team.name))
    return list(found)


def test_deleting_an_account_refuses_while_it_alone_owns_a_team_others_belong_to(
    client: TestClient, db_session: Session
) -> None:
    _, owner = _coach(client)
    _, helper = _coach(client)
    shared = factories.team(client, owner, name="Shared Lions")
    factories.team(client, owner, name="Solo Tigers")
    factories.join(client, owner, shared, helper)

    wrong = client.post("/api/account/delete", json={"password": "nope"}, headers=owner)
    refused = client.post("/api/account/delete", json={"password": PASSWORD}, headers=owner)

    assert wrong.status_code == 403
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "sole_owner"
    assert "Shared Lions" in refused.json()["error"]["message"]
    assert "Solo Tigers" not in refused.json()["error"]["message"]
    assert _signed_in(client, owner)
    assert _teams_named(db_session, "Shared Lions", "Solo Tigers") == [
        "Shared Lions",
        "Solo Tigers",
    ]


def test_deleting_an_account_deletes_its_own_teams_and_leaves_shared_ones(
    client: TestClient, db_session: Session
) -> None:
    email, leaving = _coach(client)
    tablet = _second_phone(client, email)
    _, staying = _coach(client)
    solo = factories.team(client, leaving, name="Solo Owls")
    player = factories.player(client, leaving, solo)
    factories.event(
        client, leaving, factories.live_match(client, leaving, solo), "goal", player_id=player
    )
    co_owned = factories.team(client, leaving, name="Co Owned Foxes")
    factories.join(client, leaving, co_owned, staying)
    db_session.execute(
        update(Membership).where(Membership.team_id == uuid.UUID(co_owned)).values(role="owner")
    )
    theirs = factories.team(client, staying, name="Their Hawks")
    factories.join(client, staying, theirs, leaving)

    deleted = client.post("/api/account/delete", json={"password": PASSWORD}, headers=leaving)

    assert deleted.status_code == 204, deleted.text
    assert not _signed_in(client, leaving) and not _signed_in(client, tablet)
    assert _teams_named(db_session, "Solo Owls", "Co Owned Foxes", "Their Hawks") == [
        "Co Owned Foxes",
        "Their Hawks",
    ]
    solo_id = uuid.UUID(solo)
    for model in (Player, Match):
        assert db_session.scalar(select(func.count()).where(model.team_id == solo_id)) == 0
    assert db_session.scalar(select(func.count()).where(Event.player_id == uuid.UUID(player))) == 0
    coaches = client.get(f"/api/teams/{theirs}/coaches", headers=staying).json()
    assert len(coaches) == 1
    gone = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert gone.status_code == 401
    again = client.post(
        "/api/accounts", json={"email": email, "password": PASSWORD, "display_name": "Back"}
    )
    assert again.status_code == 201
    _login(client, email)
