from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class CalendarOut(BaseModel):
    team_id: uuid.UUID
    token: str
    path: str = Field(
        description="The feed, on the server's origin: /calendar/<token>.ics. Calendars "
        "subscribe to it over https:// or, to open the phone's calendar app, webcal://"
    )
    created_at: datetime
