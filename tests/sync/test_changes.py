"""Event change records read as plain rows are the very text ``json.dumps`` gives for them."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Event
from backend.sync import changes
from tests import factories
from tests.sync import Phone


def _reference(event: Event) -> str:
    """The record as SPEC.md "Changes" describes it, encoded the plain way."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    data = {
        "id": str(event.id),
        "match_id": str(event.match_id),
        "kind": event.kind.value,
        "side": event.side.value,
        "period": event.period,
        "minute": event.minute,
        "stoppage": event.stoppage,
        "player_id": text(event.player_id),
        "replaced_player_id": text(event.replaced_player_id),
        "note": event.note,
        "recorded_at": changes.iso(event.recorded_at),
    }
    record = {
        "type": "event",
        "id": str(event.id),
        "space": str(event.match_id),
        "seq": event.seq,
        "deleted": event.deleted_at is not None,
        "data": None if event.deleted_at is not None else data,
    }
    return json.dumps(record, separators=(",", ":"))


def test_event_records_are_byte_for_byte_the_json_encoding(
    client: TestClient, db_session: Session
) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    scorer = factories.player(client, phone.headers, team_id)
    sub = factories.player(client, phone.headers, team_id, number=12, name="Jo")
    match_id = factories.match(client, phone.headers, team_id)
    awkward = 'he said "wow"\\ then\n\tscored \u2013 élan ⚽'
    mutations = [
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(match_id, "goal", player_id=scorer, note=awkward),
        phone.add_event(
            match_id,
            "substitution",
            minute=44,
            stoppage=2,
            player_id=sub,
            replaced_player_id=scorer,
            recorded_at="2026-11-21T10:44:31.250000Z",
        ),
        phone.add_event(match_id, "save", side="opposition", recorded_at="2026-11-21T10:45:00Z"),
    ]
    undone = mutations[-1]["args"]["id"]
    phone.sync(*mutations, phone.mutation("delete_event", event_id=undone))

    rows = changes.event_rows(db_session, Event.match_id == uuid.UUID(match_id))
    loaded = {
        str(e.id): e
        for e in db_session.scalars(select(Event).where(Event.match_id == uuid.UUID(match_id)))
    }
    assert len(rows) == len(loaded) == 4
    records = [changes.event_record(row).payload for row in rows]
    for record in records:
        event = loaded[json.loads(record)["id"]]
        assert record == _reference(event)
        assert changes.event_change(event).payload == record
    assert [json.loads(record)["deleted"] for record in records] == [False, False, False, True]
    assert json.loads(records[1])["data"]["note"] == awkward
