from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from backend.accounts.auth import CurrentCoach, CurrentDevice
from backend.db.engine import Database
from backend.db.models import Device
from backend.db.session import DbSession, database
from backend.errors import NotFound
from backend.sync import service
from backend.sync.cursors import CursorCodec
from backend.sync.lag import changes_behind
from sync_protocol.messages import SyncRequest, SyncResponse

router = APIRouter(tags=["sync"])


def cursor_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


@router.post(
    "/sync",
    response_model=SyncResponse,
    responses={200: {"model": SyncResponse}},
    summary="Push queued mutations and pull what changed, in one round trip",
)
def sync(
    body: SyncRequest,
    request: Request,
    device: CurrentDevice,
    db: Annotated[Database, Depends(database)],
    codec: Annotated[CursorCodec, Depends(cursor_codec)],
) -> Response:
    """See sync_protocol/SPEC.md. A 200 means every acknowledged mutation is committed."""
    answer = service.sync(db, codec, device, body, request.app.state.metrics)
    return Response(answer, media_type="application/json")


class SyncStatus(BaseModel):
    device_id: uuid.UUID
    last_mutation_id: int
    synced_at: str | None
    behind: int | None


@router.get("/api/devices/{device_id}/sync", response_model=SyncStatus)
def sync_status(device_id: uuid.UUID, coach: CurrentCoach, db_session: DbSession) -> SyncStatus:
    """How far the device is behind: changes it has not pulled yet (null: never synced)."""
    device = db_session.get(Device, device_id)
    if device is None or device.account_id != coach.account_id:
        raise NotFound("device")
    return SyncStatus(
        device_id=device.id,
        last_mutation_id=device.last_mutation_id,
        synced_at=device.synced_at.isoformat() if device.synced_at else None,
        behind=changes_behind(db_session, device),
    )
