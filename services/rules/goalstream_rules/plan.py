"""Backward planning: milestones worked back from the deadline in n equal steps, or explicit checkpoints.

A milestone stands for a fraction of the way from the baseline to the target; its target follows from the
goal's baseline and target, so it can be worked out again when they are revised (`milestone_target`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from goalstream_rules.errors import RuleError
from goalstream_rules.progress import progress

MAX_MILESTONES = 366


@dataclass(frozen=True)
class Step:
    index: int  # 1-based
    due: datetime
    target: float
    fraction: float


def milestone_target(baseline: float, target: float, fraction: float) -> float:
    """The value `fraction` of the way from baseline to target; the whole way is the target, exactly."""
    return target if fraction >= 1.0 else baseline + (target - baseline) * fraction


def backward_milestones(start_at: datetime, deadline: datetime, baseline: float, target: float, n: int) -> list[Step]:
    """Milestone k of n is due at deadline - (n-k) * (deadline - start_at) / n and stands for k/n of the way."""
    if not 1 <= n <= MAX_MILESTONES:
        raise RuleError(f"milestones must be between 1 and {MAX_MILESTONES}", "milestones")
    span = deadline - start_at
    return [
        Step(k, deadline - (span * (n - k)) / n, milestone_target(baseline, target, k / n), k / n)
        for k in range(1, n + 1)
    ]


def checkpoint_milestones(
    start_at: datetime,
    deadline: datetime,
    baseline: float,
    target: float,
    checkpoints: Sequence[tuple[datetime, float]],
) -> list[Step]:
    """Explicit (due, target) checkpoints, in time order, inside the goal's span and heading to the target."""
    if not 1 <= len(checkpoints) <= MAX_MILESTONES:
        raise RuleError(f"checkpoints must number between 1 and {MAX_MILESTONES}", "checkpoints")
    steps: list[Step] = []
    previous = 0.0
    for k, (due, value) in enumerate(sorted(checkpoints), start=1):
        if not start_at < due <= deadline:
            raise RuleError(f"checkpoint {k} is due outside the goal's span (start_at, deadline]", "checkpoints")
        fraction = progress(value, baseline, target)
        if not previous < fraction <= 1.0 + 1e-12:
            raise RuleError(
                f"checkpoint {k} must move further from the baseline than the one before and not pass the target",
                "checkpoints",
            )
        steps.append(Step(k, due, value, min(fraction, 1.0)))
        previous = fraction
    if len({s.due for s in steps}) != len(steps):
        raise RuleError("two checkpoints share a due time", "checkpoints")
    return steps


def late(hit_at: datetime, due: datetime) -> bool:
    """A milestone reached by a value observed after its due time was hit late."""
    return hit_at > due


def overdue(due: datetime, now: datetime) -> bool:
    """A milestone not reached by its due time is missed from then on (a later value still hits it, late)."""
    return due <= now
