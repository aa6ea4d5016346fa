"""Events only between kick-off and full-time, through /sync: a refused event is a
recorded conflict carrying the match, so the phone's queue moves on; an event a phone
logged while the match was still on for it survives another phone's full-time."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import factories
from tests.sync import Phone, events


def _match(client: TestClient, **fields: Any) -> tuple[Phone, str]:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    return phone, factories.match(client, phone.headers, team_id, **fields)


def _verdicts(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["verdict"], r.get("error", {}).get("code")) for r in answer["results"]]


def test_an_event_before_kick_off_is_a_conflict_and_the_queue_moves_on(
    client: TestClient,
) -> None:
    phone, match_id = _match(client)

    answer = phone.sync(
        phone.add_event(match_id, "goal", minute=0),
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(match_id, "goal", minute=1),
    )

    assert _verdicts(answer) == [
        ("conflict", "match_not_started"),
        ("applied", None),
        ("applied", None),
    ]
    assert answer["last_mutation_id"] == 3
    refused = answer["results"][0]
    assert refused["error"]["field"] == "args.kind"
    current = refused["current"]
    assert (current["type"], current["data"]["status"]) == ("match", "scheduled")
    kinds = [e["kind"] for e in events(client, phone.headers, match_id)]
    assert kinds == ["kick_off", "goal"]


def test_a_late_phone_keeps_what_it_logged_in_play_but_not_after_full_time(
    client: TestClient,
) -> None:
    first, match_id = _match(client, periods=2, period_minutes=25)
    first.sync(
        first.add_event(match_id, "kick_off", minute=0),
        first.add_event(match_id, "half_time", minute=25, stoppage=1),
        first.add_event(match_id, "kick_off", period=2, minute=25),
    )

    # Full time is blown at 50+2 and reaches the server first; what a phone out of signal
    # logged (here, the same device's later batch: arrival order is all that matters)
    # comes after it.
    ended = first.sync(first.add_event(match_id, "full_time", period=2, minute=50, stoppage=2))
    assert _verdicts(ended) == [("applied", None)]
    late = first.sync(
        first.add_event(match_id, "goal", period=1, minute=25, stoppage=1),
        first.add_event(match_id, "save", period=2, minute=48),
        first.add_event(match_id, "goal", period=2, minute=50, stoppage=2),
        first.add_event(match_id, "goal", period=2, minute=50, stoppage=3),
        first.add_event(match_id, "yellow_card", period=2, minute=50, stoppage=4),
    )

    assert _verdicts(late) == [("applied", None)] * 3 + [("conflict", "match_finished")] * 2
    assert late["last_mutation_id"] == 9
    match = client.get(f"/api/matches/{match_id}", headers=first.headers).json()["match"]
    assert match["status"] == "finished"
    assert (match["score"]["team"], match["score"]["opposition"]) == (2, 0)


def test_a_full_time_in_the_same_batch_closes_the_match_for_what_follows(
    client: TestClient,
) -> None:
    phone, match_id = _match(client, periods=1, period_minutes=20)
    kick_off = phone.add_event(match_id, "kick_off", minute=0)
    whistle = phone.add_event(match_id, "full_time", minute=20)

    answer = phone.sync(
        kick_off,
        whistle,
        phone.add_event(match_id, "goal", minute=20),
        phone.add_event(match_id, "goal", minute=21),
        # Reopening is undoing the full-time marker; then the match takes events again.
        phone.mutation("delete_event", event_id=whistle["args"]["id"]),
        phone.add_event(match_id, "goal", minute=21),
    )

    assert _verdicts(answer) == [
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("conflict", "match_finished"),
        ("applied", None),
        ("applied", None),
    ]
