"""The sync cursor: a device's position in every sync space it can see, signed.

The client treats it as opaque. Inside is the database generation and, per team roster
and per match, the sequence number the device has received up to. It is signed with the
server's keys (salt ``touchline.cursor``) so a forged or altered cursor is refused rather
than trusted, and compressed when that makes it shorter.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer

from backend.errors import Invalid

CURSOR_SALT = "touchline.cursor"


@dataclass(slots=True)
class Position:
    generation: uuid.UUID
    teams: dict[uuid.UUID, int] = field(default_factory=dict)
    matches: dict[uuid.UUID, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "g": self.generation.hex,
                "t": {k.hex: v for k, v in sorted(self.teams.items())},
                "m": {k.hex: v for k, v in sorted(self.matches.items())},
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Position:
        data = json.loads(text)
        return cls(
            generation=uuid.UUID(hex=data["g"]),
            teams={uuid.UUID(hex=k): _seq(v) for k, v in data["t"].items()},
            matches={uuid.UUID(hex=k): _seq(v) for k, v in data["m"].items()},
        )


def _seq(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("a sequence number is a non-negative integer")
    return value


class CursorCodec:
    def __init__(self, secret_keys: list[str]):
        self._serializer = URLSafeSerializer(secret_keys, salt=CURSOR_SALT)

    def encode(self, position: Position) -> str:
        return str(self._serializer.dumps(position.to_json()))

    def decode(self, cursor: str) -> Position:
        """The position inside ``cursor``; :class:`Invalid` (``invalid_cursor``) if it is
        not one this server signed."""
        try:
            text = self._serializer.loads(cursor)
            if not isinstance(text, str):
                raise ValueError("not a position")
            return Position.from_json(text)
        except (BadSignature, ValueError, KeyError, TypeError, AttributeError):
            raise Invalid(
                "this cursor was not issued by this server; sync again without one",
                field="cursor",
                code="invalid_cursor",
            ) from None
