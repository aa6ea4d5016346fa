"""Goal alerts end to end: real servers, a real push service on loopback that checks the
VAPID signature and decrypts every payload with the browser's own key."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from backend.vapid_keys import generate_private_key, public_key
from tests.e2e.server import Server, running_server
from tests.live.coach import Coach, coach
from tests.live.deployment import migrated_database
from tests.push.push_service import Browser, push_service

pytestmark = pytest.mark.e2e

VAPID_KEY = generate_private_key()
DEADLINE = 20.0


@contextmanager
def pushing_servers(kind: str, directory: Path, instances: int) -> Iterator[list[Server]]:
    env = {"TOUCHLINE_VAPID_PRIVATE_KEY": VAPID_KEY, "TOUCHLINE_ENVIRONMENT": "test"}
    with migrated_database(kind, directory) as database_url, ExitStack() as stack:
        yield [
            stack.enter_context(
                running_server(database_url, directory / f"server-{n}.log", env=env)
            )
            for n in range(instances)
        ]


def until(condition: Callable[[], bool], what: str) -> None:
    give_up = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def sent(servers: list[Server], outcome: str = "sent") -> float:
    """Alerts counted with ``outcome`` by all instances together."""
    total = 0.0
    for server in servers:
        with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(f'touchline_push_notices_total{{outcome="{outcome}"}}'):
                    total += float(line.split()[-1])
    return total


def subscribe(server: Server, link: dict[str, str], browser: Browser, **choices: bool) -> None:
    answer = server.request(
        "POST", "/api/watch/push", {"subscription": browser.subscription()} | choices,
        link["token"],
    )  # fmt: skip
    assert answer.status == 200, answer.body


def texts(browser: Browser) -> list[str]:
    return [f"{m['title']} | {m['body']}" for m in browser.received]


def goal(team: Coach, server: Server, minute: int) -> str:
    team.server = server
    team.mutations += 1
    event_id = str(uuid.uuid4())
    mutation = {
        "id": team.mutations,
        "name": "add_event",
        "args": {
            "id": event_id, "match_id": team.match_id, "kind": "goal", "period": 1,
            "minute": minute, "player_id": team.players[0]["id"],
        },
    }  # fmt: skip
    response = server.request(
        "POST", "/sync",
        {"protocol": 1, "device_id": team.device_id, "mutations": [mutation], "pull": False},
        team.token,
    )  # fmt: skip
    assert response.status == 200, response.body
    assert response.body["results"][0]["verdict"] == "applied", response.body
    return event_id


def test_every_goal_arrives_once_in_order_across_two_instances(tmp_path: Path) -> None:
    with (
        push_service(public_key(VAPID_KEY)) as service,
        pushing_servers("postgresql", tmp_path, 2) as servers,
    ):
        team = coach(servers[0], players=((7, "Zara", "Zara Okafor"),))
        link = team.share()
        family = [service.browser() for _ in range(3)]
        for n, browser in enumerate(family):
            subscribe(servers[n % 2], link, browser)
        team.push("kick_off")
        goals = [goal(team, servers[n % 2], minute) for n, minute in enumerate((12, 34, 51))]

        until(lambda: all(len(b.received) == 3 for b in family), "three goals each")
        until(lambda: sent(servers) == 9, "both instances done")
        expected = [
            "GOAL! | Reds U10 1\u20130 Blues (Zara, 12')",
            "GOAL! | Reds U10 2\u20130 Blues (Zara, 34')",
            "GOAL! | Reds U10 3\u20130 Blues (Zara, 51')",
        ]
        assert [texts(b) for b in family] == [expected] * 3
        assert [m["tag"] for m in family[0].received] == goals
        assert service.refused == []

        deleted = servers[1].request("DELETE", f"/api/events/{goals[1]}", None, team.token)
        assert deleted.status in (200, 204), deleted.body
        until(lambda: all(len(b.received) == 4 for b in family), "the correction")
        assert family[0].received[-1] == {
            "title": "Goal disallowed",
            "body": "Reds U10 2\u20130 Blues",
            "tag": goals[1],
            "url": f"/watch#{link['token']}",
        }
        until(lambda: sent(servers) == 12, "both instances done")
        assert all(len(b.received) == 4 for b in family)


def test_a_revoked_link_stops_alerts_and_a_410_removes_the_subscription(
    tmp_path: Path,
) -> None:
    with (
        push_service(public_key(VAPID_KEY)) as service,
        pushing_servers("sqlite", tmp_path, 1) as servers,
    ):
        [server] = servers
        team = coach(server, players=((7, "Zara", "Zara Okafor"),))
        revoked, kept = team.share(), team.share()
        on_revoked, on_kept, leaving = service.browser(), service.browser(), service.browser()
        subscribe(server, revoked, on_revoked)
        subscribe(server, kept, on_kept)
        subscribe(server, kept, leaving)
        team.push("kick_off")
        goal(team, server, 10)
        until(lambda: len(on_revoked.received) == len(on_kept.received) == 1, "first goal")

        revoking = server.request("DELETE", f"/api/share-links/{revoked['id']}", None, team.token)
        assert revoking.status == 204
        leaving.gone = True
        goal(team, server, 20)
        until(lambda: len(on_kept.received) == 2, "second goal on the kept link")
        until(lambda: sent([server], "failed") == 1, "the 410 counted")
        assert len(on_revoked.received) == 1
        assert len(leaving.received) == 1
        again = server.request(
            "DELETE", "/api/watch/push", {"endpoint": leaving.endpoint}, kept["token"]
        )
        assert again.status == 204
        goal(team, server, 30)
        until(lambda: len(on_kept.received) == 3, "third goal")
        assert sent([server], "failed") == 1, "a deleted subscription is not tried again"


def test_a_push_service_that_answers_503_gets_the_alert_again_later(tmp_path: Path) -> None:
    with (
        push_service(public_key(VAPID_KEY)) as service,
        pushing_servers("sqlite", tmp_path, 1) as servers,
    ):
        team = coach(servers[0], players=((7, "Zara", "Zara Okafor"),))
        phone = service.browser()
        phone.unavailable = 2
        subscribe(servers[0], team.share(), phone)
        team.push("kick_off")
        goal(team, servers[0], 10)
        until(lambda: sent(servers) == 1, "the goal sent on its third try")
        assert texts(phone) == ["GOAL! | Reds U10 1\u20130 Blues (Zara, 10')"]
        assert (phone.unavailable, sent(servers, "failed")) == (0, 0)

        phone.unavailable = 3
        goal(team, servers[0], 20)
        until(lambda: sent(servers, "failed") == 1, "the goal given up after three tries")
        assert phone.unavailable == 0
        assert len(phone.received) == 1
