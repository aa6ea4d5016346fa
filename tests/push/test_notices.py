"""What a subscriber is told, decided without a database or a network."""

from __future__ import annotations

import uuid

from backend.push.notices import Choices, EventFact, Timeline, decide
from sync_protocol.match import EventKind, Side

ALL = Choices(goals=True, breaks=True, cards=True)


def fact(
    seq: int,
    kind: EventKind,
    minute: int,
    side: Side = Side.TEAM,
    player: str | None = "Zara",
    *,
    deleted: bool = False,
    event_id: uuid.UUID | None = None,
) -> EventFact:
    return EventFact(event_id or uuid.uuid4(), seq, kind, side, 1, minute, 0, player, deleted)


def said(changed: list[EventFact], live: list[EventFact], choices: Choices = ALL) -> list[str]:
    notices, _ = decide(changed, Timeline.of(live), {}, choices, "Riverside", "Blues")
    return [f"{n.title} | {n.body}" for n in notices]


def test_goals_carry_the_score_they_made_and_own_goals_name_nobody() -> None:
    events = [
        fact(1, EventKind.GOAL, 10),
        fact(2, EventKind.GOAL, 20, Side.OPPOSITION, None),
        fact(3, EventKind.OWN_GOAL, 30, Side.OPPOSITION, None),
        fact(4, EventKind.OWN_GOAL, 40, Side.TEAM, "Sam"),
    ]
    assert said(events, events) == [
        "GOAL! | Riverside 1\u20130 Blues (Zara, 10')",
        "Goal for Blues | Riverside 1\u20131 Blues (20')",
        "GOAL! | Riverside 2\u20131 Blues (own goal, 30')",
        "Goal for Blues | Riverside 2\u20132 Blues (own goal, 40')",
    ]


def test_a_goal_logged_late_counts_the_goals_before_it_on_the_clock() -> None:
    early, late = fact(1, EventKind.GOAL, 50), fact(2, EventKind.GOAL, 20, player="Ann")
    assert said([late], [early, late]) == ["GOAL! | Riverside 1\u20130 Blues (Ann, 20')"]


def test_breaks_and_cards_only_for_those_who_chose_them() -> None:
    events = [
        fact(1, EventKind.GOAL, 10),
        fact(2, EventKind.YELLOW_CARD, 30, Side.OPPOSITION, None),
        fact(3, EventKind.HALF_TIME, 45),
        fact(4, EventKind.TACKLE, 46),
    ]
    assert said(events, events) == [
        "GOAL! | Riverside 1\u20130 Blues (Zara, 10')",
        "Yellow card | Blues, 30'",
        "Half-time | Riverside 1\u20130 Blues",
    ]
    assert said(events, events, Choices(goals=False, breaks=True, cards=False)) == [
        "Half-time | Riverside 1\u20130 Blues"
    ]


def test_an_announced_goal_edited_or_deleted_is_corrected_once() -> None:
    goal_id = uuid.uuid4()
    first = fact(1, EventKind.GOAL, 10, event_id=goal_id)
    _, announced = decide([first], Timeline.of([first]), {}, ALL, "Riverside", "Blues")
    told = {k: v for k, v in announced.items() if v is not None}

    unchanged = fact(2, EventKind.GOAL, 10, event_id=goal_id)
    assert decide([unchanged], Timeline.of([unchanged]), told, ALL, "Riverside", "Blues")[0] == []

    moved = fact(3, EventKind.GOAL, 12, player="Ann", event_id=goal_id)
    [correction], _ = decide([moved], Timeline.of([moved]), told, ALL, "Riverside", "Blues")
    assert (correction.title, correction.body, correction.tag) == (
        "Corrected: GOAL!",
        "Riverside 1\u20130 Blues (Ann, 12')",
        str(goal_id),
    )

    gone = fact(4, EventKind.GOAL, 10, deleted=True, event_id=goal_id)
    [disallowed], forget = decide([gone], Timeline.of([]), told, ALL, "Riverside", "Blues")
    assert (disallowed.title, disallowed.body) == ("Goal disallowed", "Riverside 0\u20130 Blues")
    assert forget == {goal_id: None}
    assert decide([gone], Timeline.of([]), {}, ALL, "Riverside", "Blues") == ([], {})
