"""The mutation counter: what a push does with each entry of a batch (SPEC.md, "The
mutation counter" and "Batch rules").

:func:`plan_batch` reads only ids: the driver locks the device's row, asks for the plan,
applies the ``fresh`` entries in order, stores :attr:`BatchPlan.last_mutation_id` in the
same transaction, and answers every planned entry in the order sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Step(StrEnum):
    """What happens to one entry of a batch."""

    REPLAYED = "replayed"
    """Processed by an earlier request: answered with its stored verdict, not applied."""
    FRESH = "fresh"
    """Due: processed now (applied, rejected or conflict) and answered."""
    REPEAT = "repeat"
    """A later copy of an id that is fresh earlier in this batch: not applied, answered
    with that first copy's verdict and ``"replayed": true``."""


@dataclass(frozen=True)
class BatchPlan:
    steps: tuple[Step, ...]
    """One step for each entry before the gap, in the order sent; entries from the gap
    on have none and get no answer."""
    last_mutation_id: int
    """The device's counter once the fresh entries are processed."""
    gap: int | None
    """The id that was due where the batch stopped (``"gap": {"expected": ...}``), or
    None when every entry was planned."""


def plan_batch(ids: Sequence[int], last_mutation_id: int) -> BatchPlan:
    """Walk ``ids`` in the order sent against the stored ``last_mutation_id``.

    An id at or below the stored counter is ``replayed`` wherever it sits; the due id
    (``last_mutation_id + 1`` at first) is ``fresh`` and the next id becomes due; an id
    between the stored counter and the due one can only have been fresh earlier in this
    batch, so it is a ``repeat``; an id past the due one stops the batch there."""
    steps: list[Step] = []
    due = last_mutation_id + 1
    for mutation_id in ids:
        if mutation_id <= last_mutation_id:
            steps.append(Step.REPLAYED)
        elif mutation_id == due:
            steps.append(Step.FRESH)
            due += 1
        elif mutation_id < due:
            steps.append(Step.REPEAT)
        else:
            return BatchPlan(tuple(steps), due - 1, gap=due)
    return BatchPlan(tuple(steps), due - 1, gap=None)
