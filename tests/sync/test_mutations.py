"""The dispatch table and the command list are one list."""

from __future__ import annotations

import uuid

from backend.sync.mutations import HANDLERS
from sync_protocol.messages import COMMANDS


def test_every_command_has_a_handler_for_the_same_model_and_no_handler_is_extra() -> None:
    assert list(HANDLERS) == list(COMMANDS)
    assert {name: command.args for name, command in HANDLERS.items()} == COMMANDS


def test_the_records_a_command_names_are_ids_of_its_model() -> None:
    for name, command in HANDLERS.items():
        for field in (command.match_field, command.event_field):
            if field is not None:
                annotation = command.args.model_fields[field].annotation
                assert annotation is uuid.UUID, (name, field)
    named = {n for n, c in HANDLERS.items() if c.event_field}
    assert named == {"add_event", "edit_event", "delete_event"}
