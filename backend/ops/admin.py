"""Operator commands behind ``touchline devices|share|match|keys``.

They work on the database directly, with the operator's authority (no coach account is
needed), and print a table for people or JSON (``--json``) for scripts. Every command
exits non-zero on failure with the reason on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.changes import iso
from backend.db.engine import Database
from backend.db.models import (
    Account,
    Device,
    Event,
    Match,
    Player,
    ShareLink,
    Team,
    utcnow,
)
from backend.live import publish
from backend.settings import Settings
from backend.sharing.tokens import ShareTokens
from backend.signing_keys import signing_keys
from backend.sync.lag import changes_behind

Row = dict[str, Any]


class CommandError(Exception):
    """A failure the operator can act on; printed without a traceback."""


def _open(settings: Settings) -> Database:
    db = Database.connect(settings.database_url, pool_size=2)
    # So that a revocation reaches viewers on every running instance (PostgreSQL).
    publish.install(db.writer, db.engine.dialect.name, lambda _notices: None)
    return db


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{what} must be a UUID, not {value!r}") from None


def _emit(rows: Sequence[Row] | Row, as_json: bool, columns: Sequence[str] | None = None) -> None:
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    items = [rows] if isinstance(rows, dict) else list(rows)
    if not items:
        print("(none)")
        return
    columns = columns or list(items[0])
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in items]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def progress(items: Sequence[Any], label: str) -> Iterable[Any]:
    """Yield ``items`` while drawing a progress bar on stderr (plain lines when piped)."""
    total = len(items)
    for done, item in enumerate(items, start=1):
        yield item
        if sys.stderr.isatty():
            filled = int(30 * done / max(total, 1))
            sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
        elif done == total or done % 10 == 0:
            sys.stderr.write(f"{label}: {done}/{total}\n")
        sys.stderr.flush()


# --- devices ---------------------------------------------------------------------------


def devices_list(db: Database, args: argparse.Namespace) -> list[Row]:
    with db.reader() as session:
        query = select(Device, Account.email).join(Account, Account.id == Device.account_id)
        if args.email:
            query = query.where(Account.email == args.email.strip().lower())
        rows = [
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
    if getattr(args, "sort_by_lag", False):
        rows.sort(key=lambda r: -1 if r["behind"] is None else r["behind"], reverse=True)
    return rows


def devices_revoke(db: Database, args: argparse.Namespace) -> Row:
    device_id = _uuid(args.device_id, "DEVICE_ID")
    with db.writer() as session:
        device = session.get(Device, device_id)
        if device is None:
            raise CommandError(f"no device {device_id}")
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            publish.device_revoked(session, device.id)
        session.commit()
        return {"id": str(device.id), "revoked_at": device.revoked_at}


# --- share links -----------------------------------------------------------------------


def _link_row(link: ShareLink, tokens: ShareTokens) -> Row:
    token = tokens.issue(link.id)
    return {
        "id": str(link.id),
        "match_id": str(link.match_id),
        "names": link.names,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "path": f"/watch#{token}",
    }


def share_create(db: Database, args: argparse.Namespace, tokens: ShareTokens) -> Row:
    match_id = _uuid(args.match_id, "MATCH_ID")
    with db.writer() as session:
        match = session.get(Match, match_id)
        if match is None or match.deleted_at is not None:
            raise CommandError(f"no match {match_id}")
        link = ShareLink(
            match_id=match.id,
            names=args.names,
            expires_at=utcnow() + timedelta(hours=args.hours),
        )
        session.add(link)
        session.commit()
        return _link_row(link, tokens)


def share_list(db: Database, args: argparse.Namespace, tokens: ShareTokens) -> list[Row]:
    match_id = _uuid(args.match_id, "MATCH_ID")
    with db.reader() as session:
        links = session.scalars(
            select(ShareLink).where(ShareLink.match_id == match_id).order_by(ShareLink.created_at)
        )
        return [_link_row(link, tokens) for link in links]


def share_revoke(db: Database, args: argparse.Namespace) -> Row:
    link_id = _uuid(args.link_id, "LINK_ID")
    with db.writer() as session:
        link = session.get(ShareLink, link_id)
        if link is None:
            raise CommandError(f"no share link {link_id}")
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            publish.link_revoked(session, link.id)
        session.commit()
        return {"id": str(link.id), "revoked_at": link.revoked_at}


# --- export ----------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id", "seq", "period", "minute", "stoppage", "kind", "side", "squad_number", "player",
    "replaced_player", "note", "recorded_at", "deleted",
)  # fmt: skip


def _export_match(session: Session, match: Match) -> Row:
    players = {
        p.id: p for p in session.scalars(select(Player).where(Player.team_id == match.team_id))
    }
    team = session.get(Team, match.team_id)
    events = session.scalars(select(Event).where(Event.match_id == match.id).order_by(Event.seq))

    def name(player_id: uuid.UUID | None) -> str | None:
        player = players.get(player_id) if player_id else None
        return (player.full_name or player.display_name) if player else None

    return {
        "match": {
            "id": str(match.id),
            "team": team.name if team else None,
            "opponent": match.opponent,
            "is_home": match.is_home,
            "kickoff_at": match.kickoff_at,
            "status": match.status.value,
        },
        "events": [
            {
                "id": str(e.id),
                "seq": e.seq,
                "period": e.period,
                "minute": e.minute,
                "stoppage": e.stoppage,
                "kind": e.kind.value,
                "side": e.side.value,
                "squad_number": players[e.player_id].squad_number
                if e.player_id in players
                else None,
                "player": name(e.player_id),
                "replaced_player": name(e.replaced_player_id),
                "note": e.note,
                "recorded_at": e.recorded_at,
                "deleted": e.deleted_at is not None,
            }
            for e in events
        ],
    }


# A spreadsheet runs a cell that starts with one of these as a formula (or, after a tab or
# CR, may yet); an export opened by a club secretary must not run what a coach typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """``value`` as a CSV cell: times as the API writes them, and text that a spreadsheet
    would take for a formula prefixed with ``'`` so it is shown as typed. Numbers are
    written as numbers, negative ones included."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _as_csv(export: Row) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in event.items()} for event in export["events"])
    return out.getvalue()


def _as_json(export: Row) -> str:
    return json.dumps(export, default=_json_value, indent=2)


def _json_value(value: object) -> object:
    return iso(value) if isinstance(value, datetime) else str(value)


def match_export(db: Database, args: argparse.Namespace) -> Row:
    if bool(args.match_id) == bool(args.team):
        raise CommandError("name one MATCH_ID, or --team TEAM_ID for all its matches")
    with db.reader() as session:
        if args.match_id:
            match = session.get(Match, _uuid(args.match_id, "MATCH_ID"))
            if match is None:
                raise CommandError(f"no match {args.match_id}")
            matches = [match]
        else:
            team_id = _uuid(args.team, "--team")
            matches = list(
                session.scalars(
                    select(Match)
                    .where(Match.team_id == team_id, Match.deleted_at.is_(None))
                    .order_by(Match.kickoff_at)
                )
            )
            if args.output is None:
                raise CommandError("--team needs --output DIRECTORY (one file per match)")
        exports = [_export_match(session, m) for m in progress(matches, "exporting")]
    render = _as_csv if args.format == "csv" else _as_json
    if args.output is None:
        sys.stdout.write(render(exports[0]))
        return {"matches": 1}
    target = Path(args.output)
    if args.match_id and not target.is_dir():
        target.write_text(render(exports[0]))
    else:
        target.mkdir(parents=True, exist_ok=True)
        for export in exports:
            (target / f"{export['match']['id']}.{args.format}").write_text(render(export))
    return {"matches": len(exports), "output": str(target)}


# --- keys ------------------------------------------------------------------------------


def keys_rotate(settings: Settings) -> Row:
    """A new key appended to the current list: deploy it, and drop the oldest key once
    the links and login tokens it signed may lapse."""
    new_key = secrets.token_urlsafe(48)
    keys = [*settings.secret_keys, new_key]
    return {
        "TOUCHLINE_SECRET_KEYS": ",".join(keys),
        "keys": len(keys),
        "next": "set TOUCHLINE_SECRET_KEYS to this value on every instance and restart them",
    }


# --- wiring ----------------------------------------------------------------------------


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    database_option: Callable[[argparse.ArgumentParser], None],
) -> None:
    def leaf(group: Any, name: str, help_text: str, handler: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = group.add_parser(
            name, help=help_text, description=help_text
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
        database_option(parser)
        parser.set_defaults(handler=run, admin=handler)
        return parser

    devices = commands.add_parser("devices", help="coaches' devices").add_subparsers(
        dest="devices_command", required=True
    )
    listing = leaf(
        devices, "list", "list devices, with last seen time and sync lag", "devices_list"
    )
    listing.add_argument("--email", help="only this coach's devices")
    lag = leaf(devices, "lag", "devices by how far behind the head they are", "devices_lag")
    lag.add_argument("--email", help="only this coach's devices")
    revoke = leaf(devices, "revoke", "revoke a device's token", "devices_revoke")
    revoke.add_argument("device_id", metavar="DEVICE_ID")

    share = commands.add_parser("share", help="share links").add_subparsers(
        dest="share_command", required=True
    )
    create = leaf(share, "create", "create a share link for a match", "share_create")
    create.add_argument("match_id", metavar="MATCH_ID")
    create.add_argument("--hours", type=int, default=72, help="valid for (default 72)")
    create.add_argument(
        "--names", choices=["initials", "first_names", "full_names"], default="first_names"
    )
    share_ls = leaf(share, "list", "list a match's share links", "share_list")
    share_ls.add_argument("match_id", metavar="MATCH_ID")
    share_rm = leaf(
        share, "revoke", "revoke a share link (viewers are disconnected)", "share_revoke"
    )
    share_rm.add_argument("link_id", metavar="LINK_ID")

    match = commands.add_parser("match", help="matches").add_subparsers(
        dest="match_command", required=True
    )
    export = leaf(match, "export", "export a match's events as CSV or JSON", "match_export")
    export.add_argument("match_id", metavar="MATCH_ID", nargs="?")
    export.add_argument("--team", metavar="TEAM_ID", help="every match of a team")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", help="file, or directory with --team (default: stdout)")

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(
        dest="keys_command", required=True
    )
    leaf(keys, "rotate", "print the key list with a new signing key appended", "keys_rotate")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.admin == "keys_rotate":
            _emit(keys_rotate(settings), args.json)
            return 0
        db = _open(settings)
        tokens = ShareTokens(signing_keys(settings, db))
        try:
            handlers: dict[str, Callable[[], Any]] = {
                "devices_list": lambda: devices_list(db, args),
                "devices_lag": lambda: devices_list(
                    db, argparse.Namespace(**vars(args), sort_by_lag=True)
                ),
                "devices_revoke": lambda: devices_revoke(db, args),
                "share_create": lambda: share_create(db, args, tokens),
                "share_list": lambda: share_list(db, args, tokens),
                "share_revoke": lambda: share_revoke(db, args),
                "match_export": lambda: match_export(db, args),
            }
            result = handlers[args.admin]()
        finally:
            db.dispose()
    except CommandError as error:
        print(f"touchline: {error}", file=sys.stderr)
        return 1
    if args.admin != "match_export" or args.output is not None or args.json:
        _emit(result, args.json)
    return 0
