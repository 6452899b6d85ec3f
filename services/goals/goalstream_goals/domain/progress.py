"""The numbers behind a hard goal (DESIGN §2): progress, expected progress and status."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from goalstream_contracts.common import GoalStatus

# Float arithmetic: (0.3 - 0.1) / (0.3 - 0.1) is exact, but a target reached through sums may land
# a hair below; a goal within EPSILON of a threshold has reached it.
EPSILON = 1e-9


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


def reached(raw_progress: float, fraction: float = 1.0) -> bool:
    """Has progress reached `fraction` of the way (1.0: the target)?"""
    return raw_progress >= fraction - EPSILON


def plan_points(
    start_at: datetime, deadline: datetime, plan: Sequence[tuple[datetime, float]] = ()
) -> list[tuple[datetime, float]]:
    """The (time, expected fraction) corners of the expected-progress curve."""
    return [(start_at, 0.0), *sorted(plan), (deadline, 1.0)]


def expected_progress(
    now: datetime, start_at: datetime, deadline: datetime, plan: Sequence[tuple[datetime, float]] = ()
) -> float:
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


def status_for(raw_progress: float, expected: float, tolerances: Tolerances) -> GoalStatus:
    """Status of a goal neither achieved nor missed, from the gap between expected and actual progress."""
    gap = expected - raw_progress
    if gap <= tolerances.on_track:
        return "on_track"
    if gap <= tolerances.at_risk:
        return "at_risk"
    return "off_track"


def next_status_change(
    now: datetime,
    raw_progress: float,
    start_at: datetime,
    deadline: datetime,
    tolerances: Tolerances,
    plan: Sequence[tuple[datetime, float]] = (),
) -> datetime | None:
    """The first time after `now` at which time alone moves the status (expected crosses a tolerance).

    Expected progress never falls, so the gap only grows: the next change is when expected first
    exceeds progress + the tolerance of the current band. None when no change comes before the deadline.
    """
    current = status_for(raw_progress, expected_progress(now, start_at, deadline, plan), tolerances)
    if current == "off_track":
        return None
    limit = raw_progress + (tolerances.on_track if current == "on_track" else tolerances.at_risk)
    for (t0, f0), (t1, f1) in itertools.pairwise(plan_points(start_at, deadline, plan)):
        if t1 <= now or f1 <= limit:
            continue
        # expected(t) = f0 + (f1 - f0) * (t - t0) / (t1 - t0) first exceeds `limit` just after t.
        share = 0.0 if f1 == f0 else max(0.0, (limit - f0) / (f1 - f0))
        at = t0 + (t1 - t0) * share
        return max(at, now)
    return None
