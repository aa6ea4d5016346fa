"""The coach's app in a real browser against a real server: it opens with no network,
keeps every tap through reloads and dead signal, and ends with exactly the server's state."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, WebSocket

from tests.browser import pitchside
from tests.browser.pitchside import clock, open_match, phone, screen_events, sign_in, tap
from tests.browser.proxy import front_of
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def _wait_for_service_worker(page: Page) -> None:
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null"
        " && navigator.serviceWorker.controller.state === 'activated'"
    )


def test_the_installed_app_opens_with_the_network_cut(browser: Browser, server: Server) -> None:
    context = phone(browser)
    page = context.new_page()
    page.goto(server.base_url + "/")
    _wait_for_service_worker(page)
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")

    context.set_offline(True)
    page.reload()

    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert page.evaluate("navigator.onLine") is False
    # The page ran its script from the cache: the sync bar was written by it.
    assert page.locator("#syncbar").inner_text() == "Not signed in"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["id"] == "/"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])
    context.close()


def test_a_half_logged_offline_reaches_the_server_exactly_once(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    _wait_for_service_worker(page)

    context.set_offline(True)
    page.get_by_role("button", name="New match").click()
    page.get_by_label("Opponent").fill("Rovers")
    page.get_by_role("button", name="Create match").click()
    page.get_by_role("group", name="14 Leo").get_by_text("Bench").click()
    page.get_by_role("button", name="Save lineup").click()
    clock(page, "Kick-off")
    tap(page, "Goal", "9 Ade")
    tap(page, "Assist", "10 Mia")
    tap(page, "Save", "1 Sam")
    tap(page, "Goal", "Opposition")
    tap(page, "Yellow card", "Opposition")
    tap(page, "Tackle", "4 Priya")
    before_reload = screen_events(page)
    assert set(before_reload.values()) == {"on phone"}

    page.reload()
    page.locator(".scoreboard").wait_for()
    assert screen_events(page) == before_reload
    assert pitchside.screen_score(page) == (1, 1)
    page.locator(".timeline li.kind-tackle button").click()
    page.locator("#sheet").get_by_label("Who").select_option(label="6 Jo")
    page.locator("#sheet").get_by_role("button", name="Save", exact=True).click()
    page.locator(".timeline li.kind-tackle", has_text="6 Jo").wait_for()
    tap(page, "Foul", "6 Jo")
    tap(page, "Goal", "10 Mia")
    tap(page, "Intercept", "Our team, no name")
    # Undo the interception: it never reaches the server as a live event.
    page.locator("button.undo").click()
    page.get_by_role("button", name="Sub", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="9 Ade", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="14 Leo", exact=True).click()
    page.locator("#sheet").wait_for(state="hidden")
    clock(page, "Half-time")
    on_phone = screen_events(page)
    assert len(on_phone) == 11, page.locator(".timeline").inner_text()
    assert pitchside.screen_score(page) == (2, 1)
    assert int(page.locator("#syncbar").get_attribute("data-pending") or 0) > 0

    context.set_offline(False)
    pitchside.wait_synced(page)

    match_id = page.evaluate("location.hash.split('/')[2]")
    stored = pitchside.server_events(club, match_id)
    assert [e["id"] for e in stored] == list(dict.fromkeys(e["id"] for e in stored))
    assert {e["id"] for e in stored} == set(on_phone)
    assert set(screen_events(page)) == set(on_phone)
    tackle = next(e for e in stored if e["kind"] == "tackle")
    assert tackle["player"]["id"] == club.players["Jo"]
    detail = club.get(f"/api/matches/{match_id}")["match"]
    assert (detail["score"]["team"], detail["score"]["opposition"]) == (2, 1)
    assert detail["status"] == "interval"
    pitchside.screenshot(page, "coach-match.png")
    context.close()


def test_two_coaches_offline_on_one_match_converge_to_the_server(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    second_email = f"assistant-{club.team_id[:8]}@example.org"
    second_login = server.sign_up(second_email, "Bo Assistant")
    invite = server.request("POST", f"/api/teams/{club.team_id}/invites", {}, club.token)
    assert invite.status == 201, invite.body
    joined = server.request(
        "POST", "/api/invites/accept", {"token": invite.body["token"]}, second_login
    )
    assert joined.status == 200, joined.body
    match_id = pitchside.match(club, "Harriers")

    phones = []
    for email in (club.email, second_email):
        context = phone(browser)
        page = context.new_page()
        sign_in(page, server.base_url, email, club.team_name)
        assert open_match(page, "Harriers") == match_id
        phones.append((context, page))
    (first_context, first), (second_context, second) = phones
    first_context.set_offline(True)
    second_context.set_offline(True)

    clock(first, "Kick-off")
    tap(first, "Goal", "9 Ade")
    tap(first, "Yellow card", "Opposition")
    clock(second, "Kick-off")
    tap(second, "Goal", "Opposition")
    tap(second, "Save", "1 Sam")
    tap(second, "Goal", "10 Mia")

    first_context.set_offline(False)
    pitchside.wait_synced(first)
    second_context.set_offline(False)
    pitchside.wait_synced(second)

    stored = pitchside.server_events(club, match_id)
    server_ids = {e["id"] for e in stored}
    assert len(stored) == 6  # both kick-offs were tapped; the server kept one
    for page in (first, second):
        page.wait_for_function(
            "ids => [...document.querySelectorAll('.timeline [data-event-id]')]"
            ".map(i => i.dataset.eventId).sort().join() === ids.join()",
            arg=sorted(server_ids),
            timeout=15_000,
        )
        assert set(screen_events(page).values()) == {"confirmed"}
        assert pitchside.screen_score(page) == (2, 1)
    # The refused kick-off is shown on the phone that sent it, not swallowed.
    refused = second.locator(".refused")
    refused.wait_for()
    assert "Kick-off" in refused.inner_text()
    assert first.locator(".refused").count() == 0
    first_context.close()
    second_context.close()


def test_another_phones_goal_reaches_the_open_match_through_its_live_channel(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Wanderers")
    context = phone(browser)
    page = context.new_page()
    heard: list[str] = []  # what the page was told and asked, in order

    def listen(socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: heard.append(json.loads(frame)["type"]))

    page.on("websocket", listen)
    page.on("request", lambda request: heard.append(request.url))
    page.clock.install()
    sign_in(page, server.base_url, club.email, club.team_name)
    open_match(page, "Wanderers")
    # The page's time stands still from here: no sync timer fires, so only the live
    # channel can tell the page to pull.
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))

    told = len(heard)

    def pulled_after_the_channel_spoke(request: Request) -> bool:
        return request.url.endswith("/sync") and "changes" in heard[told:]

    with page.expect_request(pulled_after_the_channel_spoke, timeout=15_000):
        goal = {"id": str(uuid.uuid4()), "kind": "goal", "side": "opposition"}
        goal |= {"period": 1, "minute": 3}
        kick_off = {"id": str(uuid.uuid4()), "kind": "kick_off", "period": 1, "minute": 0}
        for event in (kick_off, goal):
            created = server.request("POST", f"/api/matches/{match_id}/events", event, club.token)
            assert created.status == 201, created.body
    page.locator(f'.timeline [data-event-id="{goal["id"]}"]').wait_for()
    assert pitchside.screen_score(page) == (0, 1)
    context.close()


def _contrast(foreground: list[float], background: list[float]) -> float:
    def luminance(rgb: list[float]) -> float:
        channels = []
        for value in rgb[:3]:
            c = value / 255
            channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# For every element that shows text: its colour and the first opaque background behind it.
COLOURS = """() => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const opaque = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll("body *")]
    .filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => ({
      text: el.textContent.trim().slice(0, 30),
      fg: rgb(getComputedStyle(el).color).slice(0, 3),
      bg: opaque(el),
    }));
}"""


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def _accessible_name(snapshot: str) -> str:
    """The name in the first line of an ARIA snapshot: ``- button "9 Ade":``."""
    first = snapshot.splitlines()[0]
    named = re.match(r'- \w+ "((?:[^"\\]|\\.)*)"', first)
    return named.group(1).replace('\\"', '"') if named else ""


def _contains(words: list[str], part: list[str]) -> bool:
    """Whether ``part`` occurs in ``words`` as a run of whole words (axe's
    label-content-name-mismatch rule)."""
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _check_names_and_contrast(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    tree = session.send("Accessibility.getFullAXTree")
    buttons = [n for n in tree["nodes"] if n.get("role", {}).get("value") == "button"]
    assert buttons
    unnamed = [n for n in buttons if not str(n.get("name", {}).get("value", "")).strip()]
    assert unnamed == []
    mismatched = []
    for button in page.get_by_role("button").all():
        if not button.is_visible():
            continue
        shown = _words(button.inner_text())
        spoken = _words(_accessible_name(button.aria_snapshot()))
        if shown and not _contains(spoken, shown):
            mismatched.append((" ".join(shown), " ".join(spoken)))
    assert mismatched == []
    low = [
        (item["text"], round(_contrast(item["fg"], item["bg"]), 2))
        for item in page.evaluate(COLOURS)
        if _contrast(item["fg"], item["bg"]) < 4.5
    ]
    assert low == []


def test_the_match_screen_names_every_button_and_reads_in_sunlight(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    pitchside.match(club, "Athletic")
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    _check_names_and_contrast(page)
    open_match(page, "Athletic")
    assert page.get_by_role("heading", level=1).count() == 1
    page.get_by_role("heading", level=1, name=f"{club.team_name} v Athletic").wait_for()
    clock(page, "Kick-off")
    tap(page, "Goal", "9 Ade")
    context.set_offline(True)
    tap(page, "Yellow card", "Opposition")
    tap(page, "Intercept", "4 Priya")
    _check_names_and_contrast(page)
    page.get_by_role("button", name="Goal", exact=True).click()
    _check_names_and_contrast(page)
    page.locator("#sheet").get_by_role("button", name="10 Mia", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="No assist", exact=True).wait_for()
    _check_names_and_contrast(page)
    context.close()


def _on_a_match(
    browser: Browser, server: Server, opponent: str, base_url: str | None = None
) -> tuple[pitchside.Club, str, BrowserContext, Page]:
    """A club with a match made through the API, open on a signed-in phone (through
    ``base_url`` when given)."""
    club = pitchside.club(server)
    match_id = pitchside.match(club, opponent)
    context = phone(browser)
    page = context.new_page()
    sign_in(page, base_url or server.base_url, club.email, club.team_name)
    open_match(page, opponent)
    return club, match_id, context, page


def _wait_until(condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _bar(page: Page) -> str:
    return page.locator("#syncbar").inner_text()


ALL_SYNCED = "() => document.getElementById('syncbar').textContent.startsWith('All synced')"

# Where the toast and the newest timeline row are, and the viewport's height.
LAYOUT = """() => {
  const newest = document.querySelector(".timeline [data-event-id]");
  const rect = (el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom };
  };
  return {
    height: innerHeight,
    toast: rect(document.getElementById("toast")),
    newest: rect(newest),
    newestText: newest.textContent,
  };
}"""

# Every text the sync bar shows from now on, in order.
RECORD_BAR = """() => {
  const bar = document.getElementById("syncbar");
  window.barTexts = [bar.textContent];
  new MutationObserver(() => window.barTexts.push(bar.textContent))
    .observe(bar, { childList: true, characterData: true, subtree: true });
}"""


def test_the_bar_says_offline_as_soon_as_the_signal_drops(browser: Browser, server: Server) -> None:
    _, _, context, page = _on_a_match(browser, server, "Rangers")
    page.wait_for_function(ALL_SYNCED)

    context.set_offline(True)
    # The next timed sync is up to 20 s away: only the browser's offline event can say it
    # this soon.
    page.wait_for_function(
        "() => document.getElementById('syncbar').textContent"
        ".startsWith('Offline · nothing waiting')",
        timeout=5_000,
    )
    context.set_offline(False)
    page.wait_for_function(ALL_SYNCED)
    context.close()


def test_a_server_answering_503_gets_one_steady_bar_that_keeps_the_count(
    browser: Browser, server: Server
) -> None:
    with front_of(server.base_url) as front:
        club, match_id, context, page = _on_a_match(browser, server, "Wanderers", front.base_url)
        clock(page, "Kick-off")
        pitchside.wait_synced(page)
        page.evaluate(RECORD_BAR)

        front.refuse_sync = True
        tap(page, "Goal", "9 Ade")
        _wait_until(lambda: front.refused >= 3, "three refused syncs")
        texts: list[str] = page.evaluate("window.barTexts")
        steady = "1 change on phone · server not answering, retrying"
        # From the tap's first failed sync on, the bar says the same thing every time.
        failing = texts[next(i for i, t in enumerate(texts) if t.startswith(steady)) :]
        assert all(t.startswith(steady) for t in failing), texts
        assert not any("database" in t for t in texts)
        assert set(screen_events(page).values()) == {"confirmed", "on phone"}
        goal = page.locator(".timeline li.kind-goal")
        assert goal.get_attribute("data-status") == "on phone"
        assert goal.locator(".badge").inner_text() == "on phone"
        assert page.locator("#syncbar").get_attribute("data-pending") == "1"

        front.refuse_sync = False
        pitchside.wait_synced(page, timeout=60_000)
        assert goal.locator(".badge").inner_text().endswith("confirmed")
        assert len(pitchside.server_events(club, match_id)) == 2
        context.close()


def test_a_refusal_is_said_in_the_coachs_words(browser: Browser, server: Server) -> None:
    club, match_id, context, page = _on_a_match(browser, server, "United")
    clock(page, "Kick-off")
    pitchside.wait_synced(page)

    context.set_offline(True)
    tap(page, "Goal", "9 Ade")  # at 1', on a phone that has not heard of full-time
    whistle = {"id": str(uuid.uuid4()), "kind": "full_time", "period": 1, "minute": 0}
    ended = server.request("POST", f"/api/matches/{match_id}/events", whistle, club.token)
    assert ended.status == 201, ended.body
    context.set_offline(False)

    refused = page.locator(".refused")
    refused.wait_for()
    assert "Goal 1' — This match is already finished" in refused.inner_text()
    assert "does not follow" not in refused.inner_text()
    assert "match_finished" not in refused.inner_text()
    page.locator(".timeline li.kind-goal").wait_for(state="detached")
    assert pitchside.screen_score(page) == (0, 0)
    context.close()


def test_a_match_takes_taps_only_between_kick_off_and_full_time(
    browser: Browser, server: Server
) -> None:
    club, match_id, context, page = _on_a_match(browser, server, "Dynamos")

    # The first tap on a match that has not started offers to start it.
    page.get_by_role("button", name="Goal", exact=True).click()
    sheet = page.locator("#sheet")
    sheet.get_by_text("The match has not kicked off").wait_for()
    sheet.get_by_role("button", name="Kick off now", exact=True).click()
    sheet.get_by_role("button", name="9 Ade", exact=True).click()
    sheet.get_by_role("button", name="No assist", exact=True).click()
    sheet.wait_for(state="hidden")
    pitchside.wait_synced(page)
    stored = pitchside.server_events(club, match_id)
    assert [e["kind"] for e in stored] == ["kick_off", "goal"]
    assert page.locator("#period").inner_text() == "1st half"
    assert pitchside.screen_score(page) == (1, 0)

    clock(page, "Half-time")
    clock(page, "Start 2nd half")
    clock(page, "Full-time")
    assert page.get_by_role("button", name="Goal", exact=True).count() == 0
    assert page.locator(".grid").count() == 0
    page.get_by_role("button", name="Reopen match", exact=True).click()
    page.get_by_role("button", name="Goal", exact=True).wait_for()
    assert page.locator("#period").inner_text() == "2nd half"
    pitchside.wait_synced(page)
    assert club.get(f"/api/matches/{match_id}")["match"]["status"] == "live"
    context.close()


def test_each_tap_is_confirmed_by_the_thumb_and_the_newest_row_is_in_view(
    browser: Browser, server: Server
) -> None:
    _, _, context, page = _on_a_match(browser, server, "Albion")
    clock(page, "Kick-off")
    tap(page, "Save", "1 Sam")
    tap(page, "Goal", "9 Ade")

    toast = page.locator("#toast")
    assert toast.inner_text().startswith("Goal 1' · 9 Ade logged")
    # Measured in one go: a sync may redraw the timeline at any moment.
    seen = page.evaluate(LAYOUT)
    pitchside.screenshot(page, "coach-toast.png")
    box, row = seen["toast"], seen["newest"]
    assert "9 Ade" in seen["newestText"]
    assert seen["height"] / 2 < box["top"] and box["bottom"] <= seen["height"]
    # In view, and not under the toast.
    assert row["top"] >= 0 and row["bottom"] <= box["top"], (row, box)

    toast.get_by_role("button", name="Undo Goal 1' · 9 Ade", exact=True).click()
    page.locator(".timeline li.kind-goal").wait_for(state="detached")
    assert pitchside.screen_score(page) == (0, 0)
    assert toast.is_hidden()
    context.close()


def test_what_the_server_would_refuse_is_not_queued_and_the_coach_is_told_why(
    browser: Browser, server: Server
) -> None:
    club, match_id, context, page = _on_a_match(browser, server, "Harriers")
    clock(page, "Kick-off")
    tap(page, "Goal", "9 Ade")  # at 1'
    pitchside.wait_synced(page)

    # The player sheet is open when another phone blows full time at 0'.
    page.get_by_role("button", name="Goal", exact=True).click()
    sheet = page.locator("#sheet")
    sheet.get_by_role("button", name="10 Mia", exact=True).wait_for()
    whistle = {"id": str(uuid.uuid4()), "kind": "full_time", "period": 1, "minute": 0}
    ended = server.request("POST", f"/api/matches/{match_id}/events", whistle, club.token)
    assert ended.status == 201, ended.body
    page.locator(f'.timeline [data-event-id="{whistle["id"]}"]').wait_for()
    sheet.get_by_role("button", name="10 Mia", exact=True).click()
    sheet.wait_for(state="hidden")
    assert page.locator("#toast").inner_text().startswith("Not logged: that is after full-time")
    assert page.locator("#syncbar").get_attribute("data-pending") == "0"
    assert page.locator(".timeline li.kind-goal").count() == 1

    # An edit that would move the goal past the whistle stays in its sheet, explained.
    page.locator(".timeline li.kind-goal button").click()
    sheet.get_by_label("Minute").fill("3")
    sheet.get_by_role("button", name="Save", exact=True).click()
    warning = sheet.get_by_role("alert")
    warning.wait_for()
    assert warning.inner_text().startswith("Not logged: that is after full-time")
    assert page.locator("#syncbar").get_attribute("data-pending") == "0"
    # Within the time played it is taken, and the server agrees.
    sheet.get_by_label("Minute").fill("0")
    sheet.get_by_role("button", name="Save", exact=True).click()
    sheet.wait_for(state="hidden")
    page.locator(".timeline li.kind-goal .minute", has_text="0'").wait_for()
    pitchside.wait_synced(page)
    goals = [e for e in pitchside.server_events(club, match_id) if e["kind"] == "goal"]
    assert [(g["minute"], g["player"]["id"]) for g in goals] == [(0, club.players["Ade"])]
    assert page.locator(".refused").count() == 0
    context.close()


# Every button of the log grid: its words and where it is on the screen.
GRID_BUTTONS = """() => [...document.querySelectorAll(".goal, .grid button")].map((b) => {
  const r = b.getBoundingClientRect();
  return { text: b.textContent, top: r.top, bottom: r.bottom, width: r.width, height: r.height };
})"""


def test_shots_corners_and_a_goals_assist_reach_the_server_and_the_assist_can_be_cleared(
    browser: Browser, server: Server
) -> None:
    club, match_id, context, page = _on_a_match(browser, server, "Town")
    clock(page, "Kick-off")
    # Every kind is on the first screen of a phone, each button a thumb wide and tall.
    buttons = page.evaluate(GRID_BUTTONS)
    assert {"Goal", "Shot on target", "Shot off target", "Corner", "Own goal"} <= {
        b["text"] for b in buttons
    }
    assert len(buttons) == 17, buttons
    assert all(b["bottom"] <= 844 and b["height"] >= 48 and b["width"] >= 48 for b in buttons)

    tap(page, "Shot on target", "9 Ade")
    tap(page, "Shot off target", "Opposition")
    tap(page, "Corner")
    # The scorer first, then who assisted, from the others.
    page.get_by_role("button", name="Goal", exact=True).click()
    sheet = page.locator("#sheet")
    sheet.get_by_role("button", name="9 Ade", exact=True).click()
    sheet.get_by_role("heading", name="Goal · 9 Ade — assisted by?").wait_for()
    assert sheet.get_by_role("button", name="9 Ade", exact=True).count() == 0
    sheet.get_by_role("button", name="10 Mia", exact=True).click()
    sheet.wait_for(state="hidden")
    toast = page.locator("#toast").inner_text()
    assert re.match(r"Goal \d+' · 9 Ade \(assist 10 Mia\) logged", toast), toast
    goal = page.locator(".timeline li.kind-goal")
    assert "9 Ade (assist 10 Mia)" in goal.inner_text()
    assert pitchside.screen_score(page) == (1, 0)
    pitchside.wait_synced(page)

    stored = pitchside.server_events(club, match_id)
    by_kind = {e["kind"]: e for e in stored}
    assert sorted(e["kind"] for e in stored) == [
        "corner",
        "goal",
        "kick_off",
        "shot_off_target",
        "shot_on_target",
    ]
    assert by_kind["shot_on_target"]["player"]["id"] == club.players["Ade"]
    assert by_kind["shot_off_target"]["side"] == "opposition"
    assert (by_kind["corner"]["side"], by_kind["corner"]["player"]) == ("team", None)
    assert by_kind["goal"]["player"]["id"] == club.players["Ade"]
    assert by_kind["goal"]["assist_player"]["id"] == club.players["Mia"]

    # The edit sheet shows the assist and takes it away.
    goal.get_by_role("button").click()
    assist = sheet.get_by_label("Assisted by")
    assert assist.input_value() == club.players["Mia"]
    # Only a goal of ours with a scorer names an assist.
    sheet.get_by_label("What").select_option(label="Shot on target")
    assist.wait_for(state="hidden")
    sheet.get_by_label("What").select_option(label="Goal")
    assist.wait_for(state="visible")
    assist.select_option(label="No assist")
    sheet.get_by_role("button", name="Save", exact=True).click()
    sheet.wait_for(state="hidden")
    page.locator(".timeline li.kind-goal", has_text="(assist").wait_for(state="detached")
    pitchside.wait_synced(page)
    goal_now = next(e for e in pitchside.server_events(club, match_id) if e["kind"] == "goal")
    assert goal_now["assist_player"] is None
    assert goal_now["player"]["id"] == club.players["Ade"]
    context.close()


def test_a_goal_survives_a_dismissed_assist_step_and_only_cancel_goal_drops_it(
    browser: Browser, server: Server
) -> None:
    club, match_id, context, page = _on_a_match(browser, server, "Borough")
    clock(page, "Kick-off")
    sheet = page.locator("#sheet")
    goals = page.locator(".timeline li.kind-goal")

    def to_the_assist_step() -> None:
        page.get_by_role("button", name="Goal", exact=True).click()
        sheet.get_by_role("button", name="9 Ade", exact=True).click()
        sheet.get_by_role("heading", name="Goal · 9 Ade — assisted by?").wait_for()

    # Escape: the goal is logged, with no assist.
    to_the_assist_step()
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden")
    goals.nth(0).wait_for()
    assert pitchside.screen_score(page) == (1, 0)
    # A tap beside the sheet, on the dimmed screen above it: the same.
    to_the_assist_step()
    page.mouse.click(195, 10)
    sheet.wait_for(state="hidden")
    goals.nth(1).wait_for()
    assert pitchside.screen_score(page) == (2, 0)
    # Only the explicit "Cancel goal" drops it.
    to_the_assist_step()
    sheet.get_by_role("button", name="Cancel goal", exact=True).click()
    sheet.wait_for(state="hidden")
    assert goals.count() == 2
    assert pitchside.screen_score(page) == (2, 0)

    pitchside.wait_synced(page)
    stored = [e for e in pitchside.server_events(club, match_id) if e["kind"] == "goal"]
    assert [(e["player"]["id"], e["assist_player"]) for e in stored] == [
        (club.players["Ade"], None),
        (club.players["Ade"], None),
    ]
    context.close()


# Each row of the minutes view: player, minutes on, bench minutes, now, started.
MINUTES_ROWS = """() => [...document.querySelectorAll(".minutes-table tbody tr")].map((row) =>
    [...row.children].map((cell) => cell.textContent))"""


def _minutes(page: Page) -> list[tuple[str, int, int, str, str]]:
    """The rows on show, minutes as numbers (the page writes 20')."""
    rows = page.evaluate(MINUTES_ROWS)
    return [
        (who, int(on.rstrip("'")), int(bench.rstrip("'")), now, started)
        for who, on, bench, now, started in rows
    ]


def test_the_minutes_view_counts_the_logged_minutes_offline_least_played_first(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    context = phone(browser)
    page = context.new_page()
    page.clock.install()
    sign_in(page, server.base_url, club.email, club.team_name)
    _wait_for_service_worker(page)

    context.set_offline(True)
    page.get_by_role("button", name="New match").click()
    page.get_by_label("Opponent").fill("Rovers")  # 2 halves of 25 minutes
    page.get_by_role("button", name="Create match").click()
    for bench in ("10 Mia", "14 Leo"):
        page.get_by_role("group", name=bench).get_by_text("Bench").click()
    page.get_by_role("button", name="Save lineup").click()
    # The page's time moves only when the test says: every minute below is exact.
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    clock(page, "Kick-off")
    page.clock.run_for("09:30")  # the 10th minute is being played
    page.get_by_role("button", name="Sub", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="9 Ade", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="14 Leo", exact=True).click()
    page.locator("#sheet").wait_for(state="hidden")
    page.locator(".timeline li.kind-substitution .minute", has_text="10'").wait_for()
    page.clock.run_for("10:00")  # the 20th

    page.get_by_role("button", name="Minutes", exact=True).click()
    page.get_by_role("heading", name="Minutes vs Rovers").wait_for()
    assert page.evaluate("navigator.onLine") is False
    assert _minutes(page) == [
        ("10 Mia", 0, 20, "", ""),
        ("9 Ade", 10, 10, "", "Yes"),
        ("14 Leo", 10, 10, "On pitch", ""),
        ("1 Sam", 20, 0, "On pitch", "Yes"),
        ("4 Priya", 20, 0, "On pitch", "Yes"),
        ("6 Jo", 20, 0, "On pitch", "Yes"),
    ]
    pitchside.screenshot(page, "coach-minutes.png")

    # It follows the clock while it is on show.
    page.clock.run_for("05:00")  # the 25th
    assert _minutes(page)[:3] == [
        ("10 Mia", 0, 25, "", ""),
        ("9 Ade", 10, 15, "", "Yes"),
        ("14 Leo", 15, 10, "On pitch", ""),
    ]

    # A substitution at the break counts from the second half's kick-off, after the
    # first half's added time.
    page.get_by_role("button", name="Back to Match").click()
    page.clock.run_for("02:00")  # 25+2
    clock(page, "Half-time")
    page.get_by_role("button", name="Sub", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="1 Sam", exact=True).click()
    page.locator("#sheet").get_by_role("button", name="10 Mia", exact=True).click()
    page.locator("#sheet").wait_for(state="hidden")
    page.clock.run_for("10:00")
    clock(page, "Start 2nd half")
    page.clock.run_for("04:30")  # the 5th minute of the second half
    page.get_by_role("button", name="Minutes", exact=True).click()
    page.get_by_role("heading", name="Minutes vs Rovers").wait_for()
    assert _minutes(page) == [
        ("10 Mia", 5, 27, "On pitch", ""),
        ("9 Ade", 10, 22, "", "Yes"),
        ("14 Leo", 22, 10, "On pitch", ""),
        ("1 Sam", 27, 5, "", "Yes"),
        ("4 Priya", 32, 0, "On pitch", "Yes"),
        ("6 Jo", 32, 0, "On pitch", "Yes"),
    ]
    assert int(page.locator("#syncbar").get_attribute("data-pending") or 0) > 0

    # The server takes the substitution at the break where the phone timed it.
    context.set_offline(False)
    page.clock.resume()
    page.get_by_role("button", name="Back to Match").click()
    pitchside.wait_synced(page)
    match_id = page.evaluate("location.hash.split('/')[2]")
    subs = [e for e in pitchside.server_events(club, match_id) if e["kind"] == "substitution"]
    assert [(e["period"], e["minute"], e["stoppage"]) for e in subs] == [(1, 10, 0), (2, 25, 0)]
    context.close()


STATS_ROWS = """(table) => [...document.querySelectorAll(`.${table} tbody tr`)].map((row) =>
    [...row.children].map((cell) => cell.textContent))"""


def _season(club: pitchside.Club) -> None:
    """Three finished matches through the REST API: a win, a loss, then a goalless draw."""
    p = club.players
    everyone = [name for _, name in pitchside.SQUAD]
    win = [(n, "bench" if n in ("Mia", "Leo") else "starting") for n in everyone]
    pitchside.finished_match(
        club,
        "Rovers",
        [("goal", {"minute": 10, "player_id": p["Ade"], "assist_player_id": p["Jo"]})],
        [
            ("goal", {"minute": 30, "side": "opposition"}),
            ("substitution", {"minute": 40, "player_id": p["Leo"], "replaced_player_id": p["Ade"]}),
            ("goal", {"minute": 44, "player_id": p["Leo"]}),
            ("save", {"minute": 45, "player_id": p["Sam"]}),
        ],
        win,
        kickoff_at="2026-10-03T09:00:00Z",
    )
    loss = [(n, "bench" if n in ("Jo", "Ade") else "starting") for n in everyone]
    pitchside.finished_match(
        club,
        "United",
        [("tackle", {"minute": 5, "player_id": p["Priya"]})],
        [
            ("substitution", {"minute": 30, "player_id": p["Ade"], "replaced_player_id": p["Mia"]}),
            ("goal", {"minute": 35, "side": "opposition"}),
        ],
        loss,
        kickoff_at="2026-10-10T09:00:00Z",
    )
    draw = [(n, "bench" if n == "Leo" else "starting") for n in everyone]
    pitchside.finished_match(club, "Athletic", [], [], draw, kickoff_at="2026-10-17T09:00:00Z")


def _name(player: dict[str, Any]) -> str:
    return f"{player['squad_number']} {player['display_name']}"


def _percent(share: float | None) -> str:
    # As the page rounds (Math.round: halves up), which Python's round() does not.
    return "\u2013" if share is None else f"{math.floor(share * 100 + 0.5)}%"


def test_the_season_screen_counts_on_the_phone_what_the_server_counts(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    _season(club)
    stats = club.get(f"/api/teams/{club.team_id}/stats")
    fairness = club.get(f"/api/teams/{club.team_id}/fairness")
    context = phone(browser)
    page = context.new_page()
    sign_in(page, server.base_url, club.email, club.team_name)
    _wait_for_service_worker(page)
    page.locator("button.match-link").nth(2).wait_for()
    pitchside.wait_synced(page)

    context.set_offline(True)
    page.get_by_role("button", name=re.compile(r"^Team \(")).click()
    page.get_by_role("button", name="Season stats").click()
    page.get_by_role("heading", name=f"{club.team_name}: season").wait_for()
    assert page.evaluate("navigator.onLine") is False

    record = stats["record"]
    shown = {
        key: page.locator(f".record [data-figure={key}] .value").inner_text()
        for key in ("played", "won", "drawn", "lost", "goals_for", "goals_against")
    }
    assert shown == {key: str(record[key]) for key in shown}
    assert (record["played"], record["won"], record["form"]) == (3, 1, ["D", "L", "W"])
    clean_sheets = page.locator(".record [data-figure=clean_sheets] .value").inner_text()
    assert clean_sheets == str(record["clean_sheets"]) == "1"
    assert page.locator(".record [data-figure=form] .value").inner_text() == "D L W"

    # Those benched most first, as the server sorts them.
    assert page.evaluate(STATS_ROWS, "fairness-table") == [
        [
            _name(line["player"]),
            f"{line['minutes']}'",
            _percent(line["minutes_share"]),
            f"{line['starts']}/{line['available_matches']}",
            _percent(line["starts_share"]),
        ]
        for line in fairness["players"]
    ]
    assert page.evaluate(STATS_ROWS, "fairness-table")[0][0] == "14 Leo"
    assert page.evaluate(STATS_ROWS, "player-stats-table") == [
        [
            _name(line["player"]),
            str(line["appearances"]),
            str(line["goals"]),
            str(line["assists"]),
            str(line["saves"]),
            str(line["tackles"]),
        ]
        for line in stats["players"]
    ]
    pitchside.screenshot(page, "coach-season.png")

    page.get_by_role("button", name="Season stats (CSV)").click()
    page.get_by_role("status").filter(has_text="need a connection").wait_for()
    context.set_offline(False)
    with page.expect_download() as download:
        page.get_by_role("button", name="Season stats (CSV)").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("player_id,squad_number,player,appearances,starts,minutes")
    assert len(lines) == 1 + len(stats["players"])
    context.close()
