"""The rules of a match: event kinds, the period state machine, the score and the clock.

A match's state is never stored as the truth; it is a fold over its period-marker events
(kick_off, half_time, full_time), just as the score is a fold over its goals. The server
caches both for queries, but recomputes them from the events whenever a marker or a goal
changes, so every device that holds the same events shows the same match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

MAX_PERIODS = 4
MAX_MINUTE = 150
MAX_STOPPAGE = 30


class EventKind(StrEnum):
    GOAL = "goal"
    ASSIST = "assist"
    KEY_PASS = "key_pass"  # noqa: S105 (a football pass, not a password)
    SAVE = "save"
    INTERCEPTION = "interception"
    TACKLE = "tackle"
    FOUL = "foul"
    PENALTY = "penalty"
    FREE_KICK = "free_kick"
    BALL_OUT = "ball_out"
    OWN_GOAL = "own_goal"
    SHOT_ON_TARGET = "shot_on_target"
    SHOT_OFF_TARGET = "shot_off_target"
    CORNER = "corner"
    YELLOW_CARD = "yellow_card"
    RED_CARD = "red_card"
    SUBSTITUTION = "substitution"
    KICK_OFF = "kick_off"
    HALF_TIME = "half_time"
    FULL_TIME = "full_time"


KIND_LABELS: dict[EventKind, str] = {
    EventKind.GOAL: "Goal",
    EventKind.ASSIST: "Assist",
    EventKind.SAVE: "Save",
    EventKind.KEY_PASS: "Key pass",
    EventKind.TACKLE: "Tackle",
    EventKind.INTERCEPTION: "Interception",
    EventKind.FOUL: "Foul",
    EventKind.PENALTY: "Penalty",
    EventKind.FREE_KICK: "Free kick",
    EventKind.BALL_OUT: "Ball out",
    EventKind.OWN_GOAL: "Own goal",
    EventKind.SHOT_ON_TARGET: "Shot on target",
    EventKind.SHOT_OFF_TARGET: "Shot off target",
    EventKind.CORNER: "Corner",
    EventKind.YELLOW_CARD: "Yellow card",
    EventKind.RED_CARD: "Red card",
    EventKind.SUBSTITUTION: "Substitution",
    EventKind.KICK_OFF: "Kick-off",
    EventKind.HALF_TIME: "Half-time",
    EventKind.FULL_TIME: "Full-time",
}
"""What people read for each kind."""

PERIOD_MARKERS = frozenset({EventKind.KICK_OFF, EventKind.HALF_TIME, EventKind.FULL_TIME})
SCORING = frozenset({EventKind.GOAL, EventKind.OWN_GOAL})


class Side(StrEnum):
    """Whose action an event records, from the logging coach's point of view."""

    TEAM = "team"
    OPPOSITION = "opposition"


class MatchStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    INTERVAL = "interval"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class MatchState:
    status: MatchStatus = MatchStatus.SCHEDULED
    period: int = 0


class TransitionRefused(Exception):
    """A period marker that does not follow from the match's current state."""


@dataclass(frozen=True, slots=True, order=True)
class MatchTime:
    """When in a match something happened; ordered as the match is played."""

    period: int
    minute: int
    stoppage: int = 0


class EventRefused(Exception):
    """An event (not a period marker) that the match's state does not allow.

    ``code`` is ``match_not_started`` or ``match_finished``; the message is in a coach's
    words.
    """

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def check_event_time(state: MatchState, at: MatchTime, full_time: MatchTime | None) -> None:
    """Raise :class:`EventRefused` unless an event at ``at`` fits the match.

    Nothing happens before kick-off: a match that is still scheduled takes no events.
    A finished match takes only events within the time it was played, up to and including
    ``full_time`` (the full-time marker's time): a phone that logged while the match was
    still on for it, and synced after another phone blew full time, loses nothing, while
    an event logged after the final whistle is refused. In play and at a break every
    event is taken.
    """
    if state.status is MatchStatus.SCHEDULED:
        raise EventRefused(
            "match_not_started", "This match has not kicked off yet: log the kick-off first."
        )
    if state.status is MatchStatus.FINISHED and (full_time is None or at > full_time):
        raise EventRefused(
            "match_finished", "This match is already finished: reopen it to log more."
        )


ASSIST_REFUSALS: dict[str, str] = {
    "assist_not_our_goal": "only a goal of ours has an assist",
    "assist_by_scorer": "a scorer cannot assist their own goal",
}
"""The codes :func:`check_assist` answers, and their messages in a coach's words."""


def check_assist(
    kind: str, side: str, player_id: str | None, assist_player_id: str | None
) -> str | None:
    """Why an event may not name ``assist_player_id``, as a code of
    :data:`ASSIST_REFUSALS`; None when it may. Naming no assist is always allowed; an
    assist belongs only to a goal of ours (never an own goal, never the opposition's), and
    never to the goal's own scorer. Ids are compared as given: pass both in one form."""
    if assist_player_id is None:
        return None
    if kind != EventKind.GOAL or side != Side.TEAM:
        return "assist_not_our_goal"
    if assist_player_id == player_id:
        return "assist_by_scorer"
    return None


def apply_marker(state: MatchState, kind: EventKind, period: int, periods: int) -> MatchState:
    """Return the state after ``kind`` in ``period``, or raise :class:`TransitionRefused`.

    kick_off starts period 1 of a scheduled match, or the next period after an interval;
    half_time ends the period in play; full_time ends the match from play or an interval.
    """
    if kind is EventKind.KICK_OFF:
        if state.status is MatchStatus.SCHEDULED and period == 1:
            return MatchState(MatchStatus.LIVE, 1)
        if state.status is MatchStatus.INTERVAL and period == state.period + 1 <= periods:
            return MatchState(MatchStatus.LIVE, period)
        raise TransitionRefused(
            f"kick-off of period {period} does not follow a match that is "
            f"{state.status} in period {state.period}"
        )
    if kind is EventKind.HALF_TIME:
        if state.status is MatchStatus.LIVE and period == state.period:
            return MatchState(MatchStatus.INTERVAL, period)
        raise TransitionRefused(
            f"the break after period {period} does not follow a match that is "
            f"{state.status} in period {state.period}"
        )
    if kind is EventKind.FULL_TIME:
        live_or_break = state.status in (MatchStatus.LIVE, MatchStatus.INTERVAL)
        if live_or_break and period == state.period:
            return MatchState(MatchStatus.FINISHED, period)
        raise TransitionRefused(
            f"full time in period {period} does not follow a match that is "
            f"{state.status} in period {state.period}"
        )
    raise ValueError(f"{kind} is not a period marker")


# Within a period a kick-off comes before the break, and the break before full time.
_MARKER_ORDER = {EventKind.KICK_OFF: 0, EventKind.HALF_TIME: 1, EventKind.FULL_TIME: 2}


def match_order(kind: EventKind, period: int) -> tuple[int, int]:
    """Sort key of a period marker: by period, then kick-off, half-time, full-time.

    The only order in which a set of accepted markers is valid, so it is their apply order
    too, whatever order they are read in (an edit renumbers a marker's ``seq``); the last
    in it is the latest marker.
    """
    return period, _MARKER_ORDER[kind]


def _in_match_order(markers: Iterable[tuple[EventKind, int]]) -> list[tuple[int, EventKind, int]]:
    """Markers with their position in ``markers``, in :func:`match_order`; stable."""
    numbered = [(position, kind, period) for position, (kind, period) in enumerate(markers)]
    return sorted(numbered, key=lambda marker: match_order(marker[1], marker[2]))


def fold_markers(markers: Iterable[tuple[EventKind, int]], periods: int) -> MatchState:
    """The state reached by applying markers in match order; each must be a valid step,
    or :class:`TransitionRefused` is raised (the server holds only accepted markers)."""
    state = MatchState()
    for _, kind, period in _in_match_order(markers):
        state = apply_marker(state, kind, period, periods)
    return state


def settle_markers(
    markers: Iterable[tuple[EventKind, int]], periods: int
) -> tuple[MatchState, list[int]]:
    """The state reached by applying markers in match order, and the positions (in
    ``markers``) of those that do not follow, which leave the state as it was.

    A phone folds its queued markers with the server's this way: a queued marker that does
    not follow is one the server will refuse. With no position returned, the state is
    :func:`fold_markers`'.
    """
    state, refused = MatchState(), []
    for position, kind, period in _in_match_order(markers):
        try:
            state = apply_marker(state, kind, period, periods)
        except TransitionRefused:
            refused.append(position)
    return state, sorted(refused)


def kick_off_instant(recorded_at: datetime | None, received_at: datetime) -> datetime:
    """When a period started: the phone's ``recorded_at`` unless it is missing or later than
    ``received_at`` (when the server received the kick-off, or a page's now), since a phone
    whose clock runs ahead must not hold the match clock at zero."""
    return recorded_at if recorded_at is not None and recorded_at <= received_at else received_at


def timeline_key(
    period: int, minute: int, stoppage: int, recorded_at: datetime | None, event_id: str
) -> tuple[int, int, int, bool, datetime | None, str]:
    """Sort key of an event on a timeline, earliest first: match time, then when the phone
    recorded it (to the millisecond; none first), then the hyphenated id, so every page
    lists the same events in the same order."""
    instant = recorded_at and recorded_at - timedelta(microseconds=recorded_at.microsecond % 1000)
    return (period, minute, stoppage, instant is not None, instant, event_id)


@dataclass(frozen=True, slots=True)
class Score:
    team: int = 0
    opposition: int = 0


def score(events: Iterable[tuple[EventKind, Side]]) -> Score:
    """Goals for each side: a goal counts for its side, an own goal for the other side."""
    team = opposition = 0
    for kind, side in events:
        if kind is EventKind.GOAL:
            team, opposition = (
                (team + 1, opposition) if side is Side.TEAM else (team, opposition + 1)
            )
        elif kind is EventKind.OWN_GOAL:
            team, opposition = (
                (team, opposition + 1) if side is Side.TEAM else (team + 1, opposition)
            )
    return Score(team, opposition)


def clock_seconds(
    state: MatchState, period_started_at: datetime | None, now: datetime, period_minutes: int
) -> int:
    """Seconds on the match clock: full periods already played plus time in this one.

    Between periods and after full time the clock stands at the end of the last period.
    """
    played = max(state.period - 1, 0) * period_minutes * 60
    if state.status is MatchStatus.LIVE and period_started_at is not None:
        return played + max(int((now - period_started_at).total_seconds()), 0)
    if state.status in (MatchStatus.INTERVAL, MatchStatus.FINISHED):
        return state.period * period_minutes * 60
    return 0


def minute_now(
    state: MatchState, period_started_at: datetime | None, now: datetime, period_minutes: int
) -> MatchTime:
    """The match time to log for something that happens at ``now``: the minute being
    played, counted from 1, with time past the period's end as added time. Outside play,
    the end of the last period played (the start of the match before kick-off)."""
    period = max(state.period, 1)
    before = (period - 1) * period_minutes
    if state.status is not MatchStatus.LIVE or period_started_at is None:
        played = 0 if state.status is MatchStatus.SCHEDULED else period_minutes
        return MatchTime(period, min(before + played, MAX_MINUTE))
    in_period = max(now - period_started_at, timedelta(0)) // timedelta(minutes=1) + 1
    stoppage = min(max(in_period - period_minutes, 0), MAX_STOPPAGE)
    return MatchTime(period, min(before + min(in_period, period_minutes), MAX_MINUTE), stoppage)
