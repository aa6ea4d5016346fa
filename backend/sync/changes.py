"""Reading changes out of the sync spaces: rows whose ``seq`` is past a position.

Each change is serialised once, here, to the JSON a client receives (see SPEC.md,
"Changes"); the pull pages over the serialised text, and the live channels reuse it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.db.models import Event, LineupEntry, Match, Player, Team
from sync_protocol.messages import ChangeType
from sync_protocol.paging import Candidate, SpaceChanges


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def encode(
    kind: ChangeType,
    record_id: uuid.UUID,
    space: uuid.UUID,
    seq: int,
    data: Mapping[str, Any] | None,
) -> Candidate:
    payload = json.dumps(
        {
            "type": kind.value,
            "id": str(record_id),
            "space": str(space),
            "seq": seq,
            "deleted": data is None,
            "data": data,
        },
        separators=(",", ":"),
    )
    return Candidate(seq=seq, size=len(payload), payload=payload)


def event_data(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "match_id": str(event.match_id),
        "kind": event.kind.value,
        "side": event.side.value,
        "period": event.period,
        "minute": event.minute,
        "stoppage": event.stoppage,
        "player_id": _str(event.player_id),
        "replaced_player_id": _str(event.replaced_player_id),
        "note": event.note,
        "recorded_at": iso(event.recorded_at),
    }


def event_change(event: Event, *, public: bool = False) -> Candidate:
    """The event as a change record. ``public`` leaves out the coach's free-text note,
    which may name a child, for live viewers."""
    data = None if event.deleted_at is not None else event_data(event)
    if data is not None and public:
        data["note"] = None
    return encode(ChangeType.EVENT, event.id, event.match_id, event.seq, data)


def match_data(match: Match) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "team_id": str(match.team_id),
        "opponent": match.opponent,
        "is_home": match.is_home,
        "kickoff_at": iso(match.kickoff_at),
        "venue": match.venue,
        "competition": match.competition,
        "periods": match.periods,
        "period_minutes": match.period_minutes,
        "status": match.status.value,
        "current_period": match.current_period,
        "period_started_at": iso(match.period_started_at),
    }


def match_change(match: Match) -> Candidate:
    data = None if match.deleted_at is not None else match_data(match)
    return encode(ChangeType.MATCH, match.id, match.id, match.seq, data)


def lineup_change(match: Match, entries: Iterable[LineupEntry]) -> Candidate:
    players = [
        {"player_id": str(e.player_id), "role": e.role, "position": e.position}
        for e in sorted(entries, key=lambda e: (e.role != "starting", str(e.player_id)))
    ]
    return encode(ChangeType.LINEUP, match.id, match.id, match.lineup_seq, {"players": players})


def player_data(player: Player) -> dict[str, Any]:
    return {
        "id": str(player.id),
        "team_id": str(player.team_id),
        "squad_number": player.squad_number,
        "display_name": player.display_name,
        "full_name": player.full_name,
    }


def player_change(player: Player) -> Candidate:
    data = None if player.deleted_at is not None else player_data(player)
    return encode(ChangeType.PLAYER, player.id, player.team_id, player.seq, data)


def team_change(team: Team, role: str | None) -> Candidate:
    """A team the device can see (``role`` set), or one it can no longer see (None)."""
    data = None if role is None else {"id": str(team.id), "name": team.name, "role": role}
    return encode(ChangeType.TEAM, team.id, team.id, 0, data)


def roster_spaces(
    db_session: Session, teams: Sequence[tuple[Team, str]], since: Mapping[uuid.UUID, int]
) -> list[SpaceChanges]:
    """Each team's roster changes after the device's position, in sequence order.

    A team new to the device starts with the team itself, so the client learns its name
    and role before its players; tombstones are skipped for a device that never saw them.
    """
    pending = [(t, r) for t, r in teams if since.get(t.id, 0) < t.head_seq or t.id not in since]
    by_team: dict[uuid.UUID, list[Player]] = {t.id: [] for t, _ in pending}
    if pending:
        players = db_session.scalars(
            select(Player)
            .where(
                or_(
                    *(
                        and_(Player.team_id == t.id, Player.seq > since.get(t.id, 0))
                        for t, _ in pending
                    )
                )
            )
            .order_by(Player.team_id, Player.seq)
        )
        for player in players:
            by_team[player.team_id].append(player)
    spaces = []
    for team, role in pending:
        first = team.id not in since
        changes = [team_change(team, role)] if first else []
        changes += [
            player_change(p) for p in by_team[team.id] if not (first and p.deleted_at is not None)
        ]
        spaces.append(SpaceChanges(team.id, since.get(team.id, 0), team.head_seq, changes))
    return spaces


def match_spaces(
    db_session: Session,
    matches: Sequence[Match],
    since: Mapping[uuid.UUID, int],
    limit: int,
    *,
    public: bool = False,
) -> list[SpaceChanges]:
    """Each match's changes after the device's position, in sequence order.

    Events are read in one query over every pending match, at most ``limit`` of them;
    a space whose events were cut short is marked incomplete, and spaces after it are
    left out for the next page. A match the device never saw and that is deleted is
    skipped (only its position moves), as are tombstones of events it never saw.
    """
    pending = [m for m in matches if since.get(m.id, 0) < m.head_seq]
    if not pending:
        return []
    # A deleted match the device never saw sends nothing, so none of its events may take
    # a place under the limit: the cut would then fall in a space that is skipped, and the
    # spaces after it would pass over events this page never read.
    readable = [m for m in pending if since.get(m.id, 0) > 0 or m.deleted_at is None]
    events = (
        list(
            db_session.scalars(
                select(Event)
                .where(
                    or_(
                        *(
                            and_(Event.match_id == m.id, Event.seq > since.get(m.id, 0))
                            for m in readable
                        )
                    )
                )
                .order_by(Event.match_id, Event.seq)
                .limit(limit + 1)
            )
        )
        if readable
        else []
    )
    truncated = len(events) > limit
    events = events[:limit]
    by_match: dict[uuid.UUID, list[Event]] = {}
    for event in events:
        by_match.setdefault(event.match_id, []).append(event)
    last_match = events[-1].match_id if truncated else None

    lineups: dict[uuid.UUID, list[LineupEntry]] = {}
    lineup_matches = [m.id for m in pending if m.lineup_seq > since.get(m.id, 0)]
    if lineup_matches:
        for entry in db_session.scalars(
            select(LineupEntry).where(LineupEntry.match_id.in_(lineup_matches))
        ):
            lineups.setdefault(entry.match_id, []).append(entry)

    spaces = []
    for match in sorted(pending, key=lambda m: m.id):
        position = since.get(match.id, 0)
        first = position == 0
        if first and match.deleted_at is not None:
            spaces.append(SpaceChanges(match.id, position, match.head_seq))
            continue
        candidates = [
            event_change(e, public=public)
            for e in by_match.get(match.id, ())
            if not (first and e.deleted_at is not None)
        ]
        if match.seq > position:
            candidates.append(match_change(match))
        if match.lineup_seq > position:
            candidates.append(lineup_change(match, lineups.get(match.id, ())))
        candidates.sort(key=lambda c: c.seq)
        if match.id == last_match:
            # Only changes up to the last event read are known to be complete.
            cut = by_match[match.id][-1].seq
            candidates = [c for c in candidates if c.seq <= cut]
            spaces.append(SpaceChanges(match.id, position, match.head_seq, candidates, False))
            break
        spaces.append(SpaceChanges(match.id, position, match.head_seq, candidates))
    return spaces
