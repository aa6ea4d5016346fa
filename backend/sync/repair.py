"""The repair step's driver (``POST /sync/repair``): a device gives back the records it
holds; each is looked up, decided by :mod:`sync_protocol.repair`, and written through the
same command handlers as a mutation, in one transaction. How many records each device
restored is counted per database generation (the ``repairs`` table), which
``touchline db repairs`` reports."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.accounts.auth import Principal
from backend.db.engine import Database
from backend.db.models import Match, Player, Repair, ServerMeta, utcnow
from backend.errors import Conflict, Invalid, NotFound, TouchlineError
from backend.matches.service import MatchWriter
from backend.sync.mutations import HANDLERS, Turn
from backend.sync.service import refuse_newer_protocol
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.messages import Problem
from sync_protocol.repair import (
    Held,
    Outcome,
    RepairRecord,
    RepairRequest,
    RepairResponse,
    RepairResult,
    Step,
    create_command,
    decide,
    delete_command,
    in_repair_order,
    refusal,
)
from sync_protocol.repair_order import RecordType


def repair(db: Database, principal: Principal, request: RepairRequest) -> RepairResponse:
    """Apply every offered record, in repair order; on return the restored ones are
    committed, with the device's count for this generation."""
    device_id = principal.device_id
    assert device_id is not None
    refuse_newer_protocol(request.protocol)
    if request.device_id != device_id:
        # As on /sync: these records are offered for another device id; say so, and let
        # the device adopt the token's id (its sync gets an unknown_device reset).
        raise Conflict(
            "this is not the device of the token", field="device_id", code="unknown_device"
        )
    with db.write_turn(), db.writer() as session:
        writer = MatchWriter(session, principal.account_id, device_id)
        # As a push does: the matches named are locked before their events are read, so a
        # phone repairing the same match at the same time commits first and is found.
        writer.prefetch(*_named(request.records))
        turn = Turn(session, writer, principal.account_id)
        results = [_repair_one(turn, record) for record in in_repair_order(request.records)]
        writer.flush_events()
        restored = sum(1 for result in results if result.outcome is Outcome.RESTORED)
        if restored:
            _count(session, device_id, restored)
        session.commit()
    return RepairResponse(
        protocol=PROTOCOL_VERSION, device_id=device_id, results=results, restored=restored
    )


def _named(records: list[RepairRecord]) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The matches and the events the records name."""
    matches: list[uuid.UUID] = []
    for record in records:
        if record.type in (RecordType.MATCH, RecordType.LINEUP):
            matches.append(record.id)
        elif record.type is RecordType.EVENT:
            with contextlib.suppress(ValueError):  # a bad id is refused when applied
                matches.append(uuid.UUID(str((record.data or {}).get("match_id"))))
    events = [record.id for record in records if record.type is RecordType.EVENT]
    return matches, events


def _repair_one(turn: Turn, record: RepairRecord) -> RepairResult:
    step = decide(record, _held(turn, record))
    problem = refusal(record, step)
    if problem is None and step is not Step.NOTHING:
        try:
            if step in (Step.CREATE, Step.CREATE_DELETED):
                _run(turn, *create_command(record))
            if step in (Step.DELETE, Step.CREATE_DELETED):
                _run(turn, *delete_command(record))
        except TouchlineError as error:
            problem = Problem(code=error.code, message=error.message, field=_field(error.field))
    if problem is not None:
        return RepairResult(type=record.type, id=record.id, outcome=Outcome.REFUSED, error=problem)
    outcome = Outcome.KNOWN if step is Step.NOTHING else Outcome.RESTORED
    return RepairResult(type=record.type, id=record.id, outcome=outcome)


def _run(turn: Turn, name: str, args: dict[str, Any]) -> None:
    command = HANDLERS[name]
    try:
        parsed = command.args.model_validate(args)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Invalid(f"{where}: {first['msg']}", field=where) from None
    command.apply(turn, parsed)


def _field(name: str | None) -> str | None:
    """A handler names an argument; the record names the same field inside ``data``."""
    if name is None:
        return None
    return "data." + name.removeprefix("args.")


def _held(turn: Turn, record: RepairRecord) -> Held:
    """What the server holds of the record, as the device's coach may see it: a record of
    another team is held for nobody, and its create is refused as a mutation's would be."""
    session, writer = turn.session, turn.writer
    try:
        if record.type is RecordType.EVENT:
            _, event = writer.visible_event(record.id)
            return Held.DELETED if event.deleted_at is not None else Held.LIVE
        if record.type is RecordType.LINEUP:
            return Held.LIVE if writer.match(record.id).lineup_seq > 0 else Held.NOTHING
    except NotFound:
        return Held.NOTHING
    row: Player | Match | None = (
        session.get(Player, record.id)
        if record.type is RecordType.PLAYER
        else session.get(Match, record.id)
    )
    if row is None or row.team_id not in writer.teams():
        return Held.NOTHING
    return Held.DELETED if row.deleted_at is not None else Held.LIVE


def _count(session: Session, device_id: uuid.UUID, restored: int) -> None:
    generation = session.scalar(select(ServerMeta.generation))
    assert generation is not None
    counted = session.execute(
        update(Repair)
        .where(Repair.generation == generation, Repair.device_id == device_id)
        .values(records=Repair.records + restored, updated_at=utcnow())
    )
    if counted.rowcount == 0:  # type: ignore[attr-defined]
        row = Repair(generation=generation, device_id=device_id, records=restored)
        session.add(row)
        session.flush()
