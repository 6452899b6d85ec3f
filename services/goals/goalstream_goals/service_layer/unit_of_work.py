"""One transaction's work on one organisation's goals.

`Session.commit` appends a goal's events and, in the same transaction, keeps every row derived from
them (metric bindings, tree node, snapshot, schedule) and cascades what they cause: a parent's rollup
status (deepest first, in `settle`) and a ladder's next rung. So a request never half-applies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved, GoalSet
from goalstream_goals.adapters import event_store, nodes, schedule, snapshots
from goalstream_goals.domain.define import decide_unlock
from goalstream_goals.domain.goal import Goal, fold
from goalstream_goals.domain.ladder import Ladder, decide_rung_achieved, evolve_ladder, fold_ladder
from goalstream_goals.domain.measure import decide_rollup
from goalstream_goals.domain.progress import Tolerances
from goalstream_goals.domain.rollup import RollupNumbers, rollup_numbers
from goalstream_goals.domain.timing import next_due
from goalstream_runtime.db import Connection

# The scheduler looks again no sooner than this after a goal had nothing due (guards against a busy loop).
MIN_RECHECK_SECONDS = 60


class NotFound(LookupError):
    """No such goal or ladder in the caller's organisation (another organisation's is not found either).

    `field` names the request field that referred to it (None: the id in the path).
    """

    def __init__(self, ref: str, field: str | None = None) -> None:
        super().__init__(ref)
        self.ref, self.field = ref, field


@dataclass
class Session:
    conn: Connection
    org_id: str
    now: datetime
    tolerances: Tolerances
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    _goals: dict[str, Goal] = field(default_factory=dict)
    _dirty: dict[str, datetime] = field(default_factory=dict)  # parent id -> observed time that moved it
    _causes: dict[str, uuid.UUID] = field(default_factory=dict)  # parent id -> the event that moved it
    _appended: bool = False  # the organisation's lock is held and the relay notified

    async def find_goal(self, goal_id: str) -> Goal | None:
        if goal_id in self._goals:
            return self._goals[goal_id]
        snapshot = await snapshots.read(self.conn, goal_id, self.org_id)
        envelopes = await event_store.load(self.conn, goal_id, self.org_id, snapshot.version if snapshot else 0)
        if snapshot is None and (not envelopes or not isinstance(envelopes[0].payload, GoalSet)):
            return None
        goal = fold([e.payload for e in envelopes], snapshot)
        if goal is not None:
            self._goals[goal_id] = goal
        return goal

    async def goal(self, goal_id: str) -> Goal:
        goal = await self.find_goal(goal_id)
        if goal is None:
            raise NotFound(goal_id)
        return goal

    async def ladder(self, ladder_id: str) -> Ladder:
        envelopes = await event_store.load(self.conn, ladder_id, self.org_id)
        ladder = (
            fold_ladder([e.payload for e in envelopes])
            if envelopes and envelopes[0].event_type == "LadderSet"
            else None
        )
        if ladder is None:
            raise NotFound(ladder_id)
        return ladder

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: list[Payload],
        event_ids: list[uuid.UUID] | None = None,
        cause: uuid.UUID | None = None,
    ) -> list[Envelope[Payload]]:
        """Append to a stream; `cause` (the event that led to these) overrides the session's causation id."""
        if not events:
            return []
        first, self._appended = not self._appended, True
        return await event_store.append(
            self.conn,
            first_in_transaction=first,
            org_id=self.org_id,
            stream_id=stream_id,
            expected_version=expected_version,
            payloads=events,
            occurred_at=self.now,
            correlation_id=self.correlation_id,
            causation_id=cause or self.causation_id,
            event_ids=event_ids,
        )

    async def commit(
        self,
        before: Goal | None,
        events: list[Payload],
        *,
        observed_at: datetime | None = None,
        numbers: RollupNumbers | None = None,
        event_ids: list[uuid.UUID] | None = None,
        cause: uuid.UUID | None = None,
    ) -> Goal:
        """Append the goal's events and bring everything derived from them up to date."""
        after = fold(events, before)
        if after is None:
            raise ValueError("commit needs a goal or a GoalSet")
        envelopes = []
        if events:
            envelopes = await self.append(after.goal_id, before.version if before else 0, events, event_ids, cause)
            if before is None or after.version // snapshots.EVERY > before.version // snapshots.EVERY:
                await snapshots.write(self.conn, self.org_id, after, 0)
        self._goals[after.goal_id] = after
        cause = envelopes[-1].event_id if envelopes else cause
        await self._refresh(after, observed_at or self.now, numbers, cause, before)
        for envelope in envelopes:
            event = envelope.payload
            if isinstance(event, GoalAchieved) and event.ladder_id is not None:
                await self._climb(event.ladder_id, event.goal_id, event.achieved_at, envelope.event_id)
        return after

    async def _refresh(
        self,
        goal: Goal,
        observed_at: datetime,
        numbers: RollupNumbers | None,
        cause: uuid.UUID | None,
        before: Goal | None = None,
    ) -> None:
        d = goal.definition
        same_binding = before is not None and (before.definition.metric, before.active) == (d.metric, goal.active)
        if same_binding:
            pass  # a measurement or a status: the metric binding is as it was
        elif d.metric is None:
            await self.conn.execute("DELETE FROM goal_metrics WHERE goal_id = $1", d.goal_id)
        else:
            await self.conn.execute(
                "INSERT INTO goal_metrics (goal_id, org_id, metric_key, active) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (goal_id) DO UPDATE SET metric_key = excluded.metric_key, active = excluded.active",
                d.goal_id,
                self.org_id,
                d.metric.key,
                goal.active,
            )
        old = await nodes.get(self.conn, self.org_id, d.goal_id)
        if d.metric is not None:
            current, raw = goal.current, goal.raw_progress
        elif numbers is not None:
            current, raw = numbers.current, numbers.progress
        else:  # a rolled-up goal whose definition changed: keep its numbers, recompute them in `settle`
            current, raw = (old.current, old.progress) if old else (None, None)
            self._mark(d.goal_id, observed_at, cause)
        new = await nodes.save(self.conn, self.org_id, goal, current=current, progress=raw)
        if old != new:
            for parent in {old.parent_id if old else None, d.parent_id} - {None}:
                assert parent is not None
                self._mark(parent, observed_at, cause)
        due = next_due(goal, self.now, self.tolerances, rollup=raw if d.metric is None else None)
        if due is not None and due <= self.now:
            due = self.now.replace(microsecond=0)  # due at once: the next scheduler pass takes it
        await schedule.set_due(self.conn, self.org_id, d.goal_id, due)

    def _mark(self, goal_id: str, observed_at: datetime, cause: uuid.UUID | None) -> None:
        self._dirty[goal_id] = max(observed_at, self._dirty.get(goal_id, observed_at))
        if cause is not None:
            self._causes[goal_id] = cause

    async def settle(self) -> None:
        """Recompute every marked parent, deepest first, so each sees its children's final numbers."""
        depth: dict[str, int] = {}
        while self._dirty:
            for goal_id in self._dirty:
                if goal_id not in depth:
                    depth[goal_id] = len(await nodes.ancestors(self.conn, self.org_id, goal_id))
            goal_id = max(self._dirty, key=lambda g: depth[g])
            observed_at = self._dirty.pop(goal_id)
            goal = await self.find_goal(goal_id)
            if goal is None or goal.definition.metric is not None or goal.definition.kind != "hard":
                continue
            children = await nodes.children(self.conn, self.org_id, goal_id)
            numbers = rollup_numbers(goal.definition.rollup, children, goal.baseline, goal.definition.target)
            events = decide_rollup(
                goal,
                self.now,
                self.tolerances,
                raw=numbers.progress,
                current=numbers.current,
                worst=numbers.worst,
                observed_at=observed_at,
            )
            cause = self._causes.pop(goal_id, None)
            await self.commit(goal, events, observed_at=observed_at, numbers=numbers, cause=cause)
            self._dirty.pop(goal_id, None)

    async def _climb(self, ladder_id: str, goal_id: str, achieved_at: datetime, cause: uuid.UUID) -> None:
        ladder = await self.ladder(ladder_id)
        events = decide_rung_achieved(ladder, goal_id, achieved_at)
        if not events:
            return
        unlocked = await self.append(ladder_id, ladder.version, events, cause=cause)
        for event in events:
            ladder = evolve_ladder(ladder, event)
        following = await self.goal(ladder.rungs[ladder.current_rung - 1].goal_id)
        unlock = decide_unlock(following, achieved_at, self.now, self.tolerances)
        await self.commit(following, unlock, cause=unlocked[-1].event_id)
