"""The organisation as it stood at an observed time (`as_of_mode=observed`, issue 20; docs/decisions.md).

Every goal and ladder known now, with its definition as last set, revised and planned; archived only if that was
recorded by `at` (archiving has no time but its own); the measurements observed by `at`, folded in observed order
(`observed_values`); and what goals decides from them (milestones, achieved, missed, status, breaches, rung
unlocks) worked out as of `at` with `goalstream_rules`. The events in which goals recorded those decisions are
not read: they were decided in recorded order, at recorded times. Pure: `at` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from goalstream_contracts.base import Payload
from goalstream_contracts.events import (
    GoalArchived,
    GoalEvent,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    LadderSet,
    MeasurementRecorded,
)
from goalstream_rules.expected import expected_progress
from goalstream_rules.plan import overdue
from goalstream_rules.progress import reached
from goalstream_rules.recount import recounts
from goalstream_rules.rollup import worst_status
from goalstream_rules.status import Tolerances, achieves, past_deadline, status_for
from goalstream_tracking.domain.child import child_row
from goalstream_tracking.domain.ladder import LadderNode, evolve_ladder
from goalstream_tracking.domain.node import GoalNode, _own_progress, _with, evolve_node
from goalstream_tracking.domain.observed_values import fold_values, time_of
from goalstream_tracking.domain.rollup import as_child, roll_up, roll_up_all

DEFINING = (GoalSet, GoalRevised, GoalPlanned)


def recounted(event: Payload) -> bool:
    """A revision of what counts (`goalstream_rules.recount`): goals empties the goal's count and records again, after
    it, the values kept for the new definition; the values recorded before it no longer count (or would twice)."""
    return isinstance(event, GoalRevised) and recounts(event.changed)


def observed(
    events: Iterable[tuple[Payload, datetime]], org_id: str, at: datetime, tolerances: Tolerances = Tolerances()
) -> tuple[dict[str, GoalNode], dict[str, LadderNode]]:
    """`events`: the organisation's log as known now, in recorded order, with each event's recorded time."""
    nodes: dict[str, GoalNode] = {}
    ladders: dict[str, LadderNode] = {}
    values: dict[str, list[MeasurementRecorded]] = {}
    for event, occurred_at in events:
        if isinstance(event, DEFINING) or (isinstance(event, GoalArchived) and occurred_at <= at):
            nodes[event.goal_id] = evolve_node(nodes.get(event.goal_id), event, occurred_at, org_id)
            if recounted(event):  # goals counts again the values kept for the new definition: they follow it
                values.pop(event.goal_id, None)
        elif isinstance(event, MeasurementRecorded) and event.observed_at <= at:
            values.setdefault(event.goal_id, []).append(event)
        elif isinstance(event, LadderSet):  # a rung's unlock is worked out below, from the rung under it
            ladders[event.ladder_id] = evolve_ladder(None, event, occurred_at, org_id)
        elif isinstance(event, GoalEvent) and event.goal_id not in nodes:
            raise LookupError(f"{event.event_type} for a goal this read model has never seen set")
    achieved_at: dict[str, datetime | None] = {}
    for goal_id, node in nodes.items():
        folded, achieved_at[goal_id] = fold_values(node, values.get(goal_id, []), at)
        nodes[goal_id] = _judged(_locked_then(_own_progress(folded), at), achieved_at[goal_id], at, tolerances)
    ladders = {i: _climbed(ladder, nodes) for i, ladder in ladders.items()}
    return _rolled_up(nodes, at, tolerances), ladders


def _locked_then(node: GoalNode, at: datetime) -> GoalNode:
    """A later rung unlocks at its `start_at` (the observed time of the value that achieved the rung below): one
    unlocked after `at` was still locked then, so it shows no start."""
    d = node.definition
    start = time_of(d.get("start_at"))
    if d.get("ladder_id") is None or (d.get("rung_index") or 1) == 1 or start is None or start <= at:
        return node
    return _with(node, definition={k: v for k, v in d.items() if k != "start_at"})


def _judged(node: GoalNode, achieved_at: datetime | None, at: datetime, tol: Tolerances) -> GoalNode:
    """Milestones missed by `at`, and the status as goals decides it at `at` from the goal's own progress."""
    plan = tuple(
        replace(m, state="missed", at=m.due) if m.state == "pending" and overdue(m.due, at) else m
        for m in node.milestones
    )
    node = _with(node, milestones=plan)
    d = node.definition
    if node.kind != "hard" or d.get("metric") is None:
        return node
    if achieved_at is not None:
        return _with(node, status="achieved", achieved=True)
    return _banded(node, node.own_progress, None, at, tol)


def _banded(node: GoalNode, raw: float | None, worst: str | None, at: datetime, tol: Tolerances) -> GoalNode:
    d = node.definition
    start, deadline = time_of(d.get("start_at")), time_of(d.get("deadline"))
    if d.get("target") is None or start is None or deadline is None:
        return node
    if past_deadline(at, deadline):
        return _with(node, status="missed", missed=True)
    plan = tuple((m.due, m.fraction) for m in node.milestones)
    status = status_for(raw or 0.0, expected_progress(at, start, deadline, plan), tol)
    return _with(node, status=status if worst is None or worst == "achieved" else worst)


def _parent_judged(node: GoalNode, kids: list[GoalNode], at: datetime, tol: Tolerances) -> GoalNode:
    """A rolled-up parent: judged by goals when its children move, with their value's time; here, at `at`."""
    d = node.definition
    if node.kind != "hard" or d.get("metric") is not None:
        return node
    raw = node.progress or 0.0
    plan = tuple(replace(m, state="hit", at=None) if reached(raw, m.fraction) else m for m in node.milestones)
    node = _with(node, milestones=plan)
    worst = worst_status([as_child(child_row(k)) for k in kids]) if d.get("rollup") == "worst" else None
    deadline = time_of(d.get("deadline"))
    reaching = worst == "achieved" if worst is not None else reached(raw)
    if deadline is not None and d.get("target") is not None and achieves(reaching, at, deadline):
        return _with(node, status="achieved", achieved=True)
    return _banded(node, raw, worst, at, tol)


def _rolled_up(nodes: dict[str, GoalNode], at: datetime, tol: Tolerances) -> dict[str, GoalNode]:
    """`roll_up_all`, with a parent's status decided from its rollup before its counts include it."""

    def judged(node: GoalNode, kids: list[GoalNode], breaches: int) -> GoalNode:
        in_tree = [k for k in kids if k.kind == "hard" and k.in_tree]
        return roll_up(_parent_judged(roll_up(node, kids, breaches), in_tree, at, tol), kids, breaches)

    return roll_up_all(nodes, judged)


def _climbed(ladder: LadderNode, nodes: dict[str, GoalNode]) -> LadderNode:
    """The current rung: the first not achieved by then (the top one stays current once achieved); and when each
    rung above the bottom one was unlocked: its `start_at`, kept by `_locked_then` only for a rung unlocked by then
    (recorded mode reads the same time from LadderRungUnlocked, which this fold does not read)."""
    current = 1
    for index, goal_id, _ in ladder.rungs:
        rung = nodes.get(goal_id)
        current = index
        if rung is None or not rung.achieved:
            break
    unlocked = list(ladder.unlocked)
    for index, goal_id, _ in ladder.rungs:
        rung = nodes.get(goal_id)
        start = None if rung is None or index == 1 else time_of(rung.definition.get("start_at"))
        if start is not None and ladder.unlocked_at(index) is None:
            unlocked.append((index, start))
    return replace(ladder, current_rung=current, unlocked=tuple(unlocked))
