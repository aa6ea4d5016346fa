from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from backend.vapid_keys import b64url_decode

Base64Url = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")]


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: Base64Url = Field(description="The browser's P-256 public key (65 bytes, base64url)")
    auth: Base64Url = Field(description="The browser's authentication secret (16 bytes)")

    @field_validator("p256dh")
    @classmethod
    def _is_p256_point(cls, value: str) -> str:
        raw = b64url_decode(value.rstrip("="))
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError("must be an uncompressed P-256 point (65 bytes) in base64url")
        return value

    @field_validator("auth")
    @classmethod
    def _is_16_bytes(cls, value: str) -> str:
        if len(b64url_decode(value.rstrip("="))) != 16:
            raise ValueError("must be 16 bytes in base64url")
        return value


class PushSubscriptionJSON(BaseModel):
    """What the browser's ``PushSubscription.toJSON()`` gives."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1, max_length=2048)
    expirationTime: int | None = None
    keys: SubscriptionKeys


class PushSubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscription: PushSubscriptionJSON
    goals: StrictBool = Field(default=True, description="Each goal, with the score it made")
    breaks: StrictBool = Field(default=True, description="The score at half-time and full-time")
    cards: StrictBool = Field(default=False, description="Yellow and red cards")


class PushUnsubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(min_length=1, max_length=2048)


class PushChoices(BaseModel):
    goals: bool
    breaks: bool
    cards: bool


class PushInfo(BaseModel):
    enabled: bool = Field(description="False while the server has no VAPID key")
    public_key: str | None = Field(
        description="The applicationServerKey to subscribe with (base64url), if enabled"
    )
