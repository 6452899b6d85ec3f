"""A rebuild (the whole log folded in memory, written with COPY) makes the generation the live projection made from
the same records: every table, every column, the stored views, the processed markers, and the same records refused.

The log mixes a generated tree, re-parents, a breach, a ladder whose rung unlocks, a repeat, a goal set anew over
its own versions (its first history point stays), and four records the live consumer dead-letters: a gap in a
stream, an event of a goal never set, a ladder event of a ladder never set, and a malformed record.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.common import LadderRung
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalAchieved, GoalRevised, LadderRungUnlocked, LadderSet
from goalstream_contracts.topics import GOAL_EVENTS, dlq
from goalstream_runtime.db import connect
from goalstream_tracking.adapters import generations
from goalstream_tracking.bootstrap import SCHEMA
from goalstream_tracking.service_layer.rebuild import rebuild
from tests.integration.tracking import org_tree
from tests.integration.tracking.service import running_tracking
from tests.support.infra import Endpoints
from tests.support.polling import eventually
from tests.unit.tracking.builders import anti, breached, hard, measured, parent, status

T0 = datetime.now(UTC) - timedelta(days=1)
TABLES = {  # every column; the event log in arrival order (`seq` itself counts every organisation's events)
    "nodes": "SELECT * FROM {s}.nodes WHERE org_id = $1 ORDER BY goal_id",
    "ladders": "SELECT * FROM {s}.ladders WHERE org_id = $1 ORDER BY ladder_id",
    "history": "SELECT * FROM {s}.history WHERE org_id = $1 ORDER BY goal_id, version",
    "event_log": "SELECT event_id, org_id, stream_id, stream_version, event_type, schema_version, occurred_at,"
    " payload FROM {s}.event_log WHERE org_id = $1 ORDER BY seq",
    "processed_events": "SELECT event_id FROM {s}.processed_events WHERE event_id = ANY($1::uuid[]) ORDER BY 1",
}
Position = tuple[int, int]  # (partition, offset)


@dataclass
class Log:
    """One organisation's records on the goal events topic, as the goals service would publish them."""

    producer: AIOKafkaProducer
    org_id: str = field(default_factory=lambda: f"org-{uuid.uuid4().hex[:8]}")
    versions: dict[str, int] = field(default_factory=dict)
    event_ids: list[uuid.UUID] = field(default_factory=list)

    def envelope(self, payload: Payload, version: int | None = None) -> Envelope[Payload]:
        stream = payload.subject()
        self.versions[stream] = version or self.versions.get(stream, 0) + 1
        at = T0 + timedelta(seconds=len(self.event_ids))
        e = Envelope[Payload].new(
            payload,
            org_id=self.org_id,
            stream_id=stream,
            stream_version=self.versions[stream],
            occurred_at=at,
            source="/goalstream/goals",
        )
        self.event_ids.append(e.event_id)
        return e

    async def publish(self, envelope: Envelope[Payload], value: bytes | None = None) -> Position:
        r = to_kafka(envelope)
        sent = await self.producer.send_and_wait(r.topic, value or r.value, key=r.key, headers=list(r.headers))
        return sent.partition, sent.offset


@pytest.fixture
async def log(database_url: str, infra: Endpoints) -> AsyncIterator[Log]:
    """The tracking service in-process on a fresh database (its consumer applies the log live), and a producer."""
    async with running_tracking(database_url, infra) as (producer, _):
        yield Log(producer)


def scenario(p: str) -> list[Payload]:
    specs, antis = org_tree.generate(p, random.Random(17), sizes=(1, 3, 9, 18), anti_goals=4)
    g0, d1, d2, d3, t1, t2, t3, a1, r1, r2 = (
        p + g for g in ("G0", "D1", "D2", "D3", "T1", "T2", "T3", "A1", "R1", "R2")
    )
    ladder = p + "L"
    rungs = (LadderRung(index=1, goal_id=r1, title="one"), LadderRung(index=2, goal_id=r2, title="two"))
    return [
        *(payload for payload, _ in org_tree.events(specs, antis, T0, parents_first=True)),
        parent(g0),
        parent(d1, parent_id=g0),
        parent(d2, "sum", parent_id=g0, target=100),
        hard(t1, parent_id=d1, target=10),
        hard(t2, parent_id=d1, target=10, weight=3),
        hard(t3, parent_id=d2, target=50),
        anti(a1, guards=t1),
        hard(r1, parent_id=g0, target=10, ladder_id=ladder, rung_index=1),
        hard(r2, parent_id=g0, target=10, ladder_id=ladder, rung_index=2, start_at=None),
        LadderSet(ladder_id=ladder, title="rungs", rungs=rungs),
        measured(t1, 5),
        status(t1, "at_risk"),
        measured(t2, 10),
        status(t2, "achieved"),
        breached(a1, guards=t1),
        GoalRevised(goal_id=t1, changed=("parent_id",), parent_id=d2),
        parent(d3, "sum", parent_id=g0, target=200),
        GoalRevised(goal_id=d2, changed=("parent_id",), parent_id=d3),
        measured(r1, 10),
        GoalAchieved(goal_id=r1, value=10, target=10, progress=1, achieved_at=T0, ladder_id=ladder),
        GoalRevised(goal_id=r2, changed=("start_at",), start_at=T0),
        LadderRungUnlocked(ladder_id=ladder, rung_index=2, goal_id=r2, unlocked_at=T0, previous_goal_id=r1),
        measured(t3, 20),
        hard(t3, parent_id=d1, target=40),  # set anew: version 1 again, whose history point exists already
    ]


async def publish_with_poison(log: Log) -> tuple[set[Position], list[Position]]:
    """The scenario, a repeat, four records to refuse, and a marker last: (the poison's positions, every position)."""
    p = f"r{uuid.uuid4().hex[:6]}-"
    events = [log.envelope(payload) for payload in scenario(p)]
    positions = [await log.publish(e) for e in events]
    positions.append(await log.publish(events[-5]))  # a repeat
    t1 = p + "T1"
    poison = [
        await log.publish(log.envelope(measured(t1, 6), version=log.versions[t1] + 2)),  # a gap in t1's stream
        await log.publish(log.envelope(measured(p + "never", 1))),  # a goal never set
        await log.publish(
            log.envelope(LadderRungUnlocked(ladder_id=p + "nope", rung_index=2, goal_id=t1, unlocked_at=T0))
        ),
        await log.publish(log.envelope(measured(p + "bad", 1)), json.dumps({"goal_id": 5}).encode()),  # malformed
    ]
    marker = log.envelope(hard(p + "marker"))
    positions += [*poison, await log.publish(marker)]
    return set(poison), positions


async def tables(database_url: str, schema: str, log: Log) -> dict[str, list[dict[str, Any]]]:
    conn: asyncpg.Connection = await connect(database_url, SCHEMA)
    try:
        found = {}
        for table, query in TABLES.items():
            args = [log.event_ids] if table == "processed_events" else [log.org_id]
            found[table] = [_values(r) for r in await conn.fetch(query.format(s=f'"{schema}"'), *args)]
        return found
    finally:
        await conn.close()


def _values(row: asyncpg.Record) -> dict[str, Any]:
    """The row, its stored views as JSON values: the live projection's own text of a view depends on its batches
    (a node read back from its jsonb document has its `source` keys in jsonb's order, one folded in memory in the
    order they were set), so two runs of the live projection differ in it as much as a rebuild does."""
    found = dict(row)
    for column in ("view_json", "plan_json"):
        if found.get(column) is not None:
            found[column] = json.loads(found[column])
    return found


async def live_schema(database_url: str) -> str:
    conn: asyncpg.Connection = await connect(database_url, SCHEMA)
    try:
        return await generations.live_name(conn) or ""
    finally:
        await conn.close()


async def dead_letters(bootstrap: str, positions: set[Position]) -> dict[Position, str]:
    """The reasons the live consumer dead-lettered the records at `positions` with."""
    consumer = AIOKafkaConsumer(dlq(GOAL_EVENTS), bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[Position, str] = {}
    try:

        async def probe() -> dict[Position, str] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    h = {k: v.decode() for k, v in r.headers}
                    if (at := (int(h["dlq_partition"]), int(h["dlq_offset"]))) in positions:
                        found[at] = h["dlq_reason"]
            return found if set(found) == positions else None

        return await eventually(probe, 60, "the refused records in the DLQ")
    finally:
        await consumer.stop()


def differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The first rows that differ, by the columns that differ (a readable failure)."""
    found = [
        (i, {k: (g.get(k), w.get(k)) for k in g.keys() | w.keys() if g.get(k) != w.get(k)})
        for i, (g, w) in enumerate(zip(got, want, strict=False))
        if g != w
    ]
    return [*found[:3], ("rows", len(got), len(want))]


async def test_a_rebuild_in_memory_equals_the_live_projection_table_by_table(
    log: Log, database_url: str, infra: Endpoints
) -> None:
    poison, positions = await publish_with_poison(log)
    bootstrap = infra.kafka_bootstrap
    refused_live = await dead_letters(bootstrap, poison)  # the marker applied after them: nothing else is pending
    live = await live_schema(database_url)

    async def marker_applied() -> bool | None:
        return (
            True if len((await tables(database_url, live, log))["processed_events"]) == len(log.event_ids) - 4 else None
        )

    await eventually(marker_applied, 60, "every event but the refused applied live")
    before = await tables(database_url, live, log)

    result = await rebuild(database_url, SCHEMA, bootstrap)

    rebuilt = await tables(database_url, result.generation, log)
    for table in TABLES:
        assert rebuilt[table] == before[table], (table, differences(rebuilt[table], before[table]))
    assert {(p, o): reason for p, o, reason in result.refused if (p, o) in set(positions)} == refused_live
    # The scenario did what it says: views stored, the breach counted up the new path, the first history point kept.
    nodes = {r["goal_id"]: r for r in rebuilt["nodes"]}
    assert all(r["view_json"] for r in rebuilt["nodes"]) and len(rebuilt["ladders"]) == 1
    assert any(r["open_breaches"] for r in rebuilt["nodes"]) and any(r["counts"] != [0] * 5 for r in nodes.values())
    t3 = [r for r in rebuilt["history"] if r["goal_id"].endswith("-T3")]
    assert [r["version"] for r in t3] == [1, 2] and t3[0]["event_type"] == "GoalSet"
