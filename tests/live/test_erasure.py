"""Viewers watching when a player is erased are told, on every instance: they reconnect
and are welcomed with "Former player" instead of the name."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.live.coach import coach
from tests.live.deployment import deployment
from tests.live.viewer import Viewer, close_code

pytestmark = pytest.mark.e2e

CLOSE_GOING_AWAY = 1001


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_viewers_of_an_erased_players_matches_get_the_names_anew(kind: str, tmp_path: Path) -> None:
    with deployment(kind, tmp_path, instances=2) as running:
        a, b = running.servers[0], running.servers[-1]
        team = coach(a, players=((7, "Zuzanna", "Zuzanna Quillfeather"),))
        token = team.share(names="full_names")["token"]

        async def watch_while_erasing() -> list[dict[str, object]]:
            viewers = [Viewer(team.match_id, token), Viewer(team.match_id, token)]
            await viewers[0].open(a.base_url)
            await viewers[1].open(b.base_url)
            assert "Zuzanna Quillfeather" in str(viewers[1].welcomes[0]["players"])
            path = f"/api/players/{team.players[0]['id']}?erase=true"
            erased = await asyncio.to_thread(a.request, "DELETE", path, None, team.token)
            assert erased.status == 204, erased.body
            for viewer in viewers:
                assert viewer.connection is not None
                assert await close_code(viewer.connection, timeout=5) == CLOSE_GOING_AWAY
            again = await viewers[1].open(b.base_url)
            assert viewers[1].connection is not None
            await viewers[1].connection.close()
            return list(again["players"])  # type: ignore[arg-type]

        players = asyncio.run(watch_while_erasing())
        assert players == [
            {"id": team.players[0]["id"], "squad_number": 7, "name": "Former player"}
        ]
