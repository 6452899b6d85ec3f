"""Rolling up, once per batch, every goal a batch of events changed the subtree of, deepest first.

The same as recomputing each event's ancestors after each event: a goal's rollup depends only on its
own numbers, its in-tree children (already rolled up) and the open breaches counted on it, so the last
recomputation is the one that stays. Parent links come from memory first: a batch may re-parent a goal.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import batch_store
from goalstream_tracking.adapters.working_set import WorkingSet
from goalstream_tracking.domain.child import ChildRow
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.domain.rollup import roll_up
from goalstream_tracking.service_layer.committed import peer_keys

MAX_DEPTH = 1000  # a guard against a corrupt loop, as in the single-goal ancestry query


async def roll_up_touched(conn: Connection, schema: str, ws: WorkingSet) -> None:
    """Recompute the rollups of the batch's starting goals and all their ancestors, each once, deepest first."""
    if not ws.starts:
        return
    await _load_ancestry(conn, schema, ws)
    depth: dict[str, int] = {}  # distance from the top of its chain: children before their parents
    for org_id, start in ws.starts:
        chain = _chain(ws, org_id, start)
        for distance, goal_id in enumerate(reversed(chain)):
            depth[goal_id] = max(depth.get(goal_id, 0), distance)
    if not depth:
        return
    orgs = {ws.nodes[g].org_id for g in depth}
    # Read-only from here: every goal rolled up is in memory already; its other children and the anti-goals
    # counting on it are read as their columns' numbers, never as documents.
    peers = await _peers(conn, schema, ws, orgs, list(depth))
    inputs: list[GoalNode | ChildRow] = [*ws.nodes.values(), *peers]
    children: dict[str, list[str]] = defaultdict(list)
    breaches: Counter[str] = Counter()
    for n in inputs:
        if n.parent_id in depth and ws.nodes[n.parent_id].org_id == n.org_id:
            children[n.parent_id].append(n.goal_id)
        target = n.breach_target if n.kind == "anti" and n.breached and n.in_tree else None
        if target is not None and target in depth and ws.nodes[target].org_id == n.org_id:
            breaches[target] += 1
    rows = {p.goal_id: p for p in peers}
    for goal_id in sorted(depth, key=lambda g: -depth[g]):
        kids = [ws.nodes.get(c) or rows[c] for c in children.get(goal_id, ())]  # in memory: as rolled up so far
        ws.nodes[goal_id] = roll_up(ws.nodes[goal_id], kids, breaches[goal_id])


async def _peers(conn: Connection, schema: str, ws: WorkingSet, orgs: set[str], goal_ids: list[str]) -> list[ChildRow]:
    """The rows the rollups read besides the batch's own nodes, once each (an anti-goal under the goal its breach
    counts on is both a child and a breach): from memory where it holds a goal's rows, else from the database
    (kept in `ws.fetched` for memory)."""
    remembered = ws.recall.peers if ws.recall is not None else {}
    rows: dict[str, ChildRow] = {}
    for goal_id in goal_ids:
        rows |= remembered.get(goal_id, {})
    if asked := {g for g in goal_ids if g not in remembered}:
        keep = ws.recall is not None
        ws.fetched |= {g: [] for g in asked} if keep else {}
        for row in await batch_store.children_and_anti_goals(conn, schema, orgs, asked):
            rows[row.goal_id] = row
            for key in (peer_keys(row) & asked) if keep else ():
                if ws.nodes[key].org_id == row.org_id:
                    ws.fetched[key].append(row)
    return [row for goal_id, row in rows.items() if goal_id not in ws.nodes]


def _chain(ws: WorkingSet, org_id: str, goal_id: str | None) -> list[str]:
    """The goal and its ancestors in its organisation, nearest first (empty if the goal is not there)."""
    chain: list[str] = []
    while goal_id is not None and len(chain) <= MAX_DEPTH:
        node: GoalNode | None = ws.nodes.get(goal_id)
        if node is None or node.org_id != org_id or goal_id in chain:
            break
        chain.append(goal_id)
        goal_id = node.parent_id
    return chain


async def _load_ancestry(conn: Connection, schema: str, ws: WorkingSet) -> None:
    """Load every starting goal and every ancestor of the goals in memory that the database has."""
    wanted = {goal_id for _, goal_id in ws.starts}
    while True:
        # In-memory links may lead where the database's did not (a re-parent in this batch).
        wanted |= {n.parent_id for n in ws.nodes.values() if n.parent_id is not None}
        wanted = {g for g in wanted if g not in ws.nodes and g not in ws.absent}
        if not wanted:
            return
        if left := ws.recalled(wanted):
            ws.add_loaded(await batch_store.with_ancestors(conn, schema, left, ws.nodes), left)
