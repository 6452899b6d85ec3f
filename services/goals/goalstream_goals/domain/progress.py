"""The numbers behind a hard goal (DESIGN §2): progress, expected progress and status."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from goalstream_contracts.common import GoalStatus


@dataclass(frozen=True)
class Tolerances:
    """Largest gap (expected - progress) still `on_track`, and still `at_risk`; per organisation."""

    on_track: float = 0.10
    at_risk: float = 0.25


def progress(current: float, baseline: float, target: float) -> float:
    """Raw progress, may exceed 1 or fall below 0; works for decreasing targets too."""
    return (current - baseline) / (target - baseline)


def clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def expected_progress(
    now: datetime, start_at: datetime, deadline: datetime, plan: Sequence[tuple[datetime, float]] = ()
) -> float:
    """0 before start_at, 1 at the deadline, piecewise linear through the plan's (due, fraction) points."""
    points = [(start_at, 0.0), *sorted(plan), (deadline, 1.0)]
    if now <= start_at:
        return 0.0
    if now >= deadline:
        return 1.0
    for (t0, f0), (t1, f1) in itertools.pairwise(points):
        if t0 <= now <= t1:
            span = (t1 - t0).total_seconds()
            return f1 if span <= 0 else f0 + (f1 - f0) * (now - t0).total_seconds() / span
    return 1.0


def status_for(raw_progress: float, expected: float, tolerances: Tolerances) -> GoalStatus:
    """Status of a goal neither achieved nor missed, from the gap between expected and actual progress."""
    gap = expected - raw_progress
    if gap <= tolerances.on_track:
        return "on_track"
    if gap <= tolerances.at_risk:
        return "at_risk"
    return "off_track"
