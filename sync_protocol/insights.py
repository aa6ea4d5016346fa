"""Minutes played and stats, folded from matches' events. Pure: the caller reads the
matches, their lineups and their current events; this decides what they add up to.

A deleted event is simply not passed and an edited one is passed as it is now, so every
number follows edits and deletes after the fact. ``pwa/js/insights.js`` states the same
rules for the phone, and ``golden/minutes.json`` and ``golden/stats.json`` hold both to
the same answers.

Time is in whole minutes of match time. An event in period ``p`` of a match whose periods
last ``period_minutes`` happened ``minute - (p - 1) * period_minutes + stoppage`` minutes
into its period (an event's ``minute`` counts from the start of the match, its
``stoppage`` past the period's end). A period that has ended lasted until its half-time
or full-time marker, added time included; the period in play lasts until ``now``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sync_protocol.match import (
    PERIOD_MARKERS,
    SCORING,
    EventKind,
    MatchState,
    MatchStatus,
    MatchTime,
    Score,
    Side,
    score,
    settle_markers,
    timeline_key,
)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as it stands now. ``kind`` is a string, so kinds this version does not
    list are carried (and counted, where :data:`COUNTED` names them) all the same."""

    id: str
    kind: str
    period: int
    minute: int
    stoppage: int = 0
    side: str = Side.TEAM
    player_id: str | None = None
    replaced_player_id: str | None = None
    assist_player_id: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MatchLog:
    """A match's format, its lineup (player id to ``"starting"`` or ``"bench"``) and its
    current events, in any order."""

    id: str
    periods: int
    period_minutes: int
    kickoff_at: datetime
    lineup: Mapping[str, str]
    events: Sequence[LoggedEvent]


@dataclass(frozen=True, slots=True)
class PlayerMinutes:
    minutes: int
    """Minutes on the pitch."""
    bench: int
    """Minutes available but not on the pitch (time after a red card is neither)."""
    started: bool
    appeared: bool
    """Started, or came on, in a match that kicked off."""
    on_pitch: bool
    """On the pitch at the end of the time counted: at ``now``, or at the final whistle."""
    by_period: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Minutes:
    state: MatchState
    periods: tuple[int, ...]
    """How long each period of the format has lasted (0 for one not played)."""
    players: dict[str, PlayerMinutes]

    @property
    def played(self) -> int:
        return sum(self.periods)


def _offset(period: int, minute: int, stoppage: int, period_minutes: int) -> int:
    """Minutes into its period of something at (``period``, ``minute``, ``stoppage``)."""
    return max(minute - (period - 1) * period_minutes, 0) + stoppage


def _period_lengths(match: MatchLog, now: MatchTime | None) -> tuple[MatchState, list[int], bool]:
    """The state the markers reach, how long each period lasted, and whether the match
    kicked off. Markers that do not follow (as :func:`settle_markers` decides) count for
    nothing."""
    markers = [event for event in match.events if event.kind in PERIOD_MARKERS]
    state, refused = settle_markers(
        ((EventKind(event.kind), event.period) for event in markers), match.periods
    )
    left_out = set(refused)
    started: set[int] = set()
    ended: dict[int, int] = {}
    for position, marker in enumerate(markers):
        if position in left_out:
            continue
        if marker.kind == EventKind.KICK_OFF:
            started.add(marker.period)
        elif marker.kind == EventKind.HALF_TIME or marker.period not in ended:
            # A break then full time ends a period at the break.
            ended[marker.period] = _offset(
                marker.period, marker.minute, marker.stoppage, match.period_minutes
            )
    lengths = [0] * match.periods
    for period in started:
        if period in ended:
            lengths[period - 1] = ended[period]
        elif now is not None:
            lengths[period - 1] = _offset(period, now.minute, now.stoppage, match.period_minutes)
        else:
            # In play with no clock given: as far as the events logged in it go.
            lengths[period - 1] = max(
                (
                    _offset(e.period, e.minute, e.stoppage, match.period_minutes)
                    for e in match.events
                    if e.period == period
                ),
                default=0,
            )
    return state, lengths, bool(started)


def minutes_played(match: MatchLog, now: MatchTime | None = None) -> Minutes:
    """Minutes on the pitch and on the bench of every player in the lineup or named by one
    of the team's substitutions or red cards.

    The starters are on at kick-off. The team's substitutions and red cards then apply in
    timeline order (:func:`timeline_key`): a substitution takes ``replaced_player_id``
    off (back to the bench: rolling substitutes may come on again) and puts ``player_id``
    on; a red card takes its player off, not replaced. The players on at the end of a
    period start the next. An event timed past its period's end counts at the end.

    ``now`` is the match time of this moment (what a phone would log now); it sets how
    long the period in play has lasted. Without it, that period lasts as far as its
    latest event. A match that has not kicked off has no minutes, and nobody started it.
    """
    state, lengths, kicked_off = _period_lengths(match, now)
    starters = {player for player, role in match.lineup.items() if role == "starting"}
    changes = deque(_line_changes(match))
    pitch = _Pitch(match.periods, starters if kicked_off else set())
    for player in match.lineup:
        pitch.know(player)
    for change in changes:
        pitch.know(change.player_id)
        pitch.know(change.replaced_player_id)
    for period in range(1, match.periods + 1):
        length, cursor = lengths[period - 1], 0
        while changes and changes[0].period == period:
            change = changes.popleft()
            at = _offset(change.period, change.minute, change.stoppage, match.period_minutes)
            cursor = min(max(at, cursor), length)
            pitch.change(change, cursor, period)
        pitch.close(period, length)
    played = sum(lengths)
    players = {}
    for player, periods in pitch.by_period.items():
        minutes = sum(periods)
        players[player] = PlayerMinutes(
            minutes=minutes,
            bench=played - minutes - pitch.sent_off_minutes[player],
            started=kicked_off and player in starters,
            appeared=kicked_off and player in pitch.appeared,
            on_pitch=kicked_off and player in pitch.on_since,
            by_period=tuple(periods),
        )
    return Minutes(state, tuple(lengths), players)


def _line_changes(match: MatchLog) -> list[LoggedEvent]:
    """The team's substitutions and red cards, in timeline order."""
    return sorted(
        (
            event
            for event in match.events
            if event.side == Side.TEAM
            and event.kind in (EventKind.SUBSTITUTION, EventKind.RED_CARD)
            and 1 <= event.period <= match.periods
        ),
        key=lambda e: timeline_key(e.period, e.minute, e.stoppage, e.recorded_at, e.id),
    )


class _Pitch:
    """Who is on the pitch and who is sent off, as a match's line changes apply, and the
    minutes each has had so far."""

    def __init__(self, periods: int, on: set[str]) -> None:
        self.periods = periods
        self.by_period: dict[str, list[int]] = {}
        self.sent_off_minutes: dict[str, int] = {}
        # When each player on the pitch (or sent off) came to be so, in this period.
        self.on_since = dict.fromkeys(on, 0)
        self.off_since: dict[str, int] = {}
        self.appeared = set(on)

    def know(self, player: str | None) -> None:
        if player is not None and player not in self.by_period:
            self.by_period[player] = [0] * self.periods
            self.sent_off_minutes[player] = 0

    def change(self, event: LoggedEvent, at: int, period: int) -> None:
        """Apply a substitution or red card at offset ``at`` into ``period``."""
        coming, going = event.player_id, event.replaced_player_id
        if event.kind == EventKind.RED_CARD:
            coming, going = None, event.player_id
        if going is not None and going in self.on_since:
            self.by_period[going][period - 1] += at - self.on_since.pop(going)
        if going is not None and event.kind == EventKind.RED_CARD and going not in self.off_since:
            self.off_since[going] = at
        if coming is not None and coming not in self.on_since:
            self.on_since[coming] = at
            self.appeared.add(coming)
            if coming in self.off_since:
                self.sent_off_minutes[coming] += at - self.off_since.pop(coming)

    def close(self, period: int, length: int) -> None:
        """End ``period`` after ``length`` minutes; who is on (or off) starts the next."""
        for player, since in self.on_since.items():
            self.by_period[player][period - 1] += length - since
        for player, since in self.off_since.items():
            self.sent_off_minutes[player] += length - since
        self.on_since = dict.fromkeys(self.on_since, 0)
        self.off_since = dict.fromkeys(self.off_since, 0)


COUNTED: dict[str, str] = {
    "goal": "goals",
    "key_pass": "key_passes",
    "save": "saves",
    "tackle": "tackles",
    "interception": "interceptions",
    "foul": "fouls",
    "yellow_card": "yellow_cards",
    "red_card": "red_cards",
    "own_goal": "own_goals",
    "shot_on_target": "shots_on_target",
    "shot_off_target": "shots_off_target",
    "corner": "corners",
}
"""The kinds counted for the player an event of the team names, and the count's name.
Assists are counted apart (:func:`stats`)."""


@dataclass(slots=True)
class PlayerStats:
    appearances: int = 0
    starts: int = 0
    minutes: int = 0
    assists: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED.values(), 0))
    available_matches: int = 0
    """Matches that kicked off with the player in the lineup, or on the pitch."""
    available_minutes: int = 0
    """The played time of those matches."""

    def add(self, played: PlayerMinutes, match_minutes: int) -> None:
        """Count a match that kicked off with the player in it or available to it."""
        self.appearances += played.appeared
        self.starts += played.started
        self.minutes += played.minutes
        self.available_matches += 1
        self.available_minutes += match_minutes

    def merge(self, other: PlayerStats) -> None:
        """Add ``other``'s numbers (another match's, say) to these."""
        self.appearances += other.appearances
        self.starts += other.starts
        self.minutes += other.minutes
        self.assists += other.assists
        for name, count in other.counts.items():
            if count:  # most are 0: a season adds up 40 matches x 14 players x 12 counts
                self.counts[name] = self.counts.get(name, 0) + count
        self.available_matches += other.available_matches
        self.available_minutes += other.available_minutes

    @property
    def minutes_share(self) -> float | None:
        """Minutes as a share of the minutes available; None when none were."""
        return self.minutes / self.available_minutes if self.available_minutes else None

    @property
    def starts_share(self) -> float | None:
        return self.starts / self.available_matches if self.available_matches else None


@dataclass(slots=True)
class TeamStats:
    played: int = 0
    won: int = 0
    drawn: int = 0
    lost: int = 0
    goals_for: int = 0
    goals_against: int = 0
    clean_sheets: int = 0
    form: list[str] = field(default_factory=list)
    """The last five results, newest first: ``"W"``, ``"D"`` or ``"L"``."""

    def add(self, goals: Score) -> str:
        """Count a finished match that ended ``goals``; its result."""
        self.played += 1
        self.goals_for += goals.team
        self.goals_against += goals.opposition
        self.clean_sheets += goals.opposition == 0
        if goals.team > goals.opposition:
            self.won += 1
            return "W"
        if goals.team < goals.opposition:
            self.lost += 1
            return "L"
        self.drawn += 1
        return "D"


@dataclass(frozen=True, slots=True)
class Stats:
    team: TeamStats
    players: dict[str, PlayerStats]


def _counted(events: Sequence[LoggedEvent]) -> Iterator[tuple[str, str]]:
    """The player and the count of each event of the team that counts for a player."""
    for event in events:
        name = COUNTED.get(event.kind)
        if name is not None and event.side == Side.TEAM and event.player_id is not None:
            yield event.player_id, name


def _assists(events: Sequence[LoggedEvent]) -> list[str]:
    """Who assisted each of the team's goals: the goal's ``assist_player_id``, else an
    ``assist`` event, unless a goal at the same match time already names its player."""
    assisters = [
        (e.period, e.minute, e.stoppage, e.assist_player_id)
        for e in events
        if e.kind == EventKind.GOAL and e.side == Side.TEAM and e.assist_player_id is not None
    ]
    named = set(assisters)
    assisters += [
        (e.period, e.minute, e.stoppage, e.player_id)
        for e in events
        if e.kind == EventKind.ASSIST
        and e.side == Side.TEAM
        and e.player_id is not None
        and (e.period, e.minute, e.stoppage, e.player_id) not in named
    ]
    return [player for *_, player in assisters]


@dataclass(frozen=True, slots=True)
class MatchTally:
    """What one match adds to a season's :class:`Stats`: :func:`tally` makes it,
    :func:`season` adds tallies up. It depends on nothing but the match, so a caller may
    keep it for as long as the match is unchanged (and must not change it)."""

    match_id: str
    kickoff_at: datetime
    players: dict[str, PlayerStats]
    final_score: Score | None
    """The score of a finished match; None for one not finished."""


def tally(match: MatchLog) -> MatchTally:
    """One match's part of :func:`stats`."""
    players: dict[str, PlayerStats] = {}

    def of(player: str) -> PlayerStats:
        found = players.get(player)
        if found is None:
            found = players[player] = PlayerStats()
        return found

    minutes = minutes_played(match)
    if minutes.state.status is not MatchStatus.SCHEDULED:
        for player, played in minutes.players.items():
            if played.appeared or player in match.lineup:
                of(player).add(played, minutes.played)
    for player, name in _counted(match.events):
        of(player).counts[name] += 1
    for assister in _assists(match.events):
        of(assister).assists += 1
    final_score = None
    if minutes.state.status is MatchStatus.FINISHED:
        final_score = score(
            (EventKind(e.kind), Side(e.side)) for e in match.events if e.kind in SCORING
        )
    return MatchTally(match.id, match.kickoff_at, players, final_score)


def season(tallies: Iterable[MatchTally]) -> Stats:
    """The :class:`Stats` of the matches whose tallies these are: :func:`stats` of those
    matches, without folding any match again. The tallies are left as they were."""
    team = TeamStats()
    players: dict[str, PlayerStats] = {}
    results: list[tuple[datetime, str, str]] = []
    for part in tallies:
        for player, line in part.players.items():
            total = players.get(player)
            if total is None:
                total = players[player] = PlayerStats()
            total.merge(line)
        if part.final_score is not None:
            results.append((part.kickoff_at, part.match_id, team.add(part.final_score)))
    team.form = [result for *_, result in sorted(results, reverse=True)[:5]]
    return Stats(team, players)


def stats(matches: Iterable[MatchLog]) -> Stats:
    """Player and team stats over ``matches`` (a season, a date range, one match).

    Players: an appearance is a match they started or came on in; every event of the team
    naming a player counts in :data:`COUNTED` by kind; minutes are :func:`minutes_played`'s
    (a match in play counts as far as its latest event). Team: only finished matches have a
    result. Fairness: minutes and starts as a share of the matches (and their minutes)
    each player was available for. The same as :func:`season` of each match's
    :func:`tally`, which is how it is computed.
    """
    return season(tally(match) for match in matches)
