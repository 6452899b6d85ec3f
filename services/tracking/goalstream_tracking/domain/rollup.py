"""Cascade rollups (DESIGN §2 "Cascading"): a node's numbers from its own events and its children's rollups.

`roll_up` is pure and used both live (one node at a time, children read from the database) and for
`as_of` answers and rebuild checks (a whole tree folded in memory by `roll_up_all`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from goalstream_tracking.domain.node import STATUSES, GoalNode
from goalstream_tracking.domain.numbers import clamp01, progress


def roll_up(node: GoalNode, children: Iterable[GoalNode], own_breaches: int) -> GoalNode:
    """`node` with its rollup numbers recomputed from its in-tree children (already rolled up)."""
    kids = sorted((c for c in children if c.kind == "hard" and c.in_tree), key=lambda c: c.goal_id)
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
        weights = [float(c.definition.get("weight", 1.0)) for c in kids]
        if d.get("rollup") == "sum":
            current = sum(_current(c) for c in kids)
            target = d.get("target")
            baseline = float(d.get("baseline") or 0.0)
            shown = None if target is None else progress(current, baseline, float(target))
            rolled = tuple((c.goal_id, w, _current(c)) for c, w in zip(kids, weights, strict=True))
        else:  # weighted_mean, and worst (whose status, not progress, follows the worst child)
            values = [c.rollup_value or 0.0 for c in kids]
            shown = sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
            rolled = tuple((c.goal_id, w, v) for c, w, v in zip(kids, weights, values, strict=True))
    return replace(
        node,
        progress=shown,
        rollup_current=current,
        rollup_value=None if shown is None else clamp01(shown),
        counts={s: counts[s] for s in STATUSES if counts[s]},
        open_breaches=breaches,
        rolled_from=rolled,
    )


def _current(child: GoalNode) -> float:
    """A child's current value as a `sum` parent adds it: its rollup total, its own value, or its baseline."""
    if child.rollup_current is not None:
        return child.rollup_current
    if child.current is not None:
        return child.current
    return float(child.definition.get("baseline") or 0.0)


def own_breaches(anti_goals: Iterable[GoalNode]) -> Counter[str]:
    """Open breaches per goal they count on (the guarded goal, or else the anti-goal's parent)."""
    counts: Counter[str] = Counter()
    for a in anti_goals:
        if a.kind == "anti" and a.breached and a.in_tree and a.breach_target is not None:
            counts[a.breach_target] += 1
    return counts


def roll_up_all(nodes: Mapping[str, GoalNode]) -> dict[str, GoalNode]:
    """Every node of an organisation rolled up, deepest first (cycles cannot occur: goals refuses them)."""
    children: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.parent_id is not None and node.parent_id in nodes:
            children.setdefault(node.parent_id, []).append(node.goal_id)
    breaches = own_breaches(nodes.values())
    done: dict[str, GoalNode] = {}

    def visit(goal_id: str) -> GoalNode:
        if goal_id not in done:
            kids = [visit(c) for c in children.get(goal_id, [])]
            done[goal_id] = roll_up(nodes[goal_id], kids, breaches[goal_id])
        return done[goal_id]

    for goal_id in nodes:
        visit(goal_id)
    return done
