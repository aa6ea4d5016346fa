"""Calendar tokens: signed like share tokens, with a salt of their own, naming one
``team_calendars`` row and nothing else. The row decides (a rotated feed is revoked)."""

from __future__ import annotations

from backend.sharing.tokens import RowTokens

CALENDAR_SALT = "touchline.calendar"


class CalendarTokens(RowTokens):
    def __init__(self, secret_keys: list[str]):
        super().__init__(secret_keys, CALENDAR_SALT)
