"""Period markers count in match order, not in the order their rows were last written: an
edit renumbers a marker's ``seq`` but does not move it in the match."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import factories
from tests.sync import Phone


def _verdicts(answer: dict[str, object]) -> list[tuple[str, str | None]]:
    results = answer["results"]
    assert isinstance(results, list)
    return [(r["verdict"], r.get("error", {}).get("code")) for r in results]


def test_half_time_can_be_undone_after_the_kick_off_was_edited(client: TestClient) -> None:
    phone = Phone(client)
    match_id = factories.match(client, phone.headers, factories.team(client, phone.headers))
    kick_off = phone.add_event(match_id, "kick_off", minute=0)
    half_time = phone.add_event(match_id, "half_time", minute=45)

    answer = phone.sync(
        kick_off,
        half_time,
        phone.mutation("edit_event", event_id=kick_off["args"]["id"], changes={"note": "late"}),
        phone.mutation("delete_event", event_id=kick_off["args"]["id"]),
        phone.mutation("delete_event", event_id=half_time["args"]["id"]),
    )

    assert _verdicts(answer) == [
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("conflict", "marker_not_latest"),
        ("applied", None),
    ]
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert (match["status"], match["current_period"]) == ("live", 1)
    assert match["clock"]["period_started_at"] is not None


def test_full_time_can_be_undone_after_the_first_kick_off_was_edited(
    client: TestClient,
) -> None:
    phone = Phone(client)
    match_id = factories.match(client, phone.headers, factories.team(client, phone.headers))
    first = phone.add_event(match_id, "kick_off", minute=0, recorded_at="2024-05-04T10:00:00Z")
    half_time = phone.add_event(match_id, "half_time", minute=45)
    second = phone.add_event(
        match_id, "kick_off", period=2, minute=45, recorded_at="2024-05-04T11:00:00Z"
    )
    full_time = phone.add_event(match_id, "full_time", period=2, minute=90)

    answer = phone.sync(
        first,
        half_time,
        second,
        full_time,
        # The first kick-off's row is now the newest marker row, yet period 2 is later.
        phone.mutation("edit_event", event_id=first["args"]["id"], changes={"minute": 1}),
        phone.mutation("delete_event", event_id=full_time["args"]["id"]),
    )

    assert [verdict for verdict, _ in _verdicts(answer)] == ["applied"] * 6
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert (match["status"], match["current_period"]) == ("live", 2)
    assert match["clock"]["period_started_at"].startswith("2024-05-04T11:00:00")
