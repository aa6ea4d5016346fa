"""Goal alerts on the watch page in Chromium: the "Notify me" flow up to the browser's
subscription and the server's, and the service worker showing the alert a push brings.

Headless Chromium cannot register with a real push service (no network, and its push
registration is refused), so the page's ``PushManager`` hands out a subscription to the
test's own push service on loopback instead; everything after that is real: the server
sends through that service, which checks the VAPID signature and decrypts the payload
with the subscription's key, and DevTools delivers the very payload to the page's service
worker (``ServiceWorker.deliverPushMessage``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page

from backend.vapid_keys import generate_private_key, public_key
from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline
from tests.live.coach import coach
from tests.push.push_service import Browser as PushBrowser
from tests.push.push_service import PushService, push_service

pytestmark = pytest.mark.e2e

VAPID_KEY = generate_private_key()

# The browser's part, standing in for its registration with a push service.
LOOPBACK_SUBSCRIPTION = """
(subscription) => {
  let subscribed = null;
  const made = {
    endpoint: subscription.endpoint,
    options: { applicationServerKey: null, userVisibleOnly: true },
    toJSON: () => subscription,
    unsubscribe: async () => { subscribed = null; return true; },
  };
  PushManager.prototype.subscribe = async function (options) {
    made.options = { ...options, applicationServerKey: options.applicationServerKey.buffer };
    subscribed = made;
    return made;
  };
  PushManager.prototype.getSubscription = async function () { return subscribed; };
}
"""


@pytest.fixture(scope="module")
def pushing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, PushService]]:
    directory = tmp_path_factory.mktemp("push")
    with (
        push_service(public_key(VAPID_KEY)) as service,
        fresh_database("sqlite", directory) as database_url,
    ):
        upgraded = touchline("db", "upgrade", "--database-url", database_url)
        assert upgraded.returncode == 0, upgraded.stderr
        env = {"TOUCHLINE_VAPID_PRIVATE_KEY": VAPID_KEY}
        with running_server(database_url, directory / "server.log", env=env) as server:
            yield server, service


def _until(page: Page, condition: Any, what: str, deadline: float = 20.0) -> None:
    """Wait on ``condition`` with a deadline; waiting through the page lets Playwright
    deliver the DevTools events meanwhile."""
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting: {what}")
        page.wait_for_timeout(50)


def _watch(browser: Browser, server: Server, url: str, subscription: PushBrowser) -> Page:
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=server.base_url)
    page = context.new_page()
    page.add_init_script(f"({LOOPBACK_SUBSCRIPTION})({json.dumps(subscription.subscription())})")
    page.goto(server.base_url + url)
    page.locator("#connection.live").wait_for()
    page.evaluate("navigator.serviceWorker.ready")
    return page


def _watch_registration(cdp: CDPSession, page: Page) -> str:
    registrations: dict[str, str] = {}
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.update(
            {r["scopeURL"]: r["registrationId"] for r in event["registrations"]}
        ),
    )
    cdp.send("ServiceWorker.enable")
    scope = page.url.split("#")[0]
    _until(page, lambda: scope in registrations, "the watch page's service worker")
    return registrations[scope]


def _notifications(page: Page) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = page.evaluate(
        """navigator.serviceWorker.getRegistration("/watch")
             .then((r) => r.getNotifications())
             .then((all) => all.map((n) => ({ title: n.title, body: n.body, tag: n.tag,
                                               url: n.data.url })))"""
    )
    return shown


def test_notify_me_subscribes_and_a_pushed_goal_shows_as_a_notification(
    browser: Browser, pushing: tuple[Server, PushService]
) -> None:
    server, service = pushing
    team = coach(server, players=((7, "Zara", "Zara Okafor"),))
    link = team.share()
    phone = service.browser()
    page = _watch(browser, server, link["path"], phone)

    page.get_by_label("Cards").check()
    page.get_by_role("button", name="Notify me").click()
    page.get_by_role("button", name="Stop alerts").wait_for()

    [goal] = team.push("kick_off", "goal")[1:]
    _until(page, lambda: len(phone.received) == 1, "the goal at the push service")
    [message] = phone.received
    assert (message["title"], message["tag"]) == ("GOAL!", goal)

    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.base_url,
            "registrationId": _watch_registration(cdp, page),
            "data": json.dumps(message),
        },
    )
    _until(page, lambda: _notifications(page) != [], "the notification")
    assert _notifications(page) == [
        {
            "title": "GOAL!",
            "body": message["body"],
            "tag": goal,
            "url": link["path"],
        }
    ]
    assert message["body"] == "Reds U10 1\u20130 Blues (Zara, 2')"

    page.get_by_role("button", name="Stop alerts").click()
    page.get_by_role("button", name="Notify me").wait_for()
    team.push("goal")
    later = service.browser()
    other = _watch(browser, server, link["path"], later)
    other.get_by_role("button", name="Notify me").click()
    other.get_by_role("button", name="Stop alerts").wait_for()
    team.push("goal")
    _until(other, lambda: len(later.received) == 1, "the next goal to the browser still subscribed")
    assert len(phone.received) == 1


def test_without_push_support_an_iphone_is_told_to_add_the_page_to_the_home_screen(
    browser: Browser, pushing: tuple[Server, PushService]
) -> None:
    server, _ = pushing
    link = coach(server).share()
    context = browser.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
    )
    page = context.new_page()
    page.add_init_script("delete window.PushManager")
    page.goto(server.base_url + link["path"])
    page.locator("#connection.live").wait_for()
    assert "Add to Home Screen" in page.locator("#notify .hint").inner_text()
    assert page.get_by_role("button", name="Notify me").count() == 0
    context.close()
