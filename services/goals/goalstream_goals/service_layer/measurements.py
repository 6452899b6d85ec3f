"""Ingestion: a batch of measurements in one transaction, each measurement id taking effect once."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from goalstream_goals.adapters import goal_metrics, series
from goalstream_goals.adapters.event_store import lock_organisation
from goalstream_goals.adapters.series import Kept
from goalstream_goals.domain.goal import Goal, Measurement
from goalstream_goals.domain.measure import decide_measurement
from goalstream_goals.service_layer.conflicts import retried_on_conflict
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.unit_of_work import Session

Outcome = Literal["accepted", "duplicate", "rejected"]
# Why a measurement is rejected, a metric label (goalstream_runtime.metrics.REJECTIONS): bounded, unlike `reason`.
Rejection = Literal["unknown_goal", "metric_mismatch"]


@dataclass
class MeasurementOutcome:
    index: int
    measurement_id: str
    status: Outcome
    goals: int = 0
    reason: str | None = None
    rejected_as: Rejection | None = None


@dataclass
class BatchResult:
    outcomes: list[MeasurementOutcome] = field(default_factory=list)

    def count(self, status: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def rejections(self) -> dict[str, int]:
        """Rejected measurements by kind."""
        kinds = [o.rejected_as for o in self.outcomes if o.status == "rejected" and o.rejected_as is not None]
        return {kind: kinds.count(kind) for kind in set(kinds)}

    @property
    def unmatched(self) -> int:
        """Accepted measurements no active goal used: kept in their metric's series for goals to come."""
        return sum(1 for o in self.outcomes if o.status == "accepted" and o.goals == 0)


# A batch takes its organisation's append lock before it reads (one organisation's writes serialise
# anyway, at their first append), so batches side by side and the topic consumer do not race for a
# goal. A writer that does not lock first can still move a goal on under it: then the batch, of which
# nothing was written, is decided again on fresh state.


@dataclass(frozen=True)
class Origin:
    """Where one measurement of a batch came from: a record, whose event caused it and whose trace goes on."""

    event_id: uuid.UUID
    correlation_id: uuid.UUID | None
    scope: Callable[[], contextlib.AbstractContextManager[None]]  # entered while its measurement is decided


async def record_measurements(
    service: GoalsService,
    org_id: str,
    batch: list[tuple[str | None, Measurement]],
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    origins: Sequence[Origin] | None = None,
) -> BatchResult:
    """Apply (goal id or None, measurement) pairs in order; rejected items change nothing, the rest apply.

    The whole batch is one transaction; when a goal moved on under it (ConcurrencyError), nothing of it
    was written and it is tried again (`retried_on_conflict`). `origins`, one per item, gives each
    measurement its own cause and trace (a batch of topic records).
    """
    return await retried_on_conflict(_record_once)(service, org_id, batch, correlation_id, causation_id, origins)


async def _record_once(
    service: GoalsService,
    org_id: str,
    batch: list[tuple[str | None, Measurement]],
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None,
    origins: Sequence[Origin] | None,
) -> BatchResult:
    result = BatchResult()
    async with service.session(org_id, correlation_id, causation_id=causation_id) as s:
        await lock_organisation(s.conn, org_id)
        bindings = await _bindings(s, batch)
        known = await series.seen(s.conn, org_id, [m.measurement_id for _, m in batch])
        await s.prepare_up(list(bindings.metric_of))  # and what their rollups read: one query each
        for index, (goal_id, m) in enumerate(batch):
            outcome = MeasurementOutcome(index=index, measurement_id=m.measurement_id, status="accepted")
            result.outcomes.append(outcome)
            targets, refusal = bindings.targets(m.metric, goal_id)
            if refusal is not None:
                outcome.status = "rejected"
                outcome.rejected_as, outcome.reason = refusal
                continue
            if m.measurement_id in known:  # seen before, or earlier in this batch
                outcome.status = "duplicate"
                continue
            known.add(m.measurement_id)
            s.held.append(Kept(m, goal_id, (1, index)))  # kept whether or not a goal uses it
            origin = origins[index] if origins is not None else None
            with origin.scope() if origin is not None else contextlib.nullcontext():
                s.correlation_id = (origin.correlation_id if origin else None) or correlation_id
                for target in targets:
                    goal = await s.goal(target)
                    events = decide_measurement(goal, m, s.now, s.tolerances)
                    if events:
                        cause = origin.event_id if origin is not None else None
                        await s.commit(goal, events, observed_at=m.observed_at, cause=cause)
                        outcome.goals += 1
            if s.unlocked:  # a rung this value unlocked already folded the batch so far; the rest reaches it
                bindings = bindings.with_goals({g: await s.goal(g) for g in s.unlocked})
                s.unlocked.clear()
        s.correlation_id = correlation_id  # what the measurements cause up the tree: the batch's
        await series.keep(s.conn, org_id, s.held, s.now)
    for outcome in result.outcomes:
        outcome.goals += s.folded.get(outcome.measurement_id, 0) if outcome.status == "accepted" else 0
    return result


@dataclass(frozen=True)
class Bindings:
    """Which active goals the batch's metrics and named goals are bound to."""

    metric_of: dict[str, str]  # goal id -> its metric
    goals_of: dict[str, list[str]]  # metric -> its goals, by id

    def targets(self, metric: str, goal_id: str | None) -> tuple[list[str], tuple[Rejection, str] | None]:
        """The active goals a measurement reaches, or why it is rejected (its kind and the reason)."""
        if goal_id is None:
            return self.goals_of.get(metric, []), None
        key = self.metric_of.get(goal_id)
        if key is None:
            return [], ("unknown_goal", f"goal {goal_id} is not an active goal with a metric in this organisation")
        if key != metric:
            return [], ("metric_mismatch", f"goal {goal_id} is bound to metric {key}, not {metric}")
        return [goal_id], None

    def with_goals(self, started: dict[str, Goal]) -> Bindings:
        """These bindings and the goals that just started (unlocked rungs): the rest of the batch reaches them."""
        metric_of, goals_of = dict(self.metric_of), {k: list(v) for k, v in self.goals_of.items()}
        for goal_id, goal in started.items():
            if goal.active and goal.definition.metric is not None and goal_id not in metric_of:
                metric_of[goal_id] = goal.definition.metric.key
                goals_of.setdefault(goal.definition.metric.key, []).append(goal_id)
        return Bindings(metric_of, {k: sorted(v) for k, v in goals_of.items()})


async def _bindings(s: Session, batch: list[tuple[str | None, Measurement]]) -> Bindings:
    named = list({g for g, _ in batch if g is not None})
    metrics = list({m.metric for g, m in batch if g is None})
    rows = await goal_metrics.active(s.conn, s.org_id, named, metrics)
    goals_of: dict[str, list[str]] = {}
    for goal_id, key in rows:
        goals_of.setdefault(key, []).append(goal_id)
    return Bindings(dict(rows), goals_of)
