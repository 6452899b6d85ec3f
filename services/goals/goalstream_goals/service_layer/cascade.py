"""Parent rollups: which parents to recompute, deepest first, and what each one's recomputation decides.

A change to a goal's tree row marks its parent (`Marks.mark`); a session settles by taking the deepest
marked parent, deciding its rollup from its children's rows as they are now (`decide_parent`, pure),
applying that decision, which may mark the parent's own parent, and so on until nothing is marked. So
every parent sees its children's final numbers, and a tree of any depth takes one decision per parent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.measure import decide_rollup
from goalstream_rules.rollup import Child, RollupNumbers, rollup_numbers
from goalstream_rules.status import Tolerances


@dataclass(frozen=True)
class Mark:
    goal_id: str
    observed_at: datetime  # the latest observation that moved one of its children
    cause: uuid.UUID | None  # the event that moved it last


@dataclass
class Marks:
    """Parents whose children moved and whose rollup is not recomputed yet."""

    _observed: dict[str, datetime] = field(default_factory=dict)
    _causes: dict[str, uuid.UUID] = field(default_factory=dict)

    def mark(self, goal_id: str, observed_at: datetime, cause: uuid.UUID | None) -> None:
        self._observed[goal_id] = max(observed_at, self._observed.get(goal_id, observed_at))
        if cause is not None:
            self._causes[goal_id] = cause

    def marked(self) -> list[str]:
        return list(self._observed)

    def take_deepest(self, depths: dict[str, int]) -> Mark:
        """Unmark the deepest marked goal (the first marked among equals) and return it."""
        goal_id = max(self._observed, key=lambda g: depths[g])
        return Mark(goal_id, self._observed.pop(goal_id), self._causes.pop(goal_id, None))

    def drop(self, goal_id: str) -> None:
        """Unmarked: its rollup was just decided on its children's final rows."""
        self._observed.pop(goal_id, None)

    def __bool__(self) -> bool:
        return bool(self._observed)


@dataclass(frozen=True)
class Rollup:
    """A parent's recomputation: its events (none when nothing changed) and the numbers its row takes."""

    events: list[Payload]
    numbers: RollupNumbers


def rolls_up(goal: Goal | None) -> bool:
    """Whether the goal's numbers come from its children: a hard goal without a metric of its own."""
    return goal is not None and goal.definition.metric is None and goal.definition.kind == "hard"


def decide_parent(
    goal: Goal, children: list[Child], now: datetime, tolerances: Tolerances, observed_at: datetime
) -> Rollup:
    numbers = rollup_numbers(goal.definition.rollup, children, goal.baseline, goal.definition.target)
    events = decide_rollup(
        goal,
        now,
        tolerances,
        raw=numbers.progress,
        current=numbers.current,
        worst=numbers.worst,
        observed_at=observed_at,
    )
    return Rollup(events, numbers)
