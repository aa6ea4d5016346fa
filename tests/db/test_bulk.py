"""The events' bulk insert (backend/db/bulk.py) stores exactly what a Core insert of the
same rows stores, byte for byte as the driver reads it back, on both databases."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, insert, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from backend.db.bulk import RowInserter
from backend.db.models import Event, EventKind, Side
from tests import factories

EVENTS = cast(Table, Event.__table__)
COLUMNS = [column.key for column in EVENTS.columns]

zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-7, minutes=-30))]
)
instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    zones,
)


def _kind(member: Any) -> st.SearchStrategy[Any]:
    """An enum member as the code passes it: the member itself or its text."""
    return st.sampled_from([member, member.value])


@st.composite
def event_rows(draw: st.DrawFn, players: list[uuid.UUID]) -> dict[str, Any]:
    a_player = st.none() | st.sampled_from(players)
    # Several rows share a time, as the events of one push do.
    shared = draw(st.sampled_from([datetime(2026, 12, 3, 10, tzinfo=UTC), None]))
    created = shared or draw(instants)
    return {
        "kind": draw(st.sampled_from(list(EventKind)).flatmap(_kind)),
        "side": draw(st.sampled_from(list(Side)).flatmap(_kind)),
        "period": draw(st.integers(1, 4)),
        "minute": draw(st.integers(0, 150)),
        "stoppage": draw(st.integers(0, 30)),
        "player_id": draw(a_player),
        "replaced_player_id": draw(a_player),
        "note": draw(st.none() | st.text(max_size=40).filter(lambda t: "\x00" not in t)),
        "recorded_at": draw(st.none() | instants),
        "assist_player_id": draw(a_player),
        "device_id": None,
        "created_at": created,
        "updated_at": created,
        "deleted_at": draw(st.none() | instants),
    }


@pytest.fixture
def match_and_players(client: TestClient) -> tuple[uuid.UUID, list[uuid.UUID]]:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    players = [factories.player(client, headers, team_id, number=n) for n in (4, 9)]
    match_id = factories.live_match(client, headers, team_id)
    return uuid.UUID(match_id), [uuid.UUID(p) for p in players]


def test_rows_are_stored_as_a_core_insert_stores_them(
    match_and_players: tuple[uuid.UUID, list[uuid.UUID]], db_session: Session
) -> None:
    match_id, players = match_and_players
    inserter = RowInserter(EVENTS)
    seqs = itertools.count(1_000)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(event_rows(players), min_size=1, max_size=8))
    def stored_alike(rows: list[dict[str, Any]]) -> None:
        bulk, core = [], []
        for fields in rows:
            row = fields | {"match_id": match_id}
            bulk.append(row | {"id": uuid.uuid4(), "seq": next(seqs)})
            core.append(row | {"id": uuid.uuid4(), "seq": next(seqs)})
        inserter.insert(db_session, bulk)
        db_session.execute(insert(EVENTS), core)
        assert _as_stored(db_session, bulk) == _as_stored(db_session, core)

    stored_alike()


def _as_stored(session: Session, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows' columns as the driver returns them (text on SQLite), id and seq aside."""
    ids = [row["id"] for row in rows]
    compared = [column for column in EVENTS.columns if column.key not in {"id", "seq"}]
    # NullType: no result processing, each value as the driver reads it.
    raw = [type_coerce(column, NullType()).label(column.key) for column in compared]
    query = select(*raw).where(EVENTS.c.id.in_(ids)).order_by(EVENTS.c.seq)
    found = session.execute(query).all()
    assert len(found) == len(rows)
    return [tuple(row) for row in found]
