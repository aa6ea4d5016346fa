"""A revoked device loses its live connections, on every instance, whichever way it was
revoked; the coach's other devices and the match's viewers keep watching."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.server import touchline
from tests.live.coach import Coach, coach
from tests.live.deployment import Deployment, deployment
from tests.live.viewer import Viewer, close_code, refusal, stop_watching, until_all_reach

pytestmark = pytest.mark.e2e

# On SQLite a revocation from another process (the CLI) is found by the hub's sweep,
# every ten seconds; on PostgreSQL its notice reaches every instance at once.
SWEEP_DEADLINE = 25.0


async def _revoke_while_watching(
    running: Deployment, revoke: Callable[[Coach], None], deadline: float
) -> None:
    a, b = running.servers[0], running.servers[-1]
    team = await asyncio.to_thread(coach, a)
    tablet_id, tablet_token = await asyncio.to_thread(a.phone, team.login_token, "tablet")
    tablet = dataclasses.replace(team, token=tablet_token, device_id=tablet_id)
    doomed = [Viewer(team.match_id, team.token) for _ in range(2)]
    await doomed[0].open(a.base_url)
    await doomed[1].open(b.base_url)
    survivors = [
        Viewer(team.match_id, tablet_token),
        Viewer(team.match_id, (await asyncio.to_thread(team.share))["token"]),
    ]
    tasks = [asyncio.ensure_future(s.follow(b.base_url)) for s in survivors]
    try:
        await until_all_reach(survivors, tasks, 1)
        await asyncio.to_thread(revoke, team)
        for viewer in doomed:
            assert viewer.connection is not None
            assert await close_code(viewer.connection, timeout=deadline) == 4401

        # Read before the push: its record can reach a survivor before the push returns.
        held = max(s.last for s in survivors)
        ids = await asyncio.to_thread(tablet.push, "kick_off")
        await until_all_reach(survivors, tasks, held + 1)
        for survivor in survivors:
            assert survivor.events() == ids
            assert survivor.closes == []
    finally:
        await stop_watching(doomed + survivors, tasks)

    for server in (a, b):
        assert await refusal(server.base_url, team.match_id, team.token) == 4401


def _through_the_api(team: Coach) -> None:
    path = f"/api/devices/{team.device_id}"
    revoked = team.server.request("DELETE", path, None, team.login_token)
    assert revoked.status == 204, revoked.body


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_revoking_a_device_closes_its_connections_on_every_instance(
    kind: str, tmp_path: Path
) -> None:
    with deployment(kind, tmp_path, instances=2) as running:
        asyncio.run(_revoke_while_watching(running, _through_the_api, deadline=5))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_device_revoked_from_the_command_line_is_closed_too(kind: str, tmp_path: Path) -> None:
    with deployment(kind, tmp_path, instances=2) as running:

        def through_the_cli(team: Coach) -> None:
            url = running.database_url
            result = touchline("devices", "revoke", team.device_id, "--database-url", url)
            assert result.returncode == 0, result.stderr

        deadline = 5 if kind == "postgresql" else SWEEP_DEADLINE
        asyncio.run(_revoke_while_watching(running, through_the_cli, deadline))
