"""A mutation's free-form arguments: at most ``MAX_ARGS_DEPTH`` levels of objects and
arrays, counted as the spec counts them, the outermost object being the first."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sync_protocol.messages import MAX_ARGS_DEPTH, Mutation

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=30,
)


def _levels(value: Any) -> int:
    """Nesting as plainly as it can be written: an object or array is one level more
    than its deepest member."""
    if isinstance(value, dict):
        return 1 + max((_levels(member) for member in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_levels(member) for member in value), default=0)
    return 0


def _accepted(args: dict[str, Any]) -> bool:
    try:
        Mutation(id=1, name="add_event", args=args)
    except ValidationError:
        return False
    return True


@given(st.dictionaries(st.text(max_size=2), json_values, max_size=4))
def test_arguments_are_refused_exactly_when_nested_too_deep(args: dict[str, Any]) -> None:
    assert _accepted(args) == (_levels(args) <= MAX_ARGS_DEPTH)


def test_the_limit_is_inclusive() -> None:
    def nested(levels: int) -> dict[str, Any]:
        # Arrays and objects in turn, inside the arguments' own object.
        value: Any = 1
        for level in range(levels - 1):
            value = {"a": value} if level % 2 else [value]
        return {"a": value}

    assert _levels(nested(MAX_ARGS_DEPTH)) == MAX_ARGS_DEPTH
    assert _accepted(nested(MAX_ARGS_DEPTH))
    assert _levels(nested(MAX_ARGS_DEPTH + 1)) == MAX_ARGS_DEPTH + 1
    assert not _accepted(nested(MAX_ARGS_DEPTH + 1))
