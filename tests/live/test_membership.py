"""A coach removed from a team loses their live channels on its matches, on every
instance, while the team's other coaches keep watching; a deleted team's channels all
close, its families' share links included."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from tests.live.coach import coach
from tests.live.deployment import Deployment, deployment
from tests.live.viewer import Viewer, close_code, refusal, stop_watching, until_all_reach

pytestmark = pytest.mark.e2e

# On SQLite the other instance finds the removal by the hub's sweep, every ten seconds; on
# PostgreSQL its notice reaches every instance at once.
SWEEP_DEADLINE = 25.0


async def _remove_while_watching(running: Deployment, deadline: float) -> None:
    a, b = running.servers[0], running.servers[-1]
    team = await asyncio.to_thread(coach, a)
    helper_login = await asyncio.to_thread(a.sign_up)
    _, helper_token = await asyncio.to_thread(a.phone, helper_login)
    invite = a.request("POST", f"/api/teams/{team.team_id}/invites", {}, team.token)
    joined = a.request("POST", "/api/invites/accept", {"token": invite.body["token"]}, helper_token)
    assert joined.status == 200, joined.body
    helper_id = a.request("GET", "/api/me", None, helper_token).body["id"]
    doomed = [Viewer(team.match_id, helper_token) for _ in range(2)]
    await doomed[0].open(a.base_url)
    await doomed[1].open(b.base_url)
    survivors = [Viewer(team.match_id, team.token)]
    tasks = [asyncio.ensure_future(s.follow(b.base_url)) for s in survivors]
    try:
        await until_all_reach(survivors, tasks, 1)
        path = f"/api/teams/{team.team_id}/members/{helper_id}"
        removed = await asyncio.to_thread(a.request, "DELETE", path, None, team.token)
        assert removed.status == 204, removed.body
        for viewer in doomed:
            assert viewer.connection is not None
            assert await close_code(viewer.connection, timeout=deadline) == 4403

        # Read before the push: its record can reach a survivor before the push returns.

        held = max(s.last for s in survivors)

        ids = await asyncio.to_thread(team.push, "kick_off")

        await until_all_reach(survivors, tasks, held + 1)
        assert survivors[0].events() == ids
        assert survivors[0].closes == []
    finally:
        await stop_watching(doomed + survivors, tasks)

    for server in (a, b):
        assert await refusal(server.base_url, team.match_id, helper_token) == 4404


async def _delete_while_watching(running: Deployment, deadline: float) -> None:
    a, b = running.servers[0], running.servers[-1]
    team = await asyncio.to_thread(coach, a)
    link = await asyncio.to_thread(team.share)
    device = Viewer(team.match_id, team.token)
    family = Viewer(team.match_id, link["token"])
    await device.open(a.base_url)
    await family.open(b.base_url)
    try:
        deleted = await asyncio.to_thread(
            a.request, "DELETE", f"/api/teams/{team.team_id}", None, team.token
        )
        assert deleted.status == 204, deleted.body
        for viewer, code in ((device, 4403), (family, 4410)):
            assert viewer.connection is not None
            assert await close_code(viewer.connection, timeout=deadline) == code
    finally:
        await stop_watching([device, family], [])

    for server in (a, b):
        assert await refusal(server.base_url, team.match_id, link["token"]) == 4410


@pytest.mark.parametrize(
    "lose",
    [_remove_while_watching, _delete_while_watching],
    ids=["a_removed_coach", "a_deleted_team"],
)
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_losing_a_team_closes_the_channels_on_every_instance(
    kind: str, lose: Callable[[Deployment, float], Coroutine[Any, Any, None]], tmp_path: Path
) -> None:
    with deployment(kind, tmp_path, instances=2) as running:
        deadline = 5 if kind == "postgresql" else SWEEP_DEADLINE
        asyncio.run(lose(running, deadline))
