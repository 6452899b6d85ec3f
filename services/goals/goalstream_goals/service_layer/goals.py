"""Use cases of the goals service: each runs in one transaction, so none half-applies."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalSet
from goalstream_goals.adapters import event_store, organisations
from goalstream_goals.domain.goal import Goal, Measurement, decide_measurement, decide_set, evolve, fold
from goalstream_runtime.db import Connection

Clock = Callable[[], datetime]


class NotFound(LookupError):
    """No such goal in the caller's organisation (another organisation's goal is not found either)."""


@dataclass
class MeasurementOutcome:
    index: int
    measurement_id: str
    status: str  # accepted | duplicate | rejected
    goals: int = 0
    reason: str | None = None


@dataclass
class BatchResult:
    outcomes: list[MeasurementOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass
class GoalsService:
    pool: asyncpg.Pool
    clock: Clock

    async def set_goal(self, org_id: str, fields: dict[str, Any], correlation_id: uuid.UUID) -> Goal:
        now = self.clock()
        goal_id = str(uuid.uuid4())
        fields.setdefault("start_at", now)
        definition = GoalSet(goal_id=goal_id, **fields)
        async with self.pool.acquire() as conn, conn.transaction():
            if definition.parent_id is not None:
                await self._require_goal(conn, org_id, definition.parent_id)
            events = decide_set(definition, now, await organisations.tolerances(conn, org_id))
            await event_store.append(
                conn,
                org_id=org_id,
                stream_id=goal_id,
                expected_version=0,
                payloads=events,
                occurred_at=now,
                correlation_id=correlation_id,
            )
            if definition.metric is not None:
                await conn.execute(
                    "INSERT INTO goal_metrics (goal_id, org_id, metric_key) VALUES ($1, $2, $3)",
                    goal_id,
                    org_id,
                    definition.metric.key,
                )
        goal = fold(events)
        assert goal is not None
        return goal

    async def get_goal(self, org_id: str, goal_id: str) -> Goal:
        async with self.pool.acquire() as conn:
            return await self._require_goal(conn, org_id, goal_id)

    async def goal_events(self, org_id: str, goal_id: str) -> list[Envelope[Payload]]:
        async with self.pool.acquire() as conn:
            envelopes = await event_store.load(conn, goal_id, org_id)
        if not envelopes:
            raise NotFound(goal_id)
        return envelopes

    async def record_measurements(
        self, org_id: str, batch: list[tuple[str | None, Measurement]], correlation_id: uuid.UUID
    ) -> BatchResult:
        """Apply a batch of (goal_id or None, measurement) in one transaction."""
        now = self.clock()
        result = BatchResult()
        goals: dict[str, Goal] = {}
        async with self.pool.acquire() as conn, conn.transaction():
            tolerances = await organisations.tolerances(conn, org_id)
            for index, (goal_id, m) in enumerate(batch):
                outcome = MeasurementOutcome(index=index, measurement_id=m.measurement_id, status="accepted")
                result.outcomes.append(outcome)
                targets = await self._targets(conn, org_id, m.metric, goal_id)
                if targets is None:
                    outcome.status, outcome.reason = "rejected", f"unknown goal {goal_id}"
                    continue
                fresh = await conn.fetchval(
                    "INSERT INTO measurements_seen (org_id, measurement_id) VALUES ($1, $2)"
                    " ON CONFLICT DO NOTHING RETURNING true",
                    org_id,
                    m.measurement_id,
                )
                if not fresh:
                    outcome.status = "duplicate"
                    continue
                for target in targets:
                    goal = goals.get(target) or await self._require_goal(conn, org_id, target)
                    events = decide_measurement(goal, m, now, tolerances)
                    await event_store.append(
                        conn,
                        org_id=org_id,
                        stream_id=target,
                        expected_version=goal.version,
                        payloads=events,
                        occurred_at=now,
                        correlation_id=correlation_id,
                    )
                    for event in events:
                        goal = evolve(goal, event)
                    goals[target] = goal
                    outcome.goals += 1 if events else 0
        return result

    async def _targets(self, conn: Connection, org_id: str, metric: str, goal_id: str | None) -> list[str] | None:
        if goal_id is not None:
            found = await conn.fetchval(
                "SELECT goal_id FROM goal_metrics WHERE goal_id = $1 AND org_id = $2 AND active", goal_id, org_id
            )
            return None if found is None else [found]
        rows = await conn.fetch(
            "SELECT goal_id FROM goal_metrics WHERE org_id = $1 AND metric_key = $2 AND active ORDER BY goal_id",
            org_id,
            metric,
        )
        return [r["goal_id"] for r in rows]

    async def _require_goal(self, conn: Connection, org_id: str, goal_id: str) -> Goal:
        goal = fold([e.payload for e in await event_store.load(conn, goal_id, org_id)])
        if goal is None:
            raise NotFound(goal_id)
        return goal
