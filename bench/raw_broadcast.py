"""The broadcast ceiling: a bare ``websockets`` server that relays each pushed message to
every connected viewer, with nothing else in the way (no database, no authorization).

Viewers speak the live channel's opening (send a hello, get a welcome and an empty
``changes``); a pusher opens with ``{"type": "pusher"}`` and then sends the exact text to
broadcast, one message per push. The server acknowledges each push, then broadcasts it.
GET /healthz answers 200 so the harness knows it is up.

    python bench/raw_broadcast.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

EMPTY_CHANGES = '{"type":"changes","after":0,"head":0,"changes":[]}'


async def main(port: int) -> None:
    viewers: set[ServerConnection] = set()

    def health(connection: ServerConnection, request: Any) -> Any:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async def handler(connection: ServerConnection) -> None:
        opening = json.loads(await connection.recv())
        if opening.get("type") == "pusher":
            async for message in connection:
                await connection.send("ack")
                broadcast(viewers, message)
            return
        welcome = {"type": "welcome", "head": 0, "reset": False, "players": []}
        await connection.send(json.dumps(welcome))
        await connection.send(EMPTY_CHANGES)
        viewers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            viewers.discard(connection)

    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(
        handler, "127.0.0.1", port, process_request=health, ping_interval=None, backlog=2048
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
