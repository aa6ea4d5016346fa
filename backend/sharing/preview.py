"""The preview a group chat shows for a result link (``/watch?t=<token>``): Open Graph tags
with the score, written into the watch page the server sends.

A chat's link preview fetches the page without running its script, so these tags are the
only thing it sees. They say no more than the link's viewers may see: players as the link's
``names`` choice shows them, own goals never naming a child, never a coach's note.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Event, Match, Player
from backend.matches import views
from backend.matches.service import players_by_id
from backend.sharing.service import Grant, viewer_name
from sync_protocol.match import EventKind, Side


@dataclass(frozen=True)
class Preview:
    title: str
    description: str


def _status(match: Match, status: str) -> str:
    if status == "finished":
        return "full-time"
    if status == "interval":
        return "half-time" if match.periods == 2 else "break"
    return "live" if status == "live" else "not started"


def _minute(event: Event) -> str:
    return f"{event.minute}+{event.stoppage}'" if event.stoppage else f"{event.minute}'"


def _player(players: Mapping[uuid.UUID, Player], player_id: uuid.UUID | None, grant: Grant) -> str:
    player = players.get(player_id) if player_id is not None else None
    if player is None or (player.deleted_at is not None and player.erased_at is None):
        return ""
    name = viewer_name(player, grant.names)
    return name if player.squad_number is None else f"{player.squad_number} {name}"


def preview(db_session: Session, grant: Grant) -> Preview:
    """What a chat shows for the link behind ``grant``: the score home side first, how far
    the match has gone, and who scored for the team."""
    match = db_session.get(Match, grant.match_id)
    assert match is not None
    summary = views.matches_out(db_session, [match])[0]
    score = summary.score
    title = (
        f"{summary.home_team} {score.home}\u2013{score.away} {summary.away_team}"
        f" ({_status(match, summary.status)})"
    )
    goals = db_session.scalars(
        select(Event)
        .where(
            Event.match_id == match.id,
            Event.deleted_at.is_(None),
            Event.kind.in_([EventKind.GOAL, EventKind.OWN_GOAL]),
        )
        .order_by(Event.period, Event.minute, Event.stoppage, Event.seq)
    ).all()
    players = players_by_id(db_session, match.team_id)
    scorers: dict[str, list[str]] = {}
    for goal in goals:
        if (goal.kind is EventKind.GOAL) != (goal.side is Side.TEAM):
            continue  # a goal for the opposition: their scorers are never named
        who = "Own goal" if goal.kind is EventKind.OWN_GOAL else "Goal"
        if goal.kind is EventKind.GOAL:
            who = _player(players, goal.player_id, grant) or who
        scorers.setdefault(who, []).append(_minute(goal))
    where = " · ".join(part for part in (match.competition, match.venue) if part)
    parts = [f"{where}." if where else ""]
    if scorers:
        told = "; ".join(f"{who} {', '.join(minutes)}" for who, minutes in scorers.items())
        parts.append(f"{summary.team_name} scorers: {told}.")
    parts.append(f"Kick-off {match.kickoff_at.day} {match.kickoff_at:%b %Y}.")
    return Preview(title=title, description=" ".join(p for p in parts if p))


def tags(found: Preview) -> str:
    """The preview as HTML meta tags, every value escaped."""
    values = {
        "og:type": "website",
        "og:site_name": "Touchline",
        "og:title": found.title,
        "og:description": found.description,
    }
    lines = [
        f'<meta property="{name}" content="{html.escape(value, quote=True)}">'
        for name, value in values.items()
    ]
    lines.append(f'<meta name="description" content="{html.escape(found.description)}">')
    return "\n  ".join(lines)
