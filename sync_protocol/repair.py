"""The repair step: what a device gives back when the server's database went back in time
(a restore, a failover), and what the server does with each record it is given.

Pure: the server looks up what it holds of each record and writes through its mutation
handlers; this decides the order, the command each record becomes, and the answer.

The rules, the same on every server and for every device, so several phones repairing the
same match converge:

- A record is known by its id. One the server holds (live or deleted) is a no-op
  (``known``), except that a tombstone wins: a tombstone offered for a live record deletes
  it (``restored``), and a record the server holds deleted stays deleted.
- A record the server does not hold is created through the command that would create it
  (``add_player``, ``create_match``, ``set_lineup``, ``add_event``), and deleted again at
  once if it was offered as a tombstone, with the rules of any mutation: a record whose
  team, match or player is missing is answered ``refused`` with that mutation's code,
  and the rest go on.
- Records are applied in :func:`repair_order`: players, matches, lineups, then each
  match's events in match order (a period's kick-off, its events, its break or full
  time), then tombstones, latest first. A device sorts everything it offers this way
  before cutting it into batches, so a later batch never holds what an earlier one needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from sync_protocol.fields import JSON_INTEGER
from sync_protocol.match import PERIOD_MARKERS
from sync_protocol.messages import (
    AddEvent,
    AddPlayer,
    CreateMatch,
    Problem,
    SetLineup,
)
from sync_protocol.repair_order import MAX_REPAIR_RECORDS, RecordType, repair_order


class RepairRecord(BaseModel):
    """One record a device holds, in the full form of a change record's ``data``."""

    model_config = ConfigDict(extra="forbid")

    type: RecordType
    id: uuid.UUID = Field(description="The record's id; a lineup's is its match's")
    deleted: StrictBool = Field(default=False, description="A tombstone the device holds")
    data: dict[str, Any] | None = Field(
        default=None,
        description="The record as the device last held it (for a tombstone: before it "
        "was deleted, or null if the device never held it live)",
    )


class RepairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    protocol: Annotated[int, Field(ge=1, le=1_000_000), JSON_INTEGER]
    device_id: uuid.UUID
    records: Annotated[list[RepairRecord], Field(max_length=MAX_REPAIR_RECORDS)]


class Outcome(StrEnum):
    RESTORED = "restored"
    """The server did not hold the record (or held it live and was given its tombstone):
    it does now."""
    KNOWN = "known"
    """The server already holds the record as given, or a later state of it; nothing changed."""
    REFUSED = "refused"
    """It cannot be applied (``error`` says why); nothing changed."""


class RepairResult(BaseModel):
    type: RecordType
    id: uuid.UUID
    outcome: Outcome
    error: Problem | None = None


class RepairResponse(BaseModel):
    protocol: int
    device_id: uuid.UUID
    results: list[RepairResult] = Field(description="One per record, in the order applied")
    restored: int = Field(description="How many records of this request the server restored")


class Held(StrEnum):
    """What the server holds of an offered record, as the device's coach may see it."""

    NOTHING = "nothing"
    LIVE = "live"
    DELETED = "deleted"


class Step(StrEnum):
    NOTHING = "nothing"
    CREATE = "create"
    DELETE = "delete"
    CREATE_DELETED = "create_deleted"


def decide(record: RepairRecord, held: Held) -> Step:
    """What to do with ``record``, given what the server holds of it: a tombstone wins."""
    if held is Held.NOTHING:
        return Step.CREATE_DELETED if record.deleted else Step.CREATE
    if record.deleted and held is Held.LIVE:
        return Step.DELETE
    return Step.NOTHING


def in_repair_order(records: Iterable[RepairRecord]) -> list[RepairRecord]:
    return sorted(records, key=lambda r: repair_order(dict(r)))


_CREATES: dict[RecordType, tuple[str, type[BaseModel]]] = {
    RecordType.PLAYER: ("add_player", AddPlayer),
    RecordType.MATCH: ("create_match", CreateMatch),
    RecordType.LINEUP: ("set_lineup", SetLineup),
    RecordType.EVENT: ("add_event", AddEvent),
}
_DELETES = {
    RecordType.PLAYER: ("delete_player", "player_id"),
    RecordType.MATCH: ("delete_match", "match_id"),
    RecordType.EVENT: ("delete_event", "event_id"),
}


def create_command(record: RepairRecord) -> tuple[str, dict[str, Any]]:
    """The mutation (name, args) that makes ``record`` anew: the fields of its create
    command taken from ``data``, its id from the record."""
    name, model = _CREATES[record.type]
    data: Mapping[str, Any] = record.data or {}
    args = {field: data[field] for field in model.model_fields if field in data}
    key = "match_id" if record.type is RecordType.LINEUP else "id"
    args[key] = str(record.id)
    return name, args


def delete_command(record: RepairRecord) -> tuple[str, dict[str, Any]]:
    """The mutation (name, args) that deletes ``record``; a lineup has none."""
    name, key = _DELETES[record.type]
    return name, {key: str(record.id)}


def refusal(record: RepairRecord, step: Step) -> Problem | None:
    """Why ``step`` cannot be taken for ``record`` whatever the server holds, or None.

    A lineup is never a tombstone; a record to create needs its ``data``; a removed
    period marker is not made again (only the latest marker can be removed, and which is
    latest depends on what else the server holds)."""
    if record.type is RecordType.LINEUP and record.deleted:
        return Problem(code="invalid", message="a lineup cannot be deleted", field="deleted")
    if step not in (Step.CREATE, Step.CREATE_DELETED):
        return None
    if record.data is None:
        return Problem(
            code="not_restorable",
            message="the server does not hold this record and it came without its data",
            field="data",
        )
    if step is Step.CREATE_DELETED and record.data.get("kind") in PERIOD_MARKERS:
        return Problem(
            code="not_restorable",
            message="a removed period marker the server does not hold is not made again",
            field="deleted",
        )
    return None
