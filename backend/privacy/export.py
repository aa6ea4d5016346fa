"""An account holder's own data, as one JSON document, streamed.

Read in its own read session (one snapshot) as the team export is
(:mod:`backend.matches.export`): the request's session ends before the response is sent.
Each part is read and written in turn, so the first bytes leave before the last part is
read. Secrets are never in it: the password and device tokens are stored only as hashes,
and share links and invites are listed without their tokens.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.db.changes import iso
from backend.db.models import (
    Account,
    Device,
    Event,
    Membership,
    ShareLink,
    Team,
    TeamInvite,
    utcnow,
)
from backend.matches.schemas import ExportShareLink
from backend.privacy.schemas import MyAccount, MyDevice, MyInvite, MyTeam


def _json_list(items: list[BaseModel]) -> str:
    return "[" + ",".join(item.model_dump_json() for item in items) + "]"


def _teams(db_session: Session, account_id: uuid.UUID) -> list[BaseModel]:
    rows = db_session.execute(
        select(Team.id, Team.name, Membership.role, Membership.created_at)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.account_id == account_id)
        .order_by(Membership.created_at, Team.id)
    )
    return [MyTeam(id=i, name=n, role=r, joined_at=j) for i, n, r, j in rows]


def _devices(db_session: Session, account_id: uuid.UUID) -> list[BaseModel]:
    devices = db_session.scalars(
        select(Device).where(Device.account_id == account_id).order_by(Device.created_at)
    )
    return [MyDevice.model_validate(d, from_attributes=True) for d in devices]


def _made_by(
    db_session: Session,
    account_id: uuid.UUID,
    model: type[ShareLink] | type[TeamInvite],
    out: type[BaseModel],
) -> list[BaseModel]:
    """The share links or invites the account made, oldest first."""
    rows = db_session.scalars(
        select(model).where(model.created_by == account_id).order_by(model.created_at, model.id)
    )
    return [out.model_validate(row, from_attributes=True) for row in rows]


def account_json(reader: sessionmaker[Session], account_id: uuid.UUID) -> Iterator[str]:
    """The account's data (:class:`~backend.privacy.schemas.AccountExport`), a part a chunk,
    for the signed-in account itself."""
    with reader() as db_session:
        account = db_session.get(Account, account_id)
        if account is None:
            return
        head = MyAccount.model_validate(account, from_attributes=True)
        yield f'{{"exported_at":"{iso(utcnow())}","account":{head.model_dump_json()}'
        yield f',"teams":{_json_list(_teams(db_session, account_id))}'
        yield f',"devices":{_json_list(_devices(db_session, account_id))}'
        links = _made_by(db_session, account_id, ShareLink, ExportShareLink)
        yield f',"share_links":{_json_list(links)}'
        invites = _made_by(db_session, account_id, TeamInvite, MyInvite)
        yield f',"invites":{_json_list(invites)}'
        logged = db_session.scalar(
            select(func.count())
            .select_from(Event)
            .join(Device, Device.id == Event.device_id)
            .where(Device.account_id == account_id)
        )
        yield f',"events_logged":{logged or 0}}}'
