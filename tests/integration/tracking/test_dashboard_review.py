"""Review of the dashboard API (issue 20) on real PostgreSQL: an `as_of` read that needs the event log or the
ancestors reads them on the connection of its own snapshot (a second connection per request exhausted the pool:
as many concurrent requests as the pool holds each waited for another, forever), and the ladders page reads
its rungs in one query, not one per rung."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from importlib import resources
from types import SimpleNamespace
from typing import Any

from fastapi import Response

from goalstream_contracts.common import LadderRung
from goalstream_contracts.events import LadderSet
from goalstream_runtime.db import create_pool
from goalstream_tracking.entrypoints import http_dashboard
from goalstream_tracking.service_layer import dashboard
from goalstream_tracking.service_layer.queries import Tracking
from tests.integration.tracking.harness import Feed
from tests.unit.tracking.builders import DAY, T0, hard, measured, parent

POOL = 2  # the smallest pool the settings allow


async def test_as_of_reads_as_many_at_once_as_the_pool_holds_without_waiting_for_a_second_connection(
    feed: Feed, database_url: str
) -> None:
    await feed.apply([(parent("top"), T0), (hard("g", parent_id="top"), T0), (measured("g", 50.0), T0 + DAY)])
    pool = await create_pool(database_url, "tracking", POOL)
    try:
        service = Tracking(pool=pool, clock=lambda: T0 + 2 * DAY)
        caller: Any = SimpleNamespace(org_id=feed.org_id)
        then = T0 + 2 * DAY
        series = [http_dashboard.series("g", caller, service, then, mode) for mode in ("recorded", "observed")]
        search = [
            http_dashboard.search(caller, service, "", as_of=then, as_of_mode=m) for m in ("recorded", "observed")
        ]
        answers = await asyncio.wait_for(asyncio.gather(asyncio.gather(*series), asyncio.gather(*search)), 15)
    finally:
        await pool.close()
    (recorded, seen), (found, _) = answers
    assert recorded.points[-1].value == 50.0 and seen.points[-1].value == 50.0
    assert {h.goal_id: h.path for h in found.items} == {"top": [], "g": ["top"]}


async def test_the_ladders_page_reads_every_rung_of_the_page_in_one_query(feed: Feed, database_url: str) -> None:
    events: list[Any] = []
    for i in range(3):
        rungs = [LadderRung(index=r, goal_id=f"l{i}r{r}", title=f"r{r}") for r in (1, 2, 3)]
        events.append((LadderSet(ladder_id=f"l{i}", title=f"ladder {i}", rungs=tuple(rungs)), T0))
        events += [(hard(f"l{i}r{r}", ladder_id=f"l{i}", rung_index=r), T0) for r in (1, 2, 3)]
    await feed.apply(events)
    pool = await create_pool(database_url, "tracking", 1)  # one connection: the route's is the logged one
    queries: list[str] = []
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: queries.append(record.query))
        service = Tracking(pool=pool, clock=lambda: T0 + timedelta(days=1))
        page = await http_dashboard.ladders(SimpleNamespace(org_id=feed.org_id), service)  # type: ignore[arg-type]
        await asyncio.sleep(0.1)  # asyncpg calls its query loggers soon, not at once
    finally:
        await pool.close()
    assert [lad.ladder_id for lad in page.items] == ["l0", "l1", "l2"]
    assert [r.goal_id for r in page.items[2].rungs] == ["l2r1", "l2r2", "l2r3"]
    assert sum('".nodes' in q for q in queries) == 1, queries


async def _plan_of_events(feed: Feed, kind: str | None, goal_id: str | None) -> str:
    """The plan PostgreSQL chooses for the event stream's query, as `dashboard.events` sends it."""
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def logged(record: Any) -> None:
        sent.append((record.query, record.args))

    feed.conn.add_query_logger(logged)
    try:
        await dashboard.events(feed.conn, feed.schema, feed.org_id, None, kind, goal_id, 20)
        await asyncio.sleep(0.1)  # asyncpg calls its query loggers soon, not at once
    finally:
        feed.conn.remove_query_logger(logged)
    ((sql, args),) = [(q, a) for q, a in sent if "event_log" in q]
    for _ in range(6):  # past the custom plans: a prepared statement's generic plan does not know the values
        await feed.conn.fetch(sql, *args)
    return json.dumps(await feed.conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))


async def test_the_event_stream_filtered_by_type_or_goal_reads_an_index_of_them_not_the_whole_log(feed: Feed) -> None:
    log = f'"{feed.schema}".event_log'
    await feed.conn.execute(
        f"INSERT INTO {log} (event_id, org_id, stream_id, stream_version, event_type, schema_version, occurred_at,"
        " payload) SELECT gen_random_uuid(), $1, 'g' || (i % 500), i, CASE WHEN i % 1000 = 0 THEN 'GoalSet'"
        " ELSE 'MeasurementRecorded' END, 1, now(), jsonb_build_object('goal_id', 'g' || (i % 500))"
        " FROM generate_series(1, 20000) i",
        feed.org_id,
    )
    await feed.conn.execute(f"ANALYZE {log}")
    by_type, by_goal = await _plan_of_events(feed, "GoalSet", None), await _plan_of_events(feed, None, "g7")
    assert "event_type" in by_type and '"Index Cond"' in by_type and "Seq Scan" not in by_type, by_type
    assert "goal_id" in by_goal and '"Index Cond"' in by_goal and "Seq Scan" not in by_goal, by_goal


async def test_migration_0005_gives_an_older_generation_the_event_stream_indexes(feed: Feed) -> None:
    for name in ("event_log_org_type", "event_log_org_goal"):
        await feed.conn.execute(f'DROP INDEX "{feed.schema}".{name}')
    await feed.conn.execute(
        resources.files("goalstream_tracking").joinpath("migrations/0005_event_stream_indexes.sql").read_text()
    )
    found = await feed.conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = $1", feed.schema)
    assert {"event_log_org_type", "event_log_org_goal"} <= {r["indexname"] for r in found}


async def test_a_weak_or_any_etag_in_if_none_match_is_nothing_new_too(feed: Feed, database_url: str) -> None:
    """A proxy that compresses the answer weakens its ETag (`W/"…"`), and `*` matches any: RFC 9110 compares
    If-None-Match weakly, so both are 304 while nothing is new; another ETag is a 200."""
    await feed.apply([(hard("g"), T0)])
    pool = await create_pool(database_url, "tracking", POOL)
    try:
        service = Tracking(pool=pool, clock=lambda: T0 + DAY)
        caller: Any = SimpleNamespace(org_id=feed.org_id)

        async def status(if_none_match: str | None) -> tuple[int, str]:
            answer = await http_dashboard.events(caller, service, Response(), if_none_match=if_none_match)
            return answer.status_code, answer.headers["ETag"]

        _, etag = await status(None)
        statuses = [(await status(tag))[0] for tag in (etag, f"W/{etag}", f'"x", W/{etag}', "*", '"0:0"')]
    finally:
        await pool.close()
    assert statuses == [304, 304, 304, 304, 200]
