"""Fixtures in a real browser: a match scheduled offline a week ahead syncs, shows under
Upcoming, and reaches the team's calendar feed (parsed by icalendar); editing and
cancelling it on the phone flow through to the feed, and a new calendar link kills the old."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Page

from tests.browser import pitchside
from tests.browser.pitchside import phone, sign_in
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

LONDON = ZoneInfo(pitchside.PHONE["timezone_id"])


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LONDON)


def _synced(page: Page) -> None:
    """Back on the team list (where the app goes once the change is queued), with nothing
    left to send."""
    page.wait_for_function("() => location.hash === '#/'")
    page.wait_for_function(
        "() => navigator.onLine && document.getElementById('syncbar').dataset.pending === '0'"
    )


def _feed(url: str, opponent: str) -> Any:
    """The feed's event for the match against ``opponent``, or None."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.read())
    found = [e for e in calendar.walk("VEVENT") if opponent in str(e["SUMMARY"])]
    assert len(found) <= 1
    return found[0] if found else None


def _calendar_link(page: Page, team_id: str) -> tuple[str, str]:
    """Open the team's calendar sheet; its https:// link and its webcal:// subscribe link."""
    page.goto(page.url.split("#")[0] + f"#/team/{team_id}")
    page.get_by_role("button", name="Calendar link").click()
    sheet = page.locator("#sheet")
    url = sheet.get_by_label("Calendar link").input_value()
    webcal = sheet.get_by_role("link", name="Subscribe on this phone").get_attribute("href")
    assert webcal is not None
    return url, webcal


def _edit(page: Page, opponent: str) -> None:
    page.goto(page.url.split("#")[0] + "#/")
    page.get_by_role("button", name=f"Edit the match against {opponent}").click()


def test_a_match_scheduled_offline_reaches_the_calendar_and_its_changes_follow(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server, team_name="Lions U11")
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    next_week = datetime.now(LONDON).date() + timedelta(days=7)
    kickoff = _local(next_week, time(10, 30))

    context.set_offline(True)
    page.get_by_role("button", name="New match").click()
    page.get_by_label("Opponent").fill("Rovers")
    page.get_by_label("Kick-off").fill(kickoff.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Venue").fill("Hackney Marshes pitch 4")
    page.get_by_label("Competition").fill("County Cup")
    page.get_by_label("Format").select_option(value="4x12")
    pitchside.screenshot(page, "fixtures-new-match.png")
    page.get_by_role("button", name="Create match").click()
    upcoming = page.get_by_role("list", name="Upcoming matches of Lions U11")
    upcoming.get_by_text("vs Rovers").wait_for()
    assert "Hackney Marshes pitch 4" in upcoming.inner_text()
    assert page.locator("#syncbar").get_attribute("data-pending") == "1"

    context.set_offline(False)
    _synced(page)
    upcoming.get_by_text("vs Rovers").wait_for()
    pitchside.screenshot(page, "fixtures-upcoming.png")
    url, webcal = _calendar_link(page, club.team_id)
    pitchside.screenshot(page, "fixtures-calendar.png")

    assert webcal == url.replace("http://", "webcal://", 1)
    event = _feed(url, "Rovers")
    assert event is not None
    assert str(event["SUMMARY"]) == "Lions U11 v Rovers"
    assert str(event["LOCATION"]) == "Hackney Marshes pitch 4"
    assert "County Cup" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == kickoff.astimezone(UTC)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=68)
    assert str(event["STATUS"]) == "CONFIRMED"

    moved = _local(next_week + timedelta(days=1), time(14, 0))
    _edit(page, "Rovers")
    page.get_by_label("Kick-off").fill(moved.strftime("%Y-%m-%dT%H:%M"))
    assert not page.get_by_label("Periods").is_visible()
    page.get_by_label("Format").select_option(value="custom")
    page.get_by_label("Periods").fill("3")
    page.get_by_label("Minutes each").fill("22")
    page.get_by_role("button", name="Save changes").click()
    _synced(page)
    after = _feed(url, "Rovers")

    assert after["UID"] == event["UID"]
    assert after.decoded("DTSTART") == moved.astimezone(UTC)
    assert after.decoded("DTEND") - after.decoded("DTSTART") == timedelta(minutes=3 * 22 + 10)
    assert after.decoded("SEQUENCE") > event.decoded("SEQUENCE")

    _edit(page, "Rovers")
    page.get_by_role("button", name="Cancel match").click()
    page.locator("#sheet").get_by_role("button", name="Cancel the match").click()
    _synced(page)
    cancelled = _feed(url, "Rovers")

    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("SEQUENCE") > after.decoded("SEQUENCE")
    assert page.get_by_role("button", name="Edit the match against Rovers").count() == 0
    context.close()


def test_a_new_calendar_link_after_a_confirmation_kills_the_old_one(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    old, _ = _calendar_link(page, club.team_id)
    sheet = page.locator("#sheet")

    sheet.get_by_role("button", name="New link…").click()
    sheet.get_by_role("button", name="Keep the old link").click()
    assert _feed(old, "nobody") is None
    page.get_by_role("button", name="Calendar link").click()
    sheet.get_by_role("button", name="New link…").click()
    sheet.get_by_role("button", name="Make a new link").click()
    page.wait_for_function(
        "old => document.querySelector('#sheet .calendar-url')?.value !== old", arg=old
    )
    new = sheet.get_by_label("Calendar link").input_value()

    assert new != old
    assert _feed(new, "nobody") is None
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(old, timeout=10)
    gone.value.close()  # its connection: left open, it warns when collected, in a later test
    assert gone.value.code == 410
    context.close()
