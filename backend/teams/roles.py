"""What each role in a team may do, for every domain that writes to a team's data."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Membership
from backend.errors import Forbidden


def require_write(role: str) -> None:
    """Refuse a write by a team's read-only member (403 ``read_only``); an owner or a coach
    passes."""
    if role == "member":
        raise Forbidden(
            "team members can see the team but not change it; ask its owner to make you a coach",
            code="read_only",
        )


def require_team_write(db_session: Session, account_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Refuse a write to a team the caller reads as a member; the caller has already found
    the team (or its record) visible to them."""
    role = db_session.scalar(
        select(Membership.role).where(
            Membership.team_id == team_id, Membership.account_id == account_id
        )
    )
    require_write(role or "")
