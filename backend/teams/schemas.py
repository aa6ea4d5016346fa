from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from backend.accounts.schemas import Email
from sync_protocol.fields import JSON_INTEGER, Name
from sync_protocol.messages import SquadNumber

Role = Literal["owner", "coach", "member"]
"""An owner manages the team and writes; a coach writes; a member reads what a coach
reads and writes nothing."""
InvitedRole = Literal["coach", "member"]
"""What an invite or a role change can grant: ownership is transferred, never granted."""


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamCreate(Request):
    name: Name


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    created_at: datetime


class CoachAdd(Request):
    email: Email
    role: Role = "coach"


class CoachOut(BaseModel):
    account_id: uuid.UUID
    display_name: str
    email: str
    role: Role


class TeamRename(Request):
    name: Name


class RoleChange(Request):
    role: InvitedRole = Field(description="coach or member; ownership is transferred instead.")


class OwnershipTransfer(Request):
    account_id: uuid.UUID = Field(description="The member who becomes the owner.")


class PlayerFields(Request):
    squad_number: SquadNumber | None = None
    display_name: Name = Field(description="What viewers see, e.g. a first name or initials.")
    full_name: Name | None = Field(default=None, description="Private to the team's coaches.")


class PlayerCreate(PlayerFields):
    id: uuid.UUID | None = Field(
        default=None, description="Client-made id, so a phone can add a player offline."
    )


class PlayerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_id: uuid.UUID
    squad_number: int | None
    display_name: str
    full_name: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    seq: int


class InviteCreate(Request):
    role: InvitedRole = Field(default="coach", description="The role whoever accepts gets.")
    expires_in_hours: Annotated[int, Field(ge=1, le=720), JSON_INTEGER] = 72
    max_uses: Annotated[int, Field(ge=1, le=100), JSON_INTEGER] = Field(
        default=1, description="How many people may join with this invite."
    )


class InviteOut(BaseModel):
    id: uuid.UUID
    team_id: uuid.UUID
    token: str
    path: str = Field(description="Open this on the server's origin: /join#<token>")
    role: Role = Field(description="The role whoever accepts gets.")
    max_uses: int
    uses: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class InviteAccept(Request):
    token: Annotated[str, Field(min_length=1, max_length=1024, strict=True)]
