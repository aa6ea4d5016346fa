"""Cutting a pull into pages: a position never passes a change the client did not get."""

from __future__ import annotations

import uuid

from sync_protocol.paging import Candidate, SpaceChanges, cut_page


def test_changes_sharing_a_sequence_number_are_never_split_across_pages() -> None:
    # A kick-off event and the match state it moved carry the same number.
    match = uuid.uuid4()
    goal, kick_off, state = (
        Candidate(1, 10, "goal"),
        Candidate(2, 10, "kick_off"),
        Candidate(2, 10, "state"),
    )

    page = cut_page(
        [SpaceChanges(match, 0, 2, [goal, kick_off, state])], max_changes=2, max_bytes=10_000
    )

    assert page.payloads == ["goal", "kick_off", "state"]
    assert (page.positions[match], page.has_more) == (2, False)


def test_a_space_cut_before_its_first_change_keeps_no_position() -> None:
    # Were the team given position 0, the next page would treat it as already introduced
    # and never send the team record itself.
    full, new_team = uuid.uuid4(), uuid.uuid4()
    spaces = [
        SpaceChanges(full, 0, 1, [Candidate(1, 10, "player")]),
        SpaceChanges(new_team, 0, 1, [Candidate(0, 10, "team"), Candidate(1, 10, "its player")]),
    ]

    page = cut_page(spaces, max_changes=1, max_bytes=10_000)

    assert page.payloads == ["player"] and page.has_more
    assert page.positions == {full: 1}
