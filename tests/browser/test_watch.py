"""The family's watch page in a real browser: live goals from the coach's phone, a resume
without gaps after the connection drops, and a clear page once the link is revoked."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute

from tests.browser import pitchside
from tests.browser.pitchside import Club, clock, open_match, phone, sign_in, tap
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def _score(page: Page) -> tuple[int, int]:
    return pitchside.screen_score(page)


def _wait_for_score(page: Page, home: int, away: int, timeout: float) -> None:
    page.wait_for_function(
        "([home, away]) => document.querySelector('#score [data-side=home]')?.textContent"
        " === String(home) && document.querySelector('#score [data-side=away]')?.textContent"
        " === String(away)",
        arg=[home, away],
        timeout=timeout,
    )


class Cable:
    """The viewer's live connection, routed through the test so it can be cut: while
    down, every new connection is dropped as soon as it opens."""

    def __init__(self) -> None:
        self.up = True
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, page_side: WebSocketRoute) -> None:
        if not self.up:
            page_side.close(code=1001, reason="no signal")
            return
        self.open.append((page_side, page_side.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.open:
            page_side.close(code=1001, reason="no signal")
            server_side.close()
        self.open.clear()


def _share_from_the_app(coach: Page) -> str:
    """Tap Share on the match screen; this browser has no share sheet, so the app shows
    the link to copy."""
    coach.get_by_role("button", name="Share", exact=True).click()
    link = coach.locator("#sheet .share-url")
    link.wait_for()
    url = link.input_value()
    coach.get_by_role("button", name="Done").click()
    return url


def test_a_viewer_sees_a_goal_live_and_catches_up_after_a_dropped_connection(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Rovers")
    coach_context = phone(browser)
    coach = coach_context.new_page()
    sign_in(coach, server.base_url, club.email, club.team_name)
    open_match(coach, "Rovers")
    clock(coach, "Kick-off")
    pitchside.wait_synced(coach)
    url = _share_from_the_app(coach)
    assert url.startswith(f"{server.base_url}/watch#")

    viewer_context = phone(browser)
    viewer = viewer_context.new_page()
    cable = Cable()
    viewer.route_web_socket(re.compile(r"/ws/match/"), cable.route)
    viewer.goto(url)
    viewer.locator("#connection.live").wait_for()
    assert _score(viewer) == (0, 0)

    tap(coach, "Goal", "9 Ade")
    pitchside.wait_synced(coach)
    _wait_for_score(viewer, 1, 0, timeout=1000)
    assert "9 Ade" in viewer.locator(".timeline").inner_text()

    cable.cut()
    viewer_context.set_offline(True)
    viewer.locator("#connection.down").wait_for()
    tap(coach, "Goal", "Opposition")
    tap(coach, "Yellow card", "Opposition")
    tap(coach, "Save", "1 Sam")
    coach.locator("button.undo").click()  # the save is taken back while the viewer is away
    pitchside.wait_synced(coach)
    assert _score(viewer) == (1, 0)

    cable.up = True
    viewer_context.set_offline(False)
    viewer.locator("#connection.live").wait_for()
    _wait_for_score(viewer, 1, 1, timeout=5000)
    live_ids = sorted(e["id"] for e in pitchside.server_events(club, match_id))
    assert len(live_ids) == 4
    viewer.wait_for_function(
        "ids => [...document.querySelectorAll('.timeline [data-event-id]')]"
        ".map(i => i.dataset.eventId).sort().join() === ids.join()",
        arg=live_ids,
        timeout=5000,
    )
    pitchside.screenshot(viewer, "watch-page.png")
    coach_context.close()
    viewer_context.close()


def test_a_revoked_link_shows_that_it_was_revoked(browser: Browser, server: Server) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Harriers")
    created = server.request(
        "POST", f"/api/matches/{match_id}/share-links", {"expires_in_hours": 2}, club.token
    )
    assert created.status == 201, created.body
    url = server.base_url + created.body["path"]
    context = phone(browser)
    watching = context.new_page()
    watching.goto(url)
    watching.locator("#connection.live").wait_for()

    revoked = server.request("DELETE", f"/api/share-links/{created.body['id']}", token=club.token)
    assert revoked.status == 204

    watching.get_by_role("heading", name="This link was revoked").wait_for(timeout=10_000)
    assert watching.locator(".scoreboard").count() == 0
    opened_later = context.new_page()
    opened_later.goto(url)
    opened_later.get_by_role("heading", name="This link was revoked").wait_for()
    context.close()


def _log(club: Club, match_id: str, kind: str, **fields: Any) -> str:
    """Log an event through the REST API, as a coach's phone would; returns its id."""
    event_id = str(uuid.uuid4())
    body: dict[str, Any] = {"id": event_id, "kind": kind, "period": 1, "minute": 0} | fields
    created = club.server.request("POST", f"/api/matches/{match_id}/events", body, club.token)
    assert created.status == 201, created.body
    return event_id


def _share(club: Club, match_id: str, names: str = "first_names") -> str:
    created = club.server.request(
        "POST", f"/api/matches/{match_id}/share-links", {"names": names}, club.token
    )
    assert created.status == 201, created.body
    path: str = created.body["path"]
    return club.server.base_url + path


def test_a_share_link_shows_no_internal_ids(server: Server) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Albion")
    _log(club, match_id, "kick_off")
    token = _share(club, match_id).split("#", 1)[1]

    watched = server.request("GET", "/api/watch", token=token)

    assert watched.status == 200, watched.body
    text = json.dumps(watched.body)
    assert "team_id" not in text
    assert club.team_id not in text
    assert watched.body["match"]["id"] == match_id  # the live channel's address needs it
