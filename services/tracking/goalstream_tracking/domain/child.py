"""What a parent's rollup reads of a child or an anti-goal: a few numbers, kept as columns beside the document.

The projection reads the children of the goals it rolls up as these rows, straight from the node table's
columns, so a rollup never parses a sibling's document. `child_row` derives them from a node: the one place
that says what the columns hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goalstream_tracking.domain.node import STATUSES, GoalNode


@dataclass(frozen=True)
class ChildRow:
    goal_id: str
    org_id: str
    parent_id: str | None
    kind: str
    in_tree: bool
    breached: bool
    breach_target: str | None
    weight: float
    baseline: float
    progress: float | None
    current: float | None  # a `sum` child's total, else its own value
    status: str | None
    counts: dict[str, int] = field(default_factory=dict)
    open_breaches: int = 0


def child_row(n: GoalNode) -> ChildRow:
    d = n.definition
    return ChildRow(
        goal_id=n.goal_id,
        org_id=n.org_id,
        parent_id=n.parent_id,
        kind=n.kind,
        in_tree=n.in_tree,
        breached=n.breached,
        breach_target=n.breach_target if n.kind == "anti" else None,  # only an anti-goal's breach counts on one
        weight=float(d.get("weight", 1.0)),
        baseline=float(d.get("baseline") or 0.0),
        progress=n.progress,
        current=n.rollup_current if n.rollup_current is not None else n.current,
        status=n.status,
        counts=n.counts,
        open_breaches=n.open_breaches,
    )


def counts_array(counts: dict[str, int]) -> list[int]:
    """Counts by status as stored: one integer per status, in `STATUSES` order."""
    return [counts.get(s, 0) for s in STATUSES]


def counts_of(array: list[int]) -> dict[str, int]:
    return {s: c for s, c in zip(STATUSES, array, strict=True) if c}
