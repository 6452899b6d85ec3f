"""A session's goals and ladders, loaded in bulk: from the cache of committed states or a snapshot, and events.

What the session decides replaces what it loaded (`put`), so later decisions see it before anything is
written; `committed` hands the final states to the cache once the transaction has committed, never before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from goalstream_contracts.events import GoalSet
from goalstream_goals.adapters import event_batches, snapshots
from goalstream_goals.domain.goal import Goal, fold
from goalstream_goals.domain.ladder import Ladder, fold_ladder
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_runtime.db import Connection


class NotFound(LookupError):
    """No such goal or ladder in the caller's organisation (another organisation's is not found either).

    `field` names the request field that referred to it (None: the id in the path).
    """

    def __init__(self, ref: str, field: str | None = None) -> None:
        super().__init__(ref)
        self.ref, self.field = ref, field


@dataclass
class Loader:
    conn: Connection
    org_id: str
    cache: GoalCache
    _goals: dict[str, Goal | None] = field(default_factory=dict)  # None: no such goal
    _ladders: dict[str, Ladder] = field(default_factory=dict)

    async def find_goal(self, goal_id: str) -> Goal | None:
        if goal_id not in self._goals:
            await self.load_goals([goal_id])
        return self._goals[goal_id]

    async def goal(self, goal_id: str) -> Goal:
        goal = await self.find_goal(goal_id)
        if goal is None:
            raise NotFound(goal_id)
        return goal

    async def load_goals(self, goal_ids: Iterable[str]) -> None:
        """Fold every goal not loaded yet, in two queries: from the cache or a snapshot, plus the events after."""
        missing = list(dict.fromkeys(g for g in goal_ids if g not in self._goals))
        if not missing:
            return
        bases = {g: c for g in missing if (c := self.cache.get(self.org_id, g)) is not None}
        uncached = [g for g in missing if g not in bases]
        if uncached:
            bases |= await snapshots.read_many(self.conn, uncached, self.org_id)
        streams = await event_batches.load_payloads(
            self.conn, self.org_id, {g: bases[g].version if g in bases else 0 for g in missing}
        )
        for goal_id in missing:
            base, payloads = bases.get(goal_id), streams[goal_id]
            if base is None and (not payloads or not isinstance(payloads[0], GoalSet)):
                self._goals[goal_id] = None
                continue
            self._goals[goal_id] = fold(payloads, base)

    def known(self, goal_id: str) -> Goal | None:
        """The goal as this session last loaded or decided it, without reading (None: not loaded)."""
        return self._goals.get(goal_id)

    def put(self, goal: Goal) -> None:
        """The goal as the session just decided it."""
        self._goals[goal.goal_id] = goal

    def committed(self) -> None:
        """The transaction committed: what the session loaded and decided is now the stored state."""
        self.cache.keep(self.org_id, (g for g in self._goals.values() if g is not None))

    async def ladder(self, ladder_id: str) -> Ladder:
        if ladder_id in self._ladders:
            return self._ladders[ladder_id]
        envelopes = await event_batches.load(self.conn, ladder_id, self.org_id)
        ladder = (
            fold_ladder([e.payload for e in envelopes])
            if envelopes and envelopes[0].event_type == "LadderSet"
            else None
        )
        if ladder is None:
            raise NotFound(ladder_id)
        return ladder

    def put_ladder(self, ladder: Ladder) -> None:
        """A ladder set or climbed in this session (its events not written yet), for a later rung to climb on."""
        self._ladders[ladder.ladder_id] = ladder
