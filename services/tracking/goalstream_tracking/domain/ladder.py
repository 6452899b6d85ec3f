"""Ladders as tracking sees them: rungs and which one is current; progress from the rung goals. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.events import LadderRungUnlocked, LadderSet
from goalstream_rules.ladder import Rung
from goalstream_rules.ladder import climbed as ladder_climbed
from goalstream_tracking.domain.node import GoalNode


@dataclass(frozen=True)
class LadderNode:
    ladder_id: str
    org_id: str
    title: str
    rungs: tuple[tuple[int, str, str], ...]  # (index, goal id, title)
    version: int
    event_time: datetime
    current_rung: int = 1
    # (rung index, when it was unlocked): the bottom rung when the ladder was set, the others by LadderRungUnlocked.
    # Empty in a ladder document stored before issue 20 (a rebuild fills it).
    unlocked: tuple[tuple[int, datetime], ...] = ()

    def unlocked_at(self, index: int) -> datetime | None:
        return next((at for i, at in self.unlocked if i == index), None)


def evolve_ladder(ladder: LadderNode | None, event: Payload, occurred_at: datetime, org_id: str) -> LadderNode:
    if isinstance(event, LadderSet):
        rungs = tuple((r.index, r.goal_id, r.title) for r in event.rungs)
        return LadderNode(event.ladder_id, org_id, event.title, rungs, 1, occurred_at, unlocked=((1, occurred_at),))
    if ladder is None:
        raise LookupError(f"{event.event_type} for a ladder this read model has never seen set")
    ladder = replace(ladder, version=ladder.version + 1, event_time=occurred_at)
    if isinstance(event, LadderRungUnlocked):
        unlocked = ladder.unlocked
        if ladder.unlocked_at(event.rung_index) is None:
            unlocked = (*unlocked, (event.rung_index, event.unlocked_at))
        return replace(ladder, current_rung=max(ladder.current_rung, event.rung_index), unlocked=unlocked)
    return ladder


def climbed(ladder: LadderNode, rungs: Mapping[str, GoalNode]) -> float:
    """The ladder's progress from its rung goals (`goalstream_rules.ladder.climbed`); a rung not seen yet is neither."""
    seen = [rungs.get(goal_id) for _, goal_id, _ in ladder.rungs]
    return ladder_climbed(
        [Rung(False, False, None) if g is None else Rung(g.achieved, g.in_tree, g.own_progress) for g in seen]
    )
