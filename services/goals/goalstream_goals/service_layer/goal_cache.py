"""Goals as they were last committed, kept in memory so loading one reads only the events after it.

Only states of committed transactions go in (`GoalsService.session` adds them after its commit), so a
cached goal at version v always equals the fold of its first v stored events; loading it reads the
events after v (none, usually) instead of a snapshot and up to `snapshots.EVERY` events to decode.
Another instance's appends are among "the events after v", so several instances stay correct. The
key includes the organisation: another organisation's goal is never read from here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from goalstream_goals.domain.goal import Goal


class GoalCache:
    """A least-recently-used map of (organisation, goal id) to the goal; `capacity` 0 keeps nothing."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._goals: OrderedDict[tuple[str, str], Goal] = OrderedDict()

    def get(self, org_id: str, goal_id: str) -> Goal | None:
        goal = self._goals.get((org_id, goal_id))
        if goal is not None:
            self._goals.move_to_end((org_id, goal_id))
        return goal

    def keep(self, org_id: str, goals: Iterable[Goal]) -> None:
        """Remember these committed states (newer versions only), evicting the least recently used."""
        for goal in goals:
            key = (org_id, goal.goal_id)
            known = self._goals.get(key)
            if known is None or known.version <= goal.version:
                self._goals[key] = goal
                self._goals.move_to_end(key)
        while len(self._goals) > self.capacity:
            self._goals.popitem(last=False)

    def __len__(self) -> int:
        return len(self._goals)
