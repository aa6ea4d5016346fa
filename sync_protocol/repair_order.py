"""The order of the repair step (SPEC.md, "Repair"): the order in which a device offers the
records it holds and the server applies them. Pure, and free of pydantic, so the reference
client sorts with it; ``pwa/js/rules.js`` (``repairOrder``) is its twin, and
``sync_protocol/golden/repair.json`` holds both to the same cases."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sync_protocol.match import EventKind

MAX_REPAIR_RECORDS = 500
"""The most records one ``POST /sync/repair`` may carry."""


class RecordType(StrEnum):
    PLAYER = "player"
    MATCH = "match"
    LINEUP = "lineup"
    EVENT = "event"


_TYPE_RANK: dict[str, int] = {
    RecordType.PLAYER: 0,
    RecordType.MATCH: 1,
    RecordType.LINEUP: 2,
    RecordType.EVENT: 3,
}
# Within a period: its kick-off, then its events, then its break or full time.
_EVENT_RANK: dict[str, int] = {
    EventKind.KICK_OFF: 0,
    EventKind.HALF_TIME: 2,
    EventKind.FULL_TIME: 3,
}


def repair_order(record: Mapping[str, Any]) -> tuple[int, int, tuple[int, ...], str]:
    """Sort key of a record (``type``, ``deleted``, ``data``, as sent): live records
    first, players first and each match's events in match order; then tombstones, events
    first and latest first, players last."""
    data = record.get("data") or {}
    when: tuple[int, ...] = ()
    if record.get("type") == RecordType.EVENT:
        rank = _EVENT_RANK.get(str(data.get("kind")), 1)
        period, minute, stoppage = (_number(data.get(n)) for n in ("period", "minute", "stoppage"))
        when = (period, rank, minute, stoppage)
    space = str(data.get("match_id") or "")
    type_rank = _TYPE_RANK.get(str(record.get("type")), len(_TYPE_RANK))
    if record.get("deleted"):
        return 1, -type_rank, tuple(-part for part in when), space
    return 0, type_rank, when, space


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
