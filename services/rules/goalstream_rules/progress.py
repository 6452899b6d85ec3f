"""A hard goal's progress: raw, clamped for rollups, and when it has reached a share of the way."""

from __future__ import annotations

import math
import sys

# Float arithmetic: (0.3 - 0.1) / (0.3 - 0.1) is exact, but a target reached through sums may land
# a hair below; a goal within EPSILON of a threshold has reached it.
EPSILON = 1e-9


def progress(current: float, baseline: float, target: float) -> float:
    """Raw progress, may exceed 1 or fall below 0; works for decreasing targets too. Always finite: a target a
    hair from its baseline (5e-324 apart is allowed) would make the quotient overflow, and events carry only finite
    numbers, so it stops at the largest float, still as far past the target as a number can say."""
    raw = (current - baseline) / (target - baseline)
    return raw if math.isfinite(raw) else math.copysign(sys.float_info.max, raw)


def value_at(raw_progress: float, baseline: float, target: float) -> float:
    """The value that stands `raw_progress` of the way from baseline to target (a rolled-up parent's value)."""
    return baseline + raw_progress * (target - baseline)


def goal_value(own: float | None, raw_progress: float, baseline: float, target: float) -> float:
    """A goal's value at a moment: its own when it has one (a measured goal's current value, a `sum` parent's
    total), else the value its progress stands for (a `weighted_mean` or `worst` parent has no value of its own).
    MilestoneHit, GoalAchieved and GoalMissed report it, so a parent's events say where it stood."""
    return own if own is not None else value_at(raw_progress, baseline, target)


def clamp01(value: float) -> float:
    """Progress as it feeds a rollup or a ladder: within [0, 1]."""
    return min(1.0, max(0.0, value))


def reached(raw_progress: float, fraction: float = 1.0) -> bool:
    """Has progress reached `fraction` of the way (1.0: the target)?"""
    return raw_progress >= fraction - EPSILON
