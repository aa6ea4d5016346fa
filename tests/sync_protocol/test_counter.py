"""Properties of the mutation counter in sync_protocol.counter, with no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync_protocol.counter import BatchPlan, Step, plan_batch

stored = st.integers(min_value=0, max_value=20)
batches = st.lists(st.integers(min_value=1, max_value=30), max_size=25)


def model(ids: list[int], last: int) -> BatchPlan:
    """The rules as SPEC.md words them, with sets instead of a running counter."""
    processed_before = set(range(1, last + 1))
    fresh_here: set[int] = set()
    steps: list[Step] = []
    for mutation_id in ids:
        if mutation_id in processed_before:
            steps.append(Step.REPLAYED)
        elif mutation_id in fresh_here:
            steps.append(Step.REPEAT)
        elif mutation_id == last + len(fresh_here) + 1:
            fresh_here.add(mutation_id)
            steps.append(Step.FRESH)
        else:
            return BatchPlan(tuple(steps), last + len(fresh_here), last + len(fresh_here) + 1)
    return BatchPlan(tuple(steps), last + len(fresh_here), None)


@given(batches, stored)
def test_the_plan_is_the_rules_as_written(ids: list[int], last: int) -> None:
    assert plan_batch(ids, last) == model(ids, last)


@given(batches, stored)
def test_every_entry_before_the_gap_is_answered_once_and_fresh_ids_never_skip(
    ids: list[int], last: int
) -> None:
    plan = plan_batch(ids, last)
    answered = ids[: len(plan.steps)]
    fresh = [i for i, step in zip(answered, plan.steps, strict=True) if step is Step.FRESH]
    assert fresh == list(range(last + 1, plan.last_mutation_id + 1))
    for position, (mutation_id, step) in enumerate(zip(answered, plan.steps, strict=True)):
        if step is Step.REPLAYED:
            assert mutation_id <= last
        elif step is Step.REPEAT:
            first = answered.index(mutation_id)
            assert first < position and plan.steps[first] is Step.FRESH
    if plan.gap is None:
        assert len(plan.steps) == len(ids)
    else:
        assert plan.gap == plan.last_mutation_id + 1
        assert ids[len(plan.steps)] > plan.gap


@given(st.integers(min_value=1, max_value=15), st.lists(batches, max_size=8), stored)
def test_resending_any_batches_applies_each_mutation_once_in_order(
    queued: int, sent: list[list[int]], last: int
) -> None:
    # A device with mutations last+1 … last+queued resends slices of them in any order,
    # then its whole queue oldest first: each is applied exactly once, in id order.
    applied: list[int] = []
    counter = last
    for drawn in [*sent, list(range(1, last + queued + 1))]:
        batch = [mutation_id for mutation_id in drawn if mutation_id <= last + queued]
        plan = plan_batch(batch, counter)
        applied += [i for i, step in zip(batch, plan.steps, strict=False) if step is Step.FRESH]
        counter = plan.last_mutation_id
    assert applied == list(range(last + 1, last + queued + 1))
    assert counter == last + queued


def test_the_spec_examples() -> None:
    assert plan_batch([5, 6, 7], 4) == BatchPlan((Step.FRESH,) * 3, 7, None)
    assert plan_batch([6, 5], 4) == BatchPlan((), 4, 5)
    assert plan_batch([3, 5, 5, 4, 6], 4) == BatchPlan(
        (Step.REPLAYED, Step.FRESH, Step.REPEAT, Step.REPLAYED, Step.FRESH), 6, None
    )
    assert plan_batch([5, 7, 6], 4) == BatchPlan((Step.FRESH,), 5, 6)
