"""The /sync wire messages (protocol version 3). ``SPEC.md`` describes them in prose.

A request pushes the device's queued mutations and pulls what changed since its cursor;
the response acknowledges every mutation it processed and carries a page of changes.
Mutation arguments are validated one mutation at a time (:data:`COMMANDS`), so one bad
entry is rejected on its own and never blocks the rest of a device's queue.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from sync_protocol import PROTOCOL_VERSION
from sync_protocol.fields import JSON_INTEGER, NO_NUL, Name, Note, ShortText, Timestamp, storable
from sync_protocol.match import MAX_MINUTE, MAX_PERIODS, MAX_STOPPAGE, EventKind, Side

MAX_MUTATIONS = 500
MAX_CHANGES = 5000
DEFAULT_CHANGES = 500
MAX_CURSOR_LENGTH = 65_536
MAX_ARGS_DEPTH = 6
MUTATION_ID_MAX = 2**53 - 1  # exact in every JSON implementation, JavaScript's included


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- command arguments -------------------------------------------------------------------

Period = Annotated[int, Field(ge=1, le=MAX_PERIODS), JSON_INTEGER]
Minute = Annotated[int, Field(ge=0, le=MAX_MINUTE), JSON_INTEGER]
Stoppage = Annotated[int, Field(ge=0, le=MAX_STOPPAGE), JSON_INTEGER]
SquadNumber = Annotated[int, Field(ge=0, le=99), JSON_INTEGER]
PeriodMinutes = Annotated[int, Field(ge=1, le=60), JSON_INTEGER]


class CreateMatch(_Strict):
    id: uuid.UUID
    team_id: uuid.UUID
    opponent: Name
    is_home: StrictBool = True
    kickoff_at: Timestamp
    venue: ShortText | None = None
    competition: ShortText | None = None
    periods: Period = 2
    period_minutes: PeriodMinutes = 45


class UpdateMatch(_Strict):
    """Only the fields present change."""

    match_id: uuid.UUID
    opponent: Name | None = None
    is_home: StrictBool | None = None
    kickoff_at: Timestamp | None = None
    venue: ShortText | None = None
    competition: ShortText | None = None
    periods: Period | None = None
    period_minutes: PeriodMinutes | None = None


class DeleteMatch(_Strict):
    match_id: uuid.UUID


class AddEvent(_Strict):
    id: uuid.UUID
    match_id: uuid.UUID
    kind: EventKind
    side: Side = Side.TEAM
    period: Period
    minute: Minute
    stoppage: Stoppage = 0
    player_id: uuid.UUID | None = None
    replaced_player_id: uuid.UUID | None = None
    note: Note | None = None
    recorded_at: Timestamp | None = None
    assist_player_id: uuid.UUID | None = None


class EventChanges(_Strict):
    """Fields of an event to change; absent fields keep their value, null clears."""

    kind: EventKind | None = None
    side: Side | None = None
    period: Period | None = None
    minute: Minute | None = None
    stoppage: Stoppage | None = None
    player_id: uuid.UUID | None = None
    replaced_player_id: uuid.UUID | None = None
    note: Note | None = None
    assist_player_id: uuid.UUID | None = None


class EditEvent(_Strict):
    event_id: uuid.UUID
    changes: EventChanges


class DeleteEvent(_Strict):
    event_id: uuid.UUID


class LineupSlot(_Strict):
    player_id: uuid.UUID
    role: Literal["starting", "bench"]
    position: ShortText | None = None


class SetLineup(_Strict):
    match_id: uuid.UUID
    players: Annotated[list[LineupSlot], Field(max_length=60)]


class AddPlayer(_Strict):
    id: uuid.UUID
    team_id: uuid.UUID
    squad_number: SquadNumber | None = None
    display_name: Name
    full_name: Name | None = None


class UpdatePlayer(_Strict):
    """Only the fields present change; null clears squad_number or full_name."""

    player_id: uuid.UUID
    squad_number: SquadNumber | None = None
    display_name: Name | None = None
    full_name: Name | None = None


class DeletePlayer(_Strict):
    """With ``erase``, the player's names are overwritten for good, not only hidden."""

    player_id: uuid.UUID
    erase: StrictBool = False


COMMANDS: dict[str, type[_Strict]] = {
    "create_match": CreateMatch,
    "update_match": UpdateMatch,
    "delete_match": DeleteMatch,
    "add_event": AddEvent,
    "edit_event": EditEvent,
    "delete_event": DeleteEvent,
    "set_lineup": SetLineup,
    "add_player": AddPlayer,
    "update_player": UpdatePlayer,
    "delete_player": DeletePlayer,
}
"""Every command a mutation can name, with the model its ``args`` must satisfy."""


# --- request -----------------------------------------------------------------------------


def _deeper_than(value: Any, levels: int) -> bool:
    """Whether ``value`` nests more than ``levels`` objects and arrays deep; a plain loop
    that stops at the first branch too deep (every mutation's arguments pass here)."""
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return False
    if levels == 0:
        return True
    for child in children:
        if isinstance(child, dict | list) and _deeper_than(child, levels - 1):
            return True
    return False


def _shallow(args: dict[str, Any]) -> dict[str, Any]:
    # The one free-form object in a request: commands nest three levels at most, so
    # anything deeper is refused before any command looks at it.
    if _deeper_than(args, MAX_ARGS_DEPTH):
        raise ValueError(f"nested deeper than {MAX_ARGS_DEPTH} levels")
    return args


class Mutation(_Strict):
    id: Annotated[int, Field(ge=1, le=MUTATION_ID_MAX), JSON_INTEGER] = Field(
        description="The device's mutation counter: 1 for its first mutation, +1 for each next"
    )
    name: Annotated[str, Field(max_length=64, pattern=NO_NUL), AfterValidator(storable)] = Field(
        description="A command name"
    )
    args: Annotated[dict[str, Any], AfterValidator(_shallow)] = Field(
        description=f"The command's arguments, checked per command; at most {MAX_ARGS_DEPTH} "
        "levels of nesting"
    )
    client_time: Timestamp | None = Field(
        default=None, description="The phone's clock when queued; recorded, never trusted"
    )


class SyncRequest(_Strict):
    protocol: Annotated[int, Field(ge=1, le=1_000_000), JSON_INTEGER] = Field(
        description=f"The protocol version the client speaks (this server: {PROTOCOL_VERSION})"
    )
    device_id: uuid.UUID = Field(description="The id the device was registered with")
    cursor: Annotated[str, Field(max_length=MAX_CURSOR_LENGTH)] | None = Field(
        default=None, description="The cursor of the last response; null for a first sync"
    )
    mutations: Annotated[list[Mutation], Field(max_length=MAX_MUTATIONS)] = []
    pull: StrictBool = Field(default=True, description="false pushes only")
    max_changes: Annotated[int, Field(ge=1, le=MAX_CHANGES), JSON_INTEGER] = DEFAULT_CHANGES


# --- response ----------------------------------------------------------------------------


class Verdict(StrEnum):
    APPLIED = "applied"
    """The mutation's effects are committed."""
    REJECTED = "rejected"
    """It can never succeed (unknown target, invalid arguments); nothing changed."""
    CONFLICT = "conflict"
    """Valid, but the state it assumed is gone (e.g. edit of a deleted event); nothing changed."""


class Problem(BaseModel):
    code: str
    message: str
    field: str | None = None


class MutationResult(BaseModel):
    id: int
    verdict: Verdict
    error: Problem | None = None
    current: dict[str, Any] | None = Field(
        default=None, description="For a conflict: the server's current record that won"
    )
    replayed: bool = Field(
        default=False, description="This id was already processed; its first verdict"
    )


class Gap(BaseModel):
    expected: int = Field(description="Resend the queue from this mutation id")


class ResetReason(StrEnum):
    GENERATION_CHANGED = "generation_changed"
    CURSOR_AHEAD = "cursor_ahead"
    UNKNOWN_DEVICE = "unknown_device"


class Reset(BaseModel):
    reason: ResetReason
    message: str


class ChangeType(StrEnum):
    TEAM = "team"
    PLAYER = "player"
    MATCH = "match"
    EVENT = "event"
    LINEUP = "lineup"


# An id in a change record: hyphenated up to protocol 2, its 32 bare hex digits from 3.
RecordId = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
        description="A UUID: hyphenated up to protocol 2, as 32 bare hex digits from 3",
    ),
]


class Change(BaseModel):
    type: ChangeType
    id: RecordId
    space: RecordId = Field(description="The team (roster) or match the change belongs to")
    seq: int
    deleted: bool = False
    data: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The record as it is now; absent or null if deleted. From protocol 2 it leaves "
            "out nulls, its own id and its space's id (sync_protocol.records.expand)"
        ),
    )


class SyncResponse(BaseModel):
    protocol: int
    device_id: uuid.UUID
    last_mutation_id: int = Field(description="Drop every queued mutation up to this id")
    results: list[MutationResult]
    gap: Gap | None = None
    reset: Reset | None = Field(
        default=None, description="Discard pulled state (never the outbox) and rebuild"
    )
    changes: list[Change]
    cursor: str | None = Field(description="Send back as `cursor` next time")
    has_more: bool = Field(description="Sync again at once to pull the next page")
    server_time: datetime
