"""The verdict for a refused mutation and the choice of reset, with no database."""

from __future__ import annotations

import uuid

import pytest

from sync_protocol.messages import ResetReason, Verdict
from sync_protocol.verdicts import choose_reset, refusal, repeat_answer, reset_answer, verdict_for


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (409, "conflict", Verdict.CONFLICT),
        (409, "match_finished", Verdict.CONFLICT),
        (410, "gone", Verdict.CONFLICT),
        (409, "id_in_use", Verdict.REJECTED),
        (410, "id_in_use", Verdict.REJECTED),
        (404, "not_found", Verdict.REJECTED),
        (403, "forbidden", Verdict.REJECTED),
        (422, "invalid", Verdict.REJECTED),
    ],
)
def test_only_a_refusal_by_current_state_is_a_conflict(
    status: int, code: str, verdict: Verdict
) -> None:
    assert verdict_for(status, code) is verdict


def test_a_refusal_names_the_field_within_the_mutation_and_is_storable() -> None:
    assert refusal("invalid", "bad", "minute")["field"] == "args.minute"
    assert refusal("invalid", "bad", "args.changes.minute")["field"] == "args.changes.minute"
    assert refusal("unknown_command", "bad", "name")["field"] == "name"
    assert refusal("not_found", "match not found", None) == {
        "code": "not_found",
        "message": "match not found",
        "field": None,
    }
    stored = refusal("invalid", "bad \x00 \udc80", "args.x\x00")
    assert stored["message"] == "bad \\u0000 \\udc80" and stored["field"] == "args.x\\u0000"
    assert all(text.encode() for text in (stored["message"], stored["field"]) if text)


def test_a_repeat_is_answered_with_the_first_copy_without_the_current_record() -> None:
    first = {"id": 5, "verdict": "conflict", "error": {"code": "gone"}, "current": {"id": "m"}}
    assert repeat_answer(first) == {
        "id": 5,
        "verdict": "conflict",
        "error": {"code": "gone"},
        "replayed": True,
    }
    assert "replayed" not in first


def test_the_reset_is_the_first_reason_that_holds() -> None:
    here, there = uuid.uuid4(), uuid.uuid4()

    def reset(own: bool, cursor: uuid.UUID | None, ahead: bool) -> ResetReason | None:
        return choose_reset(
            own_device=own, cursor_generation=cursor, generation=here, cursor_ahead=ahead
        )

    assert reset(False, there, True) is ResetReason.UNKNOWN_DEVICE
    assert reset(False, None, False) is ResetReason.UNKNOWN_DEVICE
    assert reset(True, there, True) is ResetReason.GENERATION_CHANGED
    assert reset(True, here, True) is ResetReason.CURSOR_AHEAD
    assert reset(True, None, False) is None
    assert reset(True, here, False) is None
    assert reset_answer(None) is None
    for reason in ResetReason:
        answer = reset_answer(reason)
        assert answer is not None and answer["reason"] == reason.value and answer["message"]
