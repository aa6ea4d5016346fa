"""What each sync command does to the database: one table from a command's name to the
model its ``args`` must satisfy and the handler that applies them.

:data:`HANDLERS` lists exactly the commands of ``sync_protocol.messages.COMMANDS``, with
the same models (a test holds them together). A handler only flushes; it raises a
:class:`~backend.errors.TouchlineError` to refuse, and the push turns that into a verdict.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Event, Match, Player
from backend.errors import Invalid
from backend.matches.service import MatchWriter
from backend.teams import service as teams
from backend.teams.schemas import PlayerCreate
from sync_protocol.messages import (
    AddEvent,
    AddPlayer,
    CreateMatch,
    DeleteEvent,
    DeleteMatch,
    DeletePlayer,
    EditEvent,
    SetLineup,
    UpdateMatch,
    UpdatePlayer,
)

Args = TypeVar("Args", bound=BaseModel)


@dataclass(frozen=True)
class Turn:
    """What a handler writes through: one push's session, its match writer (which holds
    the records the batch has read), and the pushing account."""

    session: Session
    writer: MatchWriter
    account_id: uuid.UUID


@dataclass(frozen=True)
class Command(Generic[Args]):
    args: type[Args]
    apply: Callable[[Turn, Args], None]
    match_field: str | None = None
    """The argument naming an existing match the command writes to: the push locks it
    with the batch's other matches before applying anything, and a conflict answers it."""
    event_field: str | None = None
    """The argument naming the event the command adds or changes: read with the batch's
    other events in one query, and answered on a conflict."""

    team_field: str | None = None
    """The argument naming the team the command writes to (a new match or player)."""
    player_field: str | None = None
    """The argument naming the existing player the command changes."""

    def team_id(self, session: Session, args: Args) -> uuid.UUID | None:
        """The team the command's target belongs to, if the target exists at all (deleted
        or out of the caller's reach included): to tell why the caller cannot reach it."""
        if self.team_field:
            return getattr(args, self.team_field)  # type: ignore[no-any-return]
        if self.match_field:
            query = select(Match.team_id).where(Match.id == self.match_id(args))
        elif self.event_field:
            query = (
                select(Match.team_id)
                .join(Event, Event.match_id == Match.id)
                .where(Event.id == self.event_id(args))
            )
        elif self.player_field:
            query = select(Player.team_id).where(Player.id == getattr(args, self.player_field))
        else:
            return None
        return session.scalar(query)

    def match_id(self, args: Args) -> uuid.UUID | None:
        return getattr(args, self.match_field) if self.match_field else None

    def event_id(self, args: Args) -> uuid.UUID | None:
        return getattr(args, self.event_field) if self.event_field else None


def _changes(args: BaseModel, created_by: type[BaseModel], key: str) -> dict[str, Any]:
    """The fields present in an update's ``args`` (the ``changes`` object's, if it has
    one), refusing null for a field the record's create command does not allow null."""
    nested = getattr(args, "changes", None)
    source = nested if isinstance(nested, BaseModel) else args
    fields = {name: getattr(source, name) for name in source.model_fields_set - {key}}
    for name, value in fields.items():
        if value is None and type(None) not in get_args(created_by.model_fields[name].annotation):
            raise Invalid(f"{name} cannot be cleared", field=f"args.{name}")
    return fields


def _create_match(turn: Turn, args: CreateMatch) -> None:
    turn.writer.create_match(args.team_id, args.id, args.model_dump(exclude={"id", "team_id"}))


def _update_match(turn: Turn, args: UpdateMatch) -> None:
    turn.writer.update_match(args.match_id, _changes(args, CreateMatch, "match_id"))


def _delete_match(turn: Turn, args: DeleteMatch) -> None:
    turn.writer.delete_match(args.match_id)


def _add_event(turn: Turn, args: AddEvent) -> None:
    turn.writer.queue_event(args.match_id, args.id, args.model_dump(exclude={"id", "match_id"}))


def _edit_event(turn: Turn, args: EditEvent) -> None:
    turn.writer.edit_event(args.event_id, _changes(args, AddEvent, "event_id"))


def _delete_event(turn: Turn, args: DeleteEvent) -> None:
    turn.writer.delete_event(args.event_id)


def _set_lineup(turn: Turn, args: SetLineup) -> None:
    turn.writer.set_lineup(args.match_id, args.players)


# Later mutations of the batch may name the player just added (or removed): each player
# handler makes the writer read rosters again.


def _add_player(turn: Turn, args: AddPlayer) -> None:
    turn.session.flush()
    player = PlayerCreate.model_validate(args.model_dump(exclude={"team_id"}))
    teams.create_player(turn.session, turn.account_id, args.team_id, player)
    turn.writer.forget_rosters()


def _update_player(turn: Turn, args: UpdatePlayer) -> None:
    changes = _changes(args, AddPlayer, "player_id")
    teams.update_player(turn.session, turn.account_id, args.player_id, changes)
    turn.writer.forget_rosters()


def _delete_player(turn: Turn, args: DeletePlayer) -> None:
    teams.delete_player(turn.session, turn.account_id, args.player_id, erase=args.erase)
    turn.writer.forget_rosters()


HANDLERS: dict[str, Command[Any]] = {
    "create_match": Command(CreateMatch, _create_match, team_field="team_id"),
    "update_match": Command(UpdateMatch, _update_match, match_field="match_id"),
    "delete_match": Command(DeleteMatch, _delete_match, match_field="match_id"),
    "add_event": Command(AddEvent, _add_event, match_field="match_id", event_field="id"),
    "edit_event": Command(EditEvent, _edit_event, event_field="event_id"),
    "delete_event": Command(DeleteEvent, _delete_event, event_field="event_id"),
    "set_lineup": Command(SetLineup, _set_lineup, match_field="match_id"),
    "add_player": Command(AddPlayer, _add_player, team_field="team_id"),
    "update_player": Command(UpdatePlayer, _update_player, player_field="player_id"),
    "delete_player": Command(DeletePlayer, _delete_player, player_field="player_id"),
}
"""Every command a mutation can name: its arguments' model and what applying it does."""
