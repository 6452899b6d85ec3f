"""A parent's rollup reads its children as the numbers in their columns, never as documents (issue 17, item 2);
migration 0003 fills those columns from the documents in generations made before it."""

from __future__ import annotations

import random
import uuid
from importlib import resources

from goalstream_contracts.base import Payload
from goalstream_tracking.adapters import store
from goalstream_tracking.domain.child import child_row, counts_of
from tests.integration.tracking.harness import Feed
from tests.integration.tracking.org_tree import events, generate
from tests.unit.tracking.builders import T0, anti, breached, hard, measured, parent, status

NOT_A_NODE = {"not": "a node"}


async def test_siblings_and_anti_goals_roll_up_from_their_columns_with_their_documents_unreadable(feed: Feed) -> None:
    p = f"r{uuid.uuid4().hex[:8]}-"
    top, a, b, x = p + "P", p + "A", p + "B", p + "X"
    setup: list[Payload] = [
        parent(top),
        hard(a, parent_id=top),
        hard(b, parent_id=top, weight=3.0),
        anti(x, guards=top),
    ]
    setup += [measured(a, 40.0), measured(b, 60.0), status(b, "on_track"), breached(x, guards=top)]
    await feed.apply([(e, T0) for e in setup])
    # b and x are only read by top's rollup below: a document read would fail to parse.
    await feed.conn.execute(
        f'UPDATE "{feed.schema}".nodes SET doc = $1::jsonb WHERE goal_id = ANY($2::text[])', NOT_A_NODE, [b, x]
    )
    assert await feed.apply([(measured(a, 80.0, measurement_id="m-again"), T0)]) == 1
    rolled = await store.node(feed.conn, feed.schema, top)
    assert rolled is not None
    assert rolled.progress == (0.8 * 1 + 0.6 * 3) / 4
    assert rolled.rolled_from == ((a, 1.0, 0.8), (b, 3.0, 0.6))
    assert rolled.counts == {"on_track": 1} and rolled.open_breaches == 1


async def test_migration_0003_fills_the_columns_of_an_older_generation_as_the_projection_writes_them(
    feed: Feed,
) -> None:
    specs, antis = generate(f"m{uuid.uuid4().hex[:8]}", random.Random(3), (1, 3, 9, 27), anti_goals=6)
    await feed.apply(events(specs, antis, T0), per_transaction=40)
    table = f'"{feed.schema}".nodes'
    written = {r["goal_id"]: r for r in await feed.conn.fetch(f"SELECT * FROM {table}")}
    columns = ("weight", "baseline", "progress", "current_value", "status", "counts", "open_breaches")
    # A generation made before 0003: its nodes had none of the columns.
    await feed.conn.execute(f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN {c}" for c in columns))
    await feed.conn.execute(
        resources.files("goalstream_tracking").joinpath("migrations/0003_rollup_columns.sql").read_text()
    )
    filled = {r["goal_id"]: r for r in await feed.conn.fetch(f"SELECT * FROM {table}")}
    assert len(filled) == len(specs) + len(antis)
    for goal_id, row in filled.items():
        assert tuple(row[c] for c in columns) == tuple(written[goal_id][c] for c in columns), goal_id
        node, c = store.node_from_doc(row["doc"]), row
        expected = child_row(node)
        seen = (c["weight"], c["baseline"], c["progress"], c["current_value"], c["status"], counts_of(c["counts"]))
        assert seen == (
            expected.weight,
            expected.baseline,
            expected.progress,
            expected.current,
            expected.status,
            expected.counts,
        ), goal_id


async def test_an_anti_goal_under_its_parent_counts_its_breach_once_when_a_sibling_moves(feed: Feed) -> None:
    """An anti-goal guarding nothing counts its breach on its parent, which it is also a child of: the rollup's
    read finds it as both, and must count it once."""
    p = f"u{uuid.uuid4().hex[:8]}-"
    top, a, x = p + "P", p + "A", p + "X"
    await feed.apply([(e, T0) for e in [parent(top), hard(a, parent_id=top), anti(x, parent_id=top), breached(x)]])
    before = await store.node(feed.conn, feed.schema, top)
    assert before is not None and before.open_breaches == 1  # x itself in the batch: read from memory
    assert await feed.apply([(measured(a, 50.0), T0)]) == 1  # x only read by top's rollup
    after = await store.node(feed.conn, feed.schema, top)
    assert after is not None and after.open_breaches == 1
