"""The errors Touchline answers with, and the one JSON shape they all take.

Every error a client can see is a :class:`TouchlineError` rendered as::

    {"error": {"code": "not_found", "message": "match not found", "field": null}}

``code`` is stable and machine-readable, ``message`` is for people, and ``field`` names the
offending input (a dotted path such as ``body.events.3.minute``) when there is one.

Hierarchy, with each class's HTTP status and the WebSocket close code a live channel is
refused or closed with for the same reason (``-``: never sent on a channel, which would
close with the base's 1011)::

    TouchlineError [500 | 1011]
    ├── BadRequest [400 | 4400]            malformed JSON or Content-Length; a bad hello
    ├── Unauthorized [401 | 4401]          missing, malformed, expired or revoked credentials
    ├── Forbidden [403 | 4403]             the role does not allow it; a foreign Origin
    ├── NotFound [404 | 4404]              absent, deleted, or belonging to another team
    ├── RequestTimeout [408 | 4408]        no hello within the time allowed
    ├── Conflict [409 | -]                 valid input that contradicts current state
    ├── Gone [410 | 4410]                  deleted (a tombstone remains); a revoked link
    ├── PayloadTooLarge [413 | 4413]       a body or message over the size limit
    ├── UnsupportedMediaType [415 | -]     a body that is not application/json
    ├── Invalid [422 | -]                  well-formed input that breaks a rule
    ├── RateLimited [429 | 4429]           too many requests (``Retry-After`` says when), too
    │                                      many viewers on a link, or a viewer too slow
    ├── Unavailable [503 | -]              the database cannot be reached; ``Retry-After``
    └── StorageFull [507 | -]              the database's disk is full; nothing was saved

A refusal before a WebSocket upgrade (a foreign Origin, too many connections from one
address) reaches the client as the HTTP status, not the close code.

Another team's resource raises exactly the same :class:`NotFound` as a missing one, so ids
reveal nothing about what exists.
"""

from __future__ import annotations

from typing import ClassVar


class TouchlineError(Exception):
    """An error a client sees. Raise it (or a subclass); it is rendered in one place: the
    HTTP handlers and middleware send :meth:`body` with :attr:`status` and
    :attr:`headers` (``backend.http_errors``), a live channel closes with
    :attr:`close_code` and :attr:`message` as the reason."""

    status: ClassVar[int] = 500
    close_code: ClassVar[int] = 1011
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers: dict[str, str] = {}
        if code is not None:
            self.code = code  # type: ignore[misc]

    def detail(self) -> dict[str, str | None]:
        """``code``, ``message`` and ``field``: the error's own record."""
        return {"code": self.code, "message": self.message, "field": self.field}

    def body(self) -> dict[str, dict[str, str | None]]:
        """``{"error": {"code", "message", "field"}}``, the JSON body of every error."""
        return {"error": self.detail()}


class BadRequest(TouchlineError):
    status = 400
    close_code = 4400
    code = "bad_request"


class Unauthorized(TouchlineError):
    status = 401
    close_code = 4401
    code = "unauthorized"


class Forbidden(TouchlineError):
    status = 403
    close_code = 4403
    code = "forbidden"


class NotFound(TouchlineError):
    status = 404
    close_code = 4404
    code = "not_found"

    def __init__(self, what: str, *, field: str | None = None):
        super().__init__(f"{what} not found", field=field)


class RequestTimeout(TouchlineError):
    status = 408
    close_code = 4408
    code = "timeout"


class Conflict(TouchlineError):
    status = 409
    code = "conflict"


class Gone(TouchlineError):
    status = 410
    close_code = 4410
    code = "gone"


class PayloadTooLarge(TouchlineError):
    status = 413
    close_code = 4413
    code = "payload_too_large"


class UnsupportedMediaType(TouchlineError):
    status = 415
    code = "unsupported_media_type"


class Invalid(TouchlineError):
    status = 422
    code = "invalid"


class RateLimited(TouchlineError):
    status = 429
    close_code = 4429
    code = "rate_limited"

    def __init__(self, retry_after: int, message: str | None = None):
        super().__init__(message or f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class Unavailable(TouchlineError):
    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class StorageFull(TouchlineError):
    status = 507
    code = "storage_full"
