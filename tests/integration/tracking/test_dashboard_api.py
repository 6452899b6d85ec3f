"""The dashboard API's reads (issue 20) against a real generation: stored views with the new fields (and migration
0004 for older generations), roots without rungs, ladders with unlock times, a goal's points with their sources,
the event stream with trace ids, and search paths."""

from __future__ import annotations

import json
import uuid
from importlib import resources

from goalstream_contracts.common import LadderRung
from goalstream_contracts.events import LadderRungUnlocked, LadderSet
from goalstream_tracking.adapters import node_view, store, view_refresh
from goalstream_tracking.adapters.projection import project_batch
from goalstream_tracking.domain.node import GoalNode
from goalstream_tracking.service_layer import dashboard, queries
from goalstream_tracking.service_layer.read_models import LiveReadModel
from tests.integration.tracking.harness import Feed
from tests.unit.tracking.builders import DAY, T0, hard, measured, parent

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_migration_0004_clears_old_views_and_start_up_writes_them_with_the_new_fields(feed: Feed) -> None:
    g = f"v{uuid.uuid4().hex[:6]}"
    await feed.apply([(hard(g, owner="ana"), T0)])
    table = f'"{feed.schema}".nodes'
    old = json.dumps({k: v for k, v in json.loads(node_view.view_json(await _node(feed, g))).items() if k != "owner"})
    await feed.conn.execute(f"UPDATE {table} SET view_json = $1 WHERE goal_id = $2", old, g)
    await feed.conn.execute(f'ALTER TABLE "{feed.schema}".event_log DROP COLUMN trace_id')
    await feed.conn.execute(
        resources.files("goalstream_tracking").joinpath("migrations/0004_dashboard_api.sql").read_text()
    )
    assert await feed.conn.fetchval(f"SELECT view_json FROM {table} WHERE goal_id = $1", g) is None
    assert await view_refresh.refresh(feed.conn, feed.schema) >= 1
    stored = json.loads(await feed.conn.fetchval(f"SELECT view_json FROM {table} WHERE goal_id = $1", g))
    assert stored["owner"] == "ana" and stored["deadline"] is not None
    assert await feed.conn.fetchval(f'SELECT count(trace_id) FROM "{feed.schema}".event_log') == 0


async def test_roots_leave_out_rungs_and_ladders_page_with_unlock_times(feed: Feed) -> None:
    p = f"l{uuid.uuid4().hex[:6]}-"
    rungs = tuple(LadderRung(index=k, goal_id=f"{p}R{k}", title=f"rung {k}") for k in (1, 2))
    await feed.apply(
        [
            (hard(p + "G"), T0),
            (hard(p + "R1", ladder_id=p + "L", rung_index=1), T0),
            (hard(p + "R2", ladder_id=p + "L", rung_index=2), T0),
            (LadderSet(ladder_id=p + "L", title="climb", rungs=rungs), T0),
            (LadderRungUnlocked(ladder_id=p + "L", rung_index=2, goal_id=p + "R2", unlocked_at=T0 + DAY), T0 + DAY),
        ]
    )
    rm = LiveReadModel(feed.conn, feed.schema, feed.org_id)
    assert [n.goal_id for n in await queries.roots(rm, "", 100)] == [p + "G"]
    (ladder,) = await rm.ladders_page("", 10)
    assert (ladder.unlocked_at(1), ladder.unlocked_at(2)) == (T0, T0 + DAY)
    assert await rm.ladders_page(ladder.ladder_id, 10) == []


async def test_points_carry_their_source_and_the_stream_its_trace_ids_newest_first(feed: Feed) -> None:
    p = f"s{uuid.uuid4().hex[:6]}-"
    await feed.apply([(parent(p + "P"), T0), (hard(p + "A", parent_id=p + "P", title="Revenue EU"), T0)])
    envelope = feed.envelope(measured(p + "A", 40.0, source="salesforce", observed_at=T0 + DAY), T0 + 2 * DAY)
    async with feed.conn.transaction():
        await project_batch(feed.conn, feed.schema, [envelope], trace_ids=[TRACE])
    points = await dashboard.points(feed.conn, feed.schema, feed.org_id, p + "A", None)
    assert [(r["event_type"], r["value"], r["source"]) for r in points] == [
        ("GoalSet", None, None),
        ("MeasurementRecorded", 40.0, "salesforce"),
    ]
    assert len(await dashboard.points(feed.conn, feed.schema, feed.org_id, p + "A", T0 + DAY)) == 1  # recorded by then
    latest = await dashboard.events(feed.conn, feed.schema, feed.org_id, None, None, None, 2)
    assert [(r["event_type"], r["trace_id"]) for r in latest] == [("MeasurementRecorded", TRACE), ("GoalSet", None)]
    after = await dashboard.events(feed.conn, feed.schema, feed.org_id, latest[1]["seq"], None, p + "A", 10)
    assert [r["event_id"] for r in after] == [str(envelope.event_id)]
    assert await dashboard.ancestors(feed.conn, feed.schema, feed.org_id, [p + "A", p + "P"]) == {
        p + "A": [p + "P"],
        p + "P": [],
    }


async def _node(feed: Feed, goal_id: str) -> GoalNode:
    found = await store.node(feed.conn, feed.schema, goal_id)
    assert found is not None
    return found
