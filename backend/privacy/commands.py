"""``touchline data retention``: erase the players and delete the matches of teams unused
for the retention period (``--months``, else ``TOUCHLINE_RETENTION_MONTHS``); with
``--dry-run`` only list what it would do. Meant for a daily cron job."""

from __future__ import annotations

import argparse

from backend.commands import (
    CommandError,
    DatabaseOption,
    Group,
    Operator,
    Result,
    add_command,
    add_group,
)
from backend.db.models import utcnow
from backend.privacy import retention


def data_retention(operator: Operator, args: argparse.Namespace) -> Result:
    months = args.months if args.months is not None else operator.settings.retention_months
    if months is None:
        raise CommandError(
            "no retention period: give --months N or set TOUCHLINE_RETENTION_MONTHS "
            "(unset, data is kept for ever)"
        )
    if not 1 <= months <= 1200:
        raise CommandError(f"--months must be between 1 and 1200, not {months}")
    unused_since = retention.months_before(utcnow(), months)
    with operator.db.writer() as session:
        due = retention.due_teams(session, unused_since)
        actions = {team.id: "would erase" for team in due}
        if not args.dry_run:
            # A team at a time: what is erased stays erased if a later team fails.
            for team in due:
                erased = retention.apply(session, team, unused_since)
                session.commit()
                actions[team.id] = "erased" if erased else "skipped: used again"
    return [
        {
            "team_id": str(team.id),
            "team": team.name,
            "last_used": team.last_used,
            "action": actions[team.id],
            "players": team.players,
            "matches": team.matches,
            "events": team.events,
        }
        for team in due
    ]


def add_commands(commands: Group, database_option: DatabaseOption) -> None:
    data = add_group(commands, "data", "children's data: retention")
    command = add_command(
        data,
        "retention",
        "erase the players and delete the matches of teams unused for N months",
        data_retention,
        database_option,
    )
    command.add_argument(
        "--months", type=int, help="the retention period (default: $TOUCHLINE_RETENTION_MONTHS)"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="list what would be done, and change nothing"
    )
