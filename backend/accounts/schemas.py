from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sync_protocol.fields import NO_NUL, Name, storable


def _email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not local or "." not in domain or domain.startswith(".") or " " in value:
        raise ValueError("must be an email address")
    return value.lower()


Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=3,
        max_length=254,
        # What `_email` accepts, published in the schema.
        pattern=r"^[^@\s\x00\x85]+@[^@\s\x00\x85.][^@\s\x00\x85]*\.[^@\s\x00\x85]*$",
    ),
    AfterValidator(storable),
    AfterValidator(_email),
]
Password = Annotated[
    str, Field(min_length=8, max_length=256, pattern=NO_NUL), AfterValidator(storable)
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(Request):
    email: Email
    password: Password
    display_name: Name


class LoginRequest(Request):
    email: Email
    password: Annotated[str, Field(max_length=256)]


class LoginResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    created_at: datetime


class DeviceCreate(Request):
    name: Name


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


class DeviceRegistered(DeviceOut):
    token: str = Field(description="Shown once. Send it as `Authorization: Bearer <token>`.")


class PasswordChange(Request):
    current_password: Annotated[str, Field(max_length=256)]
    new_password: Password


class EmailChange(Request):
    password: Annotated[str, Field(max_length=256)]
    email: Email


class AccountDelete(Request):
    password: Annotated[str, Field(max_length=256)]


class RecoveryInfo(BaseModel):
    by_email: bool = Field(
        description="True if this server mails reset links; otherwise the person who runs it "
        "resets passwords (`touchline coach reset-password`)."
    )


class ResetRequest(Request):
    email: Email


class ResetToken(Request):
    token: Annotated[str, Field(min_length=1, max_length=512)]
    new_password: Password


class PasswordReset(BaseModel):
    email: str = Field(description="The account's e-mail, to sign in with the new password.")
