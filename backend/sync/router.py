from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from backend.accounts.auth import CurrentCoach, CurrentDevice, stamp_seen
from backend.db.engine import Database
from backend.db.models import Device
from backend.db.session import DbSession, database
from backend.errors import BadRequest, Invalid, NotFound
from backend.sync import repair, service
from backend.sync.cursors import CursorCodec
from backend.sync.lag import changes_behind
from sync_protocol.messages import SyncRequest, SyncResponse
from sync_protocol.repair import RepairRequest, RepairResponse

router = APIRouter(tags=["sync"])
Body = TypeVar("Body", bound=BaseModel)


def cursor_codec(request: Request) -> CursorCodec:
    codec: CursorCodec = request.app.state.cursor_codec
    return codec


async def device_body(request: Request, _device: CurrentDevice) -> bytes:
    """The raw body, read only once the device token has been accepted: a caller without
    one is refused before a byte of the body is read or parsed."""
    return await request.body()


def sync_request(raw: bytes) -> SyncRequest:
    """Parse and validate a /sync body; errors name the field as FastAPI's own would.

    The stdlib parser, as for every other route: it reads a lone surrogate escape, which
    pydantic's own parser refuses, so that one bad note is one rejected mutation and not
    a request refused whole."""
    return parsed_body(raw, SyncRequest)


def parsed_body(raw: bytes, model: type[Body]) -> Body:
    """``raw`` parsed as JSON and validated as ``model``; see :func:`sync_request`."""
    if not raw:
        raise Invalid("a JSON body is required", field="body")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest(
            "the body is not valid JSON", field="body", code="malformed_json"
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in invalid.errors()]
        raise RequestValidationError(errors) from None


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    # The body is documented by hand (FastAPI documents only bodies it parses itself), and
    # an operation cannot carry `$defs`: each reference is replaced by what it names.
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


@router.post(
    "/sync",
    response_model=SyncResponse,
    responses={200: {"model": SyncResponse}},
    summary="Push queued mutations and pull what changed, in one round trip",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined(SyncRequest.model_json_schema())}},
        }
    },
)
def sync(
    raw: Annotated[bytes, Depends(device_body)], request: Request, device: CurrentDevice
) -> Response:
    """See sync_protocol/SPEC.md. A 200 means every acknowledged mutation is committed.

    The body is parsed here, in a worker thread, never on the event loop. The database
    and the cursor codec are read from the app here too: as dependencies, each would
    cost the request a hop to a worker thread and back."""
    body = sync_request(raw)
    state = request.app.state
    answer = service.sync(state.db, cursor_codec(request), device, body, state.metrics)
    return Response(answer, media_type="application/json")


@router.post(
    "/sync/repair",
    response_model=RepairResponse,
    summary="Give back records the server lost when its database went back in time",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inlined(RepairRequest.model_json_schema())}
            },
        }
    },
)
def sync_repair(
    raw: Annotated[bytes, Depends(device_body)],
    device: CurrentDevice,
    db: Annotated[Database, Depends(database)],
) -> RepairResponse:
    """The repair step (sync_protocol/SPEC.md, "Repair"): every record answered
    ``restored``, ``known`` or ``refused``; the restored ones are committed."""
    answer = repair.repair(db, device, parsed_body(raw, RepairRequest))
    stamp_seen(db, device)
    return answer


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
