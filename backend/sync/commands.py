"""``touchline devices list|lag|revoke``: coaches' devices as sync sees them (last seen,
last mutation applied, changes behind), and revoking one through the accounts service."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from backend.commands import (
    DatabaseOption,
    Group,
    Operator,
    Row,
    add_command,
    add_group,
    parse_uuid,
    revoke_row,
)
from backend.db.models import Account, Device
from backend.sync.lag import changes_behind


def devices_list(operator: Operator, args: argparse.Namespace) -> list[Row]:
    with operator.db.reader() as session:
        query = select(Device, Account.email).join(Account, Account.id == Device.account_id)
        if args.email:
            query = query.where(Account.email == args.email.strip().lower())
        return [
            {
                "id": str(device.id),
                "email": email,
                "name": device.name,
                "last_seen_at": device.last_seen_at,
                "revoked_at": device.revoked_at,
                "last_mutation_id": device.last_mutation_id,
                "synced_at": device.synced_at,
                "behind": changes_behind(session, device),
            }
            for device, email in session.execute(query.order_by(Account.email, Device.created_at))
        ]


def devices_lag(operator: Operator, args: argparse.Namespace) -> list[Row]:
    """:func:`devices_list`, furthest behind first (never synced last)."""
    rows = devices_list(operator, args)
    rows.sort(key=lambda r: -1 if r["behind"] is None else r["behind"], reverse=True)
    return rows


def devices_revoke(operator: Operator, args: argparse.Namespace) -> Row:
    # Imported here: the accounts service brings the web framework and the password
    # hasher with it, which every other operator command starts without.
    from backend.accounts import service as accounts  # noqa: PLC0415

    device_id = parse_uuid(args.device_id, "DEVICE_ID")
    return revoke_row(operator, Device, device_id, "device", accounts.revoke)


def add_commands(commands: Group, database_option: DatabaseOption) -> None:
    devices = add_group(commands, "devices", "coaches' devices")
    listing = add_command(
        devices, "list", "list devices, with last seen time and sync lag", devices_list,
        database_option,
    )  # fmt: skip
    listing.add_argument("--email", help="only this coach's devices")
    lag = add_command(
        devices, "lag", "devices by how far behind the head they are", devices_lag,
        database_option,
    )  # fmt: skip
    lag.add_argument("--email", help="only this coach's devices")
    revoke = add_command(
        devices, "revoke", "revoke a device's token", devices_revoke, database_option
    )
    revoke.add_argument("device_id", metavar="DEVICE_ID")
