"""Turn the core's numbers into the response shapes, players named as the roster names
them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.db.models import Player
from backend.insights.schemas import (
    Counts,
    DateRangeOut,
    FairnessOut,
    MatchPlayerOut,
    MatchStatsOut,
    MatchTimeOut,
    PlayerSeasonOut,
    PlayerStatsOut,
    TeamFairnessOut,
    TeamRecordOut,
    TeamStatsOut,
)
from backend.insights.service import DateRange, MatchInfo, Season
from backend.matches.schemas import PlayerRef
from sync_protocol.insights import Minutes, PlayerStats
from sync_protocol.match import MatchTime


def _ref(player: Player) -> PlayerRef:
    return PlayerRef(
        id=player.id, squad_number=player.squad_number, display_name=player.display_name
    )


def _roster_order(ref: PlayerRef) -> tuple[bool, int, str, str]:
    return (ref.squad_number is None, ref.squad_number or 0, ref.display_name, str(ref.id))


def _counts(line: PlayerStats) -> dict[str, Any]:
    return {"assists": line.assists, **line.counts}


def _stats_line(ref: PlayerRef, line: PlayerStats) -> PlayerStatsOut:
    return PlayerStatsOut(
        player=ref,
        appearances=line.appearances,
        starts=line.starts,
        minutes=line.minutes,
        **_counts(line),
    )


def _fairness_line(ref: PlayerRef, line: PlayerStats) -> FairnessOut:
    return FairnessOut(
        player=ref,
        appearances=line.appearances,
        starts=line.starts,
        minutes=line.minutes,
        available_matches=line.available_matches,
        available_minutes=line.available_minutes,
        minutes_share=line.minutes_share,
        starts_share=line.starts_share,
    )


def _lines(
    players: Mapping[str, Player], lines: Mapping[str, PlayerStats]
) -> list[tuple[PlayerRef, PlayerStats]]:
    """Each line with its player, in roster order. A line naming no player of the team
    (none can: events and lineups name only the team's players) is left out."""
    found = [(_ref(players[key]), line) for key, line in lines.items() if key in players]
    return sorted(found, key=lambda pair: _roster_order(pair[0]))


def range_out(dates: DateRange) -> DateRangeOut:
    return DateRangeOut(from_=dates.start, to=dates.end)


def team_stats_out(team_id: uuid.UUID, dates: DateRange, season: Season) -> TeamStatsOut:
    totals = season.stats()
    team = totals.team
    return TeamStatsOut(
        team_id=team_id,
        range=range_out(dates),
        matches=len(season.matches),
        record=TeamRecordOut(
            played=team.played,
            won=team.won,
            drawn=team.drawn,
            lost=team.lost,
            goals_for=team.goals_for,
            goals_against=team.goals_against,
            clean_sheets=team.clean_sheets,
            form=team.form,  # the core gives only W, D or L
        ),
        players=[_stats_line(ref, line) for ref, line in _lines(season.players, totals.players)],
    )


def fairness_out(team_id: uuid.UUID, dates: DateRange, season: Season) -> TeamFairnessOut:
    lines = [
        _fairness_line(ref, line)
        for ref, line in _lines(season.players, season.stats().players)
        if line.available_matches
    ]
    # Who has had the least of what was there first: the coach's next starters.
    lines.sort(key=lambda line: line.minutes_share or 0.0)
    return TeamFairnessOut(
        team_id=team_id, range=range_out(dates), matches=len(season.matches), players=lines
    )


def player_season_out(player: Player, dates: DateRange, season: Season) -> PlayerSeasonOut:
    key = season.key_of(player.id)
    line = season.stats().players.get(key, PlayerStats()) if key else PlayerStats()
    ref = _ref(player)
    return PlayerSeasonOut(
        range=range_out(dates),
        matches=len(season.matches),
        stats=_stats_line(ref, line),
        fairness=_fairness_line(ref, line),
    )


def match_stats_out(
    match: MatchInfo, season: Season, minutes: Minutes, counted_to: MatchTime | None
) -> MatchStatsOut:
    totals = season.stats().players
    players = []
    for key, played in minutes.players.items():
        if key not in season.players:
            continue
        line = totals.get(key, PlayerStats())
        players.append(
            MatchPlayerOut(
                player=_ref(season.players[key]),
                appearances=int(played.appeared),
                starts=int(played.started),
                minutes=played.minutes,
                bench=played.bench,
                started=played.started,
                appeared=played.appeared,
                on_pitch=played.on_pitch,
                by_period=list(played.by_period),
                **_counts(line),
            )
        )
    for key, line in totals.items():
        # Named by an event (a goal, a foul) without being in the lineup or subbed.
        if key not in minutes.players and key in season.players:
            players.append(
                MatchPlayerOut(
                    player=_ref(season.players[key]),
                    appearances=0,
                    starts=0,
                    minutes=0,
                    bench=0,
                    started=False,
                    appeared=False,
                    on_pitch=False,
                    by_period=[0] * len(minutes.periods),
                    **_counts(line),
                )
            )
    players.sort(key=lambda line: _roster_order(line.player))
    return MatchStatsOut(
        match_id=match.id,
        opponent=match.opponent,
        kickoff_at=match.kickoff_at,
        status=minutes.state.status,
        counted_to=_time_out(counted_to),
        played=minutes.played,
        periods=list(minutes.periods),
        players=players,
    )


def _time_out(at: MatchTime | None) -> MatchTimeOut | None:
    if at is None:
        return None
    return MatchTimeOut(period=at.period, minute=at.minute, stoppage=at.stoppage)


COUNT_FIELDS = tuple(Counts.model_fields)
"""The count columns, in the order the exports write them."""
