"""Pushing mutations through /sync: exactly once, in order, one verdict per mutation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Device, Event, Match
from sync_protocol import PROTOCOL_VERSION
from tests import factories
from tests.sync import Phone, events


def _team_with_match(client: TestClient, *, live: bool = True) -> tuple[Phone, str, str]:
    """A phone, its team and a match, kicked off (through REST) unless not ``live``."""
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    made = factories.live_match if live else factories.match
    return phone, team_id, made(client, phone.headers, team_id)


def _error(result: dict[str, Any]) -> tuple[str, str, str | None]:
    return result["verdict"], result["error"]["code"], result["error"]["field"]


def test_a_batch_sent_twice_is_applied_once_and_answered_the_same(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client, live=False)
    batch = [
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(match_id, "goal", minute=4),
        phone.add_event(match_id, "goal", minute=5, period=9),
        phone.add_event(match_id, "kick_off", minute=6),
        phone.add_event(match_id, "save", minute=8),
    ]

    first = phone.sync(*batch)
    retry = phone.sync(*batch)

    assert first["last_mutation_id"] == retry["last_mutation_id"] == 5
    assert [r["verdict"] for r in first["results"]] == [
        "applied",
        "applied",
        "rejected",
        "conflict",
        "applied",
    ]
    assert all(r["replayed"] for r in retry["results"])
    for original, replayed in zip(first["results"], retry["results"], strict=True):
        assert (replayed["id"], replayed["verdict"]) == (original["id"], original["verdict"])
        assert replayed.get("error") == original.get("error")
    stored = [e["id"] for e in events(client, phone.headers, match_id)]
    assert sorted(stored) == sorted(m["args"]["id"] for m in (batch[0], batch[1], batch[4]))


def test_a_retry_that_overlaps_the_acknowledged_part_applies_only_the_rest(
    client: TestClient,
) -> None:
    phone, _, match_id = _team_with_match(client)
    queue = [phone.add_event(match_id, minute=m) for m in range(1, 5)]

    phone.sync(*queue[:2])
    answer = phone.sync(*queue)

    assert [(r["id"], r.get("replayed", False)) for r in answer["results"]] == [
        (1, True),
        (2, True),
        (3, False),
        (4, False),
    ]
    assert len(events(client, phone.headers, match_id, markers=False)) == 4


def test_a_gap_stops_the_batch_and_names_where_to_resend_from(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client)
    queue = [phone.add_event(match_id, minute=m) for m in range(1, 6)]

    answer = phone.sync(queue[0], queue[1], queue[3], queue[4])

    assert answer["gap"] == {"expected": 3}
    assert answer["last_mutation_id"] == 2
    assert [r["id"] for r in answer["results"]] == [1, 2]
    assert len(events(client, phone.headers, match_id, markers=False)) == 2

    resent = phone.sync(*queue[2:])
    assert resent["gap"] is None
    assert [r["verdict"] for r in resent["results"]] == ["applied"] * 3
    assert len(events(client, phone.headers, match_id, markers=False)) == 5


def test_a_batch_that_starts_past_the_counter_applies_nothing(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client)
    phone.next_id = 7

    answer = phone.sync(phone.add_event(match_id))

    assert (answer["gap"], answer["last_mutation_id"], answer["results"]) == (
        {"expected": 1},
        0,
        [],
    )
    assert events(client, phone.headers, match_id, markers=False) == []


def test_a_bad_mutation_in_the_middle_is_rejected_and_the_rest_apply(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client)

    answer = phone.sync(
        phone.add_event(match_id, minute=1),
        phone.add_event(match_id, kind="bicycle_kick"),
        phone.add_event(match_id, minute=3),
    )

    assert [r["verdict"] for r in answer["results"]] == ["applied", "rejected", "applied"]
    assert _error(answer["results"][1]) == ("rejected", "invalid", "args.kind")
    assert answer["last_mutation_id"] == 3
    assert sorted(e["minute"] for e in events(client, phone.headers, match_id, markers=False)) == [
        1,
        3,
    ]


def test_each_rejection_names_its_code_and_field(client: TestClient) -> None:
    phone, team_id, match_id = _team_with_match(client)
    other_match = factories.live_match(client, phone.headers, team_id)
    taken = factories.event(client, phone.headers, other_match, "goal")
    goal = phone.add_event(match_id, minute=2)

    answer = phone.sync(
        goal,
        phone.mutation("bicycle_kick", match_id=match_id),
        phone.add_event(str(uuid.uuid4())),
        phone.add_event(match_id, id=taken["id"]),
        phone.add_event(match_id, player_id=str(uuid.uuid4())),
        phone.mutation("edit_event", event_id=goal["args"]["id"], changes={"minute": None}),
        phone.mutation("edit_event", event_id=str(uuid.uuid4()), changes={"minute": 3}),
        phone.add_event(match_id, minute=200),
        phone.mutation("add_event", match_id=match_id),
        phone.mutation("set_lineup", match_id=match_id, players=[{"player_id": taken["id"]}]),
    )

    assert [
        (r["verdict"], r["error"]["code"], r["error"]["field"]) for r in answer["results"][1:]
    ] == [
        ("rejected", "unknown_command", "name"),
        ("rejected", "not_found", "args.match_id"),
        ("rejected", "id_in_use", "args.id"),
        ("rejected", "unknown_player", "args.player_id"),
        ("rejected", "invalid", "args.minute"),
        ("rejected", "not_found", "args.event_id"),
        ("rejected", "invalid", "args.minute"),
        ("rejected", "invalid", "args.id"),
        ("rejected", "invalid", "args.players.0.role"),
    ]
    assert all("current" not in r for r in answer["results"])
    assert answer["last_mutation_id"] == 10


def test_an_argument_of_the_wrong_json_type_is_a_recorded_rejection_never_coerced(
    client: TestClient,
) -> None:
    phone, team_id, match_id = _team_with_match(client)
    player_id = factories.player(client, phone.headers, team_id)
    goal = factories.event(client, phone.headers, match_id, "goal", minute=3)
    new_match = {"id": str(uuid.uuid4()), "team_id": team_id, "opponent": "Greens"}
    new_match |= {"kickoff_at": "2026-11-21T10:00:00Z"}
    new_player = {"id": str(uuid.uuid4()), "team_id": team_id, "display_name": "Kit"}
    batch = [
        phone.add_event(match_id, minute="7"),
        phone.add_event(match_id, period=True),
        phone.add_event(match_id, stoppage="1"),
        phone.add_event(match_id, recorded_at=1790000000),
        phone.mutation("edit_event", event_id=goal["id"], changes={"minute": "9"}),
        phone.mutation("create_match", **new_match | {"periods": "2"}),
        phone.mutation("create_match", **new_match | {"is_home": "no"}),
        phone.mutation("create_match", **new_match | {"kickoff_at": 1790000000}),
        phone.mutation("update_match", match_id=match_id, is_home=0),
        phone.mutation("add_player", **new_player | {"squad_number": "9"}),
        phone.mutation("update_player", player_id=player_id, squad_number=True),
    ]

    answer = phone.sync(*batch)
    retry = phone.sync(*batch)

    assert [_error(r) for r in answer["results"]] == [
        ("rejected", "invalid", field)
        for field in [
            "args.minute",
            "args.period",
            "args.stoppage",
            "args.recorded_at",
            "args.changes.minute",
            "args.periods",
            "args.is_home",
            "args.kickoff_at",
            "args.is_home",
            "args.squad_number",
            "args.squad_number",
        ]
    ]
    assert [r["error"] for r in retry["results"]] == [r["error"] for r in answer["results"]]
    assert answer["last_mutation_id"] == len(batch)
    assert sorted(e["minute"] for e in events(client, phone.headers, match_id, markers=False)) == [
        3
    ]
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert match["is_home"] is True
    assert client.get(f"/api/matches/{new_match['id']}", headers=phone.headers).status_code == 404
    players = client.get(f"/api/teams/{team_id}/players", headers=phone.headers).json()
    assert [p["squad_number"] for p in players] == [9]


def test_every_command_applies_and_partial_updates_change_only_what_they_name(
    client: TestClient,
) -> None:
    phone = Phone(client)
    team_id = factories.team(client, phone.headers)
    match_id, player_id, sub_id, event_id = (str(uuid.uuid4()) for _ in range(4))

    answer = phone.sync(
        phone.mutation(
            "add_player", id=player_id, team_id=team_id, display_name="Ada", squad_number=7
        ),
        phone.mutation(
            "add_player", id=sub_id, team_id=team_id, display_name="Bo", full_name="Bo B"
        ),
        phone.mutation("update_player", player_id=player_id, squad_number=None),
        phone.mutation("update_player", player_id=sub_id, display_name="Bobby"),
        phone.mutation(
            "create_match",
            id=match_id,
            team_id=team_id,
            opponent="Blues",
            kickoff_at="2026-11-21T10:00:00Z",
            venue="Rec ground",
        ),
        phone.mutation("update_match", match_id=match_id, competition="Cup"),
        phone.mutation("update_match", match_id=match_id, venue=None),
        phone.mutation(
            "set_lineup",
            match_id=match_id,
            players=[
                {"player_id": player_id, "role": "starting", "position": "GK"},
                {"player_id": sub_id, "role": "bench"},
            ],
        ),
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(match_id, id=event_id, player_id=player_id, note="top corner"),
        phone.mutation("edit_event", event_id=event_id, changes={"minute": 9}),
        phone.mutation("edit_event", event_id=event_id, changes={"note": None}),
        phone.mutation("delete_player", player_id=sub_id),
    )

    assert [r["verdict"] for r in answer["results"]] == ["applied"] * 13
    player = client.get(f"/api/players/{player_id}", headers=phone.headers).json()
    sub = client.get(f"/api/players/{sub_id}", headers=phone.headers).json()
    assert (player["squad_number"], player["display_name"]) == (None, "Ada")
    assert (sub["display_name"], sub["full_name"]) == ("Bobby", "Bo B")
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert (match["venue"], match["competition"], match["opponent"]) == (None, "Cup", "Blues")
    [event] = events(client, phone.headers, match_id, markers=False)
    assert (event["minute"], event["note"], event["player"]["id"]) == (9, None, player_id)

    deleted = phone.sync(phone.mutation("delete_match", match_id=match_id))
    assert deleted["results"][0]["verdict"] == "applied"
    gone = client.get(f"/api/matches/{match_id}", headers=phone.headers)
    assert gone.status_code == 404


def test_an_edit_of_an_event_another_coach_deleted_is_a_conflict_showing_the_tombstone(
    client: TestClient,
) -> None:
    email = f"second-{uuid.uuid4().hex[:8]}@example.org"
    first = Phone(client)
    second = Phone(client, factories.coach(client, email=email))
    team_id = factories.team(client, first.headers)
    factories.join(client, first.headers, team_id, second.headers)
    match_id = factories.live_match(client, first.headers, team_id)
    goal = first.add_event(match_id, minute=30)
    first.sync(goal)
    event_id = goal["args"]["id"]

    deleted = first.sync(first.mutation("delete_event", event_id=event_id))
    edited = second.sync(second.mutation("edit_event", event_id=event_id, changes={"minute": 31}))

    assert deleted["results"][0]["verdict"] == "applied"
    [result] = edited["results"]
    assert _error(result) == ("conflict", "event_deleted", "args.event_id")
    assert result["current"]["id"] == event_id
    assert (result["current"]["deleted"], result["current"]["data"]) == (True, None)
    [stored] = events(client, first.headers, match_id, markers=False)
    assert (stored["deleted"], stored["minute"]) == (True, 30)


def test_an_edit_before_the_delete_is_overwritten_by_it(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client)
    goal = phone.add_event(match_id, minute=30)

    answer = phone.sync(
        goal,
        phone.mutation("edit_event", event_id=goal["args"]["id"], changes={"minute": 31}),
        phone.mutation("delete_event", event_id=goal["args"]["id"]),
        phone.mutation("delete_event", event_id=goal["args"]["id"]),
    )

    assert [r["verdict"] for r in answer["results"]] == ["applied"] * 4
    [stored] = events(client, phone.headers, match_id, markers=False)
    assert stored["deleted"] is True


def test_a_refused_kick_off_is_a_conflict_carrying_the_match_and_changes_nothing(
    client: TestClient,
) -> None:
    phone, _, match_id = _team_with_match(client, live=False)
    phone.sync(phone.add_event(match_id, "kick_off", minute=0))
    phone.pull_all()
    phone.sync()
    assert phone.lag()["behind"] == 0

    answer = phone.sync(phone.add_event(match_id, "kick_off", minute=0))

    [result] = answer["results"]
    assert _error(result) == ("conflict", "transition_refused", "args.kind")
    current = result["current"]
    assert (current["type"], current["id"]) == ("match", match_id)
    assert (current["data"]["status"], current["data"]["current_period"]) == ("live", 1)
    assert len(events(client, phone.headers, match_id)) == 1
    # A refused write leaves no trace in the match's sequence: nothing new to pull.
    assert answer["changes"] == []
    assert phone.lag()["behind"] == 0


def test_period_markers_only_move_the_match_through_its_state_machine(
    client: TestClient,
) -> None:
    phone, _, match_id = _team_with_match(client, live=False)
    kick_off = phone.add_event(match_id, "kick_off", minute=0)
    half_time = phone.add_event(match_id, "half_time", minute=45)

    answer = phone.sync(
        kick_off,
        half_time,
        phone.add_event(match_id, "full_time", period=2, minute=90),
        phone.mutation("edit_event", event_id=kick_off["args"]["id"], changes={"period": 2}),
        phone.mutation("delete_event", event_id=kick_off["args"]["id"]),
        phone.mutation("update_match", match_id=match_id, periods=1),
        phone.mutation("update_match", match_id=match_id, periods=None),
        phone.mutation("delete_event", event_id=half_time["args"]["id"]),
    )

    verdicts = [(r["verdict"], r.get("error", {}).get("code")) for r in answer["results"]]
    assert verdicts == [
        ("applied", None),
        ("applied", None),
        ("conflict", "transition_refused"),
        ("conflict", "marker_immutable"),
        ("conflict", "marker_not_latest"),
        ("applied", None),
        ("rejected", "invalid"),
        ("applied", None),
    ]
    assert answer["results"][3]["current"]["data"]["kind"] == "kick_off"
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert (match["status"], match["current_period"], match["periods"]) == ("live", 1, 1)


def test_a_protocol_newer_than_the_server_is_refused_with_409(client: TestClient) -> None:
    phone, _, match_id = _team_with_match(client)

    response = phone.post(protocol=PROTOCOL_VERSION + 1, mutations=[phone.add_event(match_id)])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "protocol_too_new"
    assert response.json()["error"]["field"] == "protocol"
    assert events(client, phone.headers, match_id, markers=False) == []
    assert phone.lag()["last_mutation_id"] == 0


def test_a_player_added_mid_batch_can_be_named_by_the_events_after_it(
    client: TestClient,
) -> None:
    phone, team_id, match_id = _team_with_match(client, live=False)
    latecomer = str(uuid.uuid4())
    batch = [
        phone.add_event(match_id, "kick_off", minute=0),
        phone.add_event(match_id, "tackle", minute=2),
        phone.mutation("add_player", id=latecomer, team_id=team_id, display_name="Jo"),
        phone.add_event(match_id, "goal", minute=7, player_id=latecomer),
        phone.mutation("delete_player", player_id=latecomer),
        phone.add_event(match_id, "save", minute=9, player_id=latecomer),
    ]

    answer = phone.sync(*batch)

    verdicts = [r["verdict"] for r in answer["results"]]
    assert verdicts == ["applied"] * 5 + ["rejected"], answer["results"]
    assert answer["results"][5]["error"]["code"] == "unknown_player"
    goal = [e for e in events(client, phone.headers, match_id) if e["kind"] == "goal"]
    assert [g["player"]["id"] for g in goal] == [latecomer]


def test_an_event_id_sent_twice_in_one_batch_is_stored_once_and_only_in_its_match(
    client: TestClient,
) -> None:
    phone, team_id, match_id = _team_with_match(client)
    other_match = factories.match(client, phone.headers, team_id)
    goal = phone.add_event(match_id, minute=3)
    event_id = goal["args"]["id"]

    answer = phone.sync(
        goal,
        phone.add_event(match_id, id=event_id, minute=4),
        phone.add_event(other_match, id=event_id, minute=5),
        phone.mutation("update_match", match_id=match_id, venue="Rec"),
        phone.add_event(match_id, "save", minute=6),
    )

    assert [r["verdict"] for r in answer["results"]] == ["applied"] * 2 + ["rejected"] + [
        "applied"
    ] * 2
    assert _error(answer["results"][2]) == ("rejected", "id_in_use", "args.id")
    stored = events(client, phone.headers, match_id, markers=False)
    assert [(e["id"], e["minute"]) for e in stored] == [(event_id, 3), (stored[1]["id"], 6)]
    assert events(client, phone.headers, other_match, markers=False) == []
    # The match's sequence follows the batch: the goal, the update, then the save.
    match = client.get(f"/api/matches/{match_id}", headers=phone.headers).json()["match"]
    assert match["venue"] == "Rec"
    assert stored[1]["seq"] == stored[0]["seq"] + 2 == match["seq"]


def test_a_mutation_id_sent_twice_in_one_batch_is_applied_once_and_both_copies_answered(
    client: TestClient,
) -> None:
    phone, _, match_id = _team_with_match(client)
    goal = phone.add_event(match_id, minute=3)
    save = phone.add_event(match_id, "save", minute=4)
    rejected = phone.add_event(match_id, minute=200)
    # The same ids again, even with other commands: a counter value is applied once.
    goal_again = goal | {"args": goal["args"] | {"id": str(uuid.uuid4()), "minute": 9}}
    rejected_again = rejected | {"name": "delete_match", "args": {"match_id": match_id}}

    answer = phone.sync(goal, goal_again, save, rejected, rejected_again, goal)
    retry = phone.sync(goal, goal_again, save, rejected, rejected_again, goal)

    assert [(r["id"], r["verdict"], r.get("replayed", False)) for r in answer["results"]] == [
        (1, "applied", False),
        (1, "applied", True),
        (2, "applied", False),
        (3, "rejected", False),
        (3, "rejected", True),
        (1, "applied", True),
    ]
    assert answer["results"][4]["error"] == answer["results"][3]["error"]
    assert _error(answer["results"][4]) == ("rejected", "invalid", "args.minute")
    assert answer["last_mutation_id"] == 3
    assert [r.get("error") for r in retry["results"]] == [r.get("error") for r in answer["results"]]
    assert all(r["replayed"] for r in retry["results"])
    stored = events(client, phone.headers, match_id, markers=False)
    assert [(e["id"], e["minute"]) for e in stored] == [
        (goal["args"]["id"], 3),
        (save["args"]["id"], 4),
    ]
    assert client.get(f"/api/matches/{match_id}", headers=phone.headers).status_code == 200


def test_an_update_may_clear_only_what_a_create_may_leave_null(client: TestClient) -> None:
    phone, team_id, match_id = _team_with_match(client)
    player_id = factories.player(client, phone.headers, team_id)
    goal = factories.event(client, phone.headers, match_id, "goal", minute=3)
    batch = [
        phone.mutation("update_match", match_id=match_id, opponent=None),
        phone.mutation("update_match", match_id=match_id, periods=None),
        phone.mutation("edit_event", event_id=goal["id"], changes={"minute": None}),
        phone.mutation("edit_event", event_id=goal["id"], changes={"side": None}),
        phone.mutation("update_player", player_id=player_id, display_name=None),
        phone.mutation("update_match", match_id=match_id, venue=None),
        phone.mutation("edit_event", event_id=goal["id"], changes={"note": None}),
        phone.mutation("update_player", player_id=player_id, squad_number=None),
    ]

    answer = phone.sync(*batch)

    assert [r["verdict"] for r in answer["results"][5:]] == ["applied"] * 3
    assert [_error(r) for r in answer["results"][:5]] == [
        ("rejected", "invalid", field)
        for field in [
            "args.opponent",
            "args.periods",
            "args.minute",
            "args.side",
            "args.display_name",
        ]
    ]
    assert answer["results"][0]["error"]["message"] == "opponent cannot be cleared"


def test_a_batch_of_events_and_markers_numbers_each_change_once_and_moves_the_head_to_the_last(
    client: TestClient, db_session: Session
) -> None:
    """A new event advances its match's head outside the ORM's unit of work, a marker and
    an edit through it: in one push, mixed, the numbers still run without a gap or a
    repeat, and the match's head is the last of them."""
    phone, _, match_id = _team_with_match(client, live=False)
    batch = [phone.add_event(match_id, "kick_off", minute=0)]
    batch += [phone.add_event(match_id, "tackle", minute=m) for m in (3, 9, 30)]
    batch.append(phone.add_event(match_id, "half_time", minute=45))
    batch.append(phone.add_event(match_id, "kick_off", period=2, minute=45))
    batch += [phone.add_event(match_id, "save", period=2, minute=m) for m in (50, 60)]
    first_tackle = batch[1]["args"]["id"]
    batch.append(phone.mutation("edit_event", event_id=first_tackle, changes={"minute": 4}))
    batch.append(phone.add_event(match_id, "foul", period=2, minute=70))
    answer = phone.sync(*batch)

    assert {r["verdict"] for r in answer["results"]} == {"applied"}
    match = db_session.get(Match, uuid.UUID(match_id))
    assert match is not None
    db_session.refresh(match)
    seqs = sorted(db_session.scalars(select(Event.seq).where(Event.match_id == match.id)))
    assert len(seqs) == len(set(seqs)) == 9
    assert match.head_seq == seqs[-1]
    assert sorted(e["minute"] for e in events(client, phone.headers, match_id, markers=False)) == [
        4, 9, 30, 50, 60, 70,
    ]  # fmt: skip


@pytest.mark.parametrize("pushing", [True, False])
def test_a_sync_writes_the_devices_last_seen_stamp_with_what_it_writes(
    client: TestClient, db_session: Session, pushing: bool
) -> None:
    """A /sync does not stamp the device before its push, in a commit of its own: the
    push carries the stamp; a sync with nothing to push writes it alone."""
    phone, _, match_id = _team_with_match(client)
    device = db_session.get(Device, uuid.UUID(phone.device_id))
    assert device is not None
    device.last_seen_at = None  # as if last seen long ago: the stamp is due
    db_session.commit()

    phone.sync(*([phone.add_event(match_id, "tackle")] if pushing else []))

    db_session.refresh(device)
    assert device.last_seen_at is not None
    assert device.last_mutation_id == (1 if pushing else 0)
