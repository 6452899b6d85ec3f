"""Read-side arithmetic (DESIGN §2): progress, expected progress, clamping."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime


def clamp01(value: float) -> float:
    """Progress as it feeds a rollup: within [0, 1]."""
    return min(1.0, max(0.0, value))


def progress(current: float, baseline: float, target: float) -> float:
    """Raw progress; may exceed 1 or fall below 0, and works for decreasing targets."""
    return (current - baseline) / (target - baseline)


def expected_progress(
    at: datetime, start_at: datetime, deadline: datetime, plan: Sequence[tuple[datetime, float]] = ()
) -> float:
    """0 before start_at, 1 at the deadline, piecewise linear through the plan's (due, fraction) points."""
    if at <= start_at:
        return 0.0
    if at >= deadline:
        return 1.0
    points = [(start_at, 0.0), *sorted(plan), (deadline, 1.0)]
    for (t0, f0), (t1, f1) in itertools.pairwise(points):
        if t0 <= at <= t1:
            span = (t1 - t0).total_seconds()
            return f1 if span <= 0 else f0 + (f1 - f0) * (at - t0).total_seconds() / span
    return 1.0
