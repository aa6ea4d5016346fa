"""A team's people in a real browser: the owner invites from the team screen (a link and
its QR code), a new coach opens the link, signs up and joins, logs; the owner removes
them, and the removed phone is told, drops the team, and has its queued event answered."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import pitchside
from tests.browser.pitchside import clock, open_match, phone, sign_in, tap
from tests.e2e.server import PASSWORD, Server

pytestmark = pytest.mark.e2e


def _accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def test_invite_join_log_and_removal_reach_the_removed_phone(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Rovers")
    owner_context, coach_context = phone(browser), phone(browser)
    owner = owner_context.new_page()
    sign_in(owner, server.base_url, club.email, club.team_name)

    owner.get_by_role("button", name="Team (6 players)").click()
    owner.locator("select[name=role]").select_option("coach")
    owner.get_by_role("button", name="Create invite link").click()
    qr = owner.get_by_role("img", name="QR code of the invite link")
    qr.wait_for()
    owner.wait_for_function(
        "() => document.querySelector('img.qr').complete"
        " && document.querySelector('img.qr').naturalWidth > 0"
    )
    link = owner.get_by_label("Invite link").input_value()
    assert link.startswith(f"{server.base_url}/join#")
    pitchside.screenshot(owner, "team-invite.png")

    coach = coach_context.new_page()
    coach.goto(link)
    coach.get_by_text("You were invited to a team").wait_for()
    assert "#" not in coach.url.split("/#/")[0]
    coach.get_by_label("Email").fill(f"helper-{uuid.uuid4().hex[:8]}@example.org")
    coach.get_by_label("Password").fill(PASSWORD)
    coach.get_by_label("Your name (new account)").fill("Jamie Helper")
    coach.get_by_role("button", name="Create account").click()
    coach.get_by_role("heading", name=club.team_name).wait_for()
    coach.get_by_role("button", name="New match").wait_for()

    open_match(coach, "Rovers")
    clock(coach, "Kick-off")
    pitchside.wait_synced(coach)
    coach_context.set_offline(True)
    tap(coach, "Goal", "9 Ade")

    owner.reload()
    member = owner.locator(".member", has_text="Jamie Helper")
    member.wait_for()
    assert member.get_by_label("Role of Jamie Helper").input_value() == "coach"
    _accept_next_dialog(owner)
    owner.get_by_role("button", name="Remove Jamie Helper").click()
    member.wait_for(state="detached")

    coach_context.set_offline(False)
    coach.get_by_text("This match is not on this phone").wait_for()
    coach.get_by_role("button", name="Back to Teams").click()
    told = coach.get_by_role("alert").filter(has_text="You were removed from Lions U10")
    told.wait_for()
    assert "1 change(s) on this phone were not saved" in told.inner_text()
    assert coach.get_by_role("heading", name=club.team_name).count() == 0
    assert coach.locator("#syncbar").get_attribute("data-pending") == "0"
    kinds = [e["kind"] for e in pitchside.server_events(club, match_id)]
    assert kinds == ["kick_off"]
    owner_context.close()
    coach_context.close()


def test_a_member_sees_the_match_without_logging_controls(browser: Browser, server: Server) -> None:
    club = pitchside.club(server, team_name="Otters U9")
    pitchside.match(club, "Wanderers")
    invite = server.request(
        "POST", f"/api/teams/{club.team_id}/invites", {"role": "member"}, club.token
    )
    assert invite.status == 201, invite.body
    email = f"parent-{uuid.uuid4().hex[:8]}@example.org"
    server.sign_up(email, "Pat Parent")
    context = phone(browser)
    page = context.new_page()
    page.goto(f"{server.base_url}{invite.body['path']}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.get_by_role("heading", name="Otters U9").wait_for()
    assert page.get_by_role("button", name="New match").count() == 0
    open_match(page, "Wanderers")
    page.get_by_text("You can follow this match but not log it").wait_for()
    assert page.get_by_role("button", name="Kick-off").count() == 0
    assert page.get_by_role("button", name="Goal", exact=True).count() == 0
    context.close()
