"""Tracking's consumer remembers what it committed between batches (issue 17, item 2): the read models it writes
equal the projection's without memory, batch for batch, when two consumers take turns on one partition (a
rebalance), when a batch fails, and when the generation switches; and what it remembers is what committed."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import timedelta

import asyncpg
import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalRevised
from goalstream_runtime.consumer_batch import OwnedBatch
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import create_pool
from goalstream_tracking.adapters import batch_store, generations, store
from goalstream_tracking.adapters.projection import apply_live, project_batch
from goalstream_tracking.service_layer.committed import CommittedMemory
from tests.integration.tracking.harness import Feed
from tests.integration.tracking.org_tree import events, generate
from tests.integration.tracking.test_batch_projection import T0, rows
from tests.unit.tracking.builders import anti, breached, measured

PARTITION = ("goalstream.goal-events.v1", 0)


def owned(envelopes: Sequence[Envelope[Payload]], first: int) -> OwnedBatch:
    return OwnedBatch(envelopes, [PARTITION] * len(envelopes), {PARTITION: (first, first + len(envelopes) - 1)})


def history(feed: Feed, rng: random.Random) -> list[Envelope[Payload]]:
    """A tree built parents first, then values, moves between parents, and anti-goals under their parents (a child
    and a breach of the same goal)."""
    p = f"c{uuid.uuid4().hex[:6]}"
    specs, antis = generate(p, rng, (1, 3, 9, 27), anti_goals=6)
    payloads: list[Payload] = [e for e, _ in events(specs, antis, T0, parents_first=True)]
    leaves = [s.goal_id for s in specs if s.depth == 3]
    teams = [s.goal_id for s in specs if s.depth == 2]
    for k in range(6):
        payloads += [anti(f"{p}-under-{k}", parent_id=teams[k]), breached(f"{p}-under-{k}")]
    for k in range(160):
        leaf = rng.choice(leaves)
        if k % 7 == 3:
            payloads.append(GoalRevised(goal_id=leaf, changed=("parent_id",), parent_id=rng.choice(teams)))
        else:
            payloads.append(measured(leaf, float(rng.randint(0, 600)), measurement_id=f"m{k}"))
    return [feed.envelope(e, T0 + timedelta(milliseconds=n)) for n, e in enumerate(payloads)]


@pytest.mark.parametrize("seed", [1, 2])
async def test_memory_between_batches_writes_what_the_projection_without_memory_writes(
    feed: Feed, database_url: str, seed: int
) -> None:
    rng = random.Random(seed)
    async with feed.conn.transaction():
        plain = await generations.create(feed.conn, "building")
    stream = history(feed, rng)
    pool = await create_pool(database_url, "tracking", 2)
    turns = [CommittedMemory(max_rows=10_000), CommittedMemory(max_rows=10_000)]  # two consumers, one partition
    tiny = CommittedMemory(max_rows=40)  # emptied again and again
    offset, used = 0, 0
    try:
        while offset < len(stream):
            batch = stream[offset : offset + rng.randint(1, 40)]
            memory = rng.choice([*turns, *turns, tiny]) if used > 2 else turns[0]
            used += 1
            if rng.random() < 0.1 and len(batch) > 1:  # a batch refused as a whole changes nothing, memory included
                gone = feed.envelope(measured(f"gone-{offset}", 1.0), T0).model_copy(update={"stream_version": 7})
                bad = [*batch, gone]
                with pytest.raises(Rejected):
                    await apply_live(pool, owned(bad, offset), memory)
            assert await apply_live(pool, owned(batch, offset), memory) == [True] * len(batch)
            async with feed.conn.transaction():
                assert await project_batch(feed.conn, plain, batch) == [True] * len(batch)
            offset += len(batch)
        assert await rows(feed, feed.schema) == await rows(feed, plain)
        checked = [await remembered_as_committed(pool, feed.schema, m, offset) for m in (*turns, tiny)]
        assert sum(checked) > 0  # one of them is current
    finally:
        await pool.close()


async def remembered_as_committed(pool: asyncpg.Pool, schema: str, memory: CommittedMemory, end: int) -> int:
    """What a consumer that would serve the next batch (at offset `end`) remembers is what the database holds now
    (one behind would start over); how many rows that is."""
    state = memory.partitions.get(PARTITION)
    if state is None or state.next_offset != end:
        return 0
    async with pool.acquire() as conn:
        for goal_id, node in state.nodes.items():
            assert await store.node(conn, schema, goal_id) == node, goal_id
        for goal_id, peers in state.peers.items():
            org = state.nodes[goal_id].org_id if goal_id in state.nodes else None
            found = await batch_store.children_and_anti_goals(conn, schema, [org or ""], [goal_id])
            assert peers == {r.goal_id: r for r in found}, goal_id
    assert state.peer_rows == sum(len(p) for p in state.peers.values())
    return state.rows()


async def test_a_consumer_remembers_its_partition_until_another_commits_on_it(feed: Feed, database_url: str) -> None:
    rng = random.Random(5)
    stream = history(feed, rng)[:120]
    pool = await create_pool(database_url, "tracking", 2)
    first, second = CommittedMemory(10_000), CommittedMemory(10_000)
    try:
        await apply_live(pool, owned(stream[:100], 0), first)
        remembered = first.partitions[PARTITION]
        assert remembered.next_offset == 100 and len(remembered.nodes) > 30 and remembered.peers
        await apply_live(pool, owned(stream[100:110], 100), second)  # the partition moved, and moved back
        await apply_live(pool, owned(stream[110:], 110), first)
        assert first.partitions[PARTITION] is not remembered  # started over: what it had was no longer committed
        assert await remembered_as_committed(pool, feed.schema, first, len(stream)) > 0
        assert first.recall("another-generation", owned(stream[:1], 120)).nodes == {}  # a rebuild switched
    finally:
        await pool.close()
