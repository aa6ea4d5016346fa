"""``touchline serve --workers N``: several processes behind one port on PostgreSQL, each
fanning out what the others commit; refused on SQLite, whose live fan-out stays in one
process's memory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.databases import fresh_database
from tests.e2e.server import running_server, touchline
from tests.live.coach import coach
from tests.live.deployment import migrated_database
from tests.live.viewer import Viewer, stop_watching, until_all_reach

pytestmark = pytest.mark.e2e

VIEWERS = 8


def _workers_of(pid: int) -> list[int]:
    """The processes uvicorn started to serve: children of the server running its
    spawned-worker entry point."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # it ended meanwhile
        if parent == pid and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


def test_several_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        refused = touchline("serve", "--workers", "2", "--database-url", url)
    assert refused.returncode != 0
    assert "--workers 2 needs PostgreSQL" in refused.stderr
    assert not list(tmp_path.glob("*.db")), "nothing was created for a refused start"


def test_no_workers_is_refused(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        refused = touchline("serve", "--workers", "0", "--database-url", url)
    assert refused.returncode != 0
    assert "--workers must be 1 or more, not 0" in refused.stderr


def test_two_workers_serve_one_port_and_every_viewer_gets_each_event_once(
    tmp_path: Path,
) -> None:
    with (
        migrated_database("postgresql", tmp_path) as url,
        running_server(url, tmp_path / "serve.log", workers=2) as server,
    ):
        assert len(_workers_of(server.process.pid)) == 2
        team = coach(server)
        token = team.share()["token"]

        async def scenario() -> list[Viewer]:
            # Each connection is accepted by whichever worker takes it first.
            viewers = [Viewer(team.match_id, token) for _ in range(VIEWERS)]
            tasks = [asyncio.ensure_future(v.follow(server.base_url)) for v in viewers]
            try:
                await until_all_reach(viewers, tasks, 1)
                ids = await asyncio.to_thread(team.push, "kick_off")
                for _ in range(20):  # a request each, on new connections
                    ids += await asyncio.to_thread(team.push, "goal")
                head = server.request("GET", "/api/watch", None, token).body["head"]
                await until_all_reach(viewers, tasks, head)
            finally:
                await stop_watching(viewers, tasks)
            for viewer in viewers:
                viewer.assert_got_once(ids)
            return viewers

        viewers = asyncio.run(scenario())
    assert all(len(v.welcomes) == 1 for v in viewers)
