"""Field types shared by every message: bounded, storable text, identifiers and instants.

Integers in messages are ints marked :data:`JSON_INTEGER`, booleans are ``StrictBool``: a
value of the wrong JSON type ("7" or true for an integer, "no" or 1 for a boolean) is
refused, never coerced. Models are validated from parsed JSON in Python mode, where
pydantic's model-wide strict mode would refuse a UUID or a date-time given as a string, so
strictness is set per type.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError


def storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8;
    # either would otherwise surface as a database error instead of a 422.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


# The patterns put in the published schema what `storable` and stripping enforce, so a
# client (or a generated test) can tell from the schema which strings are accepted.
NO_NUL = r"^[^\x00]*$"
# U+0085 is whitespace to the server's stripping but not to JSON Schema's `\s`.
NOT_BLANK = r"^[^\x00]*[^\x00\s\x85][^\x00]*$"

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=NOT_BLANK),
    AfterValidator(storable),
]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=280, pattern=NO_NUL),
    AfterValidator(storable),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=120, pattern=NO_NUL),
    AfterValidator(storable),
]


_NUMBERS = (int, float)


def _json_number(value: object) -> object:
    # bool is an int in Python, and pydantic would read "7" as 7: neither is a JSON number.
    # 7.0 is one, and JSON Schema's integer admits it, so an integral float passes on.
    if value.__class__ is int or value.__class__ is float:  # as parsed JSON: at once
        return value
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JSON_INTEGER = BeforeValidator(_json_number)
"""Marks an ``int`` as a JSON number with no fractional part, never text or a boolean.
Put it after the field's bounds (``Annotated[int, Field(ge=1), JSON_INTEGER]``): the other
way round the schema publishes ``ge``/``le`` in place of ``minimum``/``maximum``."""

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _reasonable_instant(value: datetime) -> datetime:
    try:
        value = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("must be between the years 1900 and 2200") from exc
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be between the years 1900 and 2200")
    return value


# A calendar date first: pydantic would otherwise read a number, or a string of digits, as
# seconds since 1970.
_ISO_DATE_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: object) -> object:
    # JSON has no date type: an instant travels as ISO 8601 text. A datetime passes for
    # callers in Python.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE_START.match(value):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2026-11-21T10:00:00Z")
    return value


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_reasonable_instant)
]
"""An instant with a timezone (ISO 8601), normalised to UTC."""
