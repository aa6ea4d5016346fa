"""The FastAPI application: ``create_app(settings)`` wires every domain together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send

from backend import http_errors
from backend.accounts.credentials import LoginTokens, Passwords
from backend.accounts.reset import ResetTokens
from backend.accounts.router import router as accounts_router
from backend.calendars.router import feed_router as calendar_feed_router
from backend.calendars.router import router as calendars_router
from backend.db.engine import Database
from backend.insights.router import router as insights_router
from backend.live import publish
from backend.live.hub import Hub
from backend.live.router import live_channel
from backend.mail import Mailer, SmtpServer
from backend.matches.router import router as matches_router
from backend.metrics import Metrics
from backend.ops.body_guard import BodyGuard
from backend.ops.compression import CompressSync
from backend.ops.observer import Observer
from backend.ops.router import router as ops_router
from backend.privacy.router import router as privacy_router
from backend.push.router import router as push_router
from backend.push.sender import PushSender
from backend.ratelimit import Limiter, Rate, Rates
from backend.settings import Settings
from backend.sharing.router import router as sharing_router
from backend.sharing.tokens import ShareTokens
from backend.signing_keys import signing_keys
from backend.sync.cursors import CursorCodec
from backend.sync.router import router as sync_router
from backend.teams.router import router as teams_router
from backend.web.docs import router as docs_router
from backend.web.router import router as web_router

API_DESCRIPTION = """
Offline-first sync server for grassroots football.

Authenticate with `Authorization: Bearer <token>`: a login token from `POST /api/auth/login`
or a device token from `POST /api/devices`. Every error has the shape
`{"error": {"code": ..., "message": ..., "field": ...}}`.
"""


class Touchline(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A live channel's connection skips every layer below: each would keep a frame
        # for as long as the viewer watches (backend/live/router.py).
        channel = live_channel(self, scope, receive, send)
        if channel is not None:
            await channel
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Touchline:
    """Build the app. Pass ``database`` to share an already-open one (tests)."""
    settings = settings or Settings()
    app = Touchline(
        title="Touchline",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=partial(_serving, settings=settings, database=database),
        responses=http_errors.ERROR_RESPONSES,
        # FastAPI's own pages load their assets from a CDN: backend/web/docs.py serves them.
        openapi_url="/openapi.json" if settings.serves_api_docs else None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    if settings.secret_keys:
        _install_signers(app, settings)
    if database is not None:
        app.state.db = database
    app.state.metrics = Metrics()
    app.state.limiter = Limiter()
    app.state.passwords = Passwords(settings.password_hash_concurrency, settings.password_hasher)
    app.state.rates = Rates(
        credential=Rate(settings.rate_per_second, settings.rate_burst),
        anonymous=Rate(settings.anonymous_rate_per_second, settings.anonymous_burst),
        login_attempts=Rate(
            settings.login_attempts_per_minute / 60, settings.login_attempts_per_minute
        ),
        reset_requests=Rate(
            settings.reset_requests_per_hour / 3600, settings.reset_requests_per_hour
        ),
        reset_mails=Rate(settings.reset_mails_per_hour / 3600, settings.reset_mails_per_hour),
    )
    app.state.mailer = (
        Mailer(SmtpServer.from_url(settings.smtp_url), settings.mail_from or "")
        if settings.smtp_url
        else None
    )
    http_errors.install(app)
    _route(app, settings)
    _wrap(app, settings)
    return app


def _route(app: FastAPI, settings: Settings) -> None:
    for router in (
        sync_router,  # first: routes are tried in order, and /sync is the busiest
        ops_router,
        accounts_router,
        teams_router,
        matches_router,
        insights_router,
        sharing_router,
        privacy_router,
        push_router,
        calendars_router,
        calendar_feed_router,
    ):
        app.include_router(router)
    if settings.serves_api_docs:
        app.include_router(docs_router)
    app.include_router(web_router)  # last: the web app never shadows an API route


def _wrap(app: FastAPI, settings: Settings) -> None:
    """The middleware, innermost first."""
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(CompressSync)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Added last, so outermost: it sees (and stamps) every response, refusals included.
    app.add_middleware(
        Observer,
        metrics=app.state.metrics,
        limiter=app.state.limiter,
        anonymous_rate=app.state.rates.anonymous,
    )


@asynccontextmanager
async def _serving(
    app: FastAPI, *, settings: Settings, database: Database | None
) -> AsyncIterator[None]:
    """While the app serves: the database, the signers, the hub and its announcements,
    the push sender and (on PostgreSQL) the listener for other instances' changes."""
    db = app.state.db = database or Database.connect(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    if not settings.secret_keys:
        _install_signers(
            app, settings.model_copy(update={"secret_keys": signing_keys(settings, db)})
        )
    await app.state.passwords.prepare()
    hub = app.state.hub = Hub(db, app.state.metrics)
    hub.start()
    dialect = db.engine.dialect.name
    publish.install(db.writer, dialect, hub.deliver_threadsafe)
    sender = _push_sender(app, settings, db)
    listener = None
    if dialect == "postgresql":
        # Imported here: psycopg (some 5 MB) has no use in a server on SQLite.
        from backend.live.listener import listen  # noqa: PLC0415

        listener = asyncio.ensure_future(listen(settings.database_url, hub))
    try:
        yield
    finally:
        await hub.stop()
        if sender is not None:
            await asyncio.to_thread(sender.stop)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if database is None:
            db.dispose()


def _push_sender(app: FastAPI, settings: Settings, db: Database) -> PushSender | None:
    """The sender of families' goal alerts, running, when push is configured."""
    if settings.vapid_private_key is None:
        return None
    sender = PushSender(
        db,
        settings.vapid_private_key,
        settings.vapid_subject,
        app.state.metrics.push_notices,
        app.state.share_tokens,
    )
    sender.start()
    return sender


def _install_signers(app: FastAPI, settings: Settings) -> None:
    """Everything that signs, with ``settings.secret_keys`` (without configured keys, the
    database's own key, known once the database is open)."""
    app.state.settings = settings
    app.state.login_tokens = LoginTokens(settings.secret_keys, settings.login_token_seconds)
    app.state.cursor_codec = CursorCodec(settings.secret_keys)
    app.state.share_tokens = ShareTokens(settings.secret_keys)
    app.state.reset_tokens = ResetTokens(settings.secret_keys, settings.reset_link_minutes * 60)
