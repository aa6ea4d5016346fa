"""``touchline match export``: a match's events (or every match of a team) as CSV or
JSON, for a club secretary's spreadsheet or an archive, with players' full names."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.commands import (
    CommandError,
    DatabaseOption,
    Group,
    Operator,
    Result,
    Row,
    add_command,
    add_group,
    parse_uuid,
    progress,
)
from backend.db.changes import iso
from backend.db.models import Event, Match, Team
from backend.matches.export import csv_cell, player_name
from backend.matches.service import players_by_id

EXPORT_COLUMNS = (
    "id", "seq", "period", "minute", "stoppage", "kind", "side", "squad_number", "player",
    "replaced_player", "assist", "note", "recorded_at", "deleted",
)  # fmt: skip


def _export_match(session: Session, match: Match) -> Row:
    players = players_by_id(session, match.team_id)
    team = session.get(Team, match.team_id)
    events = session.scalars(select(Event).where(Event.match_id == match.id).order_by(Event.seq))

    def name(player_id: uuid.UUID | None) -> str | None:
        return player_name(players.get(player_id) if player_id else None)

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
                "assist": name(e.assist_player_id),
                "note": e.note,
                "recorded_at": e.recorded_at,
                "deleted": e.deleted_at is not None,
            }
            for e in events
        ],
    }


def _as_csv(export: Row) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in event.items()} for event in export["events"])
    return out.getvalue()


def _as_json(export: Row) -> str:
    return json.dumps(export, default=_json_value, indent=2)


def _json_value(value: object) -> object:
    return iso(value) if isinstance(value, datetime) else str(value)


def match_export(operator: Operator, args: argparse.Namespace) -> Result:
    if bool(args.match_id) == bool(args.team):
        raise CommandError("name one MATCH_ID, or --team TEAM_ID for all its matches")
    with operator.db.reader() as session:
        if args.match_id:
            match = session.get(Match, parse_uuid(args.match_id, "MATCH_ID"))
            if match is None:
                raise CommandError(f"no match {args.match_id}")
            matches = [match]
        else:
            team_id = parse_uuid(args.team, "--team")
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
        return {"matches": 1} if args.json else None
    target = Path(args.output)
    if args.match_id and not target.is_dir():
        target.write_text(render(exports[0]))
    else:
        target.mkdir(parents=True, exist_ok=True)
        for export in exports:
            (target / f"{export['match']['id']}.{args.format}").write_text(render(export))
    return {"matches": len(exports), "output": str(target)}


def add_commands(commands: Group, database_option: DatabaseOption) -> None:
    match = add_group(commands, "match", "matches")
    export = add_command(
        match, "export", "export a match's events as CSV or JSON", match_export, database_option
    )
    export.add_argument("match_id", metavar="MATCH_ID", nargs="?")
    export.add_argument("--team", metavar="TEAM_ID", help="every match of a team")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", help="file, or directory with --team (default: stdout)")
