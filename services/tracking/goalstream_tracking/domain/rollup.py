"""Cascade rollups (DESIGN §2 "Cascading"): a node's numbers from its own events and its children's rollups.

`roll_up` is pure and used both live (one node at a time, children read from the database) and for
`as_of` answers and rebuild checks (a whole tree folded in memory by `roll_up_all`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import cast

from goalstream_contracts.common import GoalStatus
from goalstream_rules.progress import clamp01
from goalstream_rules.rollup import Child, contribution, rollup_numbers
from goalstream_tracking.domain.child import ChildRow, child_row
from goalstream_tracking.domain.node import STATUSES, GoalNode


def roll_up(node: GoalNode, children: Iterable[GoalNode | ChildRow], own_breaches: int) -> GoalNode:
    """`node` with its rollup numbers recomputed from its in-tree children (already rolled up)."""
    rows = (c if isinstance(c, ChildRow) else child_row(c) for c in children)
    kids = sorted((c for c in rows if c.kind == "hard" and c.in_tree), key=lambda c: c.goal_id)
    breaches = own_breaches + sum(c.open_breaches for c in kids)
    if node.kind != "hard":
        return replace(node, open_breaches=breaches, counts={})
    counts: Counter[str] = Counter()
    if node.status in STATUSES and node.in_tree:
        counts[node.status] += 1
    for child in kids:
        counts.update(child.counts)
    shown, current = node.own_progress, None
    rolled: tuple[tuple[str, float, float], ...] = ()
    d = node.definition
    if d.get("metric") is None and kids:
        rollup = d.get("rollup")
        seen = [as_child(c) for c in kids]
        target = None if d.get("target") is None else float(d["target"])
        numbers = rollup_numbers(rollup, seen, float(d.get("baseline") or 0.0), target)
        shown, current = numbers.progress, numbers.current
        rolled = tuple((k.goal_id, c.weight, contribution(rollup, c)) for k, c in zip(kids, seen, strict=True))
    return replace(
        node,
        progress=shown,
        rollup_current=current,
        rollup_value=None if shown is None else clamp01(shown),
        counts={s: counts[s] for s in STATUSES if counts[s]},
        open_breaches=breaches,
        rolled_from=rolled,
    )


def as_child(row: ChildRow) -> Child:
    """A child as its parent's rollup sees it: a `sum` child brings its total, a measured one its own value."""
    status = cast(GoalStatus, row.status) if row.status in STATUSES else None
    return Child(row.weight, row.progress, row.current, row.baseline, status)


def own_breaches(anti_goals: Iterable[GoalNode]) -> Counter[str]:
    """Open breaches per goal they count on (the guarded goal, or else the anti-goal's parent)."""
    counts: Counter[str] = Counter()
    for a in anti_goals:
        if a.kind == "anti" and a.breached and a.in_tree and a.breach_target is not None:
            counts[a.breach_target] += 1
    return counts


# One node rolled up from its rolled-up children and its own open breaches; `roll_up` itself by default.
RollUp = Callable[[GoalNode, list[GoalNode], int], GoalNode]


def roll_up_all(nodes: Mapping[str, GoalNode], step: RollUp | None = None) -> dict[str, GoalNode]:
    """Every node of an organisation rolled up, deepest first (cycles cannot occur: goals refuses them), each by
    `step` (observed mode's also judges a parent at its time)."""
    step = step or roll_up
    children: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.parent_id is not None and node.parent_id in nodes:
            children.setdefault(node.parent_id, []).append(node.goal_id)
    breaches = own_breaches(nodes.values())
    done: dict[str, GoalNode] = {}

    def visit(goal_id: str) -> GoalNode:
        if goal_id not in done:
            kids = [visit(c) for c in children.get(goal_id, [])]
            done[goal_id] = step(nodes[goal_id], kids, breaches[goal_id])
        return done[goal_id]

    for goal_id in nodes:
        visit(goal_id)
    return done
