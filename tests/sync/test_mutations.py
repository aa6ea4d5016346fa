"""The dispatch table and the command list are one list."""

from __future__ import annotations

from backend.sync.mutations import HANDLERS
from sync_protocol.messages import COMMANDS


def test_every_command_has_a_handler_for_the_same_model_and_no_handler_is_extra() -> None:
    assert list(HANDLERS) == list(COMMANDS)
    assert {name: command.args for name, command in HANDLERS.items()} == COMMANDS
