"""The coach's app in a real browser against a real server: it opens with no network,
keeps every tap through reloads and dead signal, and ends with exactly the server's state."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import pitchside
from tests.browser.pitchside import clock, open_match, phone, screen_events, sign_in, tap
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
    tap(page, "Interception", "Our team, no name")
    # Undo the interception: it never reaches the server as a live event.
    page.locator("button.undo").click()
    page.get_by_role("button", name="Substitution", exact=True).click()
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


def _check_names_and_contrast(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    tree = session.send("Accessibility.getFullAXTree")
    buttons = [n for n in tree["nodes"] if n.get("role", {}).get("value") == "button"]
    assert buttons
    unnamed = [n for n in buttons if not str(n.get("name", {}).get("value", "")).strip()]
    assert unnamed == []
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
    clock(page, "Kick-off")
    tap(page, "Goal", "9 Ade")
    context.set_offline(True)
    tap(page, "Yellow card", "Opposition")
    _check_names_and_contrast(page)
    page.get_by_role("button", name="Goal", exact=True).click()
    _check_names_and_contrast(page)
    context.close()
