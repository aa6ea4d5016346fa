"""Change records in their compact form (SPEC.md "Change records", protocol 2).

A compact record's ``data`` leaves out what the envelope already says and every null:
a client puts them back with :func:`expand` and stores the same record a protocol-1 pull
would have given it. A catch-up page is mostly events, and this is a third of their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMPACT_SINCE = 2
"""The first protocol version whose pulls carry compact change records."""

FIELDS: dict[str, tuple[str, ...]] = {
    "team": ("id", "name", "role"),
    "player": ("id", "team_id", "squad_number", "display_name", "full_name"),
    "match": (
        "id", "team_id", "opponent", "is_home", "kickoff_at", "venue", "competition",
        "periods", "period_minutes", "status", "current_period", "period_started_at",
    ),
    "event": (
        "id", "match_id", "kind", "side", "period", "minute", "stoppage", "player_id",
        "replaced_player_id", "note", "recorded_at",
    ),
    "lineup": ("players",),
}  # fmt: skip
"""Every field of each record type's ``data``, in the order a full record lists them."""

SPACE_FIELDS: dict[str, str] = {"player": "team_id", "event": "match_id"}
"""The field of ``data`` that repeats the record's sync space, where it is not its id."""


def compact(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without its own ``id``, without the field naming its space, without nulls."""
    left_out = {"id", SPACE_FIELDS.get(kind)}
    return {k: v for k, v in data.items() if v is not None and k not in left_out}


def expand(change: Mapping[str, Any]) -> dict[str, Any] | None:
    """The full ``data`` of a compact change record (None for a tombstone). Fields this
    client does not know are kept; fields it knows and the record leaves out are null."""
    if change.get("deleted") or change.get("data") is None:
        return None
    kind, data = change["type"], change["data"]
    full: dict[str, Any] = dict.fromkeys(FIELDS.get(kind, ()))
    if "id" in full:
        full["id"] = change["id"]
    if kind in SPACE_FIELDS:
        full[SPACE_FIELDS[kind]] = change["space"]
    full.update(data)
    return full
