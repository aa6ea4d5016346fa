"""What an account holder's own export holds (``GET /api/me/export.json``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from backend.matches.schemas import ExportShareLink


class MyAccount(BaseModel):
    """The account itself; its password is kept only as a hash, which is never exported."""

    id: uuid.UUID
    email: str
    display_name: str
    created_at: datetime


class MyTeam(BaseModel):
    id: uuid.UUID
    name: str
    role: str
    joined_at: datetime


class MyDevice(BaseModel):
    """A phone or browser signed in to the account; its token is kept only as a hash."""

    id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    synced_at: datetime | None
    revoked_at: datetime | None


class MyInvite(BaseModel):
    """An invitation to a team the account made."""

    id: uuid.UUID
    team_id: uuid.UUID
    role: str
    max_uses: int
    uses: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class AccountExport(BaseModel):
    """Everything Touchline holds about one account: what ``GET /api/me/export.json``
    streams. A team's players and matches are the team's, exported by
    ``GET /api/teams/{team_id}/export.json``."""

    exported_at: datetime
    account: MyAccount
    teams: list[MyTeam]
    devices: list[MyDevice]
    share_links: list[ExportShareLink] = Field(
        description="Links the account made for families: that they exist, never their tokens"
    )
    invites: list[MyInvite]
    events_logged: int = Field(description="How many events the account's devices recorded")
