"""Change records: read as plain rows they are the very text ``json.dumps`` gives, and the
compact forms of protocols 2 and 3 carry exactly what the full form of protocol 1 does."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db import changes
from backend.db.models import Event, Match
from sync_protocol.encoders import Form
from sync_protocol.records import full
from tests import factories
from tests.sync import Phone, events


def _reference(event: Event, *, compact: bool = False, bare: bool = False) -> str:
    """The record as SPEC.md "Change records" describes it, encoded the plain way: in full,
    or compact (``deleted`` only when true; ``data`` without nulls, ``id`` or ``match_id``),
    with ``bare`` ids as 32 hex digits."""

    def text(value: Any) -> str | None:
        if value is None:
            return None
        return value.hex if bare else str(value)

    data = {
        "id": text(event.id),
        "match_id": text(event.match_id),
        "kind": event.kind.value,
        "side": event.side.value,
        "period": event.period,
        "minute": event.minute,
        "stoppage": event.stoppage,
        "player_id": text(event.player_id),
        "replaced_player_id": text(event.replaced_player_id),
        "note": event.note,
        "recorded_at": changes.iso(event.recorded_at),
        "assist_player_id": text(event.assist_player_id),
    }
    record = {
        "type": "event",
        "id": text(event.id),
        "space": text(event.match_id),
        "seq": event.seq,
        "deleted": event.deleted_at is not None,
        "data": None if event.deleted_at is not None else data,
    }
    if compact:
        record.pop("deleted") if record["deleted"] is False else record.pop("data")
        if "data" in record:
            record["data"] = {
                k: v for k, v in data.items() if v is not None and k not in {"id", "match_id"}
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
        phone.add_event(match_id, "goal", player_id=scorer, assist_player_id=sub, note=awkward),
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
    for form in (Form.COMPACT, Form.BARE):
        for row in rows:
            record = changes.event_record(row, form).payload
            event = loaded[str(uuid.UUID(json.loads(record)["id"]))]
            assert record == _reference(event, compact=True, bare=form is Form.BARE)
            assert changes.event_change(event, form).payload == record
    assert [json.loads(record)["deleted"] for record in records] == [False, False, False, True]
    assert json.loads(records[1])["data"]["note"] == awkward


def test_live_records_are_compact_and_hold_no_note(client: TestClient, db_session: Session) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    scorer = factories.player(client, phone.headers, team_id)
    match_id = factories.match(client, phone.headers, team_id, venue="Rec Ground")
    kick_off = phone.add_event(match_id, "kick_off", minute=0)
    maker = factories.player(client, phone.headers, team_id, number=7, name="Kit")
    goal = phone.add_event(
        match_id, "goal", player_id=scorer, assist_player_id=maker, note="ask about the ankle"
    )
    save = phone.add_event(match_id, "save", side="opposition")
    phone.sync(kick_off, goal, save)
    seen = phone.sync()  # the position the viewer holds: everything so far
    phone.sync(
        phone.mutation("delete_event", event_id=save["args"]["id"]),
        phone.mutation("update_match", match_id=match_id, venue=None),
    )
    match = db_session.get(Match, uuid.UUID(match_id))
    assert match is not None and seen["has_more"] is False

    def live(since: int) -> list[dict[str, Any]]:
        spaces = changes.match_spaces(db_session, [match], {match.id: since}, 100, form=Form.LIVE)
        return [json.loads(c.payload) for s in spaces for c in s.changes]

    everything = live(0)
    assert [(r["type"], r["id"]) for r in everything] == [
        ("event", kick_off["args"]["id"]),
        ("event", goal["args"]["id"]),
        ("match", match_id),
    ]
    assert everything[1] == {
        "type": "event",
        "id": goal["args"]["id"],
        "seq": everything[1]["seq"],
        "data": {
            "kind": "goal",
            "side": "team",
            "period": 1,
            "minute": 1,
            "stoppage": 0,
            "player_id": scorer,
            "assist_player_id": maker,
        },
    }
    assert everything[2]["data"] == {
        "opponent": "Blues",
        "is_home": True,
        "kickoff_at": "2026-11-21T10:00:00Z",
        "periods": 2,
        "period_minutes": 45,
        "status": "live",
        "current_period": 1,
        "period_started_at": everything[2]["data"]["period_started_at"],
    }
    tombstone = next(r for r in live(everything[1]["seq"]) if r["type"] == "event")
    assert tombstone == {
        "type": "event",
        "id": save["args"]["id"],
        "seq": tombstone["seq"],
        "deleted": True,
    }


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_compact_pull_carries_what_a_protocol_1_pull_does(
    client: TestClient, protocol: int
) -> None:
    """Every type, nulls, a note, tombstones and a lineup: expanded, the compact records
    of a protocol-2 or -3 pull are the full records of a protocol-1 pull, and shorter."""
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    scorer = factories.player(client, phone.headers, team_id)
    sub = factories.player(client, phone.headers, team_id, number=12, name="Jo")
    gone = factories.player(client, phone.headers, team_id, number=14, name="Al")
    match_id = factories.match(client, phone.headers, team_id, venue="Rec Ground")
    first = phone.sync(
        phone.mutation(
            "set_lineup",
            match_id=match_id,
            players=[{"player_id": scorer, "role": "starting", "position": "ST"}],
        ),
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(
            match_id, "goal", player_id=scorer, assist_player_id=sub, note="top corner"
        ),
        phone.add_event(match_id, "substitution", player_id=sub, replaced_player_id=scorer),
        save := phone.add_event(match_id, "save", side="opposition"),
    )
    assert [r["verdict"] for r in first["results"]] == ["applied"] * 5, first["results"]
    phone.sync(
        phone.mutation("delete_event", event_id=save["args"]["id"]),
        phone.mutation("update_match", match_id=match_id, venue=None),
        phone.mutation("delete_player", player_id=gone),
    )
    # Two devices of the same coach, pulling from the start and from half-way.
    older, compact = Phone(client, phone.headers), Phone(client, phone.headers)
    pulled = []
    for since in (None, 2):
        older.cursor = compact.cursor = None
        if since is not None:
            # A position past the team and some of the match, so tombstones are sent.
            older.sync(max_changes=since)
            compact.sync(max_changes=since, protocol=protocol)
        old = older.pull_all()
        new = compact.pull_all(protocol=protocol)
        assert [full(c) for c in new] == old
        assert all("deleted" not in c or c["deleted"] is True for c in new)
        assert len(json.dumps(new)) < len(json.dumps(old))
        # Protocol 3 writes every id bare: in the envelope, and at any depth of ``data``.
        ids = [c["id"] for c in new] + [c["space"] for c in new]
        ids += [p["player_id"] for c in new if c["type"] == "lineup" for p in c["data"]["players"]]
        ids += [
            c["data"][k] for c in new for k in ("player_id", "team_id") if k in c.get("data", {})
        ]
        assert len(ids) > len(new) * 2
        assert all(len(i) == (32 if protocol == 3 else 36) for i in ids), ids
        pulled += old
    assert {c["type"] for c in pulled} == {"team", "player", "match", "event", "lineup"}
    assert {c["type"] for c in pulled if c["deleted"]} == {"player"}
    assert any(c["data"]["note"] for c in pulled if c["type"] == "event")


def test_times_are_sent_in_utc_whatever_the_database_session_s_time_zone(
    client: TestClient, db_session: Session
) -> None:
    """A managed PostgreSQL may run in local time: timestamps still leave as UTC with
    a ``Z``, in pulls (both forms), the REST API and a conflict's record."""
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id = factories.match(client, phone.headers, team_id)
    kick_off = phone.add_event(
        match_id, "kick_off", minute=0, recorded_at="2026-11-21T10:44:31.250000+01:00"
    )
    assert phone.sync(kick_off)["results"][0]["verdict"] == "applied"
    if db_session.get_bind().dialect.name == "postgresql":
        # Undone with the test's transaction; the app reads through the same connection.
        db_session.execute(text("SET TIME ZONE 'Pacific/Auckland'"))
        assert db_session.scalar(text("SHOW TIME ZONE")) == "Pacific/Auckland"
    expected = "2026-11-21T09:44:31.250000Z"

    for protocol in (1, 3):
        reader = Phone(client, phone.headers)
        pulled = [full(c) for c in reader.pull_all(protocol=protocol) if c["type"] == "event"]
        assert [c["data"]["recorded_at"] for c in pulled] == [expected], protocol
    assert [e["recorded_at"] for e in events(client, phone.headers, match_id)] == [expected]
    again = phone.sync(phone.add_event(match_id, "kick_off", minute=0))
    assert again["results"][0]["verdict"] == "conflict", again["results"]
    assert again["results"][0]["current"]["data"]["period_started_at"] == expected
