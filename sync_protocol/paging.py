"""Cutting a pull into pages: which changes go in this response, and where each sync space's
position moves to. Pure: the server reads candidate changes, this decides.

A space's changes are taken in sequence order, and a space's new position is the sequence
number of the last change taken from it (or its head, when all of it was taken). So a
position never passes a change the client has not received, whatever the limits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Candidate:
    seq: int
    size: int
    payload: str


@dataclass(slots=True)
class SpaceChanges:
    """What the server read of one space: changes after ``since``, in sequence order.

    ``complete`` is False when the read was cut short, so more changes may follow the
    last one listed; the space can then move no further than its last listed change.
    """

    space: uuid.UUID
    since: int
    head: int
    changes: Sequence[Candidate] = ()
    complete: bool = True


@dataclass(slots=True)
class Page:
    payloads: list[str] = field(default_factory=list)
    positions: dict[uuid.UUID, int] = field(default_factory=dict)
    has_more: bool = False


def cut_page(spaces: Sequence[SpaceChanges], max_changes: int, max_bytes: int) -> Page:
    """Take changes space by space until ``max_changes`` or ``max_bytes`` would be passed.

    At least one change is always taken when any is pending, so a change larger than
    ``max_bytes`` still travels on its own rather than blocking the pull forever; changes
    with the same sequence number are never split, so a page may exceed the limits by them.
    """
    page = Page()
    used_bytes = 0
    for space in spaces:
        position = space.since
        taken = False
        for candidate in space.changes:
            # Changes sharing a sequence number (a period marker and the match state it
            # moved) travel together: a position between them would skip the second.
            together = taken and candidate.seq == position
            full = not together and (
                len(page.payloads) >= max_changes
                or bool(page.payloads and used_bytes + candidate.size > max_bytes)
            )
            if full:
                page.has_more = True
                break
            page.payloads.append(candidate.payload)
            used_bytes += candidate.size
            position = candidate.seq
            taken = True
        else:
            if space.complete:
                position = max(position, space.head)
            else:
                page.has_more = True
        if taken or not page.has_more:
            # A space cut before its first change keeps no position at all, so a space
            # new to the device is still new on the next page (its team record included).
            page.positions[space.space] = position
        if page.has_more:
            # Later spaces keep their positions; the next page starts from them.
            break
    return page
