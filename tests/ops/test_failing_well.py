"""Failing well on PostgreSQL: the database going away, a pool with no connection free,
and SIGTERM, each met by a real server process.

The server reaches PostgreSQL through a TCP proxy run by the test, so the test can cut
the database off (every connection dropped, new ones refused) or stall it (bytes held
until released) without touching the PostgreSQL server other tests share.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from backend.db.engine import create_db_engine
from backend.db.migrate import upgrade
from backend.live.hub import CLOSE_GOING_AWAY
from tests.databases import fresh_postgres, skip_or_fail_without_postgres
from tests.e2e.server import Server, running_server
from tests.live.coach import Coach, coach
from tests.live.viewer import close_code, hello

pytestmark = pytest.mark.e2e

CLOSE_SERVICE_RESTART = 1012
GRACEFUL_SECONDS = 20  # backend.cli.GRACEFUL_SHUTDOWN_SECONDS


class Proxy:
    """A loopback TCP proxy to one address, run on its own thread's event loop."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.open = True
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.holding = threading.Event()
        self.writers: set[asyncio.StreamWriter] = set()
        self.clients: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.server: asyncio.Server

    def start(self) -> None:
        self.thread.start()
        self.server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.release()
        self.cut()

        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        self._call(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones, as a dead database host would."""

        async def cut() -> None:
            self.open = False
            for writer in list(self.writers):
                writer.transport.abort()

        self._call(cut())

    def restore(self) -> None:
        self.open = True

    def wait_for_connections(self, count: int, timeout: float = 30) -> None:
        """Return once ``count`` connections are open through the proxy."""
        deadline = time.monotonic() + timeout
        while len(self.clients) < count:
            assert time.monotonic() < deadline, f"{len(self.clients)} of {count} connections"
            time.sleep(0.05)

    def stall(self) -> None:
        """Hold every byte from now on; ``holding`` is set once some are held."""
        self.holding.clear()
        self.loop.call_soon_threadsafe(self.flowing.clear)

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.set)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if not self.open:
                return
            upstream_reader, upstream = await asyncio.open_connection(*self.target)
            self.writers |= {writer, upstream}
            self.clients.add(writer)
            await asyncio.gather(
                self._pipe(reader, upstream),
                self._pipe(upstream_reader, writer),
                return_exceptions=True,
            )
        except OSError:
            pass
        finally:
            writer.transport.abort()
            self.writers.discard(writer)
            self.clients.discard(writer)
            for other in [w for w in self.writers if w.transport.is_closing()]:
                self.writers.discard(other)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self.flowing.is_set():
                self.holding.set()
                await self.flowing.wait()
            writer.write(data)
            await writer.drain()
        writer.transport.abort()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def _send(server: Server, method: str, path: str, body: Any = None, token: str = "") -> Answer:
    """One request with its headers kept; times out rather than hang forever."""
    request = urllib.request.Request(
        server.base_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            status, headers, raw = error.code, error.headers, error.read()
    return Answer(status, {k.lower(): v for k, v in headers.items()}, json.loads(raw or b"null"))


@contextmanager
def proxied_server(tmp_path: Path, **env: str) -> Iterator[tuple[Server, Proxy]]:
    skip_or_fail_without_postgres()
    with fresh_postgres() as url:
        engine = create_db_engine(url)
        upgrade(engine)
        engine.dispose()
        direct = make_url(url)
        proxy = Proxy(direct.host or "127.0.0.1", direct.port or 5432)
        proxy.start()
        proxied = direct.set(host="127.0.0.1", port=proxy.port)
        try:
            with running_server(
                proxied.render_as_string(hide_password=False), tmp_path / "server.log", env=env
            ) as server:
                yield server, proxy
        finally:
            proxy.stop()


def _batch(team: Coach, count: int) -> dict[str, Any]:
    mutations = []
    for _ in range(count):
        team.mutations += 1
        args = {"id": str(uuid.uuid4()), "match_id": team.match_id, "kind": "free_kick"}
        mutations.append(
            {"id": team.mutations, "name": "add_event", "args": args | {"period": 1, "minute": 5}}
        )
    return {"protocol": 1, "device_id": team.device_id, "mutations": mutations, "pull": False}


def _event_ids(server: Server, team: Coach) -> list[str]:
    events = _send(
        server, "GET", f"/api/matches/{team.match_id}/events?limit=500", token=team.token
    )
    assert events.status == 200, events.body
    return [e["id"] for e in events.body["items"]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Proxy]]:
    """One server whose pool has one connection and waits at most a second for it."""
    pool = {"TOUCHLINE_DB_POOL_SIZE": "1", "TOUCHLINE_DB_POOL_TIMEOUT_SECONDS": "1"}
    with proxied_server(tmp_path_factory.mktemp("failing"), **pool) as running:
        yield running


def test_the_database_going_away_refuses_a_batch_whole_and_its_retry_applies_once(
    served: tuple[Server, Proxy],
) -> None:
    server, proxy = served
    team = coach(server)
    team.push("kick_off")
    batch = _batch(team, 3)
    pushed = [m["args"]["id"] for m in batch["mutations"]]

    proxy.cut()
    try:
        refused = _send(server, "POST", "/sync", batch, team.token)
        assert refused.status == 503, refused.body
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.body["error"]["code"] == "unavailable"
        assert _send(server, "GET", "/readyz").status == 503
    finally:
        proxy.restore()

    assert _send(server, "GET", "/readyz").status == 200
    retried = _send(server, "POST", "/sync", batch, team.token)
    assert retried.status == 200, retried.body
    assert [(r["verdict"], r.get("replayed", False)) for r in retried.body["results"]] == [
        ("applied", False)
    ] * 3
    again = _send(server, "POST", "/sync", batch, team.token)
    assert [r["replayed"] for r in again.body["results"]] == [True] * 3
    events = _event_ids(server, team)
    assert [e for e in events if e in pushed] == pushed


def test_with_no_connection_free_a_request_gets_503_instead_of_waiting(
    served: tuple[Server, Proxy],
) -> None:
    server, proxy = served
    team = coach(server)
    # The pool's one connection and the live listener's, which an earlier test's cut may
    # still be reconnecting: held bytes must be the holder's, not the listener's.
    proxy.wait_for_connections(2)
    with ThreadPoolExecutor(max_workers=1) as pool:
        proxy.stall()
        try:
            # This request takes the only connection and waits on the stalled database.
            holder: Future[Answer] = pool.submit(
                _send, server, "GET", "/api/teams", None, team.token
            )
            assert proxy.holding.wait(timeout=30)
            waiting = _send(server, "GET", "/api/teams", token=team.token)
        finally:
            proxy.release()
        assert waiting.status == 503, waiting.body
        assert int(waiting.headers["retry-after"]) >= 1
        assert holder.result(timeout=60).status == 200
    assert _send(server, "GET", "/api/teams", token=team.token).status == 200


def test_sigterm_finishes_the_batch_in_flight_and_sends_viewers_away(tmp_path: Path) -> None:
    with proxied_server(tmp_path) as (server, proxy):
        team = coach(server)
        team.push("kick_off")
        link = team.share()

        welcomed = threading.Event()

        async def watch() -> tuple[int | None, ...]:
            viewers = [
                (await hello(server.base_url, team.match_id, token))[0]
                for token in (link["token"], team.token)
            ]
            welcomed.set()
            return tuple(await asyncio.gather(*(close_code(v, timeout=60) for v in viewers)))

        batch = _batch(team, 400)
        with ThreadPoolExecutor(max_workers=2) as pool:
            closes = pool.submit(asyncio.run, watch())
            assert welcomed.wait(timeout=30)
            proxy.stall()
            try:
                in_flight = pool.submit(_send, server, "POST", "/sync", batch, team.token)
                assert proxy.holding.wait(timeout=30)
                server.process.send_signal(signal.SIGTERM)
            finally:
                proxy.release()
            answer = in_flight.result(timeout=120)
            # uvicorn re-raises the signal once it has shut down gracefully, so the exit
            # status says "ended by SIGTERM", as process managers expect.
            exit_status = server.process.wait(timeout=GRACEFUL_SECONDS + 10)
            assert exit_status in {0, -signal.SIGTERM}, server.log()
            codes = closes.result(timeout=30)

        assert answer.status == 200, answer.body
        assert [r["verdict"] for r in answer.body["results"]] == ["applied"] * 400
        assert all(code in {CLOSE_GOING_AWAY, CLOSE_SERVICE_RESTART} for code in codes), codes
        log = server.log()
    assert "Traceback" not in log, log
    assert "Shutting down" in log and "Application shutdown complete" in log
