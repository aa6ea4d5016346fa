"""Properties of the match rules in sync_protocol.match, with no database."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.match import (
    MAX_MINUTE,
    MAX_PERIODS,
    MAX_STOPPAGE,
    PERIOD_MARKERS,
    EventKind,
    EventRefused,
    MatchState,
    MatchStatus,
    MatchTime,
    Side,
    TransitionRefused,
    apply_marker,
    check_event_time,
    clock_seconds,
    fold_markers,
    score,
)
from sync_protocol.messages import CreateMatch, UpdateMatch

K, H, F = EventKind.KICK_OFF, EventKind.HALF_TIME, EventKind.FULL_TIME
AFTER = {K: MatchStatus.LIVE, H: MatchStatus.INTERVAL, F: MatchStatus.FINISHED}
PROGRESS = {
    MatchStatus.SCHEDULED: 0,
    MatchStatus.LIVE: 1,
    MatchStatus.INTERVAL: 2,
    MatchStatus.FINISHED: 3,
}

events = st.lists(st.tuples(st.sampled_from(EventKind), st.sampled_from(Side)), max_size=60)
periods = st.integers(min_value=1, max_value=MAX_PERIODS)
any_markers = st.lists(
    st.tuples(st.sampled_from(sorted(PERIOD_MARKERS)), st.integers(0, MAX_PERIODS + 1)),
    max_size=12,
)


@st.composite
def nearly_valid_markers(draw: st.DrawFn) -> list[tuple[EventKind, int]]:
    """A run of the markers a real match logs, sometimes closed by full time, sometimes
    with one marker dropped or repeated (as a retry or a lost tap would)."""
    played = draw(st.integers(min_value=0, max_value=2 * MAX_PERIODS))
    sequence = [(kind, p) for p in range(1, MAX_PERIODS + 1) for kind in (K, H)][:played]
    if sequence and draw(st.booleans()):
        sequence.append((F, sequence[-1][1]))
    if sequence and draw(st.booleans()):
        index = draw(st.integers(min_value=0, max_value=len(sequence) - 1))
        if draw(st.booleans()):
            del sequence[index]
        else:
            sequence.insert(index, sequence[index])
    return sequence


markers = st.one_of(any_markers, nearly_valid_markers())


@st.composite
def reachable(draw: st.DrawFn) -> tuple[MatchState, int]:
    """A match length and a state some valid marker sequence reaches in it."""
    periods = draw(st.integers(min_value=1, max_value=MAX_PERIODS))
    status = draw(st.sampled_from(MatchStatus))
    if status is MatchStatus.SCHEDULED:
        return MatchState(), periods
    return MatchState(status, draw(st.integers(min_value=1, max_value=periods))), periods


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


def _counted(events: list[tuple[EventKind, Side]]) -> tuple[int, int]:
    """Goals for (team, opposition), counted one rule at a time."""
    team = sum(1 for kind, side in events if kind is EventKind.GOAL and side is Side.TEAM)
    team += sum(
        1 for kind, side in events if kind is EventKind.OWN_GOAL and side is Side.OPPOSITION
    )
    opposition = sum(
        1 for kind, side in events if kind is EventKind.GOAL and side is Side.OPPOSITION
    )
    opposition += sum(
        1 for kind, side in events if kind is EventKind.OWN_GOAL and side is Side.TEAM
    )
    return team, opposition


@given(events, st.randoms(use_true_random=False))
def test_score_counts_goals_with_own_goals_for_the_other_side(
    events: list[tuple[EventKind, Side]], rng: random.Random
) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)

    result = score(events)

    assert (result.team, result.opposition) == _counted(events)
    assert score(shuffled) == result
    assert score(reversed(events)) == result


def test_score_of_a_known_match() -> None:
    log = [
        (EventKind.GOAL, Side.TEAM),
        (EventKind.SAVE, Side.TEAM),
        (EventKind.OWN_GOAL, Side.TEAM),
        (EventKind.OWN_GOAL, Side.OPPOSITION),
        (EventKind.GOAL, Side.TEAM),
        (EventKind.PENALTY, Side.OPPOSITION),
    ]

    assert (score(log).team, score(log).opposition) == (3, 1)


RANK = {K: 0, H: 1, F: 2}


def _in_match_order(sequence: list[tuple[EventKind, int]]) -> list[tuple[EventKind, int]]:
    """Markers apply in match order (period, then kick-off, half-time, full-time), however
    they were logged; written here without the core's help."""
    return sorted(sequence, key=lambda marker: (marker[1], RANK[marker[0]]))


def _is_valid(sequence: list[tuple[EventKind, int]], periods: int) -> bool:
    """The oracle: in match order, a prefix of K1 H1 K2 H2 ... Kn Hn, optionally closed by
    full time in the period last in play."""
    sequence = _in_match_order(sequence)
    canonical = [(kind, p) for p in range(1, periods + 1) for kind in (K, H)]
    if sequence == canonical[: len(sequence)]:
        return True
    *before, last = sequence
    return bool(before) and before == canonical[: len(before)] and last == (F, before[-1][1])


@given(markers, periods)
def test_fold_accepts_exactly_the_valid_sequences(
    sequence: list[tuple[EventKind, int]], periods: int
) -> None:
    if not _is_valid(sequence, periods):
        with pytest.raises(TransitionRefused):
            fold_markers(sequence, periods)
        return

    state = fold_markers(sequence, periods)

    if not sequence:
        assert state == MatchState(MatchStatus.SCHEDULED, 0)
    else:
        last_kind, last_period = _in_match_order(sequence)[-1]
        assert state == MatchState(AFTER[last_kind], last_period)


@given(markers, periods)
def test_fold_stops_at_the_first_marker_that_does_not_follow(
    sequence: list[tuple[EventKind, int]], periods: int
) -> None:
    state = MatchState()
    for index, (kind, period) in enumerate(sequence):
        try:
            state = apply_marker(state, kind, period, periods)
        except TransitionRefused:
            assert not _is_valid(sequence[: index + 1], periods)
            with pytest.raises(TransitionRefused):
                fold_markers(sequence, periods)
            return
        assert _is_valid(sequence[: index + 1], periods)
    assert fold_markers(sequence, periods) == state


@given(reachable(), st.sampled_from(sorted(PERIOD_MARKERS)), st.integers(0, MAX_PERIODS + 1))
def test_apply_marker_never_moves_backwards(
    reached: tuple[MatchState, int], kind: EventKind, period: int
) -> None:
    state, periods = reached
    try:
        after = apply_marker(state, kind, period, periods)
    except TransitionRefused:
        return

    assert (after.period, PROGRESS[after.status]) > (state.period, PROGRESS[state.status])
    assert after.status is AFTER[kind]
    assert 1 <= after.period <= periods
    assert state.status is not MatchStatus.FINISHED


@pytest.mark.parametrize("kind", [EventKind.GOAL, EventKind.SUBSTITUTION])
def test_apply_marker_refuses_events_that_are_not_markers(kind: EventKind) -> None:
    with pytest.raises(ValueError, match="not a period marker"):
        apply_marker(MatchState(), kind, 1, 2)


@given(
    st.integers(min_value=1, max_value=MAX_PERIODS),
    st.integers(min_value=1, max_value=60),
    instants,
    st.lists(st.integers(min_value=-600, max_value=4 * 3600), min_size=2, max_size=10),
)
def test_the_clock_never_runs_backwards_while_live(
    period: int, period_minutes: int, started: datetime, offsets: list[int]
) -> None:
    state = MatchState(MatchStatus.LIVE, period)
    played = (period - 1) * period_minutes * 60

    readings = [
        clock_seconds(state, started, started + timedelta(seconds=s), period_minutes)
        for s in sorted(offsets)
    ]

    assert readings == sorted(readings)
    assert all(reading >= played for reading in readings)
    for offset, reading in zip(sorted(offsets), readings, strict=True):
        assert reading == played + max(offset, 0)


@given(
    st.sampled_from([MatchStatus.INTERVAL, MatchStatus.FINISHED]),
    st.integers(min_value=1, max_value=MAX_PERIODS),
    instants,
    instants,
)
def test_the_clock_stands_still_between_periods_and_after_full_time(
    status: MatchStatus, period: int, started: datetime, now: datetime
) -> None:
    assert clock_seconds(MatchState(status, period), started, now, 20) == period * 20 * 60


match_times = st.builds(
    MatchTime,
    st.integers(1, MAX_PERIODS),
    st.integers(0, MAX_MINUTE),
    st.integers(0, MAX_STOPPAGE),
)


@given(match_times)
def test_nothing_is_logged_before_kick_off(at: MatchTime) -> None:
    with pytest.raises(EventRefused) as refused:
        check_event_time(MatchState(), at, None)
    assert refused.value.code == "match_not_started"


@given(st.sampled_from([MatchStatus.LIVE, MatchStatus.INTERVAL]), match_times)
def test_everything_is_logged_in_play_and_at_a_break(status: MatchStatus, at: MatchTime) -> None:
    check_event_time(MatchState(status, at.period), at, None)


@given(match_times, match_times)
def test_a_finished_match_takes_exactly_the_events_within_its_played_time(
    at: MatchTime, whistle: MatchTime
) -> None:
    state = MatchState(MatchStatus.FINISHED, whistle.period)
    played = (at.period, at.minute, at.stoppage) <= (
        whistle.period,
        whistle.minute,
        whistle.stoppage,
    )
    try:
        check_event_time(state, at, whistle)
    except EventRefused as refused:
        assert refused.code == "match_finished"
        assert not played
    else:
        assert played


def test_an_event_of_the_final_minute_counts_but_not_one_after() -> None:
    state = MatchState(MatchStatus.FINISHED, 2)
    whistle = MatchTime(2, 50, 2)
    check_event_time(state, MatchTime(2, 50, 2), whistle)
    check_event_time(state, MatchTime(1, 25, 4), whistle)  # first-half added time
    with pytest.raises(EventRefused):
        check_event_time(state, MatchTime(2, 50, 3), whistle)
    with pytest.raises(EventRefused):
        check_event_time(state, MatchTime(1, 0), None)  # no whistle found: nothing fits


@pytest.mark.parametrize("ahead", [timedelta(days=7), timedelta(days=366), timedelta(days=3650)])
def test_a_match_can_be_scheduled_and_moved_seasons_ahead(ahead: timedelta) -> None:
    kickoff = (datetime.now(UTC) + ahead).replace(microsecond=0)
    args = {"id": str(uuid.uuid4()), "team_id": str(uuid.uuid4()), "opponent": "Blues"}

    created = CreateMatch.model_validate(args | {"kickoff_at": kickoff.isoformat()})
    moved = UpdateMatch.model_validate(
        {"match_id": args["id"], "kickoff_at": (kickoff + ahead).isoformat()}
    )

    assert created.kickoff_at == kickoff
    assert moved.kickoff_at == kickoff + ahead
