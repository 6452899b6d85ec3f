"""One transaction's work on one organisation's goals: decide in memory, write once.

`Session.commit` queues a goal's events and the rows derived from them (`derived.refresh`), then
carries out what they cause: a ladder's next rung (`climb`, queued, not a call deeper) and, when the
session settles, each marked parent's rollup, deepest first (`cascade`). Everything queued is
written together (`PendingWrites.flush` → `event_store.write`, the one path that checks versions),
so a request never half-applies and a batch of measurements costs a handful of statements.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_goals.adapters import event_store, snapshots
from goalstream_goals.adapters.series import Kept
from goalstream_goals.domain.goal import Goal, fold
from goalstream_goals.service_layer import cascade, climb, derived
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.loader import Loader, NotFound
from goalstream_goals.service_layer.pending import PendingWrites
from goalstream_goals.service_layer.reads import SessionReads
from goalstream_goals.service_layer.series_fold import fold_series
from goalstream_goals.service_layer.tree import TreeView
from goalstream_goals.service_layer.tree_memory import TreeMemory
from goalstream_rules.rollup import RollupNumbers
from goalstream_rules.status import Tolerances
from goalstream_runtime.db import Connection

__all__ = ["MIN_RECHECK_SECONDS", "NotFound", "Session"]

# The scheduler looks again no sooner than this after a goal had nothing due (guards against a busy loop).
MIN_RECHECK_SECONDS = 60


@dataclass
class Session(SessionReads):
    conn: Connection
    org_id: str
    now: datetime
    tolerances: Tolerances
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    cache: GoalCache = field(default_factory=lambda: GoalCache(0))
    tree_memory: TreeMemory | None = None
    pending: PendingWrites = field(default_factory=PendingWrites)
    held: list[Kept] = field(default_factory=list)  # a batch's accepted values, kept when it ends
    unlocked: list[str] = field(default_factory=list)  # rungs unlocked in this session, for the batch to reach
    folded: dict[str, int] = field(default_factory=dict)  # measurement id -> goals it moved by a fold
    new_streams: set[str] = field(default_factory=set)  # streams a batch checked to be empty, in one query
    marks: cascade.Marks = field(default_factory=cascade.Marks)
    _achieved: list[climb.Achieved] = field(default_factory=list)  # rungs achieved, their ladders not climbed yet
    _climbing: bool = False

    def __post_init__(self) -> None:
        self.tree = TreeView(self.conn, self.org_id, self.tree_memory, self.pending)
        self.loader = Loader(self.conn, self.org_id, self.cache)

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
        if (
            event_ids is not None
            and not checked
            and (found := await event_store.replayed(self.conn, stream_id, expected_version, event_ids))
        ):
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
        """Queue the goal's events and its derived rows, then climb the ladders of the rungs they achieved."""
        after = fold(events, before)
        if after is None:
            raise ValueError("commit needs a goal or a GoalSet")
        envelopes = []
        if events:
            envelopes = await self.append(after.goal_id, before.version if before else 0, events, event_ids, cause)
            if after.version // snapshots.EVERY > (before.version if before else 0) // snapshots.EVERY:
                self.pending.snapshots[after.goal_id] = after  # written with the events, when the session flushes
        self.loader.put(after)
        cause = envelopes[-1].event_id if envelopes else cause
        for marked in await derived.refresh(self.pending, self.tree, after, before, numbers, self.now, self.tolerances):
            self.marks.mark(marked, observed_at or self.now, cause)
        self._achieved += climb.achievements(envelopes)
        if not self._climbing:  # a commit made by a climb leaves its rungs to the loop below
            await self._climb_all()
        return after

    async def _climb_all(self) -> None:
        """Climb for every achieved rung, in the order achieved, including rungs the climbs themselves achieve."""
        self._climbing = True
        try:
            while self._achieved:
                achieved = self._achieved.pop(0)
                ladder = await self.ladder(achieved.ladder_id)
                step = climb.decide_climb(ladder, achieved)
                if step is None:
                    continue
                unlocked = await self.append(ladder.ladder_id, ladder.version, step.events, cause=achieved.cause)
                self.loader.put_ladder(step.ladder)
                following = await self.goal(step.following)
                start = climb.decide_start(following, achieved, self.now, self.tolerances)
                if start:
                    started = await self.commit(following, start, cause=unlocked[-1].event_id)
                    # The rung counts what was observed after its unlock, kept already or earlier in this batch.
                    await fold_series(self, started, cause=unlocked[-1].event_id)
                    self.unlocked.append(started.goal_id)
        finally:
            self._climbing = False

    async def settle(self) -> None:
        """Recompute every marked parent, deepest first, so each sees its children's final numbers; then write.

        The lineage of what is marked (ancestors, their children, depths) is read once, in one query, and
        their states in one more (none when `prepare_up` read them first); a later round reads only for a
        mark outside it (a rung a climb started, a goal moved to another parent).
        """
        while self.marks:
            marked = self.marks.marked()
            await self.prepare_up(marked)
            await self.tree.load_children(marked)  # a goal without a stored row yet: its lineage had none
            depth = await self.tree.depths(marked)
            mark = self.marks.take_deepest(depth)
            goal = self.known(mark.goal_id)
            if goal is None or not cascade.rolls_up(goal):
                continue
            rollup = cascade.decide_parent(
                goal, self.tree.children(mark.goal_id), self.now, self.tolerances, mark.observed_at
            )
            await self.commit(goal, rollup.events, observed_at=mark.observed_at, numbers=rollup.numbers,
                              cause=mark.cause)  # fmt: skip
            self.marks.drop(mark.goal_id)
        await self.flush()
