"""What a subscriber is told: pure, from the match's events and what it was told before.

The sender reads the events that changed since a subscription's place in the log and what
it announced of them; this decides the notices, in log order, and what is announced now.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sync_protocol.match import SCORING, EventKind, Score, Side, score, timeline_key

CARDS = frozenset({EventKind.YELLOW_CARD, EventKind.RED_CARD})
BREAKS = frozenset({EventKind.HALF_TIME, EventKind.FULL_TIME})


@dataclass(frozen=True)
class EventFact:
    """An event as the sender reads it, with the player's name as the link shows it."""

    id: uuid.UUID
    seq: int
    kind: EventKind
    side: Side
    period: int
    minute: int
    stoppage: int
    player: str | None
    deleted: bool


@dataclass(frozen=True)
class Choices:
    goals: bool
    breaks: bool
    cards: bool

    def wants(self, kind: EventKind) -> bool:
        return (
            (self.goals and kind in SCORING)
            or (self.breaks and kind in BREAKS)
            or (self.cards and kind in CARDS)
        )


@dataclass(frozen=True)
class Notice:
    """One notification. ``tag`` is the event's id, so a correction replaces its alert."""

    title: str
    body: str
    tag: str


def _key(event: EventFact) -> tuple[int, int, int, bool, None, str]:
    return timeline_key(event.period, event.minute, event.stoppage, None, str(event.id))  # type: ignore[return-value]


@dataclass(frozen=True)
class Timeline:
    """The running score of a match's live events, made once and shared by every
    subscriber of the match: the score at any point of the timeline is a bisection."""

    keys: list[tuple[int, int, int, bool, None, str]]
    scores: list[Score]

    @classmethod
    def of(cls, live: Iterable[EventFact]) -> Timeline:
        goals = sorted((e for e in live if e.kind in SCORING), key=_key)
        scores = [score((g.kind, g.side) for g in goals[: n + 1]) for n in range(len(goals))]
        return cls([_key(g) for g in goals], scores)

    def at(self, event: EventFact) -> Score:
        """The score with every goal up to ``event`` (itself included) on the timeline."""
        n = bisect_right(self.keys, _key(event))
        return self.scores[n - 1] if n else Score()

    @property
    def now(self) -> Score:
        return self.scores[-1] if self.scores else Score()


def _minute(event: EventFact) -> str:
    return f"{event.minute}+{event.stoppage}'" if event.stoppage else f"{event.minute}'"


def _line(team: str, opponent: str, now: Score) -> str:
    return f"{team} {now.team}\u2013{now.opposition} {opponent}"


def describe(
    event: EventFact, timeline: Timeline, team: str, opponent: str
) -> tuple[str, str] | None:
    """Title and body for ``event``, with the score up to it on the timeline; None for a
    kind no one is alerted to."""
    line = _line(team, opponent, timeline.at(event))
    if event.kind in SCORING:
        ours = (event.kind is EventKind.GOAL) == (event.side is Side.TEAM)
        who = event.player if event.kind is EventKind.GOAL and event.side is Side.TEAM else None
        detail = f"({who}, {_minute(event)})" if who else f"({_minute(event)})"
        if event.kind is EventKind.OWN_GOAL:
            detail = f"(own goal, {_minute(event)})"
        return ("GOAL!" if ours else f"Goal for {opponent}"), f"{line} {detail}"
    if event.kind is EventKind.HALF_TIME:
        return "Half-time", line
    if event.kind is EventKind.FULL_TIME:
        return "Full-time", line
    if event.kind in CARDS:
        card = "Yellow card" if event.kind is EventKind.YELLOW_CARD else "Red card"
        side = team if event.side is Side.TEAM else opponent
        return card, f"{side}{f' ({event.player})' if event.player else ''}, {_minute(event)}"
    return None


def decide(
    changed: Iterable[EventFact],
    timeline: Timeline,
    announced: Mapping[uuid.UUID, str],
    choices: Choices,
    team: str,
    opponent: str,
) -> tuple[list[Notice], dict[uuid.UUID, str | None]]:
    """The notices for the ``changed`` events (in log order), and the new announcement of
    each event they concern (None: forget it). An announced event that was deleted or is
    no longer of an alerted kind gets a correction; one whose text changed gets the new
    text as a correction; one unchanged gets nothing."""
    notices: list[Notice] = []
    updates: dict[uuid.UUID, str | None] = {}
    for event in sorted(changed, key=lambda e: e.seq):
        before = announced.get(event.id)
        wanted = not event.deleted and choices.wants(event.kind)
        text = describe(event, timeline, team, opponent) if wanted else None
        said = None if text is None else f"{text[0]}\n{text[1]}"
        if text is not None and said != before:
            title = text[0] if before is None else f"Corrected: {text[0]}"
            notices.append(Notice(title, text[1], str(event.id)))
            updates[event.id] = said
        elif text is None and before is not None:
            was_goal = before.startswith(("GOAL!", "Goal for"))
            title = "Goal disallowed" if was_goal else before.split("\n")[0] + " withdrawn"
            notices.append(Notice(title, _line(team, opponent, timeline.now), str(event.id)))
            updates[event.id] = None
    return notices, updates
