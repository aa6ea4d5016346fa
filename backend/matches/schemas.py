from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from sync_protocol.fields import Name, Note, ShortText, Timestamp
from sync_protocol.match import EventKind, MatchStatus, Side
from sync_protocol.messages import LineupSlot as LineupEntryIn
from sync_protocol.messages import Minute, Period, PeriodMinutes, Stoppage

LINEUP_MAX = 60


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MatchFields(Request):
    opponent: Name
    is_home: StrictBool = True
    kickoff_at: Timestamp
    venue: ShortText | None = None
    competition: ShortText | None = None
    periods: Period = 2
    period_minutes: PeriodMinutes = 45


class MatchCreate(MatchFields):
    id: uuid.UUID | None = Field(
        default=None, description="Client-made id, so a phone can create a match offline."
    )
    team_id: uuid.UUID


class EventFields(Request):
    kind: EventKind
    side: Side = Side.TEAM
    period: Period
    minute: Minute
    stoppage: Annotated[Stoppage, Field(description="Added time, 45+2")] = 0
    player_id: uuid.UUID | None = Field(default=None, description="Our player, if any.")
    replaced_player_id: uuid.UUID | None = Field(
        default=None, description="For a substitution: the player going off."
    )
    note: Note | None = None
    recorded_at: Timestamp | None = Field(
        default=None, description="The phone's clock when the event was logged."
    )
    assist_player_id: uuid.UUID | None = Field(
        default=None, description="For a goal: our player who set it up."
    )


class EventCreate(EventFields):
    id: uuid.UUID = Field(description="Client-made; UUIDv7 recommended. Retries are stored once.")


class PlayerRef(BaseModel):
    id: uuid.UUID
    squad_number: int | None
    display_name: str


class EventOut(BaseModel):
    id: uuid.UUID
    match_id: uuid.UUID
    kind: EventKind
    side: Side
    period: int
    minute: int
    stoppage: int
    player: PlayerRef | None
    replaced_player: PlayerRef | None
    assist_player: PlayerRef | None
    note: str | None
    recorded_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted: bool
    seq: int


class ScoreOut(BaseModel):
    home: int
    away: int
    team: int
    opposition: int


class ClockOut(BaseModel):
    seconds: int
    display: str = Field(description="mm:ss on the match clock")
    running: bool
    period_started_at: datetime | None


class MatchSummary(BaseModel):
    """A match as everyone who may see it reads it, a share link's viewers included: no
    internal id but its own."""

    id: uuid.UUID
    team_name: str
    opponent: str
    is_home: bool
    home_team: str
    away_team: str
    kickoff_at: datetime
    venue: str | None
    competition: str | None
    periods: int
    period_minutes: int
    status: MatchStatus
    current_period: int
    clock: ClockOut
    score: ScoreOut
    seq: int = Field(description="The match's latest change number")


class MatchOut(MatchSummary):
    team_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class MatchDetail(BaseModel):
    match: MatchOut
    recent_events: list[EventOut]


class MatchPage(BaseModel):
    items: list[MatchOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


class EventPage(BaseModel):
    items: list[EventOut]
    next_after_seq: int | None = Field(description="Pass as `after_seq` for the next page")


class MatchFilters(BaseModel):
    team_id: uuid.UUID | None = None
    status: MatchStatus | None = None
    date_from: date | None = None
    date_to: date | None = None


class LineupIn(Request):
    players: Annotated[list[LineupEntryIn], Field(max_length=LINEUP_MAX)]


class LineupEntryOut(BaseModel):
    player: PlayerRef
    role: Literal["starting", "bench"]
    position: str | None


class LineupOut(BaseModel):
    match_id: uuid.UUID
    seq: int
    players: list[LineupEntryOut]


# --- exports: the documented shape of the streamed team export ---------------------------


class ExportTeam(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class ExportPlayer(BaseModel):
    id: uuid.UUID
    squad_number: int | None
    display_name: str
    full_name: str | None
    deleted: bool = Field(description="Removed from the roster; earlier events may name them")
    erased: bool = Field(
        default=False, description='Names overwritten for good: "Former player", no full name'
    )


class ExportMember(BaseModel):
    """A coach of the team: their name and role, not their e-mail address."""

    account_id: uuid.UUID
    display_name: str
    role: str
    joined_at: datetime


class ExportShareLink(BaseModel):
    """A share or result link that was made for a match: that it exists, never its token."""

    id: uuid.UUID
    match_id: uuid.UUID
    names: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class ExportEvent(BaseModel):
    id: uuid.UUID
    period: int
    minute: int
    stoppage: int
    kind: EventKind
    side: Side
    player_id: uuid.UUID | None
    assist_player_id: uuid.UUID | None
    replaced_player_id: uuid.UUID | None
    note: str | None
    recorded_at: datetime | None


class ExportLineupEntry(BaseModel):
    player_id: uuid.UUID
    role: Literal["starting", "bench"]
    position: str | None


class ExportMatch(BaseModel):
    id: uuid.UUID
    opponent: str
    is_home: bool
    kickoff_at: datetime
    venue: str | None
    competition: str | None
    periods: int
    period_minutes: int
    status: MatchStatus
    current_period: int
    score: ScoreOut
    lineup: list[ExportLineupEntry]
    events: list[ExportEvent] = Field(description="Not deleted, in match time")


class TeamExport(BaseModel):
    """A whole team: what ``GET /api/teams/{team_id}/export.json`` streams."""

    exported_at: datetime
    team: ExportTeam
    members: list[ExportMember]
    players: list[ExportPlayer]
    matches: list[ExportMatch] = Field(description="Not deleted, oldest kick-off first")
    share_links: list[ExportShareLink] = Field(
        description="Every link made for the team's matches, revoked and expired ones too"
    )
