"""How far behind a device is: changes committed after the position it last acknowledged."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Device, Match, Membership, Team
from backend.sync.cursors import Position


def changes_behind(session: Session, device: Device) -> int | None:
    """Changes in the device's teams and matches past its last acknowledged position;
    None if it has never acknowledged one."""
    if device.sync_position is None:
        return None
    position = Position.from_json(device.sync_position)
    known = position.teams | position.matches
    team_ids = select(Membership.team_id).where(Membership.account_id == device.account_id)
    heads = list(session.execute(select(Team.id, Team.head_seq).where(Team.id.in_(team_ids))))
    heads += session.execute(select(Match.id, Match.head_seq).where(Match.team_id.in_(team_ids)))
    return sum(max(head - known.get(space, 0), 0) for space, head in heads)
