"""A forgotten password, reset through a real SMTP server on loopback: the link in the mail
works once, for a while, and says nothing about which addresses have accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from backend.accounts.reset import RESET_SALT
from backend.app import create_app
from backend.mail import Mailer, MailError, SmtpServer, exposes_password, send
from backend.settings import Settings
from tests import factories
from tests.factories import PASSWORD
from tests.mailbox import Mailbox, certificate, smtp_server

PUBLIC_URL = "https://touchline.example.org"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def reset_limits() -> dict[str, int]:
    return {"reset_requests_per_hour": 1000, "reset_mails_per_hour": 1000}


@pytest.fixture
def app_settings(mailbox: Mailbox, reset_limits: dict[str, int]) -> dict[str, Any]:
    return {
        "smtp_url": mailbox.url,
        "mail_from": "Touchline <touchline@example.org>",
        "public_url": PUBLIC_URL,
    } | reset_limits


def _coach(client: TestClient) -> tuple[str, dict[str, str]]:
    email = f"reset-{uuid.uuid4().hex[:8]}@example.org"
    return email, factories.coach(client, email=email)


def _token(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL and parts.path == "/"
    assert parts.fragment.startswith("reset=")
    return parts.fragment.removeprefix("reset=")


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_the_mailed_link_sets_a_new_password_once_and_signs_out_everywhere(
    client: TestClient, mailbox: Mailbox
) -> None:
    email, phone = _coach(client)

    asked = client.post("/api/auth/reset-request", json={"email": email.upper()})

    assert (asked.status_code, asked.json()) == (202, {"by_email": True})
    mail = mailbox.next()
    assert mail.recipients == [email]
    assert mail.message["To"] == email and "Touchline" in mail.message["Subject"]
    token = _token(mail.link)
    reset = client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert (reset.status_code, reset.json()) == (200, {"email": email})
    assert client.get("/api/me", headers=phone).status_code == 401
    assert _login(client, email, PASSWORD) == 401
    assert _login(client, email, NEW_PASSWORD) == 200
    again = client.post(
        "/api/auth/reset", json={"token": token, "new_password": "third time lucky"}
    )
    assert again.status_code == 410, again.text
    assert again.json()["error"] == {
        "code": "reset_link_used",
        "message": again.json()["error"]["message"],
        "field": "token",
    }
    assert _login(client, email, NEW_PASSWORD) == 200


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: TestClient, mailbox: Mailbox
) -> None:
    email, _ = _coach(client)

    unknown = client.post("/api/auth/reset-request", json={"email": "nobody@example.org"})
    known = client.post("/api/auth/reset-request", json={"email": email})

    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert unknown.headers.keys() - {"x-request-id"} == known.headers.keys() - {"x-request-id"}
    # Mail is sent after the answer, in the order asked: the first to arrive is the known's.
    assert mailbox.next().recipients == [email]
    assert mailbox.empty()


def test_changing_the_password_or_email_voids_links_sent_before(
    client: TestClient, mailbox: Mailbox
) -> None:
    email, phone = _coach(client)
    client.post("/api/auth/reset-request", json={"email": email})
    first = _token(mailbox.next().link)
    client.post("/api/auth/reset-request", json={"email": email})
    second = _token(mailbox.next().link)

    changed = client.post(
        "/api/account/email",
        json={"password": PASSWORD, "email": f"moved-{email}"},
        headers=phone,
    )
    assert changed.status_code == 200, changed.text

    for token in (first, second):
        used = client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD})
        assert used.status_code == 410, used.text
    assert _login(client, f"moved-{email}", PASSWORD) == 200


def test_a_link_expires_and_a_forged_one_is_refused(client: TestClient, mailbox: Mailbox) -> None:
    email, _ = _coach(client)
    client.post("/api/auth/reset-request", json={"email": email})
    token = _token(mailbox.next().link)
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    forged = URLSafeTimedSerializer(["not the server's key" * 3], salt=RESET_SALT).dumps(
        {"a": "0" * 32, "s": "x"}
    )
    expired = client.app.state.reset_tokens  # type: ignore[attr-defined]
    expired.max_age_seconds = -1  # every link is older than that

    late = client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD})
    expired.max_age_seconds = settings.reset_link_minutes * 60
    fake = client.post("/api/auth/reset", json={"token": forged, "new_password": NEW_PASSWORD})

    assert (late.status_code, late.json()["error"]["code"]) == (410, "reset_link_expired")
    assert (fake.status_code, fake.json()["error"]["field"]) == (404, "token")
    assert _login(client, email, PASSWORD) == 200


@pytest.mark.parametrize(
    "reset_limits", [{"reset_requests_per_hour": 1000, "reset_mails_per_hour": 2}]
)
def test_mails_to_one_address_are_limited_and_the_answer_stays_the_same(
    client: TestClient, mailbox: Mailbox
) -> None:
    email, _ = _coach(client)

    answers = [client.post("/api/auth/reset-request", json={"email": email}) for _ in range(3)]

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.text for a in answers}) == 1
    assert mailbox.next().recipients == mailbox.next().recipients == [email]
    assert mailbox.empty()


@pytest.mark.parametrize(
    "reset_limits", [{"reset_requests_per_hour": 2, "reset_mails_per_hour": 1000}]
)
def test_requests_from_one_client_are_limited(client: TestClient, mailbox: Mailbox) -> None:
    addresses = [f"someone-{n}@example.org" for n in range(3)]

    answers = [client.post("/api/auth/reset-request", json={"email": a}) for a in addresses]

    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert int(answers[2].headers["Retry-After"]) > 0


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls_and_logs_in(
    security: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_settings: dict[str, Any]
) -> None:
    """Against a server that insists on STARTTLS (or speaks TLS from the start) and on a
    login; its throwaway certificate is trusted the way an operator's private one would be,
    through SSL_CERT_FILE."""
    cert, key = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with smtp_server(security, (cert, key)) as secured:
        settings = Settings(environment="test", **(app_settings | {"smtp_url": secured.url}))
        mailer = create_app(settings).state.mailer
        message = mailer.message("coach@example.org", "Hello", "A test of the wire.")

        anyio.run(mailer.deliver, message)

        received = secured.next()
    assert received.over_tls and received.logged_in
    assert received.recipients == ["coach@example.org"]
    assert received.text.strip() == "A test of the wire."


def test_no_mail_goes_without_tls_when_tls_is_required_or_to_a_server_that_is_gone(
    mailbox: Mailbox,
) -> None:
    insisting = SmtpServer.from_url(mailbox.url + "?starttls=required")
    message = Mailer(insisting, "t@example.org").message("coach@example.org", "x", "y")

    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(insisting, message)
    with smtp_server() as stopped:
        gone = SmtpServer.from_url(stopped.url)
    with pytest.raises(MailError, match=str(gone.port)):
        send(gone, message)

    assert mailbox.empty()


@pytest.mark.parametrize("app_settings", [{}])
def test_without_smtp_the_answer_is_the_same_and_says_who_resets_passwords(
    client: TestClient,
) -> None:
    email, _ = _coach(client)

    info = client.get("/api/auth/recovery")
    known = client.post("/api/auth/reset-request", json={"email": email})
    unknown = client.post("/api/auth/reset-request", json={"email": "nobody@example.org"})

    assert info.json() == known.json() == unknown.json() == {"by_email": False}
    assert known.status_code == unknown.status_code == 202


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"smtp_url": "http://mail.example.org"}, "TOUCHLINE_SMTP_URL"),
        ({"smtp_url": "smtp://mail.example.org:x"}, "TOUCHLINE_SMTP_URL"),
        ({"smtp_url": "smtp://mail.example.org?tls=no"}, "TOUCHLINE_SMTP_URL"),
        ({"smtp_url": "smtp://mail.example.org", "public_url": PUBLIC_URL}, "TOUCHLINE_MAIL_FROM"),
        ({"smtp_url": "smtp://mail.example.org", "mail_from": "t@x.org"}, "TOUCHLINE_PUBLIC_URL"),
        ({"public_url": "touchline.example.org"}, "TOUCHLINE_PUBLIC_URL"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused_by_name(
    settings: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        Settings(environment="test", **settings)  # type: ignore[arg-type]


def test_an_smtp_url_names_the_server_its_security_and_its_login() -> None:
    plain = SmtpServer.from_url("smtp://mail.example.org")
    secure = SmtpServer.from_url("smtps://us%40club:p%3Ass@mail.example.org")
    insisting = SmtpServer.from_url("smtp://u:p@mail.example.org:2525?starttls=required")

    assert (plain.port, plain.implicit_tls, plain.require_starttls, plain.username) == (
        587,
        False,
        False,
        None,
    )
    assert (secure.port, secure.implicit_tls, secure.username, secure.password) == (
        465,
        True,
        "us@club",
        "p:ss",
    )
    assert (insisting.port, insisting.require_starttls) == (2525, True)


def test_a_password_goes_to_a_server_off_this_machine_only_over_tls() -> None:
    """Whether a login without TLS would send the password across a network (``send``
    then insists on STARTTLS): not to this machine, not without a login."""
    assert exposes_password(SmtpServer.from_url("smtp://u:p@mail.example.org"))
    assert exposes_password(SmtpServer.from_url("smtp://u:p@192.0.2.7"))
    assert not exposes_password(SmtpServer.from_url("smtp://u:p@127.0.0.1:25"))
    assert not exposes_password(SmtpServer.from_url("smtp://u:p@localhost:25"))
    assert not exposes_password(SmtpServer.from_url("smtp://u:p@[::1]:25"))
    assert not exposes_password(SmtpServer.from_url("smtp://mail.example.org"))
