from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.db.engine import Database
from backend.db.migrate import is_at_head

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. Touches nothing else."""
    return {"status": "ok"}


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
