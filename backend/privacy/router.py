"""An account holder's access to their own data."""

from __future__ import annotations

from fastapi import APIRouter

from backend.accounts.auth import CurrentCoach
from backend.db.models import utcnow
from backend.matches.router import JSON_ERRORS, CurrentDatabase, JsonStream, attachment
from backend.privacy import export
from backend.privacy.schemas import AccountExport

router = APIRouter(prefix="/api", tags=["privacy"])


@router.get(
    "/me/export.json",
    # Documented as the JSON it is; the answer streams it (a JsonStream, passed through).
    response_model=AccountExport,
    responses={**JSON_ERRORS, 200: {"description": "Your own data, streamed"}},
)
def export_my_data(coach: CurrentCoach, db: CurrentDatabase) -> JsonStream:
    """Everything Touchline holds about your account, as a download: the account (no
    password hash), your teams and roles, your devices (no tokens), the share links and
    invites you made (no tokens), and how many events your devices logged."""
    name = f"touchline-my-data-{utcnow().date().isoformat()}.json"
    # Personal data: no browser or proxy may keep a copy.
    headers = attachment(name) | {"Cache-Control": "no-store"}
    return JsonStream(export.account_json(db.reader, coach.account_id), headers=headers)
