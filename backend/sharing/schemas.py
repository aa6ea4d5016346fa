from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.matches.schemas import MatchSummary
from sync_protocol.fields import JSON_INTEGER

NamePolicy = Literal["initials", "first_names", "full_names"]
# A result link lasts as long as the coach chooses, up to a season (a year, leap day
# included); any link can be revoked sooner.
LINK_MAX_HOURS = 366 * 24


class ShareLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_hours: Annotated[int, Field(ge=1, le=LINK_MAX_HOURS), JSON_INTEGER] | None = Field(
        default=72,
        description="How long the link works, in hours; null: until the coach revokes it",
    )
    names: NamePolicy = Field(
        default="first_names",
        description="How viewers see players: initials, first names (default) or full names",
    )


class ShareLinkOut(BaseModel):
    id: uuid.UUID
    match_id: uuid.UUID
    token: str
    path: str = Field(description="Open this on the server's origin: /watch#<token>")
    result_path: str = Field(
        description="The same link for a group chat, whose preview then shows the score: "
        "/watch?t=<token>"
    )
    names: NamePolicy
    created_at: datetime
    expires_at: datetime | None = Field(description="Null: the link works until revoked")
    revoked_at: datetime | None


class ViewerPlayer(BaseModel):
    id: uuid.UUID
    squad_number: int | None
    name: str


class WatchLineupSlot(BaseModel):
    player_id: uuid.UUID
    role: Literal["starting", "bench"]


class WatchLink(BaseModel):
    expires_at: datetime | None = Field(description="Null: the link works until revoked")
    names: NamePolicy


class WatchSummary(BaseModel):
    match: MatchSummary
    players: list[ViewerPlayer]
    events: list[dict[str, Any]] = Field(description="Live event change records, in seq order")
    lineup: list[WatchLineupSlot] = Field(
        description="Who started and who was on the bench, starters first: with the events, "
        "what minutes played are counted from"
    )
    head: int
    link: WatchLink
    server_time: datetime = Field(
        description="The server's clock when it answered, so a viewer whose phone clock is "
        "off still runs the match clock from the right time"
    )
