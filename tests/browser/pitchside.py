"""What the browser tests do again and again: set a club up through the API, and drive the
coach's app on a phone-sized page the way a coach's thumb would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.server import PASSWORD, Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}
SQUAD = [(1, "Sam"), (4, "Priya"), (6, "Jo"), (9, "Ade"), (10, "Mia"), (14, "Leo")]


@dataclass
class Club:
    server: Server
    email: str
    token: str
    team_id: str
    team_name: str
    players: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        response = self.server.request("GET", path, token=self.token)
        assert response.status == 200, response.body
        return response.body


def club(server: Server, team_name: str = "Lions U10") -> Club:
    """A coach with a team and its squad, made through the REST API."""
    email = f"coach-{uuid.uuid4().hex[:8]}@example.org"
    token = server.sign_up(email, "Alex Coach")
    team = server.request("POST", "/api/teams", {"name": team_name}, token)
    assert team.status == 201, team.body
    made = Club(server, email, token, team.body["id"], team_name)
    for number, name in SQUAD:
        player = server.request(
            "POST",
            f"/api/teams/{made.team_id}/players",
            {"squad_number": number, "display_name": name},
            token,
        )
        assert player.status == 201, player.body
        made.players[name] = player.body["id"]
    return made


def match(made: Club, opponent: str, kickoff_at: str = "2026-11-21T10:00:00Z") -> str:
    body = {"id": str(uuid.uuid4()), "team_id": made.team_id, "opponent": opponent}
    body |= {"kickoff_at": kickoff_at, "period_minutes": 25}
    created = made.server.request("POST", "/api/matches", body, made.token)
    assert created.status == 201, created.body
    match_id: str = created.body["id"]
    return match_id


def log_event(club: Club, match_id: str, kind: str, **fields: Any) -> str:
    """Log an event through the REST API, as a coach's phone would; returns its id."""
    event_id = str(uuid.uuid4())
    body: dict[str, Any] = {"id": event_id, "kind": kind, "period": 1, "minute": 0} | fields
    created = club.server.request("POST", f"/api/matches/{match_id}/events", body, club.token)
    assert created.status == 201, created.body
    return event_id


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


Logged = tuple[str, dict[str, Any]]


def finished_match(
    club: Club,
    opponent: str,
    first: list[Logged],
    second: list[Logged],
    lineup: list[Any],
    kickoff_at: str = "2026-11-21T10:00:00Z",
) -> str:
    """A match of two 25-minute halves played to full-time through the REST API: its
    ``lineup`` of (name, role), then ``first`` and ``second`` (kind, fields) logged in each
    half; returns its id."""
    match_id = match(club, opponent, kickoff_at)
    slots = [{"player_id": club.players[name], "role": role} for name, role in lineup]
    put = club.server.request(
        "PUT", f"/api/matches/{match_id}/lineup", {"players": slots}, club.token
    )
    assert put.status == 200, put.body
    log_event(club, match_id, "kick_off", recorded_at=ago(60 * 60))
    for kind, fields in first:
        log_event(club, match_id, kind, **fields)
    log_event(club, match_id, "half_time", minute=25)
    log_event(club, match_id, "kick_off", period=2, minute=25, recorded_at=ago(30 * 60))
    for kind, fields in second:
        log_event(club, match_id, kind, period=2, **fields)
    log_event(club, match_id, "full_time", period=2, minute=50)
    return match_id


def server_events(made: Club, match_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = made.get(f"/api/matches/{match_id}/events?limit=1000")["items"]
    return items


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(**PHONE)


def sign_in(page: Page, base_url: str, email: str, team_name: str) -> None:
    """Sign in on the app's first screen and wait for the team to arrive by sync."""
    page.goto(base_url + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name=team_name).wait_for()


def open_match(page: Page, opponent: str) -> str:
    """Open a match from the team list; returns its id (from the address)."""
    page.locator("button.match-link", has_text=opponent).click()
    page.locator(".scoreboard").wait_for()
    return page.evaluate("location.hash.split('/')[2]")  # type: ignore[no-any-return]


def tap(page: Page, kind: str, who: str | None = None, assist: str | None = None) -> None:
    """Tap an event kind, then a player ("9 Ade"), "Opposition", or our team unnamed; a
    goal with a named scorer then takes its assist ("10 Mia") or "No assist"."""
    page.get_by_role("button", name=kind, exact=True).click()
    sheet = page.locator("#sheet")
    name = who or "Our team, no name"
    sheet.get_by_role("button", name=name, exact=True).click()
    if kind == "Goal" and who not in (None, "Opposition"):
        sheet.get_by_role("button", name=assist or "No assist", exact=True).click()
    sheet.wait_for(state="hidden")


def clock(page: Page, label: str) -> None:
    """Tap a clock button and wait for its marker to be on the timeline."""
    shown = page.locator(".timeline [data-event-id]").count()
    page.get_by_role("button", name=label, exact=True).click()
    page.locator(".timeline [data-event-id]").nth(shown).wait_for()


def wait_synced(page: Page, timeout: float = 15_000) -> None:
    """Nothing left on the phone, and every event on screen confirmed by the server."""
    page.wait_for_function(
        """() => document.getElementById("syncbar").dataset.pending === "0"
            && [...document.querySelectorAll(".timeline [data-status]")]
                .every((item) => item.dataset.status === "confirmed")""",
        timeout=timeout,
    )


def screen_events(page: Page) -> dict[str, str]:
    """Event id -> sync status, for every event in the timeline."""
    pairs = page.eval_on_selector_all(
        ".timeline [data-event-id]",
        "items => items.map(i => [i.dataset.eventId, i.dataset.status])",
    )
    return dict(pairs)


def screen_score(page: Page) -> tuple[int, int]:
    home = page.locator("#score [data-side=home]").inner_text()
    away = page.locator("#score [data-side=away]").inner_text()
    return int(home), int(away)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
