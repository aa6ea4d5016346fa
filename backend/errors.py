"""The errors Touchline answers with, and the one JSON shape they all take.

Every error a client can see is a :class:`TouchlineError` rendered as::

    {"error": {"code": "not_found", "message": "match not found", "field": null}}

``code`` is stable and machine-readable, ``message`` is for people, and ``field`` names the
offending input (a dotted path such as ``body.events.3.minute``) when there is one.

Hierarchy (HTTP status in brackets)::

    TouchlineError
    ├── BadRequest [400]            malformed JSON, unparseable input
    ├── Unauthorized [401]          missing, malformed, expired or revoked credentials
    ├── Forbidden [403]             authenticated, but the role does not allow it
    ├── NotFound [404]              absent, deleted, or belonging to another team
    ├── Conflict [409]              valid input that contradicts current state
    ├── Gone [410]                  the resource was deleted (a tombstone remains)
    ├── PayloadTooLarge [413]       body over the size limit, refused before parsing
    ├── UnsupportedMediaType [415]  a body that is not application/json
    ├── Invalid [422]               well-formed input that breaks a rule
    ├── RateLimited [429]           too many requests; ``Retry-After`` says when to retry
    └── Unavailable [503]           the database cannot be reached; retry later

Another team's resource raises exactly the same :class:`NotFound` as a missing one, so ids
reveal nothing about what exists.
"""

from __future__ import annotations

from typing import ClassVar


class TouchlineError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers: dict[str, str] = {}
        if code is not None:
            self.code = code  # type: ignore[misc]

    def body(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class BadRequest(TouchlineError):
    status = 400
    code = "bad_request"


class Unauthorized(TouchlineError):
    status = 401
    code = "unauthorized"


class Forbidden(TouchlineError):
    status = 403
    code = "forbidden"


class NotFound(TouchlineError):
    status = 404
    code = "not_found"

    def __init__(self, what: str, *, field: str | None = None):
        super().__init__(f"{what} not found", field=field)


class Conflict(TouchlineError):
    status = 409
    code = "conflict"


class Gone(TouchlineError):
    status = 410
    code = "gone"


class PayloadTooLarge(TouchlineError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(TouchlineError):
    status = 415
    code = "unsupported_media_type"


class Invalid(TouchlineError):
    status = 422
    code = "invalid"


class Unavailable(TouchlineError):
    status = 503
    code = "unavailable"
