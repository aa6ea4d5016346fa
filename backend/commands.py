"""What every domain's operator commands share (``touchline devices|share|match|keys``).

Each domain declares its own commands in its ``commands.py`` with :func:`add_command`,
calling its own service; ``backend/cli.py`` assembles them and runs the one chosen with
:func:`run`. They work on the database directly, with the operator's authority (no coach
account is needed), and print a table for people or JSON (``--json``) for scripts. Every
command exits non-zero on failure with the reason on stderr.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeAlias, TypeVar

from pydantic import ValidationError
from sqlalchemy.orm import Session

from backend.db.engine import Database
from backend.settings import Settings

Row = dict[str, Any]
Result = Row | list[Row] | None
"""What an operation prints: one row, a table, or nothing (it wrote its own output)."""


class CommandError(Exception):
    """A failure the operator can act on; printed without a traceback."""


class Operator:
    """What an operation works with: the settings, and the database, opened on first use
    by ``open_database`` (so a command that needs none never creates one)."""

    def __init__(self, settings: Settings, open_database: Callable[[Settings], Database]):
        self.settings = settings
        self._open_database = open_database

    @functools.cached_property
    def db(self) -> Database:
        return self._open_database(self.settings)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()


Model = TypeVar("Model")
Operation = Callable[[Operator, argparse.Namespace], Result]
DatabaseOption = Callable[[argparse.ArgumentParser], None]
Group: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_group(commands: Group, name: str, help_text: str) -> Group:
    """The group of commands ``touchline NAME ...``."""
    parser = commands.add_parser(name, help=help_text)
    group: Group = parser.add_subparsers(dest=f"{name}_command", required=True)
    return group


def add_command(
    group: Group, name: str, help_text: str, operation: Operation, database_option: DatabaseOption
) -> argparse.ArgumentParser:
    """A command of ``group`` that :func:`run` answers with ``operation``; the caller adds
    its own arguments to the parser returned."""
    parser = group.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON")
    database_option(parser)
    parser.set_defaults(operation=operation)
    return parser


def run(args: argparse.Namespace, operator: Operator) -> int:
    """Run the operation ``args`` chose, print what it answers, and close what it opened.
    Answers the exit status."""
    try:
        result = args.operation(operator, args)
    except CommandError as error:
        print(f"touchline: {error}", file=sys.stderr)
        return 1
    finally:
        operator.close()
    if result is not None:
        emit(result, args.json)
    return 0


class Revocable(Protocol):
    id: uuid.UUID
    revoked_at: datetime | None


def revoke_row(
    operator: Operator,
    model: type[Revocable],
    row_id: uuid.UUID,
    what: str,
    revoke: Callable[[Session, Any], object],
) -> Row:
    """Revoke the ``model`` row ``row_id`` (a ``what``, to the operator) through its own
    domain's ``revoke``, and commit."""
    with operator.db.writer() as session:
        row = session.get(model, row_id)
        if row is None:
            raise CommandError(f"no {what} {row_id}")
        revoke(session, row)
        session.commit()
        return {"id": str(row.id), "revoked_at": row.revoked_at}


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{what} must be a UUID, not {value!r}") from None


def validated(model: Callable[..., Model], **values: Any) -> Model:
    """``model(**values)``, or a :class:`CommandError` naming each option refused."""
    try:
        return model(**values)
    except ValidationError as error:
        raise CommandError(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        ) from None


def emit(rows: Sequence[Row] | Row, as_json: bool, columns: Sequence[str] | None = None) -> None:
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
        show_progress(label, done, total, line=done == total or done % 10 == 0)


def show_progress(label: str, done: int, total: int, *, line: bool, unit: str = "") -> None:
    """Draw ``done`` of ``total`` as a bar on stderr; when stderr is not a terminal, write
    a plain line instead, if ``line``."""
    count = f"{done}/{total}{unit}"
    if sys.stderr.isatty():
        filled = int(30 * done / max(total, 1))
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {count}")
        if done == total:
            sys.stderr.write("\n")
    elif line:
        sys.stderr.write(f"{label}: {count}\n")
    sys.stderr.flush()
