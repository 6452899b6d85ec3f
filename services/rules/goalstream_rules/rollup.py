"""A parent's numbers from its children (cascading goals): weighted_mean, sum and worst.

Who takes part: every active hard child (archived goals, locked ladder rungs and anti-goals do not); the caller
picks them. A child with no progress yet (a measured goal with no value, or a goal without a metric and without
children) is an active child that has made no progress: it counts as 0 at its weight in a weighted mean, and as
its baseline in a sum. In a `worst` parent it takes part with its status if it has one; without one it has
nothing to say about the worst and is left out of it (its progress still counts in the mean).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus, Rollup
from goalstream_rules.progress import clamp01, progress

# The worst-status order of a `worst` parent, worst first.
WORST_FIRST: tuple[GoalStatus, ...] = ("missed", "off_track", "at_risk", "on_track", "achieved")


@dataclass(frozen=True)
class Child:
    """An active hard child as its parent sees it."""

    weight: float
    progress: float | None  # raw; None: no progress yet
    current: float | None  # its own value, or a `sum` child's total; None: nothing yet
    baseline: float
    status: GoalStatus | None


@dataclass(frozen=True)
class RollupNumbers:
    progress: float | None  # raw progress of the parent (None only for a `sum` parent without a target)
    current: float | None  # a `sum` parent's total of its children's current values
    worst: GoalStatus | None  # a `worst` parent's worst child status


def share(child: Child) -> float:
    """What a child brings to a weighted mean: its clamped progress, 0 when it has none yet."""
    return clamp01(0.0 if child.progress is None else child.progress)


def amount(child: Child) -> float:
    """What a child brings to a sum: its current value, or its baseline while it has none."""
    return child.baseline if child.current is None else child.current


def contribution(rollup: Rollup | None, child: Child) -> float:
    return amount(child) if rollup == "sum" else share(child)


def contributions(rollup: Rollup | None, brought: Sequence[tuple[float, float]]) -> list[float]:
    """What each child adds to its parent's number, from (weight, `contribution`) pairs: a `sum` child its amount;
    otherwise its weight's part of its share of the weighted mean. They add up to the parent's total or mean."""
    if rollup == "sum":
        return [value for _, value in brought]
    total = sum(weight for weight, _ in brought)
    return [weight * value / total if total > 0 else 0.0 for weight, value in brought]


def weighted_mean(children: Sequence[Child]) -> float | None:
    """The weighted mean of the children's clamped progress; None without children."""
    total = sum(c.weight for c in children)
    if not children or total <= 0:
        return None
    return sum(c.weight * share(c) for c in children) / total


def worst_status(children: Sequence[Child]) -> GoalStatus | None:
    """The worst status among the children that have one."""
    statuses = [c.status for c in children if c.status is not None]
    return min(statuses, key=WORST_FIRST.index) if statuses else None


def rollup_numbers(
    rollup: Rollup | None, children: Sequence[Child], baseline: float, target: float | None
) -> RollupNumbers:
    """A parent's numbers. With nothing to roll up it has made no progress (0), like a childless child; a `sum`
    parent's progress needs its target."""
    if rollup == "sum":
        current = sum(amount(c) for c in children) if children else None
        raw = None if target is None else progress(baseline if current is None else current, baseline, target)
        return RollupNumbers(raw, current, None)
    mean = weighted_mean(children)
    worst = worst_status(children) if rollup == "worst" else None
    return RollupNumbers(0.0 if mean is None else mean, None, worst)


def level_mean(progresses: Iterable[float | None]) -> float | None:
    """A level's summary (every goal at a level, no weights): the mean of the clamped progress of the goals that
    have progress; None when none has."""
    shares = [clamp01(p) for p in progresses if p is not None]
    return sum(shares) / len(shares) if shares else None
