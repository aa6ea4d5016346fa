from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.matches.schemas import PlayerRef
from sync_protocol.match import MatchStatus


class DateRangeOut(BaseModel):
    """The UTC days asked for, both inclusive; null for an open end."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(alias="from")
    to: date | None


class Counts(BaseModel):
    """The team's events naming the player, by kind (``sync_protocol.insights.COUNTED``),
    and the goals they assisted."""

    goals: int
    assists: int
    key_passes: int
    saves: int
    tackles: int
    interceptions: int
    fouls: int
    yellow_cards: int
    red_cards: int
    own_goals: int
    shots_on_target: int
    shots_off_target: int
    corners: int


class PlayerStatsOut(Counts):
    player: PlayerRef
    appearances: int = Field(description="Matches started or come on in")
    starts: int
    minutes: int = Field(description="Minutes on the pitch")


class TeamRecordOut(BaseModel):
    """Finished matches only."""

    played: int
    won: int
    drawn: int
    lost: int
    goals_for: int
    goals_against: int
    clean_sheets: int
    form: list[Literal["W", "D", "L"]] = Field(description="The last five, newest first")


class TeamStatsOut(BaseModel):
    team_id: uuid.UUID
    range: DateRangeOut
    matches: int = Field(description="Matches in the range, whatever their state")
    record: TeamRecordOut
    players: list[PlayerStatsOut] = Field(description="By squad number, then name")


class FairnessOut(BaseModel):
    player: PlayerRef
    appearances: int
    starts: int
    minutes: int
    available_matches: int = Field(
        description="Matches that kicked off with the player in the lineup, or on the pitch"
    )
    available_minutes: int = Field(description="The played time of those matches")
    minutes_share: float | None = Field(description="minutes / available_minutes; null if 0")
    starts_share: float | None = Field(description="starts / available_matches; null if 0")


class TeamFairnessOut(BaseModel):
    team_id: uuid.UUID
    range: DateRangeOut
    matches: int
    players: list[FairnessOut] = Field(description="Least minutes share first")


class PlayerSeasonOut(BaseModel):
    range: DateRangeOut
    matches: int = Field(description="The team's matches in the range")
    stats: PlayerStatsOut
    fairness: FairnessOut


class MatchTimeOut(BaseModel):
    period: int
    minute: int
    stoppage: int


class MatchPlayerOut(PlayerStatsOut):
    bench: int = Field(description="Minutes available but not on the pitch")
    started: bool
    appeared: bool
    on_pitch: bool = Field(description="On the pitch now, or at the final whistle")
    by_period: list[int] = Field(description="Minutes on the pitch in each period")


class MatchStatsOut(BaseModel):
    match_id: uuid.UUID
    opponent: str
    kickoff_at: datetime
    status: MatchStatus
    counted_to: MatchTimeOut | None = Field(
        description="For a match in play, the match time by the server's clock that the "
        "period in play is counted to; null otherwise"
    )
    played: int = Field(description="Minutes played by the team so far")
    periods: list[int] = Field(description="How long each period has lasted")
    players: list[MatchPlayerOut] = Field(description="By squad number, then name")
