"""Properties of minutes played (sync_protocol.insights), with no database.

The golden cases (golden/minutes.json, golden/stats.json) pin chosen matches in both
languages; these check every match hypothesis can build against a minute-by-minute count
written here without the core's help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.insights import LoggedEvent, MatchLog, Minutes, minutes_played
from sync_protocol.match import MAX_PERIODS, MAX_STOPPAGE, MatchTime


@dataclass(frozen=True)
class Change:
    period: int
    at: int  # minutes into the period
    going: str
    coming: str | None  # None: a red card


@dataclass(frozen=True)
class History:
    match: MatchLog
    now: MatchTime | None
    lengths: list[int]
    starters: set[str]
    changes: list[Change]


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A match as a phone logs it: kick-offs and breaks in order, then maybe full time or
    a period still in play; substitutions of a player on for one off, red cards of players
    on, all within the time played; plus the other side's changes, which change nobody."""
    periods = draw(st.integers(1, MAX_PERIODS))
    period_minutes = draw(st.integers(1, 60))
    squad = [f"p{i}" for i in range(draw(st.integers(1, 8)))]
    starting = draw(st.integers(1, len(squad)))
    lineup = {p: "starting" if i < starting else "bench" for i, p in enumerate(squad)}
    kicked_off = draw(st.integers(0, periods))
    ending = draw(st.sampled_from(["full_time", "in_play", "break"]))
    on, bench = set(squad[:starting]), set(squad[starting:])
    events: list[LoggedEvent] = []
    changes: list[Change] = []
    lengths = [0] * periods
    now = None

    def add(kind: str, period: int, at: int, **who: str | None) -> None:
        minute = (period - 1) * period_minutes + min(at, period_minutes)
        stoppage = max(at - period_minutes, 0)
        # Ids in logging order, so events at the same minute apply in that order.
        events.append(LoggedEvent(f"{len(events):04}", kind, period, minute, stoppage, **who))

    for period in range(1, kicked_off + 1):
        length = draw(st.integers(0, period_minutes + MAX_STOPPAGE))
        lengths[period - 1] = length
        add("kick_off", period, 0)
        for at in sorted(draw(st.lists(st.integers(0, length), max_size=8))):
            move = draw(st.sampled_from(["substitution", "red_card", "opposition"]))
            if move == "substitution" and on and bench:
                going, coming = (
                    draw(st.sampled_from(sorted(on))),
                    draw(st.sampled_from(sorted(bench))),
                )
                on, bench = on - {going} | {coming}, bench - {coming} | {going}
                changes.append(Change(period, at, going, coming))
                add(move, period, at, player_id=coming, replaced_player_id=going)
            elif move == "red_card" and on:
                going = draw(st.sampled_from(sorted(on)))
                on = on - {going}
                changes.append(Change(period, at, going, None))
                add(move, period, at, player_id=going)
            else:
                add(
                    draw(st.sampled_from(["red_card", "substitution"])),
                    period,
                    at,
                    side="opposition",
                )
        last = period == kicked_off
        if last and ending == "in_play":
            minute = (period - 1) * period_minutes + min(length, period_minutes)
            now = MatchTime(period, minute, max(length - period_minutes, 0))
        else:
            add("full_time" if last and ending == "full_time" else "half_time", period, length)
    shuffled = draw(st.permutations(events))
    match = MatchLog(
        "m", periods, period_minutes, datetime(2026, 9, 6, tzinfo=UTC), lineup, shuffled
    )
    return History(match, now, lengths, set(squad[:starting]), changes)


def counted_minute_by_minute(history: History) -> dict[str, list[int]]:
    """Each player's minutes per period, one minute of each period at a time: a change at
    minute t of a period has happened before the minute starting at t is counted."""
    match = history.match
    minutes = {player: [0] * match.periods for player in match.lineup}
    kicked_off = any(event.kind == "kick_off" for event in match.events)
    on = set(history.starters) if kicked_off else set()
    for period in range(1, match.periods + 1):
        pending = [change for change in history.changes if change.period == period]
        for start in range(history.lengths[period - 1] + 1):
            while pending and pending[0].at <= start:
                change = pending.pop(0)
                on.discard(change.going)
                if change.coming is not None:
                    on.add(change.coming)
            if start < history.lengths[period - 1]:
                for player in on:
                    minutes[player][period - 1] += 1
    return minutes


@given(histories())
def test_minutes_are_the_minute_by_minute_count(history: History) -> None:
    result = minutes_played(history.match, history.now)

    assert list(result.periods) == history.lengths
    assert {p: list(line.by_period) for p, line in result.players.items()} == (
        counted_minute_by_minute(history)
    )


@given(histories())
def test_minutes_never_exceed_the_players_on_the_pitch_or_the_time_played(
    history: History,
) -> None:
    result = minutes_played(history.match, history.now)

    assert_within_the_time_played(result, most_on_the_pitch=len(history.starters))


def assert_within_the_time_played(result: Minutes, most_on_the_pitch: int) -> None:
    """No period's minutes exceed ``most_on_the_pitch`` players for its length, and no
    player's minutes (on the pitch or on the bench) are negative or beyond the time played."""
    assert all(length >= 0 for length in result.periods)
    for index, length in enumerate(result.periods):
        on_the_pitch = sum(line.by_period[index] for line in result.players.values())
        assert on_the_pitch <= most_on_the_pitch * length
    for line in result.players.values():
        assert all(minutes >= 0 for minutes in line.by_period)
        assert 0 <= line.minutes <= result.played
        assert 0 <= line.bench <= result.played - line.minutes


names = st.sampled_from(["a", "b", "c", "d"]) | st.none()
any_events = st.lists(
    st.builds(
        LoggedEvent,
        id=st.text("0123456789abcdef", min_size=1, max_size=4),
        kind=st.sampled_from(["kick_off", "half_time", "full_time", "substitution", "red_card"]),
        period=st.integers(1, MAX_PERIODS),
        minute=st.integers(0, 150),
        stoppage=st.integers(0, MAX_STOPPAGE),
        side=st.sampled_from(["team", "opposition"]),
        player_id=names,
        replaced_player_id=names,
    ),
    max_size=30,
)


@given(
    any_events,
    st.integers(1, MAX_PERIODS),
    st.integers(1, 60),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["starting", "bench"])),
)
def test_any_history_gives_minutes_within_the_time_played(
    events: list[LoggedEvent], periods: int, period_minutes: int, lineup: dict[str, str]
) -> None:
    match = MatchLog("m", periods, period_minutes, datetime(2026, 9, 6, tzinfo=UTC), lineup, events)

    result = minutes_played(match, MatchTime(1, 30, 2))

    assert_within_the_time_played(result, most_on_the_pitch=len(result.players))
