"""Every HTTP response passes through here: request id, timing, security headers, rate
limits, metrics and one access log line. Pure ASGI, so it adds no per-request task."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import RateLimited
from backend.http_errors import send_error
from backend.metrics import Metrics
from backend.ops.logs import ACCESS_LOGGER
from backend.ratelimit import Limiter, Rate, client_address

log = logging.getLogger(ACCESS_LOGGER)

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Limited per client address here, before any work: what README says is, and no more.
# (Credentials are limited once verified, in backend/accounts/auth.py.)
PER_ADDRESS = frozenset(
    {
        ("POST", "/api/accounts"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/reset-request"),
        ("POST", "/api/auth/reset"),
        ("GET", "/api/watch"),
    }
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)
BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class Observer:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        limiter: Limiter,
        anonymous_rate: Rate,
    ):
        self.app = app
        self.metrics = metrics
        self.limiter = limiter
        self.anonymous_rate = anonymous_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.lower(): v for k, v in scope["headers"]}
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        status = 500

        def finish_headers(message: Message) -> None:
            extra = [
                *BASE_HEADERS,
                (b"content-security-policy", CSP.encode()),
                (b"x-request-id", request_id.encode()),
                (b"x-process-time", f"{time.perf_counter() - started:.6f}".encode()),
            ]
            if scope.get("scheme") == "https":
                extra.append(HSTS)
            present = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [
                (k, v) for k, v in extra if k not in present
            ]

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                finish_headers(message)
            await send(message)

        refusal = self._limit(path, scope)
        try:
            if refusal is not None:
                await send_error(send_observed, refusal)
            else:
                await self.app(scope, receive, send_observed)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                # A path that carries a capability (a calendar feed's token) is logged by
                # its route's template, so the token never reaches a log line.
                template if "{token}" in template else path,
                status,
                extra={
                    "request_id": request_id,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )

    def _limit(self, path: str, scope: Scope) -> RateLimited | None:
        # A CORS preflight (OPTIONS) is never limited: a refused one shows in the browser
        # as a CORS failure, not a 429 the app could wait out.
        if (scope["method"], path.rstrip("/")) not in PER_ADDRESS:
            return None
        wait = self.limiter.hit("address", client_address(scope), self.anonymous_rate)
        return RateLimited(wait) if wait is not None else None
