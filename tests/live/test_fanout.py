"""Fan-out: every viewer of a match gets each change once and in order, on whichever server
instance it is connected to, and resumes without a gap or a duplicate after losing one."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.e2e.server import Server
from tests.live.coach import Coach, coach
from tests.live.deployment import Deployment, deployment
from tests.live.viewer import Viewer, latency_summary, until_all_reach

pytestmark = pytest.mark.e2e

VIEWERS_PER_INSTANCE = 3


def _head(server: Server, token: str) -> int:
    summary = server.request("GET", "/api/watch", None, token)
    assert summary.status == 200, summary.body
    head: int = summary.body["head"]
    return head


async def _push(team: Coach, pushed_at: dict[str, float], *kinds: str) -> list[str]:
    sent = time.monotonic()
    ids = await asyncio.to_thread(team.push, *kinds)
    pushed_at.update(dict.fromkeys(ids, sent))
    return ids


async def _play(team: Coach, pushed_at: dict[str, float], singles: int) -> list[str]:
    """``singles`` events pushed one per request, then three batches of four."""
    ids = []
    for _ in range(singles):
        ids += await _push(team, pushed_at, "goal")
    for _ in range(3):
        ids += await _push(team, pushed_at, "foul", "save", "tackle", "goal")
    return ids


async def _watch_and_lose_an_instance(running: Deployment) -> None:
    a, b = running.servers[0], running.servers[-1]
    team = await asyncio.to_thread(coach, a)
    token = (await asyncio.to_thread(team.share))["token"]
    on_a = [Viewer(team.match_id, token) for _ in range(VIEWERS_PER_INSTANCE)]
    on_b = [Viewer(team.match_id, token) for _ in range(VIEWERS_PER_INSTANCE)]
    viewers = on_a + on_b
    tasks = [asyncio.ensure_future(v.follow(a.base_url)) for v in on_a]
    # B's viewers fall back to A when their connection drops.
    tasks += [asyncio.ensure_future(v.follow(b.base_url, a.base_url)) for v in on_b]
    try:
        await until_all_reach(viewers, tasks, _head(a, token))
        pushed_at: dict[str, float] = {}
        ids = await _push(team, pushed_at, "kick_off")
        ids += await _play(team, pushed_at, singles=20)
        before_loss = dict(pushed_at)

        if running.kind == "postgresql":
            b.process.kill()
        else:
            for viewer in on_b:
                assert viewer.connection is not None
                viewer.connection.transport.abort()
        ids += await _play(team, pushed_at, singles=20)
        await until_all_reach(viewers, tasks, _head(a, token))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for viewer in viewers:
            if viewer.connection is not None:
                await viewer.connection.close()

    for viewer in viewers:
        viewer.assert_got_once(ids)
        assert not any(w["reset"] for w in viewer.welcomes)
    assert all(len(v.welcomes) == 1 for v in on_a)
    assert all(len(v.welcomes) == 2 and v.closes == [1006] for v in on_b)
    where = "another instance" if running.kind == "postgresql" else "the same instance"
    print()
    print(latency_summary(f"{running.kind}: viewers on the pushing instance", on_a, pushed_at))
    print(latency_summary(f"{running.kind}: viewers on {where}", on_b, before_loss))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_viewers_on_every_instance_get_each_event_once_and_survive_losing_theirs(
    kind: str, tmp_path: Path
) -> None:
    with deployment(kind, tmp_path, instances=2) as running:
        asyncio.run(_watch_and_lose_an_instance(running))


def test_a_viewer_that_reconnects_gets_exactly_what_it_missed(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    seen = team.push("kick_off", "goal")

    async def scenario() -> None:
        viewer = Viewer(team.match_id, token)
        await viewer.open(server.base_url)
        await viewer.read_until(_head(server, token))
        assert viewer.connection is not None
        await viewer.connection.close()
        held = viewer.last

        missed = team.push("goal") + team.push("foul", "save")
        head = _head(server, token)
        welcome = await viewer.open(server.base_url)
        assert (welcome["reset"], welcome["head"]) == (False, head)
        assert viewer.connection is not None
        catch_up = json.loads(await viewer.connection.recv())
        assert (catch_up["after"], catch_up["head"]) == (held, head)
        viewer.take(json.dumps(catch_up))
        await viewer.connection.close()

        resent = [c for c in viewer.changes if c["seq"] > held]
        assert [c["id"] for c in resent if c["type"] == "event"] == missed
        viewer.assert_got_once(seen + missed)

    asyncio.run(scenario())


def test_a_last_seq_ahead_of_the_server_resets_and_gets_everything(served: Deployment) -> None:
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    ids = team.push("kick_off", "goal") + team.push("goal")
    head = _head(server, token)

    async def scenario() -> None:
        viewer = Viewer(team.match_id, token, last=head + 1000)
        welcome = await viewer.open(server.base_url)
        assert (welcome["reset"], welcome["head"]) == (True, head)
        await viewer.read_until(head)
        assert viewer.connection is not None
        await viewer.connection.close()
        viewer.assert_got_once(ids)
        assert {c["id"] for c in viewer.changes if c["type"] == "match"} == {team.match_id}

    asyncio.run(scenario())


RACES = 30


def test_a_viewer_joining_as_the_only_other_one_leaves_keeps_hearing_changes(
    served: Deployment,
) -> None:
    """Real connections racing a join against a leave, round after round: the match's one
    viewer is still being caught up when another connects and it disconnects. Whatever the
    order the server sees them in, the newcomer hears the next change."""
    server = served.server
    team = coach(server)
    token = team.share()["token"]
    team.push("kick_off", *("tackle",) * 59)

    async def scenario() -> None:
        for attempt in range(RACES):
            leaving = Viewer(team.match_id, token)
            await leaving.open(server.base_url)
            assert leaving.connection is not None
            joining = Viewer(team.match_id, token)
            await asyncio.gather(joining.open(server.base_url), leaving.connection.close())
            head = await asyncio.to_thread(_head, server, token)
            await joining.read_until(head)
            ids = await asyncio.to_thread(team.push, "save")
            try:
                await joining.read_until(head + 1, timeout=5)
            except TimeoutError:
                raise AssertionError(f"frozen after round {attempt}") from None
            assert joining.events()[-1] == ids[0]
            assert joining.connection is not None
            await joining.connection.close()

    asyncio.run(scenario())
