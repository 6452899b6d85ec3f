"""The cascade read models on real PostgreSQL through the projection: revisions, moves, archiving and breaches
reach the right ancestors; the order goals arrive in does not change the numbers; `as_of` answers as the live
read model did at each time."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.events import GoalRevised
from goalstream_tracking.adapters import store
from goalstream_tracking.service_layer import queries
from goalstream_tracking.service_layer.read_models import LiveReadModel, as_of
from tests.integration.tracking.harness import Feed
from tests.integration.tracking.org_tree import assert_numbers, events, generate, numbers, reference
from tests.unit.tracking.builders import anti, archived, breached, hard, measured, parent, recovered, status

T0 = datetime.now(UTC) - timedelta(days=1)
SMALL = (1, 3, 6, 12, 24, 48)  # 94 goals, six levels


async def live(feed: Feed) -> dict[str, Any]:
    found = await store.nodes_where(feed.conn, feed.schema, feed.org_id, "true", limit=10_000)
    return {n.goal_id: n for n in found}


async def assert_as_of_matches_live(feed: Feed, at: datetime) -> None:
    now, folded = await live(feed), await as_of(feed.conn, feed.schema, feed.org_id, at)
    assert set(folded.nodes) == set(now)
    for goal_id, node in now.items():
        assert_numbers(numbers(folded.nodes[goal_id]), numbers(node), goal_id)


async def test_a_tree_built_parents_first_equals_one_built_children_first(feed: Feed) -> None:
    """The large-tree test builds deepest level first for speed; the order must not change a number."""
    orders = {"parents_first": True, "children_first": False}
    results = {}
    for name, parents_first in orders.items():
        org = Feed(feed.conn, feed.schema, f"{feed.org_id}-{name}")
        specs, antis = generate(f"{name}-{uuid.uuid4().hex[:8]}", random.Random(7), SMALL, anti_goals=6)
        await org.apply(events(specs, antis, T0, parents_first=parents_first), per_transaction=50)
        expected = reference(specs, antis)
        nodes = await live(org)
        assert len(nodes) == sum(SMALL) + len(antis)
        for s in specs:
            assert_numbers(numbers(nodes[s.goal_id]), expected[s.goal_id], s.goal_id)
        await assert_as_of_matches_live(org, datetime.now(UTC))
        results[name] = [numbers(nodes[s.goal_id]) for s in specs]
    assert results["parents_first"] == results["children_first"]


async def test_revisions_moves_archiving_and_breaches_reach_the_right_ancestors(feed: Feed) -> None:
    p = f"c{uuid.uuid4().hex[:8]}-"
    g0, d1, d2, t1, t2, t3, t4, a1 = (p + g for g in ("G0", "D1", "D2", "T1", "T2", "T3", "T4", "A1"))
    rm = LiveReadModel(feed.conn, feed.schema, feed.org_id)
    step_at = [T0 + timedelta(minutes=k) for k in range(7)]

    async def apply(step: int, *payloads: Payload) -> None:
        at = step_at[step]
        await feed.apply([(e, at + timedelta(milliseconds=n)) for n, e in enumerate(payloads)], per_transaction=100)

    async def shown(goal_id: str) -> tuple[float | None, float | None, dict[str, int], int]:
        n = await queries.goal(rm, goal_id)
        return n.progress, n.rollup_current, n.counts, n.open_breaches

    await apply(
        0,
        parent(g0),
        parent(d1, parent_id=g0),
        parent(d2, "sum", parent_id=g0, target=100),
        hard(t1, parent_id=d1, target=10),
        hard(t2, parent_id=d1, target=10, weight=3),
        hard(t3, parent_id=d2, target=50),
        hard(t4, parent_id=d2, target=50),
        anti(a1, guards=t1),
        measured(t1, 5),
        measured(t2, 10),
        measured(t3, 20),
        measured(t4, 30),
        status(g0, "on_track"),
        status(t1, "at_risk"),
        status(t2, "achieved"),
        status(t3, "on_track"),
        status(t4, "on_track"),
        breached(a1, guards=t1),
    )
    expected_0 = {
        g0: (0.6875, None, {"on_track": 3, "at_risk": 1, "achieved": 1}, 1),
        d1: (0.875, None, {"at_risk": 1, "achieved": 1}, 1),
        d2: (0.5, 50, {"on_track": 2}, 0),
        t1: (0.5, None, {"at_risk": 1}, 1),
    }
    assert {g: await shown(g) for g in expected_0} == expected_0

    await apply(1, GoalRevised(goal_id=t2, changed=("weight",), weight=1))  # d1 = (0.5 + 1) / 2
    expected_1 = {
        g0: (0.625, None, {"on_track": 3, "at_risk": 1, "achieved": 1}, 1),
        d1: (0.75, None, expected_0[d1][2], 1),
    }
    assert {g: await shown(g) for g in expected_1} == expected_1

    await apply(2, GoalRevised(goal_id=t1, changed=("parent_id",), parent_id=d2))  # t1, breach and all, moves
    expected_2: dict[str, Any] = {
        g0: (pytest.approx(0.775), None, {"on_track": 3, "at_risk": 1, "achieved": 1}, 1),
        d1: (1.0, None, {"achieved": 1}, 0),
        d2: (pytest.approx(0.55), 55, {"on_track": 2, "at_risk": 1}, 1),
        t1: (0.5, None, {"at_risk": 1}, 1),
    }
    assert {g: await shown(g) for g in expected_2} == expected_2

    await apply(3, GoalRevised(goal_id=a1, changed=("guards",), guards=t2))  # the breach now counts on t2
    assert [(await shown(g))[3] for g in (t1, d2, t2, d1, g0)] == [0, 0, 1, 1, 1]

    await apply(4, archived(d1))  # d1 and its subtree leave g0's tree
    expected_4: dict[str, Any] = {g0: (pytest.approx(0.55), None, {"on_track": 3, "at_risk": 1}, 0)}
    assert {g: await shown(g) for g in expected_4} == expected_4
    tree = await queries.tree(rm, g0, max_depth=6)
    assert sorted(c.node.goal_id for c in tree.children) == [d2]
    assert sorted(c.node.goal_id for c in tree.children[0].children) == [t1, t3, t4]

    await apply(5, recovered(a1))
    assert [(await shown(g))[3] for g in (t2, d1, g0)] == [0, 0, 0]

    # As of any time in between, the log gives the numbers the live read model showed then.
    earlier: list[tuple[int, dict[str, Any]]] = [(0, expected_0), (1, expected_1), (2, expected_2), (4, expected_4)]
    for step, expected in earlier:
        then = await as_of(feed.conn, feed.schema, feed.org_id, step_at[step] + timedelta(seconds=30))
        got = {g: (n.progress, n.rollup_current, n.counts, n.open_breaches) for g, n in then.nodes.items()}
        assert {g: got[g] for g in expected} == expected, step
    await assert_as_of_matches_live(feed, datetime.now(UTC))
