"""Ladders as tracking sees them: rungs and which one is current; progress from the rung goals. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.events import LadderRungUnlocked, LadderSet
from goalstream_rules.ladder import ladder_progress
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


def evolve_ladder(ladder: LadderNode | None, event: Payload, occurred_at: datetime, org_id: str) -> LadderNode:
    if isinstance(event, LadderSet):
        rungs = tuple((r.index, r.goal_id, r.title) for r in event.rungs)
        return LadderNode(event.ladder_id, org_id, event.title, rungs, 1, occurred_at)
    if ladder is None:
        raise LookupError(f"{event.event_type} for a ladder this read model has never seen set")
    ladder = replace(ladder, version=ladder.version + 1, event_time=occurred_at)
    if isinstance(event, LadderRungUnlocked):
        return replace(ladder, current_rung=max(ladder.current_rung, event.rung_index))
    return ladder


def climbed(ladder: LadderNode, rungs: Mapping[str, GoalNode]) -> float:
    """The ladder's progress from its rung goals: the achieved ones, and the first live one as the current rung."""
    goals = [rungs.get(goal_id) for _, goal_id, _ in ladder.rungs]
    achieved = sum(1 for g in goals if g is not None and g.achieved)
    current = next((g for g in goals if g is not None and not g.achieved and not g.locked), None)
    return ladder_progress(achieved, current.own_progress if current is not None else None, len(goals))
