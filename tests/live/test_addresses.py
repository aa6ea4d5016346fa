"""One client address holds at most ``TOUCHLINE_MAX_LIVE_PER_ADDRESS`` live connections on
an instance: the next is answered 429 before the upgrade, and a connection that ends
makes room again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from tests.e2e.server import Server, running_server
from tests.live.coach import coach
from tests.live.deployment import migrated_database
from tests.live.viewer import Viewer, channel_url

pytestmark = pytest.mark.e2e

CAP = 3


async def _refused_status(url: str) -> tuple[int, str | None, dict[str, object]]:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(url)
    response = refused.value.response
    return response.status_code, response.headers.get("Retry-After"), json.loads(response.body)


async def _until_admitted(url: str, deadline: float = 15.0) -> ClientConnection:
    """A connection, once the server has let go of one that ended (it counts a connection
    until its handler is done)."""
    async with asyncio.timeout(deadline):
        while True:
            try:
                return await websockets.connect(url)
            except InvalidStatus as refused:
                assert refused.response.status_code == 429
            await asyncio.sleep(0.05)


async def _fill_and_refuse(server: Server) -> None:
    team = await asyncio.to_thread(coach, server)
    token = (await asyncio.to_thread(team.share))["token"]
    url = channel_url(server.base_url, team.match_id)
    viewers = [Viewer(team.match_id, token) for _ in range(CAP - 1)]
    for viewer in viewers:
        await viewer.open(server.base_url)
        await viewer.read_until(1)
    # A connection that has not said hello yet holds a place too.
    silent = await websockets.connect(url)
    try:
        status, retry_after, body = await _refused_status(url)
        assert (status, retry_after) == (429, "30")
        assert body["error"]["code"] == "rate_limited"  # type: ignore[index]

        assert viewers[0].connection is not None
        await viewers[0].connection.close()
        replacement = await _until_admitted(url)
        await replacement.close()

        # The watchers still in place keep watching.
        ids = await asyncio.to_thread(team.push, "kick_off")
        await viewers[1].read_until(viewers[1].last + 1)
        assert ids[0] in viewers[1].events()
    finally:
        await silent.close()
        await asyncio.gather(*(v.connection.close() for v in viewers if v.connection))


@pytest.mark.parametrize("kind", ["sqlite"])
def test_one_address_holds_a_bounded_number_of_live_connections(kind: str, tmp_path: Path) -> None:
    # The count is kept in each process; the database plays no part, so SQLite stands
    # for both.
    with migrated_database(kind, tmp_path) as database_url:
        env = {"TOUCHLINE_MAX_LIVE_PER_ADDRESS": str(CAP)}
        with running_server(database_url, tmp_path / "server.log", env=env) as server:
            asyncio.run(_fill_and_refuse(server))
