"""Change records in their compact form (SPEC.md "Compact records", protocols 2 and 3).

A compact record's ``data`` leaves out what the envelope already says and every null;
from protocol 3 every id in it is written as 32 bare hex digits. A client gets the full
record back with :func:`full` (or just its ``data`` with :func:`expand`) and stores what a
protocol-1 pull would have given it. A catch-up page is mostly events, and this is a third
of their text; the bare ids save another twentieth of it once compressed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

COMPACT_SINCE = 2
"""The first protocol version whose pulls carry compact change records."""

BARE_IDS_SINCE = 3
"""The first protocol version whose compact records write ids as 32 bare hex digits."""

FIELDS: dict[str, tuple[str, ...]] = {
    "team": ("id", "name", "role"),
    "player": ("id", "team_id", "squad_number", "display_name", "full_name"),
    "match": (
        "id", "team_id", "opponent", "is_home", "kickoff_at", "venue", "competition",
        "periods", "period_minutes", "status", "current_period", "period_started_at",
    ),
    "event": (
        "id", "match_id", "kind", "side", "period", "minute", "stoppage", "player_id",
        "replaced_player_id", "note", "recorded_at", "assist_player_id",
    ),
    "lineup": ("players",),
}  # fmt: skip
"""Every field of each record type's ``data``, in the order a full record lists them."""

SPACE_FIELDS: dict[str, str] = {"player": "team_id", "event": "match_id"}
"""The field of ``data`` that repeats the record's sync space, where it is not its id."""


def is_id(name: str) -> bool:
    """Whether a field holds an id: ``id`` itself, or a name ending ``_id``."""
    return name == "id" or name.endswith("_id")


def bare(value: str) -> str:
    """An id as its 32 hex digits (``str(uuid)`` without the hyphens)."""
    return value.replace("-", "")


def hyphenated(value: str) -> str:
    """An id in its usual 8-4-4-4-12 form, whether it came bare or not."""
    if len(value) != 32:
        return value
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _ids(value: Any, convert: Callable[[str], str]) -> Any:
    """``value`` with ``convert`` applied to every id in it, at any depth."""
    if isinstance(value, dict):
        return {
            k: convert(v) if is_id(k) and isinstance(v, str) else _ids(v, convert)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_ids(item, convert) for item in value]
    return value


def compact(kind: str, data: Mapping[str, Any], *, bare_ids: bool = False) -> dict[str, Any]:
    """``data`` without its own ``id``, without the field naming its space, without nulls;
    with ``bare_ids``, every id left in it as 32 hex digits."""
    left_out = {"id", SPACE_FIELDS.get(kind)}
    kept = {k: v for k, v in data.items() if v is not None and k not in left_out}
    return _ids(kept, bare) if bare_ids else kept


def expand(change: Mapping[str, Any]) -> dict[str, Any] | None:
    """The full ``data`` of a compact change record (None for a tombstone). Fields this
    client does not know are kept; fields it knows and the record leaves out are null;
    ids are hyphenated."""
    if change.get("deleted") or change.get("data") is None:
        return None
    kind, data = change["type"], change["data"]
    full: dict[str, Any] = dict.fromkeys(FIELDS.get(kind, ()))
    if "id" in full:
        full["id"] = change["id"]
    if kind in SPACE_FIELDS:
        full[SPACE_FIELDS[kind]] = change["space"]
    full.update(data)
    return _ids(full, hyphenated)  # type: ignore[no-any-return]


def full(change: Mapping[str, Any]) -> dict[str, Any]:
    """The whole change record a protocol-1 pull carries for a compact one: hyphenated
    ``id`` and ``space``, ``deleted`` always, and ``data`` expanded."""
    return {
        **change,
        "id": hyphenated(change["id"]),
        "space": hyphenated(change["space"]),
        "deleted": bool(change.get("deleted", False)),
        "data": expand(change),
    }
