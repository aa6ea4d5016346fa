"""Children's data in a real browser at 390 by 844: a coach erases a player who scored, and
the team screen, the match timeline on both of the coach's phones and the family's watch
page show "Former player" (with the shirt number where a list shows numbers) and never
the name; "Download my data" saves the account's own data; the privacy page is one tap
from the watch page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import pitchside
from tests.browser.pitchside import open_match, phone, sign_in, tap
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

NAME = "Wilhelmina"


def _timeline(page: Page) -> str:
    return page.locator(".timeline").inner_text()


def test_an_erased_scorer_is_former_player_on_every_screen(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    added = server.request(
        "POST",
        f"/api/teams/{club.team_id}/players",
        {"squad_number": 7, "display_name": NAME, "full_name": f"{NAME} Quill"},
        club.token,
    )
    assert added.status == 201, added.body
    match_id = pitchside.match(club, "Rovers")
    first_context, second_context, family_context = phone(browser), phone(browser), phone(browser)
    coach, other = first_context.new_page(), second_context.new_page()
    sign_in(coach, server.base_url, club.email, club.team_name)
    open_match(coach, "Rovers")
    pitchside.clock(coach, "Kick-off")
    tap(coach, "Goal", f"7 {NAME}")
    pitchside.wait_synced(coach)
    link = server.request(
        "POST", f"/api/matches/{match_id}/share-links", {"names": "full_names"}, club.token
    )
    family = family_context.new_page()
    family.goto(f"{server.base_url}/watch#{link.body['token']}")
    family.locator(".timeline", has_text=NAME).wait_for()
    sign_in(other, server.base_url, club.email, club.team_name)
    open_match(other, "Rovers")
    other.locator(".timeline", has_text=NAME).wait_for()

    coach.goto(f"{server.base_url}/#/team/{club.team_id}")
    coach.get_by_role("button", name=f"Erase 7 {NAME}").click()
    sheet = coach.locator("#sheet")
    assert "Former player" in sheet.inner_text() and "cannot be undone" in sheet.inner_text()
    pitchside.screenshot(coach, "erase-player.png")
    sheet.get_by_role("button", name="Erase this player").click()
    sheet.wait_for(state="hidden")
    # Gone from the list once queued; then sent and acknowledged.
    coach.locator(".players li", has_text=NAME).wait_for(state="detached")
    coach.wait_for_function(
        "() => document.getElementById('syncbar').dataset.pending === '0'", timeout=15_000
    )
    erased = club.get(f"/api/players/{added.body['id']}")

    assert (erased["display_name"], erased["full_name"]) == ("Former player", None)
    assert NAME not in coach.locator("#app").inner_text()
    assert "Priya" in coach.locator(".players").inner_text()
    coach.goto(f"{server.base_url}/")
    with coach.expect_download() as download:
        coach.get_by_role("button", name="Download my data").click()
    mine = json.loads(Path(download.value.path()).read_text())
    assert mine["account"]["email"] == club.email
    assert [t["name"] for t in mine["teams"]] == [club.team_name]
    open_match(coach, "Rovers")
    assert "Former player" in _timeline(coach) and NAME not in _timeline(coach)
    # Editing the goal's minute keeps its scorer: the sheet names them "Former player".
    coach.locator(".timeline li.kind-goal button").click()
    sheet = coach.locator("#sheet")
    who = sheet.get_by_label("Who")
    assert who.input_value() == added.body["id"]
    assert who.locator("option:checked").inner_text() == "Former player"
    sheet.get_by_label("Minute").fill("2")
    sheet.get_by_role("button", name="Save", exact=True).click()
    sheet.wait_for(state="hidden")
    coach.locator(".timeline li.kind-goal .minute", has_text="2'").wait_for()
    pitchside.wait_synced(coach)
    [goal] = [e for e in pitchside.server_events(club, match_id) if e["kind"] == "goal"]
    assert (goal["minute"], goal["player"]["id"]) == (2, added.body["id"])
    other.reload()  # the second phone syncs as it opens
    other.locator(".timeline", has_text="Former player").wait_for(timeout=15_000)
    assert NAME not in other.locator("#app").inner_text()
    # The family's page, open all along, is told: it reconnects and gets the names anew.
    family.locator(".timeline", has_text="7 Former player").wait_for(timeout=15_000)
    assert NAME not in family.locator("body").inner_text()
    family.reload()
    family.locator(".timeline", has_text="7 Former player").wait_for(timeout=15_000)
    assert NAME not in family.locator("body").inner_text()

    family.get_by_role("link", name="Privacy").click()
    family.get_by_role("heading", name="Privacy", exact=True).wait_for()
    assert "Former player" in family.locator("main").inner_text()
    for context in (first_context, second_context, family_context):
        context.close()
