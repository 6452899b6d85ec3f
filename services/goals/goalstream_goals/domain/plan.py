"""Backward planning (DESIGN §2): milestones worked back from the deadline, or explicit checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from goalstream_contracts.common import Milestone
from goalstream_goals.domain.errors import DomainError

MAX_MILESTONES = 366


def backward_milestones(
    start_at: datetime, deadline: datetime, baseline: float, target: float, n: int
) -> tuple[Milestone, ...]:
    """Milestone k of n is due at deadline - (n-k) * (deadline - start_at) / n.

    Its target is baseline + (target - baseline) * k / n.
    """
    if not 1 <= n <= MAX_MILESTONES:
        raise DomainError(f"milestones must be between 1 and {MAX_MILESTONES}", "milestones")
    span = deadline - start_at
    return tuple(
        Milestone(
            index=k,
            due=deadline - (span * (n - k)) / n,
            target=target if k == n else baseline + (target - baseline) * k / n,  # the last is the target, exactly
            fraction=k / n,
        )
        for k in range(1, n + 1)
    )


def checkpoint_milestones(
    start_at: datetime,
    deadline: datetime,
    baseline: float,
    target: float,
    checkpoints: Sequence[tuple[datetime, float]],
) -> tuple[Milestone, ...]:
    """Explicit (due, target) checkpoints, in time order, inside the goal's span and heading to the target."""
    if not 1 <= len(checkpoints) <= MAX_MILESTONES:
        raise DomainError(f"checkpoints must number between 1 and {MAX_MILESTONES}", "checkpoints")
    ordered = sorted(checkpoints)
    milestones: list[Milestone] = []
    previous = 0.0
    for k, (due, value) in enumerate(ordered, start=1):
        if not start_at < due <= deadline:
            raise DomainError(f"checkpoint {k} is due outside the goal's span (start_at, deadline]", "checkpoints")
        fraction = (value - baseline) / (target - baseline)
        if not previous < fraction <= 1.0 + 1e-12:
            raise DomainError(
                f"checkpoint {k} must move further from the baseline than the one before and not pass the target",
                "checkpoints",
            )
        milestones.append(Milestone(index=k, due=due, target=value, fraction=min(fraction, 1.0)))
        previous = fraction
    if len({m.due for m in milestones}) != len(milestones):
        raise DomainError("two checkpoints share a due time", "checkpoints")
    return tuple(milestones)
