"""How a parent's progress follows from its children (DESIGN §2 "Cascading"), for the parent's own status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from goalstream_contracts.common import GoalStatus, Rollup
from goalstream_goals.domain.progress import clamp01, progress

WORST_FIRST: tuple[GoalStatus, ...] = ("missed", "off_track", "at_risk", "on_track", "achieved")


@dataclass(frozen=True)
class Child:
    """An active hard child as its parent sees it."""

    weight: float
    progress: float | None  # raw
    current: float | None
    baseline: float
    status: GoalStatus | None


@dataclass(frozen=True)
class RollupNumbers:
    progress: float | None  # raw progress of the parent
    current: float | None  # a `sum` parent's total of its children's current values
    worst: GoalStatus | None  # a `worst` parent's worst child status


def weighted_mean(children: Sequence[Child]) -> float | None:
    """The weighted mean of the children's clamped progress; None without children that have progress."""
    rated = [c for c in children if c.progress is not None]
    total = sum(c.weight for c in rated)
    if not rated or total <= 0:
        return None
    return sum(c.weight * clamp01(c.progress or 0.0) for c in rated) / total


def worst_status(children: Sequence[Child]) -> GoalStatus | None:
    statuses = [c.status for c in children if c.status is not None]
    return min(statuses, key=WORST_FIRST.index) if statuses else None


def rollup_numbers(
    rollup: Rollup | None, children: Sequence[Child], baseline: float, target: float | None
) -> RollupNumbers:
    if rollup == "sum":
        current = sum(c.baseline if c.current is None else c.current for c in children) if children else None
        raw = None if current is None or target is None else progress(current, baseline, target)
        return RollupNumbers(raw, current, None)
    worst = worst_status(children) if rollup == "worst" else None
    return RollupNumbers(weighted_mean(children), None, worst)
