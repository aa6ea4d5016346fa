"""PostgreSQL LISTEN: commit notices from every server instance sharing the database.

One connection per process listens on ``touchline_live``. If it drops, the listener
reconnects with backoff and asks the hub to re-read every open channel from the log, so
subscribers see no gap for the notices missed while it was down.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from sqlalchemy.engine import make_url

from backend.live.hub import Hub
from backend.live.publish import CHANNEL

log = logging.getLogger("touchline.live")

MAX_BACKOFF_SECONDS = 5.0


def libpq_url(sqlalchemy_url: str) -> str:
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


async def listen(database_url: str, hub: Hub, connected: asyncio.Event | None = None) -> None:
    """Run until cancelled, feeding every notice to ``hub``."""
    conninfo = libpq_url(database_url)
    backoff = 0.2
    while True:
        try:
            connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
            async with connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                backoff = 0.2
                hub.resync()
                if connected is not None:
                    connected.set()
                async for notice in connection.notifies():
                    hub.dispatch([notice.payload])
        except (psycopg.Error, OSError) as exc:
            log.warning("live listener lost its connection (%s); reconnecting", type(exc).__name__)
        if connected is not None:
            connected.clear()
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
