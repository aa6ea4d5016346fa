"""The golden cases under sync_protocol/golden/, against the Python core.

The web app runs the same files against its JavaScript (pwa/tests/golden.test.mjs), so a
rule written in both languages is held to one answer.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sync_protocol import insights, records
from sync_protocol.match import (
    EventKind,
    EventRefused,
    MatchState,
    MatchStatus,
    MatchTime,
    Side,
    TransitionRefused,
    check_assist,
    check_event_time,
    clock_seconds,
    fold_markers,
    kick_off_instant,
    minute_now,
    score,
    settle_markers,
    timeline_key,
)
from sync_protocol.repair_order import repair_order

GOLDEN = Path(__file__).resolve().parents[2] / "sync_protocol" / "golden"


def cases(name: str, key: str = "cases") -> list[Any]:
    listed: list[dict[str, Any]] = json.loads((GOLDEN / name).read_text())[key]
    return [pytest.param(case, id=case["name"]) for case in listed]


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


@pytest.mark.parametrize("case", cases("markers.json"))
def test_markers_settle_as_the_golden_case_says(case: dict[str, Any]) -> None:
    markers = [(EventKind(kind), period) for kind, period in case["markers"]]
    state, refused = settle_markers(markers, case["periods"])
    assert (state.status, state.period, refused) == (
        case["status"],
        case["period"],
        case["refused"],
    )


@pytest.mark.parametrize("case", cases("markers.json"))
def test_fold_markers_refuses_exactly_what_settling_leaves_out(case: dict[str, Any]) -> None:
    markers = [(EventKind(kind), period) for kind, period in case["markers"]]
    if case["refused"]:
        with pytest.raises(TransitionRefused):
            fold_markers(markers, case["periods"])
    else:
        assert fold_markers(markers, case["periods"]) == MatchState(
            MatchStatus(case["status"]), case["period"]
        )


@pytest.mark.parametrize("case", cases("score.json"))
def test_score_as_the_golden_case_says(case: dict[str, Any]) -> None:
    goals = score((EventKind(kind), Side(side)) for kind, side in case["events"])
    assert (goals.team, goals.opposition) == (case["team"], case["opposition"])


@pytest.mark.parametrize("case", cases("clock.json", "kick_off"))
def test_kick_off_instant_as_the_golden_case_says(case: dict[str, Any]) -> None:
    received = datetime.fromisoformat(case["received_at"])
    started = kick_off_instant(instant(case["recorded_at"]), received)
    assert started == datetime.fromisoformat(case["started_at"])


@pytest.mark.parametrize("case", cases("clock.json", "clock"))
def test_clock_as_the_golden_case_says(case: dict[str, Any]) -> None:
    state = MatchState(MatchStatus(case["status"]), case["period"])
    now = datetime.fromisoformat(case["now"])
    seconds = clock_seconds(state, instant(case["period_started_at"]), now, case["period_minutes"])
    assert seconds == case["seconds"]


@pytest.mark.parametrize("case", cases("clock.json", "minute_now"))
def test_minute_now_as_the_golden_case_says(case: dict[str, Any]) -> None:
    state = MatchState(MatchStatus(case["status"]), case["period"])
    now = datetime.fromisoformat(case["now"])
    at = minute_now(state, instant(case["period_started_at"]), now, case["period_minutes"])
    assert at == MatchTime(*case["at"])


@pytest.mark.parametrize("case", cases("window.json"))
def test_event_window_as_the_golden_case_says(case: dict[str, Any]) -> None:
    state = MatchState(MatchStatus(case["status"]), case["period"])
    whistle = MatchTime(*case["full_time"]) if case["full_time"] is not None else None
    try:
        check_event_time(state, MatchTime(*case["at"]), whistle)
    except EventRefused as refused:
        assert refused.code == case["refused"]
    else:
        assert case["refused"] is None


@pytest.mark.parametrize("case", cases("assists.json"))
def test_assist_as_the_golden_case_says(case: dict[str, Any]) -> None:
    refused = check_assist(case["kind"], case["side"], case["player_id"], case["assist_player_id"])
    assert refused == case["refused"]


@pytest.mark.parametrize("case", cases("records.json"))
def test_full_record_as_the_golden_case_says(case: dict[str, Any]) -> None:
    assert records.full(case["compact"]) == case["full"]


@pytest.mark.parametrize("case", cases("order.json"))
def test_timeline_order_as_the_golden_case_says(case: dict[str, Any]) -> None:
    def key(event: dict[str, Any]) -> tuple[object, ...]:
        return timeline_key(
            event["period"],
            event["minute"],
            event["stoppage"],
            instant(event["recorded_at"]),
            event["id"],
        )

    for events in (case["events"], case["events"][::-1]):
        assert [event["id"] for event in sorted(events, key=key)] == case["order"]


def match_log(match: dict[str, Any]) -> insights.MatchLog:
    """A golden match, its events' left-out fields as the server defaults them."""
    events = [
        insights.LoggedEvent(
            id=event["id"],
            kind=event["kind"],
            period=event["period"],
            minute=event["minute"],
            stoppage=event.get("stoppage", 0),
            side=event.get("side", "team"),
            player_id=event.get("player_id"),
            replaced_player_id=event.get("replaced_player_id"),
            assist_player_id=event.get("assist_player_id"),
        )
        for event in match["events"]
    ]
    return insights.MatchLog(
        id=match.get("id", ""),
        periods=match["periods"],
        period_minutes=match["period_minutes"],
        kickoff_at=datetime.fromisoformat(match.get("kickoff_at", "2026-01-01T00:00:00Z")),
        lineup={slot["player_id"]: slot["role"] for slot in match["lineup"]},
        events=events,
    )


@pytest.mark.parametrize("case", cases("minutes.json"))
def test_minutes_played_as_the_golden_case_says(case: dict[str, Any]) -> None:
    now = MatchTime(*case["now"]) if case["now"] is not None else None
    minutes = insights.minutes_played(match_log(case), now)
    players = {
        player: {
            "minutes": line.minutes,
            "bench": line.bench,
            "started": line.started,
            "appeared": line.appeared,
            "on_pitch": line.on_pitch,
            "by_period": list(line.by_period),
        }
        for player, line in minutes.players.items()
    }
    assert {"played": minutes.played, "periods": list(minutes.periods), "players": players} == (
        case["expected"]
    )


@pytest.mark.parametrize("case", cases("stats.json"))
def test_stats_as_the_golden_case_says(case: dict[str, Any]) -> None:
    result = insights.stats(match_log(match) for match in case["matches"])
    players = {
        player: {
            "appearances": line.appearances,
            "starts": line.starts,
            "minutes": line.minutes,
            "assists": line.assists,
            "counts": {name: count for name, count in line.counts.items() if count},
            "available_matches": line.available_matches,
            "available_minutes": line.available_minutes,
            "minutes_share": line.minutes_share,
            "starts_share": line.starts_share,
        }
        for player, line in result.players.items()
    }
    assert {"team": dataclasses.asdict(result.team), "players": players} == case["expected"]


def test_every_golden_file_runs_in_both_languages() -> None:
    names = {path.name for path in GOLDEN.glob("*.json")}
    here = Path(__file__).read_text()
    there = (GOLDEN.parents[1] / "pwa" / "tests" / "golden.test.mjs").read_text()
    assert {name for name in names if f'"{name}"' not in here} == set()
    assert {name for name in names if f'"{name}"' not in there} == set()


def _repair_name(record: dict[str, Any]) -> str:
    return record["id"] if record["type"] == "event" else f"{record['id']}/{record['type']}"


@pytest.mark.parametrize("case", cases("repair.json"))
def test_repair_order_as_the_golden_case_says(case: dict[str, Any]) -> None:
    for listed in (case["records"], case["records"][::-1]):
        assert [_repair_name(r) for r in sorted(listed, key=repair_order)] == case["order"]
