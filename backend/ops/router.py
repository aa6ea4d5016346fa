from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.db.engine import Database
from backend.db.migrate import is_at_head
from backend.errors import NotFound

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing else."""
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics, for loopback clients or the configured metrics token."""
    token = request.app.state.settings.metrics_token
    client = request.client.host if request.client else ""
    sent = request.headers.get("authorization", "")
    allowed = (
        secrets.compare_digest(sent, f"Bearer {token}")
        if token
        else client in {"127.0.0.1", "::1", "testclient"}
    )
    if not allowed:
        raise NotFound("page")
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz", responses={503: {"description": "Database unreachable or behind"}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and its migrations are at head."""
    db: Database = request.app.state.db
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        at_head = is_at_head(db.engine)
    except DBAPIError:
        return JSONResponse({"status": "database unreachable"}, status_code=503)
    if not at_head:
        return JSONResponse({"status": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ready"})
