"""Render every failure as ``{"error": {"code", "message", "field"}}`` (see backend.errors).

Every failure becomes a :class:`~backend.errors.TouchlineError` first (the framework's
validation and routing errors, the database's refusals) and is rendered by
:func:`error_response`, or by :func:`send_error` in middleware that answers before the
framework runs: nothing else writes an error body.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Send

from backend.errors import (
    BadRequest,
    Conflict,
    Invalid,
    StorageFull,
    TouchlineError,
    Unavailable,
)

log = logging.getLogger("touchline.errors")

RETRY_AFTER_SECONDS = 5
DISK_FULL_SQLSTATE = "53100"


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Malformed request",
        401: "Missing, invalid or revoked credentials",
        403: "Not allowed for this role",
        404: "Not found (or not yours)",
        409: "Conflicts with the current state",
        410: "Deleted",
        413: "Body too large",
        415: "Body is not application/json",
        422: "Invalid input; `field` names it",
        429: "Too many requests; retry after `Retry-After` seconds",
        503: "Database unavailable; retry after `Retry-After` seconds",
        507: "The server's storage is full; nothing was saved",
    }.items()
}


def error_response(error: TouchlineError) -> JSONResponse:
    """``error``'s body, status and headers as a response."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers or None)


async def send_error(send: Send, error: TouchlineError) -> None:
    """Answer with ``error`` through a bare ASGI ``send``, as :func:`error_response` would."""
    response = error_response(error)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})


def _malformed_json() -> BadRequest:
    return BadRequest("the body is not valid JSON", field="body", code="malformed_json")


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or None


async def _touchline_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TouchlineError)
    return error_response(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(_validation_refusal(exc))


def _validation_refusal(exc: RequestValidationError) -> TouchlineError:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
    if first.get("type") == "json_invalid":
        return _malformed_json()
    field = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "invalid"))
    if first.get("type") == "extra_forbidden":
        message = "unknown field; the server sets it or it does not exist"
    if first.get("type") == "missing" and field is None:
        return Invalid("a JSON body is required", field="body")
    return Invalid(f"{field}: {message}" if field else message, field=field)


def _allowed_methods(request: Request) -> str:
    # Starlette names only the first route whose path matched; a path can have several.
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": ""})
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


class _RoutingError(TouchlineError):
    """Starlette's own answer (no such route, method not allowed), in our shape and with
    its status and headers."""

    def __init__(self, exc: HTTPException, codes: dict[int, str]):
        super().__init__(str(exc.detail), code=codes.get(exc.status_code, "http_error"))
        self.status = exc.status_code  # type: ignore[misc]
        self.headers = dict(exc.headers or {})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        # FastAPI's own answer when the body cannot be parsed at all (e.g. nesting deeper
        # than the parser's recursion limit).
        return error_response(_malformed_json())
    error = _RoutingError(exc, {404: "not_found", 405: "method_not_allowed"})
    if exc.status_code == 405:
        error.headers["Allow"] = _allowed_methods(request)
    return error_response(error)


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Two requests racing to create the same unique thing; the loser is told, not crashed.
    log.info("integrity conflict: %s", type(exc).__name__)
    return error_response(Conflict("this conflicts with a concurrent change; retry"))


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (NUL in PostgreSQL text, a number out of range):
    # the request's fault, not an outage. A 503 would have the client retry it for ever.
    log.warning("database refused a value: %s", type(getattr(exc, "orig", exc)).__name__)
    return error_response(Invalid("a value in the request cannot be stored"))


def _disk_full(exc: Exception) -> bool:
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) == DISK_FULL_SQLSTATE:
        return True
    return "database or disk is full" in str(original or "")


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    if _disk_full(exc):
        # Not a moment's outage: retrying soon will not help, and an operator must act.
        log.error("database storage is full; writes are refused until space is freed")
        return error_response(
            StorageFull(
                "the server's storage is full; nothing was saved, keep the data and retry later"
            )
        )
    log.warning("database unavailable: %s", type(exc).__name__)
    return error_response(
        Unavailable(
            "the database is unavailable; nothing was saved, retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
        )
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(TouchlineError, _touchline_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(DataError, _data_error)
    # The pool had no connection free within its timeout: answer 503 rather than hang.
    app.add_exception_handler(PoolTimeout, _database_error)
