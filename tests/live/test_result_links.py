"""Result links: a share link a coach sends to the parents' group chat once the match is
over. The chat's preview reads the page without running it, so the server writes the score
into the page's Open Graph tags, saying no more of the children than the link allows."""

from __future__ import annotations

import urllib.request
import uuid
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.e2e.server import Server
from tests.live.coach import Coach, coach
from tests.live.deployment import Deployment

pytestmark = pytest.mark.e2e


class _Head(HTMLParser):
    """The page's title and meta tags, as a chat's preview reads them (values unescaped)."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[str(found.get("property") or found.get("name"))] = found.get("content") or ""
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _page(server: Server, path: str) -> tuple[str, _Head, dict[str, str]]:
    """A plain GET, as a chat's preview makes it: no script runs."""
    request = urllib.request.Request(server.base_url + path, headers={"User-Agent": "preview"})
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        headers = {name.lower(): value for name, value in response.headers.items()}
    head = _Head()
    head.feed(text)
    return text, head, headers


def _log(team: Coach, kind: str, **fields: Any) -> None:
    body = {"id": str(uuid.uuid4()), "kind": kind, "period": 1, "minute": 0} | fields
    created = team.server.request("POST", f"/api/matches/{team.match_id}/events", body, team.token)
    assert created.status == 201, created.body


def _play_to_full_time(team: Coach) -> None:
    sam = team.players[0]["id"]
    _log(team, "kick_off")
    _log(team, "goal", minute=10, player_id=sam)
    _log(team, "goal", side="opposition", minute=20)
    _log(team, "half_time", minute=45)
    _log(team, "kick_off", period=2, minute=45)
    _log(team, "goal", period=2, minute=60, player_id=sam)
    _log(team, "full_time", period=2, minute=90)


def test_a_result_link_previews_the_score_as_the_link_allows(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    _play_to_full_time(team)

    cases = [
        ("first_names", "9 Sam 10', 60'", ("Whitfield",)),
        ("initials", "9 S. W. 10', 60'", ("Sam", "Whitfield")),
        ("full_names", "9 Sam Whitfield 10', 60'", ()),
    ]
    for names, scorer, hidden in cases:
        token = team.share(names=names)["token"]
        text, head, headers = _page(server, f"/watch?t={token}")
        assert head.meta["og:title"] == "Reds U10 2\u20131 Blues (full-time)"
        assert head.title == "Reds U10 2\u20131 Blues (full-time) · Touchline"
        description = head.meta["og:description"]
        assert f"Reds U10 scorers: {scorer}." in description, description
        for part in hidden:
            assert part not in text
        assert headers["cache-control"] == "no-store"
        assert headers["referrer-policy"] == "no-referrer"
        # The page is still the watch page: its script reads the token from the query.
        assert '<script type="module" src="/js/watch.js"></script>' in text


def test_the_preview_escapes_what_a_coach_typed(served: Deployment) -> None:
    server = served.server
    team = coach(server, team_name='<b>&"')
    token = team.share()["token"]
    text, head, _ = _page(server, f"/watch?t={token}")
    assert head.meta["og:title"] == '<b>&" 0\u20130 Blues (not started)'
    assert "<b>" not in text
    assert 'content="&lt;b&gt;&amp;&quot; 0' in text


def test_no_preview_without_a_working_link(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    link = team.share()
    revoked = server.request("DELETE", f"/api/share-links/{link['id']}", None, team.token)
    assert revoked.status == 204
    for path in ("/watch", "/watch?t=forged", f"/watch?t={link['token']}"):
        text, head, headers = _page(server, path)
        assert "og:title" not in head.meta, path
        assert head.title == "Live match · Touchline"
        assert "Blues" not in text
        assert headers["cache-control"] == "no-cache"


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def test_a_coach_makes_a_result_link_that_lasts_a_season(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    _play_to_full_time(team)
    link = team.share(expires_in_hours=366 * 24)
    assert link["result_path"] == "/watch?t=" + link["token"]
    assert link["path"] == "/watch#" + link["token"]
    lifetime = _parse(link["expires_at"]) - _parse(link["created_at"])
    assert timedelta(days=366) - timedelta(minutes=1) < lifetime <= timedelta(days=366)
    _, head, _ = _page(server, link["result_path"])
    assert head.meta["og:title"] == "Reds U10 2\u20131 Blues (full-time)"
    watched = server.request("GET", "/api/watch", None, link["token"])
    assert watched.status == 200
    assert watched.body["link"]["expires_at"] == link["expires_at"]

    url = f"/api/matches/{team.match_id}/share-links"
    before = server.request("GET", url, None, team.token).body
    for bad in (0, 366 * 24 + 1, "8784", True, 24.5):
        refused = server.request("POST", url, {"expires_in_hours": bad}, team.token)
        assert refused.status == 422, (bad, refused.body)
        assert refused.body["error"]["field"] == "expires_in_hours", (bad, refused.body)
    assert server.request("GET", url, None, team.token).body == before

    # Revoked, it stops working at once, whatever time it had left.
    assert (
        server.request("DELETE", f"/api/share-links/{link['id']}", None, team.token).status == 204
    )
    assert server.request("GET", "/api/watch", None, link["token"]).status == 410
    _, head, _ = _page(server, link["result_path"])
    assert "og:title" not in head.meta


def test_a_result_link_can_last_until_the_coach_revokes_it(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    _play_to_full_time(team)
    link = team.share(expires_in_hours=None)
    assert link["expires_at"] is None
    listed = server.request("GET", f"/api/matches/{team.match_id}/share-links", None, team.token)
    assert [(each["id"], each["expires_at"]) for each in listed.body] == [(link["id"], None)]
    watched = server.request("GET", "/api/watch", None, link["token"])
    assert watched.status == 200
    assert watched.body["link"]["expires_at"] is None
    _, head, _ = _page(server, link["result_path"])
    assert head.meta["og:title"] == "Reds U10 2\u20131 Blues (full-time)"
    # The coach's plain Share finds it as the match's link that still works.
    current = server.request("GET", f"/api/matches/{team.match_id}/share", None, team.token)
    assert current.body["id"] == link["id"]

    revoked = server.request("DELETE", f"/api/share-links/{link['id']}", None, team.token)
    assert revoked.status == 204
    gone = server.request("GET", "/api/watch", None, link["token"])
    assert (gone.status, gone.body["error"]["code"]) == (410, "link_revoked")
