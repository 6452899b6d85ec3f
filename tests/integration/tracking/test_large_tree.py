"""A 10,000-goal organisation tree six levels deep on real PostgreSQL, built through the tracking projection.

DESIGN §2 "Cascading" and issue 4: updating one leaf updates all its ancestors, and the tree query answers
correctly, live and as of a time. The numbers are checked against a reference computed from the plain data the
tree was generated from (`org_tree.reference`), not with the service's `roll_up`.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from goalstream_contracts.events import GoalStatusChanged
from goalstream_tracking.adapters import store
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.service_layer import queries
from goalstream_tracking.service_layer.read_models import LiveReadModel, as_of
from tests.integration.tracking.harness import Feed, rolled_back
from tests.integration.tracking.org_tree import (
    LEVEL_SIZES,
    LEVELS,
    AntiSpec,
    Numbers,
    Spec,
    assert_numbers,
    events,
    generate,
    measurement,
    numbers,
    reference,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEED = 20260401


@dataclass
class Org:
    feed: Feed
    specs: list[Spec]
    antis: list[AntiSpec]
    reference: dict[str, Numbers]
    setup_seconds: float
    events: int

    @property
    def root(self) -> Spec:
        return self.specs[0]

    def path(self, i: int) -> list[int]:
        """The ancestors of goal i, nearest first."""
        up: list[int] = []
        while (p := self.specs[i].parent) is not None:
            up.append(p)
            i = p
        return up


# -- the shared organisation -----------------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def org(module_feed: Feed) -> Org:
    prefix = f"g{uuid.uuid4().hex[:8]}"
    specs, antis = generate(prefix, random.Random(SEED))
    assert len(specs) == 10_000 and max(s.depth for s in specs) == 5
    started = time.perf_counter()
    applied = await module_feed.apply(events(specs, antis, datetime.now(UTC) - timedelta(days=2)), 2000)
    seconds = time.perf_counter() - started
    print(f"\nlarge tree: {applied} events projected in {seconds:.1f} s")
    return Org(module_feed, specs, antis, reference(specs, antis), seconds, applied)


async def docs(org: Org) -> dict[str, object]:
    """Every stored node document of the organisation, by goal id."""
    feed = org.feed
    rows = await feed.conn.fetch(f'SELECT goal_id, doc FROM "{feed.schema}".nodes WHERE org_id = $1', feed.org_id)
    return {r["goal_id"]: r["doc"] for r in rows}


async def live_nodes(org: Org) -> dict[str, GoalNode]:
    found = await store.nodes_where(org.feed.conn, org.feed.schema, org.feed.org_id, "true", limit=100_000)
    return {n.goal_id: n for n in found}


def flatten(tree: queries.TreeNode, depth: int = 0) -> Iterator[tuple[queries.TreeNode, int]]:
    yield tree, depth
    for child in tree.children:
        yield from flatten(child, depth + 1)


def assert_whole_tree(org: Org, tree: queries.TreeNode, expected: dict[str, Numbers]) -> None:
    """All 10,000 goals, each under its parent with its children in id order, each with the expected numbers."""
    by_id = {s.goal_id: s for s in org.specs}
    seen = 0
    for t, depth in flatten(tree):
        s = by_id[t.node.goal_id]
        assert (s.depth, t.node.level) == (depth, LEVELS[depth])
        assert [c.node.goal_id for c in t.children] == sorted(org.specs[c].goal_id for c in s.children)
        assert t.node.parent_id == (None if s.parent is None else org.specs[s.parent].goal_id)
        assert_numbers(numbers(t.node), expected[s.goal_id], s.goal_id)
        seen += 1
    assert seen == len(org.specs) == 10_000


def pick_leaf(org: Org, path: str) -> int:
    """A deepest leaf (with its measured value well inside its range) whose ancestors roll up as `path` says."""
    for i, s in enumerate(org.specs):
        if s.depth != 5 or s.current is None or not 0.1 < (s.current - s.baseline) / (s.target - s.baseline) < 0.9:
            continue
        rollups = [org.specs[a].rollup for a in org.path(i)]
        if path == "sum" and rollups[:4] == ["sum"] * 4:
            return i
        if path == "mixed" and rollups[0] == "sum" and "sum" not in rollups[1:4] and "worst" in rollups:
            return i
        if path == "weighted" and "sum" not in rollups and {"weighted_mean", "worst"} <= set(rollups):
            return i
    raise AssertionError(f"no {path} leaf in the generated tree")


# -- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["sum", "mixed", "weighted"])
async def test_measuring_one_deepest_leaf_updates_its_five_ancestors_and_nothing_else(org: Org, path: str) -> None:
    feed, specs = org.feed, org.specs
    i = pick_leaf(org, path)
    leaf, ancestors = specs[i], org.path(i)
    assert len(ancestors) == 5 and ancestors[-1] == 0
    share = (leaf.current - leaf.baseline) / (leaf.target - leaf.baseline)  # type: ignore[operator]
    new_current = round(leaf.baseline + (0.97 if share < 0.5 else 0.03) * (leaf.target - leaf.baseline), 2)
    new_status = "off_track" if leaf.status != "off_track" else "on_track"
    measured_specs = [*specs[:i], replace(leaf, current=new_current), *specs[i + 1 :]]
    after_measurement = reference(measured_specs, org.antis)
    after_status = reference(
        [*specs[:i], replace(leaf, current=new_current, status=new_status), *specs[i + 1 :]], org.antis
    )
    path_ids = {specs[g].goal_id for g in [i, *ancestors]}
    at = datetime.now(UTC) - timedelta(minutes=1)

    async with rolled_back(feed.conn):
        before = await docs(org)
        rm = LiveReadModel(feed.conn, feed.schema, feed.org_id)
        old = {g: numbers(await queries.goal(rm, specs[g].goal_id)) for g in [i, *ancestors]}

        assert await feed.apply([(measurement(leaf, new_current, at), at)]) == 1
        measured = await docs(org)
        assert {g for g in measured if measured[g] != before[g]} == path_ids
        for g in ancestors:
            goal_id = specs[g].goal_id
            new = numbers(await queries.goal(rm, goal_id))
            assert_numbers(new, after_measurement[goal_id], goal_id)
            assert new.progress != old[g].progress and new.rollup_value != old[g].rollup_value, goal_id
            if specs[g].rollup == "sum":
                total, was = old[g].rollup_current, leaf.current
                assert total is not None and was is not None
                assert new.rollup_current == pytest.approx(total + new_current - was), goal_id
            else:
                assert new.rollup_current is None
            assert new.counts == old[g].counts and new.open_breaches == old[g].open_breaches, goal_id
        stored_leaf = await queries.goal(rm, leaf.goal_id)
        assert stored_leaf.current == new_current and stored_leaf.source is not None
        assert_numbers(numbers(stored_leaf), after_measurement[leaf.goal_id], leaf.goal_id)

        status_at = at + timedelta(milliseconds=1)
        status_changed = GoalStatusChanged(goal_id=leaf.goal_id, status=new_status, previous_status=leaf.status)
        assert await feed.apply([(status_changed, status_at)]) == 1
        with_status = await docs(org)
        assert {g for g in with_status if with_status[g] != measured[g]} == path_ids
        for g in ancestors:
            goal_id = specs[g].goal_id
            new = numbers(await queries.goal(rm, goal_id))
            assert_numbers(new, after_status[goal_id], goal_id)
            assert new.counts != old[g].counts, goal_id
            assert new.counts[new_status] == old[g].counts.get(new_status, 0) + 1, goal_id

        # The whole tree, live and folded from the log as of now, agrees with the reference after the change;
        # as of just before the measurement, the log gives the numbers from before it.
        assert_whole_tree(org, await queries.tree(rm, org.root.goal_id, max_depth=6), after_status)
        now = await as_of(feed.conn, feed.schema, feed.org_id, datetime.now(UTC))
        assert_whole_tree(org, await queries.tree(now, org.root.goal_id, max_depth=6), after_status)
        earlier = await as_of(feed.conn, feed.schema, feed.org_id, at - timedelta(microseconds=1))
        assert_whole_tree(org, await queries.tree(earlier, org.root.goal_id, max_depth=6), org.reference)


async def test_the_tree_query_returns_every_goal_in_place_with_the_reference_numbers(org: Org) -> None:
    rm = LiveReadModel(org.feed.conn, org.feed.schema, org.feed.org_id)
    tree = await queries.tree(rm, org.root.goal_id, max_depth=6)
    assert tree.node.goal_id == org.root.goal_id and tree.node.parent_id is None
    root = org.reference[org.root.goal_id]
    assert_numbers(numbers(tree.node), root, org.root.goal_id)
    assert sum(tree.node.counts.values()) == sum(1 for s in org.specs if s.status is not None)
    assert tree.node.open_breaches == sum(1 for a in org.antis if a.open) > 0
    assert_whole_tree(org, tree, org.reference)
    shallow = await queries.tree(rm, org.root.goal_id, max_depth=2)
    assert sum(1 for _ in flatten(shallow)) == sum(LEVEL_SIZES[:3])


async def test_as_of_now_answers_as_the_live_read_model_for_every_goal(org: Org) -> None:
    feed = org.feed
    live = await live_nodes(org)
    folded = await as_of(feed.conn, feed.schema, feed.org_id, datetime.now(UTC))
    assert set(folded.nodes) == set(live) and len(live) == 10_000 + len(org.antis)
    for goal_id, node in live.items():
        assert_numbers(numbers(folded.nodes[goal_id]), numbers(node), goal_id)
        assert (folded.nodes[goal_id].status, folded.nodes[goal_id].breached) == (node.status, node.breached), goal_id
    for a in org.antis:
        assert live[a.goal_id].breached == (a.breached and not a.recovered)
    assert_whole_tree(org, await queries.tree(folded, org.root.goal_id, max_depth=6), org.reference)
