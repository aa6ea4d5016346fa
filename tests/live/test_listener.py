"""When an instance's LISTEN connection to PostgreSQL drops, it reconnects, and its viewers
get every change committed meanwhile from the log: no gap, no duplicate."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.databases import skip_or_fail_without_postgres
from tests.e2e.server import Server
from tests.live.coach import coach
from tests.live.deployment import Deployment, deployment
from tests.live.viewer import Viewer

pytestmark = pytest.mark.e2e

LISTENERS = text(
    "SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND query = 'LISTEN touchline_live'"
)


def _listener_pids(database_url: str) -> list[int]:
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return list(connection.execute(LISTENERS).scalars())
    finally:
        engine.dispose()


def _cut_listeners(database_url: str) -> int:
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            pids = list(connection.execute(LISTENERS).scalars())
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            return len(pids)
    finally:
        engine.dispose()


async def _watch_through_a_cut(running: Deployment) -> None:
    a, b = running.servers
    team = await asyncio.to_thread(coach, a)
    token = (await asyncio.to_thread(team.share))["token"]
    viewer = Viewer(team.match_id, token)
    await viewer.open(b.base_url)
    first = await asyncio.to_thread(team.push, "kick_off", "goal")
    await viewer.read_until(_head(a, token))

    assert await asyncio.to_thread(_cut_listeners, running.database_url) == 2
    # Pushed at once, while both instances are still reconnecting: these notices are lost,
    # and nothing else will wake the channel. Only the re-read on reconnect brings them.
    during = await asyncio.to_thread(team.push, "save", "tackle", "goal")
    await viewer.read_until(_head(a, token), timeout=20)

    viewer.assert_got_once(first + during)
    deadline = time.monotonic() + 20
    while len(await asyncio.to_thread(_listener_pids, running.database_url)) < 2:
        assert time.monotonic() < deadline, "the listeners did not come back"
        await asyncio.sleep(0.1)
    assert viewer.connection is not None
    await viewer.connection.close()


def _head(server: Server, token: str) -> int:
    summary = server.request("GET", "/api/watch", None, token)
    assert summary.status == 200, summary.body
    head: int = summary.body["head"]
    return head


def test_viewers_resume_from_the_log_after_the_listener_drops(tmp_path: Path) -> None:
    skip_or_fail_without_postgres()
    with deployment("postgresql", tmp_path, instances=2) as running:
        asyncio.run(_watch_through_a_cut(running))
