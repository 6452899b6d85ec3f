"""Where a hard goal should be at a given time: linear from start_at to the deadline, or through a plan."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from goalstream_rules.plan import milestone_target

Plan = Sequence[tuple[datetime, float]]  # (due, fraction) of each milestone


def plan_points(start_at: datetime, deadline: datetime, plan: Plan = ()) -> list[tuple[datetime, float]]:
    """The (time, expected fraction) corners of the expected-progress curve."""
    return [(start_at, 0.0), *sorted(plan), (deadline, 1.0)]


def expected_progress(now: datetime, start_at: datetime, deadline: datetime, plan: Plan = ()) -> float:
    """0 before start_at, 1 at the deadline, piecewise linear through the plan's (due, fraction) points."""
    if now <= start_at:
        return 0.0
    if now >= deadline:
        return 1.0
    for (t0, f0), (t1, f1) in itertools.pairwise(plan_points(start_at, deadline, plan)):
        if t0 <= now <= t1:
            span = (t1 - t0).total_seconds()
            return f1 if span <= 0 else f0 + (f1 - f0) * (now - t0).total_seconds() / span
    return 1.0


def expected_line(
    start_at: datetime, deadline: datetime, plan: Plan, baseline: float, target: float | None
) -> list[tuple[datetime, float, float | None]]:
    """The expected line as a polyline: each corner's (time, expected fraction, expected value); no value without
    a target. Between corners the expected progress is linear, so a chart joins them with straight lines."""
    return [
        (at, fraction, None if target is None else milestone_target(baseline, target, fraction))
        for at, fraction in plan_points(start_at, deadline, plan)
    ]
