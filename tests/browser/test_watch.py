"""The family's watch page in a real browser: live goals from the coach's phone, a resume
without gaps after the connection drops, a clock that runs from the server's period start,
a "Live" that is true, the story of the goals, the last known score with no signal, and a
clear page once the link is revoked."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, WebSocketRoute
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from websockets.sync.client import connect

from tests.browser import pitchside
from tests.browser.pitchside import (
    Club,
    Logged,
    ago,
    clock,
    finished_match,
    log_event,
    open_match,
    phone,
    sign_in,
    tap,
)
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


# Resolves true once a service worker controls the page (false after 10 s). A
# wait_for_function string is compiled once when it is a function ("() => ..."), but a bare
# expression is compiled again on every poll, which the pages' CSP (no 'unsafe-eval')
# refuses: so this is a promise the page keeps.
CONTROLLED = """() => navigator.serviceWorker.controller !== null || new Promise((resolve) => {
    const ready = () => resolve(true);
    navigator.serviceWorker.addEventListener("controllerchange", ready, { once: true });
    setTimeout(() => resolve(false), 10000);
})"""


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


def _watch_through_cable(context: BrowserContext, url: str) -> tuple[Page, Cable]:
    """Open the watch page with its live connection through a cable the test can cut."""
    viewer = context.new_page()
    cable = Cable()
    viewer.route_web_socket(re.compile(r"/ws/match/"), cable.route)
    viewer.goto(url)
    viewer.locator("#connection.live").wait_for()
    return viewer, cable


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
    viewer, cable = _watch_through_cable(viewer_context, url)
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
    pitchside.screenshot(viewer, "watch-resumed.png")
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


def _share(club: Club, match_id: str, names: str = "first_names") -> str:
    created = club.server.request(
        "POST", f"/api/matches/{match_id}/share-links", {"names": names}, club.token
    )
    assert created.status == 201, created.body
    path: str = created.body["path"]
    return club.server.base_url + path


def _period_start(club: Club, match_id: str) -> datetime:
    """When the period in play started, as the server holds it."""
    started = club.get(f"/api/matches/{match_id}")["match"]["clock"]["period_started_at"]
    return datetime.fromisoformat(started)


def _assert_clock_runs_from(page: Page, started: datetime) -> None:
    """The page's clock shows the time since ``started`` (plus the periods before it),
    allowing for the seconds that pass while it is read and a late one-second tick."""
    played_before = page.evaluate("document.querySelector('.period').textContent")
    before = (datetime.now(UTC) - started).total_seconds()
    minutes, seconds = page.locator("#clock").inner_text().split(":")
    after = (datetime.now(UTC) - started).total_seconds()
    shown = int(minutes) * 60 + int(seconds)
    offset = 25 * 60 if played_before == "2nd half" else 0
    assert offset + before - 3 <= shown <= offset + after + 1, (shown, offset, before, after)


def test_the_clock_runs_from_the_period_start_on_a_fresh_open_and_after_a_reconnect(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Wanderers")
    log_event(club, match_id, "kick_off", recorded_at=ago(12 * 60 + 30))
    url = _share(club, match_id)
    context = phone(browser)
    viewer, cable = _watch_through_cable(context, url)
    _assert_clock_runs_from(viewer, _period_start(club, match_id))

    # A phone whose own clock is seven minutes fast still shows the server's match time.
    fast_context = phone(browser)
    fast = fast_context.new_page()
    fast.clock.install(time=datetime.now(UTC) + timedelta(minutes=7))
    fast.goto(url)
    fast.locator("#connection.live").wait_for()
    _assert_clock_runs_from(fast, _period_start(club, match_id))
    fast_context.close()

    cable.cut()
    context.set_offline(True)
    viewer.locator("#connection.down").wait_for()
    log_event(club, match_id, "half_time", minute=25)
    log_event(club, match_id, "kick_off", period=2, minute=25, recorded_at=ago(3 * 60 + 10))
    cable.up = True
    context.set_offline(False)
    viewer.locator("#connection.live").wait_for()
    viewer.get_by_text("2nd half", exact=True).wait_for()
    _assert_clock_runs_from(viewer, _period_start(club, match_id))
    context.close()


@contextmanager
def _frozen(server: Server) -> Iterator[None]:
    """The server process stopped dead: its connections stay open and say nothing, as a
    connection does that a phone's network or a proxy silently dropped."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def _run_clock_until(page: Page, selector: str, deadline: float = 30.0) -> None:
    """Move the page's clock on a second at a time until ``selector`` shows: the page's
    timers fire only as its clock moves, while its network is real."""
    give_up = time.monotonic() + deadline
    while page.locator(selector).count() == 0:
        assert time.monotonic() < give_up, f"{selector} never showed"
        page.clock.run_for(1000)
        with suppress(PlaywrightTimeout):
            page.locator(selector).wait_for(timeout=200)


def test_live_is_said_only_while_the_connection_answers(browser: Browser, server: Server) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Athletic")
    log_event(club, match_id, "kick_off", recorded_at=ago(60))
    context = phone(browser)
    viewer = context.new_page()
    sockets: list[WebSocket] = []

    def keep(socket: WebSocket) -> None:
        sockets.append(socket)

    viewer.on("websocket", keep)
    viewer.clock.install()
    viewer.goto(_share(club, match_id))
    viewer.locator("#connection.live").wait_for()
    viewer.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))

    # A quiet but working connection: the page's ping is answered, and it stays live
    # past the time it gives an answer to come back.
    viewer.evaluate("window.lineBefore = document.getElementById('connection')")
    with sockets[-1].expect_event("framereceived", lambda frame: "pong" in str(frame)):
        viewer.clock.run_for(16_000)
    # The page has read the pong once it has redrawn its connection line.
    viewer.wait_for_function("() => document.getElementById('connection') !== window.lineBefore")
    viewer.clock.run_for(12_000)
    assert viewer.locator("#connection").get_attribute("class") == "connection live"

    with _frozen(server):
        viewer.clock.run_for(30_000)
        connection = viewer.locator("#connection.down")
        connection.wait_for()
        assert connection.inner_text().startswith("Reconnecting…")
        assert re.search(r"last update \d\d:\d\d", connection.inner_text())

    log_event(club, match_id, "goal", minute=2, player_id=club.players["Mia"])
    _run_clock_until(viewer, "#connection.live")
    _wait_for_score(viewer, 1, 0, timeout=5000)
    context.close()


def _dashed(text: str) -> str:
    """A scoreline as the page writes it ("2\u20131"), with a plain hyphen ("2-1")."""
    return text.replace("\u2013", "-")


def _running_scores(page: Page) -> dict[str, str]:
    """Event id -> the score shown beside it on the timeline, hyphenated."""
    pairs = page.eval_on_selector_all(
        ".timeline [data-event-id]:has(.running)",
        "items => items.map(i => [i.dataset.eventId, i.querySelector('.running').textContent])",
    )
    return {event_id: _dashed(score) for event_id, score in pairs}


def test_the_timeline_tells_the_story_of_the_goals_and_full_time_ends_live(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Harriers")
    ade, mia = club.players["Ade"], club.players["Mia"]
    log_event(club, match_id, "kick_off", recorded_at=ago(40 * 60))
    first = log_event(club, match_id, "goal", minute=10, player_id=ade)
    theirs = log_event(club, match_id, "goal", side="opposition", minute=20)
    half_time = log_event(club, match_id, "half_time", minute=25)
    log_event(club, match_id, "kick_off", period=2, minute=25, recorded_at=ago(10 * 60))
    own_goal = log_event(club, match_id, "own_goal", side="opposition", period=2, minute=30)
    second = log_event(club, match_id, "goal", period=2, minute=33, player_id=ade)
    third = log_event(club, match_id, "goal", period=2, minute=35, player_id=mia)
    context = phone(browser)
    viewer = context.new_page()
    viewer.goto(_share(club, match_id))
    viewer.locator("#connection.live").wait_for()

    assert viewer.get_by_role("heading", level=1).count() == 1
    assert viewer.get_by_role("heading", level=1, name="Lions U10 v Harriers").count() == 1
    assert _score(viewer) == (4, 1)
    assert viewer.locator("#scorers [data-side=home] li").all_inner_texts() == [
        "9 Ade 10', 33'",
        "Own goal 30'",
        "10 Mia 35'",
    ]
    assert viewer.locator("#scorers [data-side=away] li").all_inner_texts() == ["Goal 20'"]
    assert _running_scores(viewer) == {
        first: "1-0",
        theirs: "1-1",
        half_time: "1-1",
        own_goal: "2-1",
        second: "3-1",
        third: "4-1",
    }
    assert _dashed(viewer.locator("#breaks").inner_text()) == "HT 1-1"
    ours = viewer.locator(".timeline .for-us").evaluate_all(
        "items => items.map(i => i.dataset.eventId)"
    )
    assert sorted(ours) == sorted([first, own_goal, second, third])
    assert viewer.locator(".timeline .for-them").get_attribute("data-event-id") == theirs
    # Every accessible name given in markup contains the words on screen.
    mismatched = viewer.evaluate(
        """() => [...document.querySelectorAll('[aria-label]')]
            .filter(e => !e.getAttribute('aria-label').toLowerCase()
                .includes(e.textContent.trim().toLowerCase()))
            .map(e => e.outerHTML)"""
    )
    assert mismatched == []
    pitchside.screenshot(viewer, "watch-page.png")

    log_event(club, match_id, "full_time", period=2, minute=50)
    viewer.locator("#connection.full-time").wait_for()
    assert viewer.locator("#connection").inner_text().startswith("Full-time")
    assert "Live" not in viewer.locator(".scoreboard").inner_text()

    # A link that shows initials names no scorer in full.
    initials = context.new_page()
    initials.goto(_share(club, match_id, names="initials"))
    initials.locator("#connection.full-time").wait_for()
    assert "Ade" not in initials.locator("main").inner_text()
    assert initials.locator("#scorers [data-side=home] li").first.inner_text().startswith("9 A")
    context.close()


def test_the_last_known_score_shows_when_the_page_opens_with_no_signal(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Rangers")
    log_event(club, match_id, "kick_off", recorded_at=ago(5 * 60))
    log_event(club, match_id, "goal", minute=3, player_id=club.players["Leo"])
    url = _share(club, match_id)
    context = phone(browser)
    viewer = context.new_page()
    viewer.goto(url)
    viewer.locator("#connection.live").wait_for()
    _wait_for_score(viewer, 1, 0, timeout=5000)
    # The page's own worker has kept its files once it controls the page.
    assert viewer.evaluate(CONTROLLED), "no service worker took control of the page"

    context.set_offline(True)
    viewer.reload()
    connection = viewer.locator("#connection.down")
    connection.wait_for()
    assert re.fullmatch(r"Offline · last update \d\d:\d\d", connection.inner_text())
    assert _score(viewer) == (1, 0)
    assert "14 Leo" in viewer.locator("#scorers").inner_text()

    log_event(club, match_id, "goal", side="opposition", minute=4)
    context.set_offline(False)
    viewer.locator("#connection.live").wait_for()
    _wait_for_score(viewer, 1, 1, timeout=5000)
    context.close()


def test_a_share_link_shows_no_internal_ids(server: Server) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "Albion")
    log_event(club, match_id, "kick_off")
    token = _share(club, match_id).split("#", 1)[1]

    watched = server.request("GET", "/api/watch", token=token)

    assert watched.status == 200, watched.body
    text = json.dumps(watched.body)
    assert "team_id" not in text
    assert club.team_id not in text
    assert watched.body["match"]["id"] == match_id  # the live channel's address needs it


def test_the_live_channel_answers_a_viewers_ping_and_ignores_other_chatter(
    server: Server,
) -> None:
    club = pitchside.club(server)
    match_id = pitchside.match(club, "United")
    log_event(club, match_id, "kick_off")
    token = _share(club, match_id).split("#", 1)[1]
    address = server.base_url.replace("http://", "ws://", 1) + f"/ws/match/{match_id}"

    with connect(address, open_timeout=10) as channel:
        channel.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
        assert json.loads(channel.recv(timeout=10))["type"] == "welcome"
        assert json.loads(channel.recv(timeout=10))["type"] == "changes"
        channel.send(json.dumps({"type": "chatter"}))
        channel.send(json.dumps({"type": "ping"}))
        assert json.loads(channel.recv(timeout=10)) == {"type": "pong"}


def test_an_away_match_reads_home_side_first(browser: Browser, server: Server) -> None:
    club = pitchside.club(server)
    body = {"id": str(uuid.uuid4()), "team_id": club.team_id, "opponent": "City"}
    body |= {"kickoff_at": "2026-11-21T10:00:00Z", "period_minutes": 25, "is_home": False}
    created = server.request("POST", "/api/matches", body, club.token)
    assert created.status == 201, created.body
    match_id = body["id"]
    log_event(club, match_id, "kick_off", recorded_at=ago(60))
    ours = log_event(club, match_id, "goal", minute=1, player_id=club.players["Jo"])
    context = phone(browser)
    viewer = context.new_page()
    viewer.goto(_share(club, match_id))
    viewer.locator("#connection.live").wait_for()

    assert viewer.get_by_role("heading", level=1, name="City v Lions U10").count() == 1
    assert _score(viewer) == (0, 1)
    assert _running_scores(viewer) == {ours: "0-1"}
    assert viewer.locator("#scorers [data-side=away] li").all_inner_texts() == ["6 Jo 1'"]
    assert viewer.locator("#scorers [data-side=home] li").count() == 0
    context.close()


def test_at_full_time_the_watch_page_is_a_report_that_prints_on_one_page(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    p = club.players
    card, sub = str(uuid.uuid4()), str(uuid.uuid4())
    # A busy morning: the report still fits one page.
    busy = ["shot_on_target", "save", "corner", "tackle", "shot_off_target", "interception"]
    extra: list[Logged] = [
        (kind, {"minute": n * 2 + 1, "player_id": None if kind == "corner" else p["Priya"]})
        for n, kind in enumerate(busy * 4)
    ]
    assist = {"player_id": p["Ade"], "assist_player_id": p["Mia"]}
    first: list[Logged] = [
        ("goal", {"minute": 10} | assist),
        ("yellow_card", {"id": card, "minute": 15, "player_id": p["Jo"]}),
        *extra[:12],
    ]
    change = {"player_id": p["Leo"], "replaced_player_id": p["Mia"]}
    second: list[Logged] = [
        ("substitution", {"id": sub, "minute": 40} | change),
        ("goal", {"side": "opposition", "minute": 44}),
        *extra[12:],
    ]
    starters = [(name, "starting") for name in ("Sam", "Priya", "Jo", "Ade", "Mia")]
    match_id = finished_match(club, "Wanderers", first, second, [*starters, ("Leo", "bench")])

    context = phone(browser)
    viewer = context.new_page()
    assert viewer.viewport_size == {"width": 390, "height": 844}
    viewer.goto(_share(club, match_id))
    viewer.locator("#report").wait_for()

    assert _score(viewer) == (1, 1)
    assert _dashed(viewer.locator("#breaks").inner_text()) == "HT 1-0"
    assert viewer.locator("#scorers [data-side=home] li").all_inner_texts() == [
        "9 Ade 10' (assist 10 Mia)"
    ]
    assert viewer.locator(f"#cards [data-event-id='{card}']").inner_text().startswith("15'")
    assert "6 Jo" in viewer.locator("#cards").inner_text()
    assert (
        "14 Leo on for 10 Mia"
        in viewer.locator(f"#substitutions [data-event-id='{sub}']").inner_text()
    )
    rows = {
        row.locator("th").inner_text(): row.locator("td.played").inner_text()
        for row in viewer.locator("#minutes .minutes-row").all()
    }
    assert rows == {
        "1 Sam": "50'",
        "4 Priya": "50'",
        "6 Jo": "50'",
        "9 Ade": "50'",
        "10 Mia": "40'",
        "14 Leo": "10'",
    }
    assert viewer.locator(".timeline .event").count() == 32
    # Readable on the phone: nothing wider than the screen.
    assert viewer.evaluate("document.documentElement.scrollWidth") <= 390
    pitchside.screenshot(viewer, "watch-report.png")

    viewer.emulate_media(media="print")
    viewer.set_viewport_size({"width": 794, "height": 1123})
    pitchside.screenshot(viewer, "watch-report-print.png")
    pdf = viewer.pdf(format="A4", print_background=False)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    context.close()


def _sending_the_result(
    browser: Browser, club: Club, opponent: str
) -> tuple[str, BrowserContext, Page]:
    """A match won 1-0 to full-time, open on the coach's phone with the "Send the result"
    sheet up; the match's id, the phone and its page."""
    goal: Logged = ("goal", {"minute": 10, "player_id": club.players["Ade"]})
    match_id = finished_match(club, opponent, [goal], [], [("Ade", "starting")])
    coach_context = phone(browser)
    coach = coach_context.new_page()
    sign_in(coach, club.server.base_url, club.email, club.team_name)
    open_match(coach, opponent)
    coach.locator(".match[data-status=finished]").wait_for()
    coach.get_by_role("button", name="Share", exact=True).click()
    coach.get_by_role("heading", name="Send the result").wait_for()
    return match_id, coach_context, coach


def test_after_full_time_the_coach_sends_a_result_link_that_opens_the_report(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id, coach_context, coach = _sending_the_result(browser, club, "Athletic")
    assert coach.get_by_label("The link lasts").input_value() == "8784"
    coach.get_by_label("Players are shown as").select_option("initials")
    pitchside.screenshot(coach, "coach-send-result.png")
    coach.get_by_role("button", name="Send the result").click()
    link = coach.locator("#sheet .share-url")
    link.wait_for()
    url = link.input_value()
    assert url.startswith(f"{server.base_url}/watch?t=")
    token = url.partition("?t=")[2]
    links = club.get(f"/api/matches/{match_id}/share-links")
    made = next(entry for entry in links if entry["token"] == token)
    assert made["names"] == "initials"
    lifetime = datetime.fromisoformat(made["expires_at"]) - datetime.fromisoformat(
        made["created_at"]
    )
    assert lifetime > timedelta(days=365)

    viewer_context = phone(browser)
    viewer = viewer_context.new_page()
    viewer.goto(url)
    viewer.locator("#report").wait_for()
    assert _score(viewer) == (1, 0)
    assert viewer.locator("#scorers [data-side=home] li").all_inner_texts() == ["9 A. 10'"]
    assert "Ade" not in viewer.locator("main").inner_text()
    coach_context.close()
    viewer_context.close()


def test_a_result_link_until_revoked_is_revoked_from_the_share_sheet(
    browser: Browser, server: Server
) -> None:
    club = pitchside.club(server)
    match_id, coach_context, coach = _sending_the_result(browser, club, "Wanderers")
    coach.get_by_label("The link lasts").select_option(label="Until I revoke it")
    coach.get_by_role("button", name="Send the result").click()
    coach.locator("#sheet .share-url").wait_for()
    url = coach.locator("#sheet .share-url").input_value()
    token = url.partition("?t=")[2]
    made = next(e for e in club.get(f"/api/matches/{match_id}/share-links") if e["token"] == token)
    assert made["expires_at"] is None
    listed = coach.locator(f"#sheet .live-links li[data-link-id='{made['id']}']")
    assert "until revoked" in listed.inner_text()

    viewer_context = phone(browser)
    viewer = viewer_context.new_page()
    viewer.goto(url)
    viewer.locator("#report").wait_for()
    assert "works until the coach revokes it" in viewer.locator(".footnote").inner_text()

    listed.get_by_role("button", name=re.compile("^Revoke")).click()
    coach.locator("#sheet .links [role=status]", has_text="Link revoked").wait_for()
    assert listed.count() == 0
    revoked = next(
        e for e in club.get(f"/api/matches/{match_id}/share-links") if e["id"] == made["id"]
    )
    assert revoked["revoked_at"] is not None

    opened_later = viewer_context.new_page()
    opened_later.goto(url)
    opened_later.get_by_role("heading", name="This link was revoked").wait_for()
    coach_context.close()
    viewer_context.close()
