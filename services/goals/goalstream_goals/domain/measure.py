"""Decisions on data and on time: a measurement reaching a goal, a parent's rollup moving, the clock ticking."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.common import GoalStatus
from goalstream_contracts.events import AntiGoalBreached, AntiGoalRecovered, MeasurementRecorded
from goalstream_goals.domain.durations import parse_duration
from goalstream_goals.domain.goal import Goal, Measurement
from goalstream_goals.domain.status import milestone_hits, status_events, then
from goalstream_rules.anti import breach_change, mean, window_values
from goalstream_rules.counting import aggregate
from goalstream_rules.progress import progress
from goalstream_rules.status import Tolerances


def decide_measurement(goal: Goal, m: Measurement, now: datetime, tolerances: Tolerances) -> list[Payload]:
    """Events for one measurement reaching this goal; a value that does not count is still recorded."""
    d = goal.definition
    if not goal.active or d.metric is None:
        return []
    counted, current = _aggregate(goal, m)
    raw = None if d.target is None or current is None else progress(current, goal.baseline, d.target)
    recorded = MeasurementRecorded(
        goal_id=d.goal_id,
        measurement_id=m.measurement_id,
        metric=m.metric,
        value=m.value,
        observed_at=m.observed_at,
        recorded_at=now,
        source=m.source,
        comment=m.comment,
        confidence=m.confidence,
        counted=counted,
        current_value=current,
        progress=raw,
    )
    after = then(goal, [recorded])
    if d.kind == "anti":
        return [recorded, *(_breach_events(after, m.observed_at) if counted else [])]
    hits = milestone_hits(after, m.observed_at) if counted else []
    after = then(after, hits)
    # Only a value that counts can achieve the goal (a late gauge value that did not replace a newer one cannot).
    achieving_at = m.observed_at if counted else None
    return [recorded, *hits, *status_events(after, now, tolerances, observed_at=achieving_at)]


def _aggregate(goal: Goal, m: Measurement) -> tuple[bool, float | None]:
    """(counts?, the goal's current value after it)."""
    d = goal.definition
    assert d.metric is not None
    if not goal.counts_since.admits(m.observed_at):
        return False, goal.current  # a counter sums from start_at; a later rung counts only what followed its unlock
    if d.window is not None:
        span = parse_duration(d.window, "window")
        kept = window_values((*goal.window, (m.observed_at, m.value)), span)
        if (m.observed_at, m.value) not in kept:
            return False, goal.current
        return True, mean(kept)
    return aggregate(d.metric.aggregation, goal.current, goal.latest_observed_at, m.observed_at, m.value)


def _breach_events(goal: Goal, observed_at: datetime) -> list[Payload]:
    """One AntiGoalBreached per episode, one AntiGoalRecovered when it ends (with hysteresis)."""
    d = goal.definition
    value = goal.current
    assert d.comparator is not None and d.threshold is not None and value is not None
    severity = d.severity or "warning"
    change = breach_change(d.comparator, d.threshold, d.recovery_threshold, goal.breached_at is not None, value)
    if change == "breached":
        return [
            AntiGoalBreached(
                goal_id=d.goal_id,
                value=value,
                threshold=d.threshold,
                comparator=d.comparator,
                severity=severity,
                breached_at=observed_at,
                guards=d.guards,
            )
        ]
    recovery = d.recovery_threshold if d.recovery_threshold is not None else d.threshold
    if change == "recovered" and goal.breached_at is not None:
        return [
            AntiGoalRecovered(
                goal_id=d.goal_id,
                value=value,
                recovery_threshold=recovery,
                severity=severity,
                recovered_at=observed_at,
                breached_at=goal.breached_at,
                guards=d.guards,
            )
        ]
    return []


def decide_rollup(
    goal: Goal,
    now: datetime,
    tolerances: Tolerances,
    *,
    raw: float | None,
    current: float | None = None,
    worst: GoalStatus | None = None,
    observed_at: datetime | None = None,
) -> list[Payload]:
    """A parent's status after its children moved: `raw` is its rollup progress, `current` a `sum` parent's
    total, `worst` a `worst` parent's worst child status."""
    if goal.definition.metric is not None or not goal.active:
        return []  # a goal with its own metric is measured, not rolled up; an archived one has left the tree
    goal = replace(goal, current=current)
    # A planned parent's milestones are reached by its rollup (DESIGN §2), like a measured goal's by its value.
    hits = milestone_hits(goal, observed_at or now, raw=raw)
    return [
        *hits,
        *status_events(then(goal, hits), now, tolerances, observed_at=observed_at or now, raw=raw, worst=worst),
    ]
