"""``WebSocket /ws/match/{match_id}``: a match's changes, live, for coaches and viewers.

Protocol (SPEC.md, "Live channel"): the client's first message, within 10 seconds, is
``{"type": "hello", "token": ..., "last_seq": n}`` (a device token or a share token; never
in the URL, so never in a log). The server answers ``welcome`` and then ``changes``
messages from ``last_seq`` on.

The app hands the channel's connections to :func:`live_channel` before any layer of its
own, FastAPI's or Starlette's: each of those would keep a coroutine frame (some an exit
stack) alive for the whole life of every connection, and the channel needs none of them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from starlette import routing
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from backend.accounts.auth import device_for_token
from backend.accounts.credentials import DEVICE_TOKEN_PREFIX
from backend.db.engine import Database
from backend.db.models import Match
from backend.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    TouchlineError,
    Unauthorized,
)
from backend.http_errors import error_response
from backend.live.hub import Hub, Subscriber
from backend.matches.service import get_match, players_by_id
from backend.sharing import service as sharing
from backend.sharing.tokens import ShareTokens

HELLO_TIMEOUT_SECONDS = 10.0
MAX_CLIENT_MESSAGE = 4096
LIVE_RETRY_AFTER_SECONDS = 30
DEFAULT_PORTS = {"http": 80, "https": 443}
# A client cannot see the protocol's own pings: it sends this when the channel has been
# quiet, and a connection that brings no pong back is dead however open it looks.
PONG = '{"type":"pong"}'


@dataclass(frozen=True)
class Access:
    role: str
    link_id: uuid.UUID | None
    device_id: uuid.UUID | None
    head: int
    players: list[dict[str, Any]]


def origin_allowed(scope: Scope, allowed: list[str]) -> bool:
    """Same origin (scheme, host and port), or one listed in settings; a missing Origin is
    not a browser. The server's own scheme is the connection's, or the proxy's when its
    headers are trusted (``--forwarded-allow-ips``)."""
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    own_scheme = "https" if scope.get("scheme") == "wss" else "http"
    own = _site(f"{own_scheme}://{headers.get('host', '')}")
    return own is not None and _site(origin) == own


def _site(url: str) -> tuple[str, str, int] | None:
    """An origin's scheme, host and port (the scheme's default if none); None if it is
    not one."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def authorize(db: Database, tokens: ShareTokens, match_id: uuid.UUID, token: str) -> Access:
    """What ``token`` may see of the match. Raises the refusal the channel closes with:
    :class:`Unauthorized` (4401), :class:`NotFound` (4404) or, for a revoked or expired
    link, :class:`~backend.errors.Gone` (4410). Runs in a worker thread."""
    with db.reader() as session:
        if token.startswith(DEVICE_TOKEN_PREFIX):
            device = device_for_token(session, token)
            if device is None:
                raise Unauthorized("unknown or revoked device token")
            match = get_match(session, device.account_id, match_id)
            role, link_id, device_id, names = "coach", None, device.id, "full_names"
        else:
            try:
                grant = sharing.resolve(session, tokens, token)
            except Unauthorized:
                raise Unauthorized("invalid share token") from None
            found = session.get(Match, match_id)
            if grant.match_id != match_id or found is None:
                raise NotFound("match")
            match = found
            role, link_id, device_id, names = "viewer", grant.link_id, None, grant.names
        players = sharing.viewer_players(players_by_id(session, match.team_id).values(), names)  # type: ignore[arg-type]
        return Access(
            role,
            link_id,
            device_id,
            match.head_seq,
            [p.model_dump(mode="json") for p in players],
        )


def _hello(raw: str) -> tuple[str, int]:
    message = json.loads(raw)
    if not isinstance(message, dict) or message.get("type") != "hello":
        raise ValueError("the first message must be a hello")
    token, last_seq = message.get("token"), message.get("last_seq", 0)
    if not isinstance(token, str) or not token or len(token) > 1024:
        raise ValueError("hello.token must be a token")
    if not isinstance(last_seq, int) or isinstance(last_seq, bool) or not 0 <= last_seq < 2**62:
        raise ValueError("hello.last_seq must be a non-negative integer")
    return token, last_seq


def _is_ping(text: str | None) -> bool:
    if text is None or len(text) > 64:
        return False
    try:
        message = json.loads(text)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "ping"


async def match_channel(websocket: WebSocket) -> None:
    hub: Hub = websocket.app.state.hub
    # The address the server resolved for the connection (the proxy's client when its
    # headers are trusted), as for every other per-address limit.
    address = websocket.client.host if websocket.client is not None else ""
    if not hub.occupy(address, websocket.app.state.settings.max_live_per_address):
        refusal = RateLimited(LIVE_RETRY_AFTER_SECONDS)
        await websocket.send_denial_response(error_response(refusal))
        return
    subscriber = None
    try:
        subscriber = await _admit(websocket, websocket.path_params["match_id"], hub)
        while subscriber is not None and not subscriber.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            size = len(message.get("text") or message.get("bytes") or b"")
            if size > MAX_CLIENT_MESSAGE:
                await hub.close(subscriber, PayloadTooLarge.close_code, "message too large")
            elif _is_ping(message.get("text")):
                hub.answer(subscriber, PONG)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if subscriber is not None:
            await hub.leave(subscriber)
        hub.vacate(address)


async def _admit(websocket: WebSocket, match_id: uuid.UUID, hub: Hub) -> Subscriber | None:
    """Accept, read the hello, send the welcome and join the hub; None if the connection
    was refused (closed with the refusal's close code and message) or is gone. The
    welcome's player list lives only in this frame, so it is not kept for the life of the
    connection."""
    try:
        return await _handshake(websocket, match_id, hub)
    except TouchlineError as refused:
        await websocket.close(code=refused.close_code, reason=refused.message)
        return None
    except (WebSocketDisconnect, RuntimeError):
        return None  # gone before the welcome: nothing to clean up yet


async def _handshake(websocket: WebSocket, match_id: uuid.UUID, hub: Hub) -> Subscriber | None:
    app = websocket.app
    if not origin_allowed(websocket.scope, app.state.settings.ws_origins):
        # Refused before the accept: on the wire the upgrade is answered HTTP 403, and the
        # close code reaches only an in-process test client.
        raise Forbidden("this page's origin may not open live channels")
    # Nothing reads the request's headers again, and the scope lives as long as the
    # connection: a browser's dozen headers would cost every idle viewer a kilobyte or two.
    websocket.scope["headers"] = []
    await websocket.accept()
    try:
        first = await asyncio.wait_for(websocket.receive(), HELLO_TIMEOUT_SECONDS)
    except TimeoutError:
        raise RequestTimeout("send hello first") from None
    if first["type"] == "websocket.disconnect":
        return None
    raw = first.get("text")
    if len(raw if raw is not None else first.get("bytes") or b"") > MAX_CLIENT_MESSAGE:
        raise PayloadTooLarge("message too large")
    if raw is None:
        raise BadRequest("the hello must be a text message")
    try:
        token, last_seq = _hello(raw)
        access = await anyio.to_thread.run_sync(
            authorize, app.state.db, app.state.share_tokens, match_id, token
        )
    except ValueError as bad:
        raise BadRequest(str(bad)[:120]) from None
    if access.link_id is not None and (
        hub.viewers_of(access.link_id) >= app.state.settings.max_viewers_per_link
    ):
        raise RateLimited(LIVE_RETRY_AFTER_SECONDS, "too many viewers on this link")

    reset = last_seq > access.head
    subscriber = Subscriber(
        websocket=websocket,
        match_id=match_id,
        last=0 if reset else last_seq,
        link_id=access.link_id,
        device_id=access.device_id,
    )
    welcome = {
        "type": "welcome",
        "match_id": str(match_id),
        "role": access.role,
        "head": access.head,
        "reset": reset,
        "players": access.players,
    }
    await websocket.send_text(json.dumps(welcome, separators=(",", ":")))
    await hub.join(subscriber, access.head)
    return subscriber


CHANNEL = routing.WebSocketRoute("/ws/match/{match_id:uuid}", match_channel)


def live_channel(app: Any, scope: Scope, receive: Receive, send: Send) -> Awaitable[None] | None:
    """The channel's handler for this connection, to await in place of the app's own
    layers; None for anything else (an unknown WebSocket path included: the app's router
    refuses it)."""
    if scope["type"] != "websocket":
        return None
    match, child_scope = CHANNEL.matches(scope)
    if match is not routing.Match.FULL:
        return None
    scope.update(child_scope)
    scope["app"] = app
    return match_channel(WebSocket(scope, receive, send))
