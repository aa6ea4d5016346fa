"""Share links: what a coach can do with them, what a holder of one can and cannot do, and
what a viewer sees of the children in the team."""

from __future__ import annotations

import asyncio
import json
import string
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update

from backend.accounts.credentials import LOGIN_SALT
from backend.db.engine import create_db_engine
from backend.db.models import ServerMeta, ShareLink, utcnow
from backend.sharing.tokens import SHARE_SALT
from backend.sync.cursors import CURSOR_SALT
from tests.e2e.server import Server, running_server
from tests.live.coach import coach
from tests.live.deployment import Deployment, deployment, migrated_database
from tests.live.viewer import Viewer, channel_url, close_code, refusal, until_all_reach

pytestmark = pytest.mark.e2e

OLD_KEY = "an old key that signed last season's links"
NEW_KEY = "the new key that signs from today onwards"


def _watch(server: Server, token: str) -> tuple[int, Any]:
    response = server.request("GET", "/api/watch", None, token)
    return response.status, response.body


def _refused_with(server: Server, match_id: str, token: str) -> int | None:
    return asyncio.run(refusal(server.base_url, match_id, token))


def test_a_coach_creates_lists_and_reuses_share_links(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    share = f"/api/matches/{team.match_id}/share"

    first = server.request("GET", share, None, team.token)
    again = server.request("GET", share, None, team.token)
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    link = first.body
    assert link["path"] == "/watch#" + link["token"]
    assert (link["match_id"], link["names"], link["revoked_at"]) == (
        team.match_id,
        "first_names",
        None,
    )
    assert _watch(server, link["token"])[0] == 200

    initials = team.share(names="initials", expires_in_hours=2)
    assert initials["id"] != link["id"]
    assert initials["names"] == "initials"
    lifetime = _parse(initials["expires_at"]) - _parse(initials["created_at"])
    assert timedelta(hours=2) - timedelta(minutes=1) < lifetime <= timedelta(hours=2)
    assert server.request("GET", share, None, team.token).body["id"] == initials["id"]

    listed = server.request("GET", f"/api/matches/{team.match_id}/share-links", None, team.token)
    assert listed.status == 200
    assert [entry["id"] for entry in listed.body] == [initials["id"], link["id"]]

    for bad in ({"expires_in_hours": 0}, {"expires_in_hours": 8785}, {"names": "nicknames"}):
        refused = server.request(
            "POST", f"/api/matches/{team.match_id}/share-links", bad, team.token
        )
        assert refused.status == 422, (bad, refused.body)

    stranger = coach(server)
    assert server.request("GET", share, None, stranger.token).status == 404
    gone = server.request("DELETE", f"/api/share-links/{link['id']}", None, stranger.token)
    assert gone.status == 404
    assert _watch(server, link["token"])[0] == 200


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


async def _revoke_while_watched(running: Deployment) -> None:
    a, b = running.servers[0], running.servers[-1]
    team = await asyncio.to_thread(coach, a)
    doomed = await asyncio.to_thread(team.share)
    kept = await asyncio.to_thread(team.share)
    viewers = [Viewer(team.match_id, doomed["token"]) for _ in range(2)]
    await viewers[0].open(a.base_url)
    await viewers[1].open(b.base_url)
    survivor = Viewer(team.match_id, kept["token"])
    task = asyncio.ensure_future(survivor.follow(b.base_url))
    try:
        await until_all_reach([survivor], [task], 1)
        revoked = await asyncio.to_thread(
            a.request, "DELETE", f"/api/share-links/{doomed['id']}", None, team.token
        )
        assert revoked.status == 204
        for viewer in viewers:
            assert viewer.connection is not None
            assert await close_code(viewer.connection, timeout=5) == 4410

        # Read before the push: the kick-off can reach the survivor before the push returns.
        held = survivor.last
        ids = await asyncio.to_thread(team.push, "kick_off")
        await until_all_reach([survivor], [task], held + 1)
        assert survivor.events() == ids
        assert survivor.closes == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if survivor.connection is not None:
            await survivor.connection.close()

    for server in (a, b):
        status, body = await asyncio.to_thread(_watch, server, doomed["token"])
        assert (status, body["error"]["code"]) == (410, "link_revoked")
        assert await refusal(server.base_url, team.match_id, doomed["token"]) == 4410
    listed = await asyncio.to_thread(
        a.request, "GET", f"/api/matches/{team.match_id}/share-links", None, team.token
    )
    revoked_at = {entry["id"]: entry["revoked_at"] for entry in listed.body}
    assert revoked_at[doomed["id"]] is not None
    assert revoked_at[kept["id"]] is None


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_revoking_a_link_drops_its_viewers_on_every_instance(kind: str, tmp_path: Path) -> None:
    with deployment(kind, tmp_path, instances=2) as running:
        asyncio.run(_revoke_while_watched(running))


def test_a_tampered_token_is_refused(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    middle = len(token) // 2
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    for position in (0, middle, len(token) - 1):
        # Flip the top bit of the character's six: the last character of a signature
        # carries data only in its top bits, so changing a low one could decode the same.
        flipped = alphabet[alphabet.index(token[position]) ^ 0b100000]
        tampered = token[:position] + flipped + token[position + 1 :]
        status, body = _watch(server, tampered)
        assert (status, body["error"]["code"]) == (401, "invalid_token"), position
        assert _refused_with(server, team.match_id, tampered) == 4401
    assert _watch(server, token)[0] == 200


def test_a_token_signed_for_another_purpose_is_refused(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    link = team.share()
    link_id = uuid.UUID(link["id"]).hex

    # With no keys configured, the server signs with the key it keeps in the database.
    engine = create_db_engine(served.database_url)
    try:
        with engine.connect() as connection:
            key = connection.scalar(select(ServerMeta.signing_key))
    finally:
        engine.dispose()
    forged = URLSafeSerializer(key, salt=SHARE_SALT).dumps(link_id)
    assert _watch(server, forged)[0] == 200, "the server's key is not the database's"
    for salt in (LOGIN_SALT, CURSOR_SALT):
        wrong = URLSafeSerializer(key, salt=salt).dumps(link_id)
        assert _watch(server, wrong)[0] == 401, salt
        assert _refused_with(server, team.match_id, wrong) == 4401, salt


def test_an_expired_link_is_refused(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    link = server.request("GET", f"/api/matches/{team.match_id}/share", None, team.token).body
    assert _watch(server, link["token"])[0] == 200

    engine = create_db_engine(served.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(ShareLink)
                .where(ShareLink.id == uuid.UUID(link["id"]))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
    finally:
        engine.dispose()

    status, body = _watch(server, link["token"])
    assert (status, body["error"]["code"]) == (410, "link_expired")
    assert _refused_with(server, team.match_id, link["token"]) == 4410
    renewed = server.request("GET", f"/api/matches/{team.match_id}/share", None, team.token)
    assert renewed.body["id"] != link["id"]


def test_links_survive_a_key_rotation_until_their_key_is_dropped(tmp_path: Path) -> None:
    # Keys never touch the database, so SQLite stands for both here.
    with migrated_database("sqlite", tmp_path) as database_url:
        keys = {"TOUCHLINE_SECRET_KEYS": OLD_KEY}
        with running_server(database_url, tmp_path / "old.log", env=keys) as server:
            team = coach(server)
            old_link = team.share()
            assert _watch(server, old_link["token"])[0] == 200
        port = int(server.base_url.rsplit(":", 1)[1])

        keys = {"TOUCHLINE_SECRET_KEYS": f"{OLD_KEY},{NEW_KEY}"}
        with running_server(database_url, tmp_path / "both.log", port=port, env=keys):
            assert _watch(server, old_link["token"])[0] == 200
            new_link = team.share()
            new_token = new_link["token"]
            assert URLSafeSerializer(NEW_KEY, salt=SHARE_SALT).loads(new_token)
            with pytest.raises(Exception, match="does not match"):
                URLSafeSerializer(OLD_KEY, salt=SHARE_SALT).loads(new_token)

        keys = {"TOUCHLINE_SECRET_KEYS": NEW_KEY}
        with running_server(database_url, tmp_path / "new.log", port=port, env=keys):
            assert _watch(server, old_link["token"])[0] == 401
            assert _refused_with(server, team.match_id, old_link["token"]) == 4401
            assert _watch(server, new_token)[0] == 200


def test_a_share_token_can_only_watch(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    link = team.share()
    token = link["token"]
    event = {"id": str(uuid.uuid4()), "kind": "kick_off", "period": 1, "minute": 0}
    sync = {
        "protocol": 1,
        "device_id": team.device_id,
        "mutations": [{"id": 1, "name": "add_event", "args": event | {"match_id": team.match_id}}],
    }
    attempts = [
        ("POST", "/sync", sync),
        ("POST", f"/api/matches/{team.match_id}/events", event),
        ("GET", "/api/matches", None),
        ("GET", f"/api/matches/{team.match_id}", None),
        ("GET", f"/api/matches/{team.match_id}/share", None),
        ("POST", f"/api/matches/{team.match_id}/share-links", {}),
        ("DELETE", f"/api/share-links/{link['id']}", None),
    ]
    for method, path, body in attempts:
        response = server.request(method, path, body, token)
        assert response.status == 401, (method, path, response.body)
    status, summary = _watch(server, token)
    assert (status, summary["events"], summary["match"]["status"]) == (200, [], "scheduled")


def test_a_share_token_opens_only_its_own_match(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    other = server.request(
        "POST",
        "/api/matches",
        {"team_id": team.team_id, "opponent": "Greens", "kickoff_at": "2026-11-29T10:00:00Z"},
        team.token,
    )
    assert other.status == 201
    assert _refused_with(server, other.body["id"], token) == 4404
    assert _refused_with(server, str(uuid.uuid4()), token) == 4404
    assert _refused_with(server, team.match_id, token) is None


async def _everything_sent(server: Server, match_id: str, token: str) -> str:
    """The text of the welcome and the catch-up a viewer gets, as sent on the wire."""
    async with websockets.connect(channel_url(server.base_url, match_id)) as connection:
        await connection.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
        welcome = await asyncio.wait_for(connection.recv(), 10)
        catch_up = await asyncio.wait_for(connection.recv(), 10)
    assert '"type":"welcome"' in str(welcome)
    assert '"type":"changes"' in str(catch_up)
    return f"{welcome!s}\n{catch_up!s}"


def test_viewers_see_names_only_as_the_link_allows_and_never_notes(served: Deployment) -> None:
    server = served.server
    players = ((4, "Ola", "Ola Nwosu-Berg"), (9, "Sam", "Sam Whitfield"))
    team = coach(server, players)
    note = "left early, ask about the ankle"
    ids = team.push("kick_off", "goal", note=note)
    stored = server.request("GET", f"/api/matches/{team.match_id}/events", None, team.token)
    assert note in json.dumps(stored.body), "the coach's note was not stored"
    ola, sam = (player["id"] for player in team.players)
    lineup = [{"player_id": ola, "role": "starting"}, {"player_id": sam, "role": "bench"}]
    put = server.request(
        "PUT", f"/api/matches/{team.match_id}/lineup", {"players": lineup}, team.token
    )
    assert put.status == 200, put.body

    default = server.request("GET", f"/api/matches/{team.match_id}/share", None, team.token).body
    cases = [
        (default["token"], ["Ola", "Sam"], ("Nwosu", "Whitfield")),
        (team.share(names="initials")["token"], ["O. N.", "S. W."], ("Nwosu", "Whitfield")),
        (team.share(names="full_names")["token"], ["Ola Nwosu-Berg", "Sam Whitfield"], ()),
    ]
    for token, names, hidden in cases:
        status, summary = _watch(server, token)
        assert status == 200
        assert [p["name"] for p in summary["players"]] == names
        # The lineup, for counting minutes played: ids and roles, never a name.
        assert summary["lineup"] == lineup
        assert [(e["id"], "note" in e["data"]) for e in summary["events"]] == [
            (ids[0], False),
            (ids[1], False),
        ]
        sent = asyncio.run(_everything_sent(server, team.match_id, token))
        assert all(f'"name":"{name}"' in sent for name in names)
        for text in (json.dumps(summary), sent):
            assert note not in text
            for part in hidden:
                assert part not in text
