"""Event builders for the tracking domain tests: goal events as the goals service publishes them, folded in memory."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Metric
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalArchived,
    GoalEvent,
    GoalSet,
    GoalStatusChanged,
    MeasurementRecorded,
)
from goalstream_tracking.domain.node import GoalNode, evolve_node

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ORG = "acme"


def hard(goal_id: str, **fields: Any) -> GoalSet:
    """A hard goal; a leaf binds to a metric unless `metric=None` (a parent rolled up from its children)."""
    fields.setdefault("title", goal_id)
    fields.setdefault("target", 100.0)
    fields.setdefault("start_at", T0 - 45 * DAY)
    fields.setdefault("deadline", T0 + 45 * DAY)
    if "metric" not in fields:
        fields["metric"] = Metric(key=f"kpi.{goal_id}")
    return GoalSet(goal_id=goal_id, kind="hard", **fields)


def parent(goal_id: str, rollup: str = "weighted_mean", **fields: Any) -> GoalSet:
    fields.setdefault("target", 1.0)
    return hard(goal_id, rollup=rollup, metric=None, **fields)


def anti(goal_id: str, **fields: Any) -> GoalSet:
    fields.setdefault("title", goal_id)
    fields.setdefault("metric", Metric(key=f"kpi.{goal_id}"))
    fields.setdefault("comparator", "above")
    fields.setdefault("threshold", 0.005)
    fields.setdefault("severity", "critical")
    return GoalSet(goal_id=goal_id, kind="anti", **fields)


def measured(goal_id: str, current: float, *, value: float | None = None, **fields: Any) -> MeasurementRecorded:
    """The goal's value after a measurement (`value` the measured one, `current` the goal's resulting current)."""
    fields.setdefault("measurement_id", f"m-{goal_id}-{current}")
    fields.setdefault("metric", f"kpi.{goal_id}")
    fields.setdefault("observed_at", T0)
    fields.setdefault("recorded_at", T0)
    return MeasurementRecorded(
        goal_id=goal_id, value=current if value is None else value, current_value=current, **fields
    )


def status(goal_id: str, new: str, previous: str | None = None) -> GoalStatusChanged:
    return GoalStatusChanged(goal_id=goal_id, status=new, previous_status=previous)


def breached(goal_id: str, value: float = 0.009, *, at: datetime = T0, guards: str | None = None) -> AntiGoalBreached:
    return AntiGoalBreached(
        goal_id=goal_id,
        value=value,
        threshold=0.005,
        comparator="above",
        severity="critical",
        breached_at=at,
        guards=guards,
    )


def recovered(goal_id: str, value: float = 0.003, at: datetime = T0 + DAY) -> AntiGoalRecovered:
    return AntiGoalRecovered(
        goal_id=goal_id, value=value, recovery_threshold=0.005, severity="critical", recovered_at=at
    )


def archived(goal_id: str) -> GoalArchived:
    return GoalArchived(goal_id=goal_id, reason="no longer pursued")


def fold(events: Iterable[Payload], nodes: dict[str, GoalNode] | None = None) -> dict[str, GoalNode]:
    """Every goal's node after the events, in order, one second apart (own numbers only: no rollup)."""
    nodes = dict(nodes or {})
    for i, event in enumerate(events):
        assert isinstance(event, GoalEvent)
        nodes[event.goal_id] = evolve_node(nodes.get(event.goal_id), event, T0 + timedelta(seconds=i), ORG)
    return nodes
