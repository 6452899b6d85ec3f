"""Use cases on goals and ladders: each runs in one transaction (`GoalsService.session`), so none half-applies."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalRevised, GoalSet
from goalstream_goals.adapters import event_store, metric_list, nodes, organisations
from goalstream_goals.adapters.event_store import ConcurrencyError
from goalstream_goals.adapters.metric_list import MetricSummary
from goalstream_goals.domain.define import (
    decide_archive,
    decide_plan,
    decide_recounted,
    decide_revise,
    decide_set,
)
from goalstream_goals.domain.errors import DomainError
from goalstream_goals.domain.goal import Goal
from goalstream_goals.service_layer import idempotency
from goalstream_goals.service_layer.conflicts import StaleVersion, retried_on_conflict
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.series_fold import fold_series
from goalstream_goals.service_layer.tree_memory import TreeMemory
from goalstream_goals.service_layer.unit_of_work import NotFound, Session
from goalstream_rules.recount import recounts
from goalstream_rules.status import Tolerances
from goalstream_runtime.db import Connection

Clock = Callable[[], datetime]
IDEMPOTENCY_NAMESPACE = uuid.UUID("5f0c1d2e-8c59-4a8e-9d0a-6b1f3c2d4e5f")

__all__ = ["Clock", "ConcurrencyError", "GoalRecord", "GoalsService", "NotFound"]


@dataclass(frozen=True)
class GoalRecord:
    """A goal with the numbers to show: its own, or for a rolled-up parent, its rollup's."""

    goal: Goal
    current: float | None
    progress: float | None
    replayed: bool = False


@dataclass
class GoalsService:
    pool: asyncpg.Pool
    clock: Clock
    cache: GoalCache = field(default_factory=lambda: GoalCache(0))  # the service's goals, as last committed
    tree_memory: TreeMemory | None = None  # the organisations' tree rows, as last committed

    @contextlib.asynccontextmanager
    async def session(
        self,
        org_id: str,
        correlation_id: uuid.UUID | None = None,
        now: datetime | None = None,
        causation_id: uuid.UUID | None = None,
    ) -> AsyncIterator[Session]:
        """One transaction on the organisation; `causation_id`: the message that caused this work."""
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                tolerances = await organisations.tolerances(conn, org_id)
                correlation = correlation_id or uuid.uuid4()
                now = now or self.clock()
                session = self.new_session(conn, org_id, now, tolerances, correlation, causation_id)
                yield session
                await session.settle()
            session.committed()

    def new_session(
        self,
        conn: Connection,
        org_id: str,
        now: datetime,
        tolerances: Tolerances,
        correlation_id: uuid.UUID,
        causation_id: uuid.UUID | None = None,
    ) -> Session:
        """A session with the service's memory of committed goals and trees (call its `committed` after commit)."""
        return Session(conn, org_id, now, tolerances, correlation_id, causation_id, self.cache, self.tree_memory)

    @retried_on_conflict
    async def set_goal(
        self, org_id: str, fields: dict[str, Any], correlation_id: uuid.UUID, idempotency_key: str | None = None
    ) -> GoalRecord:
        goal_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{org_id}:{idempotency_key}")) if idempotency_key else None
        async with self.session(org_id, correlation_id) as s:
            if goal_id is not None and (existing := await s.find_goal(goal_id)) is not None:
                await idempotency.check_same_request(s, goal_id, fields)  # another body: 422
                return await _record(s, existing, replayed=True)
            fields.setdefault("start_at", s.now)
            definition = GoalSet(goal_id=goal_id or str(uuid.uuid4()), **fields)
            await _check_links(s, definition.goal_id, definition.parent_id, definition.guards)
            events = decide_set(definition, s.now, s.tolerances)
            ids = [uuid.uuid5(uuid.UUID(definition.goal_id), str(i)) for i in range(len(events))] if goal_id else None
            goal = await s.commit(None, events, event_ids=ids)
            await fold_series(s, goal)  # the values kept for its metric count, as if they arrived now
        return await self.get_goal(org_id, goal.goal_id)

    @retried_on_conflict
    async def revise_goal(
        self, org_id: str, goal_id: str, expected_version: int, changes: dict[str, Any], correlation_id: uuid.UUID
    ) -> GoalRecord:
        async with self.session(org_id, correlation_id) as s:
            goal = await s.goal(goal_id)
            if goal.version != expected_version:
                raise StaleVersion(goal_id, expected_version, goal.version)
            if "parent_id" in changes or "guards" in changes:
                await _check_links(s, goal_id, changes.get("parent_id"), changes.get("guards"))
            events = decide_revise(goal, changes, s.now, s.tolerances)
            revised = await s.commit(goal, events)
            if any(isinstance(e, GoalRevised) and recounts(e.changed) for e in events):
                # The revision emptied the goal's count: it counts again the values kept for its new definition,
                # then takes the status they leave it with.
                refolded = await fold_series(s, revised)
                await s.commit(refolded, decide_recounted(refolded, s.now, s.tolerances))
        return await self.get_goal(org_id, goal_id)

    @retried_on_conflict
    async def archive_goal(
        self, org_id: str, goal_id: str, expected_version: int | None, reason: str | None, correlation_id: uuid.UUID
    ) -> GoalRecord:
        async with self.session(org_id, correlation_id) as s:
            goal = await s.goal(goal_id)
            # A stale If-Match refuses the archive, unless the goal is archived already: the change it asks for
            # has succeeded (a retried DELETE whose answer was lost), so it answers as an archive (RFC 9110 §13.1.1).
            if expected_version is not None and expected_version != goal.version and not goal.archived:
                raise StaleVersion(goal_id, expected_version, goal.version)
            await s.commit(goal, decide_archive(goal, reason))
        return await self.get_goal(org_id, goal_id)

    @retried_on_conflict
    async def plan_goal(
        self,
        org_id: str,
        goal_id: str,
        correlation_id: uuid.UUID,
        *,
        milestones: int | None = None,
        checkpoints: Sequence[tuple[datetime, float]] = (),
    ) -> GoalRecord:
        async with self.session(org_id, correlation_id) as s:
            goal = await s.goal(goal_id)
            events = decide_plan(goal, s.now, s.tolerances, milestones=milestones, checkpoints=checkpoints)
            await s.commit(goal, events)
        return await self.get_goal(org_id, goal_id)

    async def get_goal(self, org_id: str, goal_id: str) -> GoalRecord:
        async with self.pool.acquire() as conn:
            tolerances = await organisations.tolerances(conn, org_id)
            s = self.new_session(conn, org_id, self.clock(), tolerances, uuid.uuid4())
            record = await _record(s, await s.goal(goal_id))
        s.committed()  # read outside a transaction: what it saw was committed
        return record

    async def list_metrics(self, org_id: str, after: str, limit: int) -> list[MetricSummary]:
        """The organisation's metrics by key (those after `after`): last value, count and the goals bound."""
        async with self.pool.acquire() as conn:
            return await metric_list.page(conn, org_id, after, limit)

    async def stream_events(self, org_id: str, stream_id: str, first_type: str) -> list[Envelope[Payload]]:
        """A goal's (first_type GoalSet) or a ladder's (LadderSet) event history."""
        async with self.pool.acquire() as conn:
            envelopes = await event_store.load(conn, stream_id, org_id)
        if not envelopes or envelopes[0].event_type != first_type:
            raise NotFound(stream_id)
        return envelopes


async def _record(s: Session, goal: Goal, replayed: bool = False) -> GoalRecord:
    node = None if goal.definition.metric is not None else await nodes.get(s.conn, s.org_id, goal.goal_id)
    return record_of(goal, node, replayed)


def record_of(goal: Goal, node: nodes.Node | None, replayed: bool = False) -> GoalRecord:
    """The numbers a goal shows: a measured goal's own, a rolled-up goal's from its tree row (`node`)."""
    if goal.definition.metric is not None:
        return GoalRecord(goal, goal.current, goal.raw_progress, replayed)
    return GoalRecord(goal, node.current if node else None, node.progress if node else None, replayed)


async def _check_links(s: Session, goal_id: str, parent_id: str | None, guards: str | None) -> None:
    """A parent and a guarded goal must be hard goals of the same organisation; a parent must not close a cycle."""
    if parent_id is not None:
        check_parent(parent_id, await s.find_goal(parent_id))
        if parent_id == goal_id or goal_id in await nodes.ancestors(s.conn, s.org_id, parent_id):
            raise DomainError(
                f"goal {parent_id} is below this goal: the link would close a cycle", "parent_id", "cycle"
            )
    if guards is not None:
        check_guarded(guards, await s.find_goal(guards))


def check_parent(parent_id: str, parent: Goal | None, field: str = "parent_id") -> None:
    """The goal named as a parent (None: not found in the organisation) may have children."""
    if parent is None:
        raise NotFound(parent_id, field)
    if parent.definition.kind != "hard" or parent.archived:
        raise DomainError("a parent must be an active hard goal", field)


def check_guarded(guards: str, guarded: Goal | None, field: str = "guards") -> None:
    """The goal an anti-goal guards (None: not found in the organisation) is a hard goal."""
    if guarded is None:
        raise NotFound(guards, field)
    if guarded.definition.kind != "hard":
        raise DomainError("an anti-goal guards a hard goal", field)
