"""Ingestion: a batch of measurements in one transaction, each measurement id taking effect once."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Literal

from goalstream_goals.adapters.event_store import lock_organisation
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.domain.measure import decide_measurement
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_goals.service_layer.unit_of_work import Session

Outcome = Literal["accepted", "duplicate", "rejected"]


@dataclass
class MeasurementOutcome:
    index: int
    measurement_id: str
    status: Outcome
    goals: int = 0
    reason: str | None = None


@dataclass
class BatchResult:
    outcomes: list[MeasurementOutcome] = field(default_factory=list)

    def count(self, status: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


# A batch takes its organisation's append lock before it reads (one organisation's writes serialise
# anyway, at their first append), so batches side by side and the topic consumer do not race for a
# goal. A writer that does not lock first can still move a goal on under it: then the batch, of which
# nothing was written, is decided again on fresh state.
ATTEMPTS = 3


async def record_measurements(
    service: GoalsService,
    org_id: str,
    batch: list[tuple[str | None, Measurement]],
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
) -> BatchResult:
    """Apply (goal id or None, measurement) pairs in order; rejected items change nothing, the rest apply.

    The whole batch is one transaction; when a goal moved on under it (ConcurrencyError), nothing of it
    was written and it is tried again, up to ATTEMPTS times, after a short random pause.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _record_once(service, org_id, batch, correlation_id, causation_id)
        except ConcurrencyError:
            if attempt == ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")


async def _record_once(
    service: GoalsService,
    org_id: str,
    batch: list[tuple[str | None, Measurement]],
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None,
) -> BatchResult:
    result = BatchResult()
    async with service.session(org_id, correlation_id, causation_id=causation_id) as s:
        await lock_organisation(s.conn, org_id)
        for index, (goal_id, m) in enumerate(batch):
            outcome = MeasurementOutcome(index=index, measurement_id=m.measurement_id, status="accepted")
            result.outcomes.append(outcome)
            targets, reason = await _targets(s, m.metric, goal_id)
            if reason is not None:
                outcome.status, outcome.reason = "rejected", reason
                continue
            fresh = await s.conn.fetchval(
                "INSERT INTO measurements_seen (org_id, measurement_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING true",
                org_id,
                m.measurement_id,
            )
            if not fresh:
                outcome.status = "duplicate"
                continue
            for target in targets:
                goal = await s.goal(target)
                events = decide_measurement(goal, m, s.now, s.tolerances)
                if events:
                    await s.commit(goal, events, observed_at=m.observed_at)
                    outcome.goals += 1
    return result


async def _targets(s: Session, metric: str, goal_id: str | None) -> tuple[list[str], str | None]:
    """The active goals a measurement reaches, or the reason it is rejected."""
    if goal_id is not None:
        key = await s.conn.fetchval(
            "SELECT metric_key FROM goal_metrics WHERE goal_id = $1 AND org_id = $2 AND active", goal_id, s.org_id
        )
        if key is None:
            return [], f"goal {goal_id} is not an active goal with a metric in this organisation"
        if key != metric:
            return [], f"goal {goal_id} is bound to metric {key}, not {metric}"
        return [goal_id], None
    rows = await s.conn.fetch(
        "SELECT goal_id FROM goal_metrics WHERE org_id = $1 AND metric_key = $2 AND active ORDER BY goal_id",
        s.org_id,
        metric,
    )
    return [r["goal_id"] for r in rows], None
