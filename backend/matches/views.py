"""Turn matches and events into the mobile-first response shapes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from backend.db.models import Event, LineupEntry, Match, Player, utcnow
from backend.matches import service
from backend.matches.schemas import (
    ClockOut,
    EventOut,
    LineupEntryOut,
    LineupOut,
    MatchOut,
    PlayerRef,
    ScoreOut,
)
from sync_protocol.match import MatchState, MatchStatus, Score, clock_seconds


def player_ref(
    players: Mapping[uuid.UUID, Player], player_id: uuid.UUID | None
) -> PlayerRef | None:
    player = players.get(player_id) if player_id is not None else None
    if player is None:
        return None
    return PlayerRef(
        id=player.id, squad_number=player.squad_number, display_name=player.display_name
    )


def event_out(event: Event, players: Mapping[uuid.UUID, Player]) -> EventOut:
    return EventOut(
        id=event.id,
        match_id=event.match_id,
        kind=event.kind,
        side=event.side,
        period=event.period,
        minute=event.minute,
        stoppage=event.stoppage,
        player=player_ref(players, event.player_id),
        replaced_player=player_ref(players, event.replaced_player_id),
        assist_player=player_ref(players, event.assist_player_id),
        note=event.note,
        recorded_at=event.recorded_at,
        created_at=event.created_at,
        updated_at=event.updated_at,
        deleted=event.deleted_at is not None,
        seq=event.seq,
    )


def clock_out(match: Match, now: datetime) -> ClockOut:
    seconds = clock_seconds(
        MatchState(match.status, match.current_period),
        match.period_started_at,
        now,
        match.period_minutes,
    )
    return ClockOut(
        seconds=seconds,
        display=f"{seconds // 60:02d}:{seconds % 60:02d}",
        running=match.status is MatchStatus.LIVE,
        period_started_at=match.period_started_at,
    )


def score_out(match: Match, score: Score) -> ScoreOut:
    home, away = (score.team, score.opposition) if match.is_home else (score.opposition, score.team)
    return ScoreOut(home=home, away=away, team=score.team, opposition=score.opposition)


def match_out(match: Match, team_name: str, score: Score, now: datetime) -> MatchOut:
    home, away = (team_name, match.opponent) if match.is_home else (match.opponent, team_name)
    return MatchOut(
        id=match.id,
        team_id=match.team_id,
        team_name=team_name,
        opponent=match.opponent,
        is_home=match.is_home,
        home_team=home,
        away_team=away,
        kickoff_at=match.kickoff_at,
        venue=match.venue,
        competition=match.competition,
        periods=match.periods,
        period_minutes=match.period_minutes,
        status=match.status,
        current_period=match.current_period,
        clock=clock_out(match, now),
        score=score_out(match, score),
        created_at=match.created_at,
        updated_at=match.updated_at,
        seq=match.head_seq,
    )


def matches_out(db_session: Session, matches: Sequence[Match]) -> list[MatchOut]:
    """Render several matches with two queries in all (team names, scores)."""
    names = service.team_names(db_session, (m.team_id for m in matches))
    scores = service.scores(db_session, [m.id for m in matches])
    now = utcnow()
    return [match_out(m, names[m.team_id], scores[m.id], now) for m in matches]


def lineup_out(
    match: Match, entries: Sequence[LineupEntry], players: Mapping[uuid.UUID, Player]
) -> LineupOut:
    slots = []
    for entry in entries:
        ref = player_ref(players, entry.player_id)
        assert ref is not None
        slots.append(LineupEntryOut(player=ref, role=entry.role, position=entry.position))
    return LineupOut(match_id=match.id, seq=match.lineup_seq, players=slots)
