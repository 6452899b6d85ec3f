"""One transaction's work on one organisation's goals.

`Session.commit` appends a goal's events and, in the same transaction, keeps every row derived from
them (metric bindings, tree node, snapshot, schedule) and cascades what they cause: a parent's rollup
status (deepest first, in `settle`) and a ladder's next rung. So a request never half-applies.

Events, tree rows and due times are decided in memory and written together when the session settles
(`PendingWrites.flush`): a batch of measurements costs a handful of statements, not a handful each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved, GoalSet
from goalstream_goals.adapters import event_batches, event_store, snapshots
from goalstream_goals.adapters.event_store import ConcurrencyError
from goalstream_goals.adapters.nodes import Node
from goalstream_goals.adapters.series import Kept
from goalstream_goals.domain.define import decide_unlock
from goalstream_goals.domain.goal import Goal, fold
from goalstream_goals.domain.ladder import Ladder, decide_rung_achieved, evolve_ladder, fold_ladder
from goalstream_goals.domain.measure import decide_rollup
from goalstream_goals.domain.timing import next_due
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.pending import PendingWrites
from goalstream_goals.service_layer.series_fold import fold_series
from goalstream_goals.service_layer.tree import TreeView
from goalstream_rules.rollup import RollupNumbers, rollup_numbers
from goalstream_rules.status import Tolerances
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
    _goals: dict[str, Goal | None] = field(default_factory=dict)  # None: no such goal
    _ladders: dict[str, Ladder] = field(default_factory=dict)
    _dirty: dict[str, datetime] = field(default_factory=dict)  # parent id -> observed time that moved it
    _causes: dict[str, uuid.UUID] = field(default_factory=dict)  # parent id -> the event that moved it
    cache: GoalCache = field(default_factory=lambda: GoalCache(0))
    pending: PendingWrites = field(default_factory=PendingWrites)
    tree: TreeView = field(init=False)
    held: list[Kept] = field(default_factory=list)  # a batch's accepted values, kept when it ends
    unlocked: list[str] = field(default_factory=list)  # rungs unlocked in this session, for the batch to reach
    folded: dict[str, int] = field(default_factory=dict)  # measurement id -> goals it moved by a fold
    new_streams: set[str] = field(default_factory=set)  # streams a batch checked to be empty, in one query

    def __post_init__(self) -> None:
        self.tree = TreeView(self.conn, self.org_id)

    async def find_goal(self, goal_id: str) -> Goal | None:
        if goal_id not in self._goals:
            await self.load_goals([goal_id])
        return self._goals[goal_id]

    async def prepare(self, goal_ids: list[str]) -> None:
        """Read, in a few queries, what deciding on these goals needs: their states and tree rows."""
        await self.load_goals(goal_ids)
        await self.tree.load(goal_ids)

    async def load_goals(self, goal_ids: list[str]) -> None:
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

    def committed(self) -> None:
        """The transaction committed: what the session loaded and decided is now the stored state."""
        self.cache.keep(self.org_id, (g for g in self._goals.values() if g is not None))

    def known(self, goal_id: str) -> Goal | None:
        """The goal as this session last loaded or decided it, without reading (None: not loaded)."""
        return self._goals.get(goal_id)

    async def goal(self, goal_id: str) -> Goal:
        goal = await self.find_goal(goal_id)
        if goal is None:
            raise NotFound(goal_id)
        return goal

    def remember_ladder(self, ladder: Ladder) -> None:
        """A ladder set in this session (its events not written yet), for a rung achieved in it to climb."""
        self._ladders[ladder.ladder_id] = ladder

    async def ladder(self, ladder_id: str) -> Ladder:
        if ladder_id in self._ladders:
            return self._ladders[ladder_id]
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
        """Queue events for a stream; `cause` (the event that led to these) overrides the session's causation id.

        With `event_ids`, events already stored under those ids (a retried request) are returned instead.
        """
        if not events:
            return []
        checked = stream_id in self.new_streams
        if event_ids is not None and not checked and (found := await event_store.stored(self.conn, event_ids)):
            if len(found) != len(events) or any(e.stream_id != stream_id for e in found):
                raise ConcurrencyError(stream_id, expected_version, -1)
            return found
        envelopes = event_store.new_envelopes(
            org_id=self.org_id,
            stream_id=stream_id,
            expected_version=expected_version,
            payloads=events,
            occurred_at=self.now,
            correlation_id=self.correlation_id,
            causation_id=cause or self.causation_id,
            event_ids=event_ids,
        )
        self.pending.add_events(envelopes, expected_version)
        return envelopes

    async def flush(self) -> None:
        """Write what the session decided so far (settling does; a reader of the tables in between must)."""
        await self.pending.flush(self.conn, self.org_id)

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
            if after.version // snapshots.EVERY > (before.version if before else 0) // snapshots.EVERY:
                self.pending.snapshots[after.goal_id] = after  # written with the events, when the session flushes
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
        else:  # bound (or unbound) when the session flushes: one statement for all its goals
            self.pending.metrics[d.goal_id] = (d.metric.key if d.metric is not None else None, goal.active)
        old = await self.tree.get(d.goal_id)
        if d.metric is not None:
            current, raw = goal.current, goal.raw_progress
        elif numbers is not None:
            current, raw = numbers.current, numbers.progress
        else:  # a rolled-up goal whose definition changed: keep its numbers, recompute them in `settle`
            current, raw = (old.current, old.progress) if old else (None, None)
            self._mark(d.goal_id, observed_at, cause)
        new = Node.of(goal, current=current, progress=raw)
        if old != new:
            self.tree.put(new)
            self.pending.nodes[d.goal_id] = new
            for parent in {old.parent_id if old else None, d.parent_id} - {None}:
                assert parent is not None
                self._mark(parent, observed_at, cause)
        due = next_due(goal, self.now, self.tolerances, rollup=raw if d.metric is None else None)
        if due is not None and due <= self.now:
            due = self.now.replace(microsecond=0)  # due at once: the next scheduler pass takes it
        self.pending.due[d.goal_id] = due

    def _mark(self, goal_id: str, observed_at: datetime, cause: uuid.UUID | None) -> None:
        self._dirty[goal_id] = max(observed_at, self._dirty.get(goal_id, observed_at))
        if cause is not None:
            self._causes[goal_id] = cause

    async def settle(self) -> None:
        """Recompute every marked parent, deepest first, so each sees its children's final numbers; then write.

        Each round reads what the newly marked parents need (depth, state, children) in one query each.
        """
        while self._dirty:
            marked = list(self._dirty)
            depth = await self.tree.depths(marked)
            await self.prepare(marked)
            await self.tree.load_children(marked)
            goal_id = max(marked, key=lambda g: depth[g])
            observed_at = self._dirty.pop(goal_id)
            goal = self._goals[goal_id]
            if goal is None or goal.definition.metric is not None or goal.definition.kind != "hard":
                continue
            children = self.tree.children(goal_id)
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
        await self.flush()

    async def _climb(self, ladder_id: str, goal_id: str, achieved_at: datetime, cause: uuid.UUID) -> None:
        ladder = await self.ladder(ladder_id)
        events = decide_rung_achieved(ladder, goal_id, achieved_at)
        if not events:
            return
        unlocked = await self.append(ladder_id, ladder.version, events, cause=cause)
        for event in events:
            ladder = evolve_ladder(ladder, event)
        self._ladders[ladder_id] = ladder
        following = await self.goal(ladder.rungs[ladder.current_rung - 1].goal_id)
        unlock = decide_unlock(following, achieved_at, self.now, self.tolerances)
        if unlock:
            started = await self.commit(following, unlock, cause=unlocked[-1].event_id)
            # The rung counts what was observed after its unlock, kept already or earlier in this batch.
            await fold_series(self, started, cause=unlocked[-1].event_id)
            self.unlocked.append(started.goal_id)
