"""Change records written as the JSON a client receives (SPEC.md "Changes", "Compact
records", "Live records").

Pure. A record comes in one of four forms (:class:`Form`): in full for protocol-1 devices,
compact for protocol-2 devices (``deleted`` only when true, and ``data`` without nulls and
without the ids the envelope gives), compact with bare ids for protocol-3 devices (every id
as 32 hex digits), and live for the match channels (compact, without ``space``, a match's
``team_id`` or an event's note, which may name a child).

:func:`encode` is the plain encoder, for every record type and form. Events are most of
what a device pulls, so :func:`encode_event` writes an event's text from its plain values
without building and walking a dict; a property test holds it equal to :func:`encode`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple

from sync_protocol.messages import ChangeType
from sync_protocol.records import BARE_IDS_SINCE, COMPACT_SINCE, bare, compact, hyphenated

_COMPACT = (",", ":")


class Form(Enum):
    FULL = "full"
    COMPACT = "compact"
    BARE = "bare"  # compact, with every id as 32 hex digits
    LIVE = "live"

    @classmethod
    def for_protocol(cls, version: int) -> Form:
        if version >= BARE_IDS_SINCE:
            return cls.BARE
        return cls.COMPACT if version >= COMPACT_SINCE else cls.FULL


# What a live record leaves out besides a compact one's: the channel is the match, so a
# match's ``team_id`` says nothing the viewer needs, and a family never sees the coach's
# free-text note on an event.
_NOT_LIVE = frozenset({"team_id", "note"})


def encode(
    kind: ChangeType,
    record_id: str,
    space: str,
    seq: int,
    data: Mapping[str, Any] | None,
    form: Form = Form.FULL,
) -> str:
    """The change record as JSON, in ``form``; ``data`` None is a tombstone. Ids are
    given hyphenated."""
    record: dict[str, Any]
    if form is Form.FULL:
        record = {
            "type": kind.value,
            "id": record_id,
            "space": space,
            "seq": seq,
            "deleted": data is None,
            "data": data,
        }
    elif form is not Form.LIVE:
        ids = bare if form is Form.BARE else str
        record = {"type": kind.value, "id": ids(record_id), "space": ids(space), "seq": seq}
        if data is None:
            record["deleted"] = True
        else:
            record["data"] = compact(kind.value, data, bare_ids=form is Form.BARE)
    else:
        record = {"type": kind.value, "id": record_id, "seq": seq}
        if data is None:
            record["deleted"] = True
        else:
            kept = compact(kind.value, data)
            record["data"] = {k: v for k, v in kept.items() if k not in _NOT_LIVE}
    return json.dumps(record, separators=_COMPACT)


class EventValues(NamedTuple):
    """An event as plain values: ids as text (bare or hyphenated), ``kind`` and ``side``
    as their values, ``recorded_at`` as a change record writes it."""

    id: str
    match_id: str
    kind: str
    side: str
    period: int
    minute: int
    stoppage: int
    player_id: str | None
    replaced_player_id: str | None
    note: str | None
    recorded_at: str | None
    assist_player_id: str | None
    deleted: bool | int
    seq: int


def event_data(event: EventValues) -> dict[str, Any]:
    """An event's full ``data``, ids hyphenated."""
    return {
        "id": hyphenated(event.id),
        "match_id": hyphenated(event.match_id),
        "kind": event.kind,
        "side": event.side,
        "period": event.period,
        "minute": event.minute,
        "stoppage": event.stoppage,
        "player_id": event.player_id and hyphenated(event.player_id),
        "replaced_player_id": event.replaced_player_id and hyphenated(event.replaced_player_id),
        "note": event.note,
        "recorded_at": event.recorded_at,
        "assist_player_id": event.assist_player_id and hyphenated(event.assist_player_id),
    }


# Match and player ids repeat from event to event, so their hyphenated form is remembered;
# an event's own id never repeats.
_hyphenated_often = functools.lru_cache(maxsize=4096)(hyphenated)


def encode_event(event: EventValues, form: Form = Form.FULL) -> str:
    """:func:`encode` of the event, from its values."""
    if form is Form.LIVE:
        data = None if event.deleted else event_data(event)
        return encode(ChangeType.EVENT, hyphenated(event.id), "", event.seq, data, form)
    if form is Form.BARE:
        to_id: Any = bare
        event_id, match_id = bare(event.id), bare(event.match_id)
    else:
        to_id = _hyphenated_often
        event_id, match_id = hyphenated(event.id), _hyphenated_often(event.match_id)
    player_id = event.player_id and to_id(event.player_id)
    replaced_id = event.replaced_player_id and to_id(event.replaced_player_id)
    assist_id = event.assist_player_id and to_id(event.assist_player_id)
    head = f'{{"type":"event","id":"{event_id}","space":"{match_id}","seq":{event.seq},'
    note = "null" if event.note is None else json.dumps(event.note)
    if form is Form.FULL:
        if event.deleted:
            return head + '"deleted":true,"data":null}'
        return (
            f'{head}"deleted":false,"data":{{"id":"{event_id}","match_id":"{match_id}",'
            f'"kind":"{event.kind}","side":"{event.side}","period":{event.period},'
            f'"minute":{event.minute},"stoppage":{event.stoppage},'
            f'"player_id":{_quoted(player_id)},"replaced_player_id":{_quoted(replaced_id)},'
            f'"note":{note},"recorded_at":{_quoted(event.recorded_at)},'
            f'"assist_player_id":{_quoted(assist_id)}}}}}'
        )
    if event.deleted:
        return head + '"deleted":true}'
    optional = (
        ("player_id", _quoted(player_id)),
        ("replaced_player_id", _quoted(replaced_id)),
        ("note", note),
        ("recorded_at", _quoted(event.recorded_at)),
        ("assist_player_id", _quoted(assist_id)),
    )
    return (
        f'{head}"data":{{"kind":"{event.kind}","side":"{event.side}","period":{event.period},'
        f'"minute":{event.minute},"stoppage":{event.stoppage}'
        + "".join(f',"{name}":{text}' for name, text in optional if text != "null")
        + "}}"
    )


def _quoted(text: str | None) -> str:
    # Only for text that needs no escaping in JSON (ids, enum values, timestamps).
    return "null" if text is None else f'"{text}"'
