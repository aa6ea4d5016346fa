"""What a sync answers: the verdict for a refused mutation, and the reset a pull begins with.

The driver catches its own errors and passes what the wire sees of them (HTTP status,
code, message, field); nothing here knows the server's exception classes.
"""

from __future__ import annotations

from typing import Any

from sync_protocol.messages import ResetReason, Verdict

RESET_MESSAGES = {
    ResetReason.GENERATION_CHANGED: "the server's database was replaced; rebuild from this pull",
    ResetReason.CURSOR_AHEAD: "the cursor is ahead of the server; rebuild from this pull",
    ResetReason.UNKNOWN_DEVICE: (
        "this token belongs to another device id; renumber queued mutations after "
        "last_mutation_id, rebuild from this pull, and push again"
    ),
}

_CONFLICT_STATUSES = frozenset({409, 410})


def verdict_for(status: int, code: str) -> Verdict:
    """The verdict of a mutation refused with an error of this HTTP ``status`` and ``code``.

    A refusal by current state (409, 410) is a ``conflict``, answered with the record that
    won, except ``id_in_use``: that id names a record the device may not see, so there is
    nothing to show and a retry can never succeed. Anything else is ``rejected``."""
    if status in _CONFLICT_STATUSES and code != "id_in_use":
        return Verdict.CONFLICT
    return Verdict.REJECTED


def refusal(code: str, message: str, field: str | None) -> dict[str, str | None]:
    """The ``error`` of a refused mutation's result, as answered and as stored for replays.

    ``field`` is made relative to the mutation (``minute`` → ``args.minute``). The text is
    stored and answered again on every replay, so it is made storable here: a NUL or a
    lone surrogate (pydantic quotes the client's own bad character) is written escaped."""
    if field is not None and not field.startswith(("args", "name")):
        field = f"args.{field}"
    return {"code": code, "message": _storable(message), "field": _storable(field)}


def _storable(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate: either would fail the
    # whole batch's commit.
    if text is None:
        return None
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode()


def replayed_answer(
    mutation_id: int, kept: tuple[str, str, str, str | None] | None
) -> dict[str, Any]:
    """A mutation an earlier request processed, answered again: ``applied`` when nothing was
    kept for it (only refusals are kept), else the kept ``(verdict, code, message, field)``.
    Either way with ``"replayed": true``, and never the ``current`` record: what won then
    may not be what stands now, and the next pull brings that."""
    if kept is None:
        return {"id": mutation_id, "verdict": Verdict.APPLIED.value, "replayed": True}
    verdict, code, message, field = kept
    return {
        "id": mutation_id,
        "verdict": verdict,
        "error": {"code": code, "message": message, "field": field},
        "replayed": True,
    }


def repeat_answer(first: dict[str, Any]) -> dict[str, Any]:
    """A later copy of an id in one batch, answered as a retry in a later request would
    be: the first copy's verdict and error, without the ``current`` record."""
    return {k: v for k, v in first.items() if k != "current"} | {"replayed": True}


def choose_reset(
    *, own_device: bool, cursor_generation: object, generation: object, cursor_ahead: bool
) -> ResetReason | None:
    """The reset a pull begins with, or None when the cursor stands.

    In this order, the first that holds: the request names another device than its token
    (``unknown_device``: the ids count another device's mutations, whatever the cursor
    says); the cursor was made by another database (``generation_changed``; a cursor of
    None has no generation); the cursor is past the server in some space
    (``cursor_ahead``). After a reset the pull starts from the beginning."""
    if not own_device:
        return ResetReason.UNKNOWN_DEVICE
    if cursor_generation is not None and cursor_generation != generation:
        return ResetReason.GENERATION_CHANGED
    if cursor_ahead:
        return ResetReason.CURSOR_AHEAD
    return None


def reset_answer(reason: ResetReason | None) -> dict[str, str] | None:
    """The response's ``reset`` member."""
    return None if reason is None else {"reason": reason.value, "message": RESET_MESSAGES[reason]}
