"""A batch of goal events projected in one go equals the same events projected one at a time, row for row.

The batch spans several streams and levels, re-parents a goal and a whole subtree, opens a breach, unlocks a
ladder rung, repeats an event applied before and one inside the batch, and carries consecutive versions of
one stream; a gap in a stream is refused inside a batch as it is alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from goalstream_contracts.base import Payload
from goalstream_contracts.common import LadderRung
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved, GoalRevised, LadderRungUnlocked, LadderSet
from goalstream_runtime.consumers import Rejected
from goalstream_tracking.adapters import generations
from goalstream_tracking.adapters.projection import project, project_batch
from tests.integration.tracking.harness import Feed, rolled_back
from tests.unit.tracking.builders import anti, breached, hard, measured, parent, status

T0 = datetime.now(UTC) - timedelta(days=1)
ROWS = {
    "nodes": "SELECT goal_id, org_id, parent_id, level, kind, breach_target, breached, in_tree, doc FROM {s}.nodes",
    "ladders": "SELECT ladder_id, org_id, doc FROM {s}.ladders",
    "history": "SELECT goal_id, version, org_id, at, event_type, current, progress, status FROM {s}.history",
    "event_log": "SELECT event_id, org_id, stream_id, stream_version, event_type, schema_version, occurred_at,"
    " payload FROM {s}.event_log ORDER BY seq",
    "processed_events": "SELECT event_id FROM {s}.processed_events",
}


async def rows(feed: Feed, schema: str) -> dict[str, list[dict[str, Any]]]:
    found = {t: [dict(r) for r in await feed.conn.fetch(q.format(s=f'"{schema}"'))] for t, q in ROWS.items()}
    return {t: r if t == "event_log" else sorted(r, key=repr) for t, r in found.items()}


def envelopes(feed: Feed, payloads: list[Payload]) -> list[Envelope[Payload]]:
    return [feed.envelope(p, T0 + timedelta(seconds=k)) for k, p in enumerate(payloads)]


async def one_at_a_time(feed: Feed, schema: str, events: list[Envelope[Payload]]) -> list[bool]:
    applied = []
    for e in events:
        async with feed.conn.transaction():
            applied.append(await project(feed.conn, schema, e))
    return applied


async def test_a_batch_equals_its_events_applied_one_at_a_time(feed: Feed) -> None:
    async with feed.conn.transaction():
        batched = await generations.create(feed.conn, "building")
    p = f"b{uuid.uuid4().hex[:8]}-"
    g0, d1, d2, d3, t1, t2, t3, t4, a1, r1, r2 = (
        p + g for g in ("G0", "D1", "D2", "D3", "T1", "T2", "T3", "T4", "A1", "R1", "R2")
    )
    ladder = p + "L"
    before = envelopes(
        feed,
        [
            parent(g0),
            parent(d1, parent_id=g0),
            parent(d2, "sum", parent_id=g0, target=100),
            hard(t1, parent_id=d1, target=10),
            hard(t2, parent_id=d1, target=10, weight=3),
            hard(t3, parent_id=d2, target=50),
            anti(a1, guards=t1),
            hard(r1, parent_id=g0, target=10, ladder_id=ladder, rung_index=1),
            hard(r2, parent_id=g0, target=10, ladder_id=ladder, rung_index=2, start_at=None),  # locked: not in the tree
            LadderSet(
                ladder_id=ladder,
                title="rungs",
                rungs=(LadderRung(index=1, goal_id=r1, title="one"), LadderRung(index=2, goal_id=r2, title="two")),
            ),
            measured(t1, 5),
            status(t1, "at_risk"),
        ],
    )
    assert await one_at_a_time(feed, feed.schema, before) == [True] * len(before)
    assert await one_at_a_time(feed, batched, before) == [True] * len(before)

    batch = envelopes(
        feed,
        [
            hard(t4, parent_id=d2, target=50),
            measured(t4, 30),
            measured(t4, 35, measurement_id="m-t4-second"),  # consecutive versions of one stream
            measured(t2, 10),
            status(t2, "achieved"),
            measured(t3, 20),
            breached(a1, guards=t1),
            GoalRevised(goal_id=t1, changed=("parent_id",), parent_id=d2),  # t1 moves, its breach with it
            parent(d3, "sum", parent_id=g0, target=200),
            GoalRevised(goal_id=d2, changed=("parent_id",), parent_id=d3),  # a subtree under a goal set just now
            measured(t1, 7),
            measured(r1, 10),
            GoalAchieved(goal_id=r1, value=10, target=10, progress=1, achieved_at=T0, ladder_id=ladder),
            GoalRevised(goal_id=r2, changed=("start_at",), start_at=T0),  # the next rung unlocks, joins the tree
            LadderRungUnlocked(ladder_id=ladder, rung_index=2, goal_id=r2, unlocked_at=T0, previous_goal_id=r1),
            status(g0, "on_track"),
        ],
    )
    batch = [*batch[:5], before[10], *batch[5:], batch[3]]  # one repeat from before, one from the batch itself
    expected = [True] * len(batch)
    expected[5] = expected[-1] = False

    assert await one_at_a_time(feed, feed.schema, batch) == expected
    async with feed.conn.transaction():
        assert await project_batch(feed.conn, batched, batch) == expected

    single, together = await rows(feed, feed.schema), await rows(feed, batched)
    assert together == single
    nodes = {r["goal_id"]: r for r in together["nodes"]}
    # The batch did what it says: the moves, the breach counted up the new path, the unlocked rung.
    assert (nodes[t1]["parent_id"], nodes[d2]["parent_id"]) == (d2, d3)
    assert [nodes[g]["doc"]["open_breaches"] for g in (t1, d2, d3, g0, d1)] == [1, 1, 1, 1, 0]
    assert nodes[d3]["doc"]["rollup_current"] == 7 + 20 + 35  # d2 = t1 + t3 + t4
    assert nodes[r2]["in_tree"] and nodes[t4]["doc"]["version"] == 3


async def test_a_gap_inside_a_batch_is_refused_as_it_is_alone(feed: Feed) -> None:
    goal = f"gap-{uuid.uuid4().hex[:8]}"
    first, second, _, fourth = envelopes(
        feed, [hard(goal), measured(goal, 1), measured(goal, 2), measured(goal, 3, measurement_id="m-gap-3")]
    )
    async with rolled_back(feed.conn):
        with pytest.raises(Rejected) as in_batch:
            await project_batch(feed.conn, feed.schema, [first, second, fourth])
    async with rolled_back(feed.conn):
        assert await project_batch(feed.conn, feed.schema, [first, second]) == [True, True]
        with pytest.raises(Rejected) as alone:
            await project(feed.conn, feed.schema, fourth)
    assert str(in_batch.value) == str(alone.value)
    assert f"version 4 of goal {goal}, which this read model has at version 2" in str(alone.value)
