"""A team's fixtures as an iCalendar (RFC 5545) feed. Pure: the service reads the matches,
this writes the calendar.

Phone calendars poll a subscribed feed and match events by UID, so each match keeps one UID
for life, and its SEQUENCE and LAST-MODIFIED move whenever the match changes. A deleted
match stays in the feed as ``STATUS:CANCELLED`` for :data:`CANCELLED_KEPT` after its
kick-off, so calendars that already hold it remove it. No player is ever named.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event

CANCELLED_KEPT = timedelta(days=30)
# Matches played longer ago than this leave the feed; a season stays in it.
PAST_KEPT = timedelta(days=400)
HALF_TIME_MINUTES = 10
BREAK_MINUTES = 5
# How often a calendar should fetch the feed again (RFC 7986 REFRESH-INTERVAL).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Fixture:
    """One match as the feed shows it; ``score`` is (team, opposition) once it is finished."""

    id: uuid.UUID
    opponent: str
    is_home: bool
    kickoff_at: datetime
    venue: str | None
    competition: str | None
    periods: int
    period_minutes: int
    sequence: int
    updated_at: datetime
    cancelled: bool
    score: tuple[int, int] | None


def duration(periods: int, period_minutes: int) -> timedelta:
    """How long a match takes, breaks included: half-time (after the middle period of an
    even number) lasts :data:`HALF_TIME_MINUTES`, every other break :data:`BREAK_MINUTES`."""
    breaks = sum(
        HALF_TIME_MINUTES if periods % 2 == 0 and after == periods // 2 else BREAK_MINUTES
        for after in range(1, periods)
    )
    return timedelta(minutes=periods * period_minutes + breaks)


def summary(team: str, fixture: Fixture) -> str:
    """``"Home v Away"``, the team on the side it plays."""
    if fixture.is_home:
        return f"{team} v {fixture.opponent}"
    return f"{fixture.opponent} v {team}"


def description(team: str, fixture: Fixture) -> str:
    lines = [fixture.competition or "Friendly", "Home" if fixture.is_home else "Away"]
    if fixture.cancelled:
        lines.insert(0, "Cancelled")
    elif fixture.score is not None:
        ours, theirs = fixture.score
        home, away = (ours, theirs) if fixture.is_home else (theirs, ours)
        lines.append(f"Full time: {summary(team, fixture)} {home}-{away}")
    return "\n".join(lines)


def _event(team: str, fixture: Fixture, host: str) -> Event:
    event = Event()
    event.add("uid", f"{fixture.id}@{host}")
    # Without a METHOD, DTSTAMP is when the information last changed (RFC 5545 3.8.7.2),
    # which also keeps the feed's bytes, and so its ETag, still while nothing changes.
    event.add("dtstamp", fixture.updated_at)
    event.add("last-modified", fixture.updated_at)
    event.add("sequence", fixture.sequence)
    event.add("dtstart", fixture.kickoff_at)
    event.add("dtend", fixture.kickoff_at + duration(fixture.periods, fixture.period_minutes))
    event.add("summary", summary(team, fixture))
    if fixture.venue:
        event.add("location", fixture.venue)
    event.add("description", description(team, fixture))
    event.add("status", "CANCELLED" if fixture.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def calendar(team: str, fixtures: Iterable[Fixture], host: str) -> bytes:
    """The feed: one VEVENT per fixture, in the order given."""
    cal = Calendar()
    cal.add("prodid", "-//Touchline//Fixtures//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", f"{team} fixtures")
    cal.add("x-wr-calname", f"{team} fixtures")
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH)
    for fixture in fixtures:
        cal.add_component(_event(team, fixture, host))
    body: bytes = cal.to_ical()
    return body
