"""The rows a goal's events leave behind, decided in memory and queued for the session's one write.

For every goal a session commits: its metric binding (when the metric or its activity changed), its
tree row with the numbers to show (its own, or for a rolled-up goal, its rollup's), and when the
scheduler should look at it next. The adapters hold the SQL (`goal_metrics`, `nodes`, `schedule`).
"""

from __future__ import annotations

from datetime import datetime

from goalstream_goals.adapters.goal_list import Listed
from goalstream_goals.adapters.nodes import Node
from goalstream_goals.domain.goal import Goal
from goalstream_goals.domain.timing import next_due
from goalstream_goals.service_layer.pending import PendingWrites
from goalstream_goals.service_layer.tree import TreeView
from goalstream_rules.rollup import RollupNumbers
from goalstream_rules.status import Tolerances


async def refresh(
    pending: PendingWrites,
    tree: TreeView,
    goal: Goal,
    before: Goal | None,
    numbers: RollupNumbers | None,
    now: datetime,
    tolerances: Tolerances,
) -> list[str]:
    """Queue the goal's derived rows; returns the goals whose rollup must be recomputed (parents, or itself)."""
    d = goal.definition
    if before is None or (before.definition.metric, before.active) != (d.metric, goal.active):
        # bound (or unbound) when the session flushes: one statement for all its goals
        pending.metrics[d.goal_id] = (d.metric.key if d.metric is not None else None, goal.active)
    listed = Listed.of(goal)
    if before is None or Listed.of(before) != listed:  # what GET /v1/goals filters on: no measurement changes it
        pending.listed[d.goal_id] = listed
    marks: list[str] = []
    old = await tree.get(d.goal_id)
    if d.metric is not None:
        current, raw = goal.current, goal.raw_progress
    elif numbers is not None:
        current, raw = numbers.current, numbers.progress
    else:  # a rolled-up goal whose definition changed: keep its numbers, recompute them when the session settles
        current, raw = (old.current, old.progress) if old else (None, None)
        marks.append(d.goal_id)
    new = Node.of(goal, current=current, progress=raw)
    if old != new:
        tree.put(new)
        pending.nodes[d.goal_id] = new
        marks += [p for p in {old.parent_id if old else None, d.parent_id} if p is not None]
    due = next_due(goal, now, tolerances, rollup=raw if d.metric is None else None)
    if due is not None and due <= now:
        due = now.replace(microsecond=0)  # due at once: the next scheduler pass takes it
    pending.due[d.goal_id] = due
    return marks
