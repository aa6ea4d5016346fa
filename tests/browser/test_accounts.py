"""A coach's own account in the app on a phone: a forgotten password reset through a real
mail, and the account screen's changes, each checked against the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import pitchside
from tests.browser.pitchside import phone, sign_in
from tests.databases import fresh_database
from tests.e2e.server import PASSWORD, Server, free_port, running_server, touchline
from tests.mailbox import Mailbox, smtp_server

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "chosen after a reset"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def mailing_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    """A server that mails reset links through ``mailbox``, at an address known in advance
    (the links name it)."""
    directory = tmp_path_factory.mktemp("mailing")
    port = free_port()
    env = {
        "TOUCHLINE_SMTP_URL": mailbox.url,
        "TOUCHLINE_MAIL_FROM": "Touchline <touchline@example.org>",
        "TOUCHLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with fresh_database("sqlite", directory) as database_url:
        upgraded = touchline("db", "upgrade", "--database-url", database_url)
        assert upgraded.returncode == 0, upgraded.stderr
        with running_server(database_url, directory / "server.log", port=port, env=env) as running:
            yield running


def _logs_in(server: Server, email: str, password: str) -> bool:
    answer = server.request("POST", "/api/auth/login", {"email": email, "password": password})
    assert answer.status in (200, 401), answer.body
    return answer.status == 200


def _ask_for_a_link(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a link").click()


def test_a_forgotten_password_is_reset_from_the_mailed_link(
    browser: Browser, mailing_server: Server, mailbox: Mailbox
) -> None:
    club = pitchside.club(mailing_server)
    context = phone(browser)
    page = context.new_page()

    _ask_for_a_link(page, mailing_server.base_url, club.email)

    page.get_by_role("status").filter(has_text="is on its way").wait_for()
    mail = mailbox.next()
    assert mail.recipients == [club.email]
    assert mail.link.startswith(mailing_server.base_url + "/#reset=")
    opened = context.new_page()  # as a tap on the link in the mail app would
    opened.goto(mail.link)
    opened.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    opened.get_by_label("New password again").fill(NEW_PASSWORD)
    opened.get_by_role("button", name="Set password and sign in").click()
    opened.get_by_role("heading", name=club.team_name).wait_for()
    assert opened.evaluate("location.hash") == "#/"
    assert "reset=" not in opened.evaluate("JSON.stringify(history.state) + location.href")
    assert _logs_in(mailing_server, club.email, NEW_PASSWORD)
    assert not _logs_in(mailing_server, club.email, PASSWORD)
    # The link worked once.
    opened.goto(mail.link)
    opened.get_by_label("New password", exact=True).fill("yet another one")
    opened.get_by_label("New password again").fill("yet another one")
    opened.get_by_role("button", name="Set password and sign in").click()
    opened.get_by_role("alert").filter(has_text="already used").wait_for()
    assert _logs_in(mailing_server, club.email, NEW_PASSWORD)
    context.close()


def test_without_mail_the_app_says_who_to_ask(browser: Browser, server: Server) -> None:
    context = phone(browser)
    page = context.new_page()
    page.goto(server.base_url + "/")

    page.get_by_role("button", name="Forgot password?").click()

    page.get_by_role("status").filter(
        has_text="Ask the person who runs this Touchline to reset it"
    ).wait_for()
    assert page.get_by_role("button", name="Send me a link").count() == 0
    context.close()


def _account_form(page: Page, title: str) -> Page:
    return page.get_by_role("form", name=title)  # type: ignore[return-value]


def test_the_account_screen_changes_password_and_email_signs_out_and_deletes(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server, team_name="Owls U9")
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    other_phone = server.phone(server.sign_up(), "unrelated")  # another coach, untouched

    page.get_by_role("button", name="Account").click()
    password = _account_form(page, "Change password")
    password.get_by_label("Current password").fill(PASSWORD)
    password.get_by_label("New password").fill(NEW_PASSWORD)
    password.get_by_role("button", name="Change password").click()
    page.get_by_role("status").filter(has_text="Password changed").wait_for()
    assert _logs_in(server, club.email, NEW_PASSWORD)
    assert server.request("GET", "/api/me", token=club.token).status == 401
    moved = "moved-" + club.email
    email = _account_form(page, "Change e-mail")
    email.get_by_label("New e-mail").fill(moved.upper())
    email.get_by_label("Password").fill(NEW_PASSWORD)
    email.get_by_role("button", name="Change e-mail").click()
    page.get_by_text(f"Signed in as {moved}").wait_for()

    page.get_by_role("button", name="Sign out of every phone").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    page.get_by_label("Email").fill(moved)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=club.team_name).wait_for()
    page.get_by_role("button", name="Account").click()
    delete = _account_form(page, "Delete account")
    delete.get_by_label("Password").fill(NEW_PASSWORD)
    delete.get_by_label("Type DELETE to confirm").fill("delete")
    delete.get_by_role("button", name="Delete my account").click()
    delete.get_by_role("alert").filter(has_text="Type DELETE").wait_for()
    assert _logs_in(server, moved, NEW_PASSWORD)
    delete.get_by_label("Type DELETE to confirm").fill("DELETE")
    delete.get_by_role("button", name="Delete my account").click()

    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert not _logs_in(server, moved, NEW_PASSWORD)
    assert server.request("GET", "/api/me", token=other_phone[1]).status == 200
    context.close()


def test_signing_out_of_this_phone_revokes_it_and_keeps_the_others(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server, team_name="Wrens U11")
    _, tablet = server.phone(club.token, "tablet")
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)

    page.get_by_role("button", name="Account").click()
    page.get_by_role("button", name="Sign out of this phone").click()

    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    devices = server.request("GET", "/api/devices", token=club.token).body
    revoked = {d["name"]: d["revoked_at"] is not None for d in devices}
    assert revoked.pop("tablet") is False
    assert list(revoked.values()) == [True]
    assert server.request("GET", "/api/me", token=tablet).status == 200
    context.close()
