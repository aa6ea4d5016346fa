"""The core's verdict for an error agrees with the server's error hierarchy."""

from __future__ import annotations

import pytest

from backend import errors
from sync_protocol.messages import Verdict
from sync_protocol.verdicts import verdict_for

HIERARCHY = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.TouchlineError)
]


@pytest.mark.parametrize("error", HIERARCHY, ids=lambda cls: cls.__name__)
def test_a_conflict_or_gone_is_a_conflict_and_anything_else_a_rejection(
    error: type[errors.TouchlineError],
) -> None:
    expected = issubclass(error, errors.Conflict | errors.Gone)
    assert (verdict_for(error.status, error.code) is Verdict.CONFLICT) is expected
    assert verdict_for(error.status, "id_in_use") is Verdict.REJECTED
