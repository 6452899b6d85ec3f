"""Goals keeps each organisation's committed tree rows in memory (issue 17, item 2): a warm batch reads none of
them, two processes writing one organisation (each with its own memory) decide exactly what one without memory
decides, and whatever a process would use is what the database holds."""

from __future__ import annotations

import random
import uuid
from typing import Any

import asyncpg

from goalstream_goals.adapters import organisations
from goalstream_goals.domain.define import decide_archive
from goalstream_goals.domain.goal import Measurement
from goalstream_goals.service_layer.goal_cache import GoalCache
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.measurements import record_measurements
from goalstream_goals.service_layer.tree_memory import TreeMemory
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.db import create_pool
from tests.integration.goals.conftest import START, Goals, MovableClock

SPAN = {"start_at": START, "deadline": START.replace(year=2027)}
COLUMNS = "parent_id, kind, rollup, has_metric, active, current, progress, status, weight, baseline"


async def new_org(pool: asyncpg.Pool) -> str:
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn, conn.transaction():
        await organisations.create_organisation(conn, org_id, "Test org", new_api_key(), ("read", "write"), START)
    return org_id


class Org:
    """One organisation driven by a script of operations, through whichever service each step is given."""

    def __init__(self, org_id: str) -> None:
        self.org_id, self.ids = org_id, []  # goal ids in creation order: the script names goals by index
        self.ids: list[str]

    async def create(self, service: GoalsService, parent: int | None, **fields: Any) -> None:
        fields |= {"title": "g", "kind": "hard", **SPAN}
        fields["parent_id"] = None if parent is None else self.ids[parent]
        self.ids.append((await service.set_goal(self.org_id, fields, uuid.uuid4())).goal.goal_id)

    async def step(self, service: GoalsService, op: tuple[Any, ...]) -> None:
        if op[0] == "measure":
            batch = [(None, Measurement(str(uuid.uuid4()), f"k{leaf}", value, START)) for leaf, value in op[1]]
            await record_measurements(service, self.org_id, batch, uuid.uuid4())
        elif op[0] == "move":
            goal = (await service.get_goal(self.org_id, self.ids[op[1]])).goal
            changes = {"parent_id": self.ids[op[2]]}
            await service.revise_goal(self.org_id, goal.goal_id, goal.version, changes, uuid.uuid4())
        else:
            await service.archive_goal(self.org_id, self.ids[op[1]], None, "done", uuid.uuid4())

    async def rows(self, conn: asyncpg.Connection) -> list[tuple[Any, ...]]:
        found = {
            r["goal_id"]: r
            for r in await conn.fetch(f"SELECT goal_id, {COLUMNS} FROM goal_nodes WHERE org_id = $1", self.org_id)
        }
        index = {g: k for k, g in enumerate(self.ids)}
        return [(index.get(r["parent_id"]), *tuple(r)[2:]) for r in (found[g] for g in self.ids)]


def script(rng: random.Random) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    archived: set[int] = set()
    for _ in range(40):
        pick, leaf = rng.random(), 4 + rng.randrange(9)
        if pick < 0.6:
            ops.append(("measure", [(rng.randrange(9), float(rng.randint(0, 120))) for _ in range(rng.randint(1, 6))]))
        elif pick < 0.9 and leaf not in archived:
            ops.append(("move", leaf, 1 + rng.randrange(3)))
        elif pick >= 0.9:
            ops.append(("archive", leaf))
            archived.add(leaf)
    return ops


async def test_two_processes_with_memory_decide_what_one_without_decides(goals: Goals, database_url: str) -> None:
    pools = [await create_pool(database_url, "goals", 2) for _ in range(3)]
    try:
        first, second = (
            GoalsService(pool=p, clock=MovableClock(), cache=GoalCache(1_000), tree_memory=TreeMemory(1_000))
            for p in pools[:2]
        )
        plain = GoalsService(pool=pools[2], clock=MovableClock(), cache=GoalCache(1_000))
        remembered, alone = Org(await new_org(pools[0])), Org(await new_org(pools[0]))
        rng = random.Random(11)
        for org, service in ((remembered, first), (alone, plain)):
            await org.create(service, None, rollup="sum", target=1_000)
            for rollup in ("weighted_mean", "sum", "worst"):
                await org.create(service, 0, rollup=rollup, target=300)
            for leaf in range(9):
                await org.create(service, 1 + leaf % 3, metric={"key": f"k{leaf}"}, target=100)
        for op in script(rng):
            await remembered.step(rng.choice([first, second]), op)
            await alone.step(plain, op)
            await held_as_stored(pools[0], remembered.org_id, first, second)
        async with pools[0].acquire() as conn:
            assert await remembered.rows(conn) == await alone.rows(conn)
    finally:
        for p in pools:
            await p.close()


async def held_as_stored(pool: asyncpg.Pool, org_id: str, *services: GoalsService) -> None:
    """A memory a session would use (at the stored version) holds exactly the stored rows."""
    async with pool.acquire() as conn:
        version = await conn.fetchval("SELECT version FROM goal_tree_versions WHERE org_id = $1", org_id)
        stored = {
            r["goal_id"]: tuple(r)[1:]
            for r in await conn.fetch(f"SELECT goal_id, {COLUMNS} FROM goal_nodes WHERE org_id = $1", org_id)
        }
    for service in services:
        assert service.tree_memory is not None
        tree = service.tree_memory._orgs.get(org_id)
        if tree is not None and tree.version == version:
            held = {
                g: (
                    n.parent_id,
                    n.kind,
                    n.rollup,
                    n.has_metric,
                    n.active,
                    n.current,
                    n.progress,
                    n.status,
                    n.weight,
                    n.baseline,
                )
                for g, n in tree.rows.items()
            }
            assert held == stored
            assert {p: k for p, k in tree.kids.items() if k} == {
                p: {g for g, r in stored.items() if r[0] == p} for p in {r[0] for r in stored.values() if r[0]}
            }


async def test_a_write_between_a_sessions_read_and_its_commit_leaves_no_stale_memory(
    pool: asyncpg.Pool, database_url: str
) -> None:
    pools = [await create_pool(database_url, "goals", 2) for _ in range(2)]
    try:
        first, second = (GoalsService(pool=p, clock=MovableClock(), tree_memory=TreeMemory(1_000)) for p in pools)
        org = Org(await new_org(pools[0]))
        await org.create(first, None, rollup="sum", target=1_000)
        for mid in range(2):
            await org.create(first, 0, rollup="sum", target=300)
            await org.create(first, 1 + 2 * mid, metric={"key": f"k{mid}"}, target=100)
        async with first.session(org.org_id) as s:  # reads the tree from memory ...
            leaf = await s.goal(org.ids[2])
            assert await s.tree.get(org.ids[2]) is not None
            await org.step(second, ("measure", [(1, 40.0)]))  # ... another process writes and commits ...
            await s.commit(leaf, decide_archive(leaf, "done"))  # ... then this one writes too
        assert first.tree_memory is not None
        behind = first.tree_memory._orgs[org.org_id].version
        async with pools[0].acquire() as conn:
            stored = await conn.fetchval("SELECT version FROM goal_tree_versions WHERE org_id = $1", org.org_id)
        assert behind == stored - 2  # its own write did not follow on: it stays at what it had
        await held_as_stored(pools[0], org.org_id, first, second)
        await org.step(first, ("measure", [(1, 10.0)]))  # the next session catches up from the table
        assert first.tree_memory._orgs[org.org_id].version == stored + 1
        await held_as_stored(pools[0], org.org_id, first, second)
    finally:
        for p in pools:
            await p.close()


async def test_a_warm_batch_reads_the_trees_version_and_no_row(goals: Goals, database_url: str) -> None:
    parent = await goals.create(target=100, rollup="sum", **SPAN)
    await goals.create(target=100, parent_id=parent.goal.goal_id, metric={"key": "warm"}, **SPAN)
    pool = await create_pool(database_url, "goals", max_size=1)  # one connection: every query the batches make
    queries: list[str] = []
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: queries.append(record.query))
        service = GoalsService(pool=pool, clock=goals.clock, cache=GoalCache(1_000), tree_memory=TreeMemory(1_000))
        warm = Goals(service, goals.clock, goals.org_id)
        await warm.measure("warm", 1.0)  # the memory now holds the organisation's rows
        queries.clear()
        await warm.measure("warm", 2.0)
    finally:
        await pool.close()
    assert (await goals.get(parent.goal.goal_id)).current == 2.0  # the leaf's latest value, rolled up
    reads = [q for q in queries if "goal_nodes" in q and not q.lstrip().upper().startswith("INSERT")]
    assert len(reads) == 1 and "tree_version > $2" in reads[0], reads  # the rows since its number: none


async def test_the_memory_keeps_at_most_its_rows_least_recently_used_out(goals: Goals, pool: asyncpg.Pool) -> None:
    memory = TreeMemory(max_rows=5)
    service = GoalsService(pool=pool, clock=goals.clock, tree_memory=memory)
    small, large = Org(await new_org(pool)), Org(await new_org(pool))
    for org, size in ((small, 2), (large, 4)):
        await org.create(service, None, rollup="sum", target=1_000)
        for leaf in range(size - 1):
            await org.create(service, 0, metric={"key": f"k{leaf}"}, target=100)
    assert list(memory._orgs) == [large.org_id]  # 2 + 4 rows: the least recently used went
    for leaf in (8, 9):  # grown past the bound alone: read from the database as it goes
        await large.create(service, 0, metric={"key": f"k{leaf}"}, target=100)
    assert list(memory._orgs) == [] and memory._held == 0
    await small.step(service, ("measure", [(0, 5.0)]))
    assert list(memory._orgs) == [small.org_id] and memory._held == 2
