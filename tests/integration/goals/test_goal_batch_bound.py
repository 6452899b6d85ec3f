"""The process's bound on goals a batch decides at once (`batch_goals_at_once`), on real PostgreSQL and Kafka:
batches beyond it wait, writing nothing, while other requests go on; once permits are free every one is
answered as it would have been alone, all or nothing, a refusal naming its item and field. And a batch's events
written in chunks (`event_store.WRITE_CHUNK`) are each stored once, with their outbox records in the same order."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from goalstream_goals.adapters import event_store, operator_keys
from goalstream_goals.bootstrap import build_app
from goalstream_goals.service_layer.batch_permits import BatchPermits
from goalstream_goals.settings import GoalsSettings
from tests.integration.goals.admin_harness import GOAL, Goals, bearer
from tests.integration.goals.test_goal_batch import goal_count, leaf, parent, refused
from tests.support.infra import Endpoints

BOUND = 10  # goals decided at once in the service under test


@pytest.fixture
async def app(database_url: str, infra: Endpoints) -> AsyncIterator[FastAPI]:
    settings = GoalsSettings(
        database_url=database_url,
        kafka_bootstrap=infra.kafka_bootstrap,
        consumer_group_prefix=f"it-{uuid.uuid4().hex[:8]}",
        scheduler_enabled=False,
        relay_poll_seconds=0.2,
        batch_goals_at_once=BOUND,
    )
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def goals(app: FastAPI) -> AsyncIterator[Goals]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://goals") as http:
        async with app.state.pool.acquire() as conn, conn.transaction():
            key_id, key = await operator_keys.issue_operator_key(conn, "integration tests", datetime.now(UTC))
        yield Goals(http, app.state.pool, key_id, bearer(key))


def tree(name: str, leaves: int) -> list[dict[str, Any]]:
    return [leaf(f"{name}-{i}", f"{name}.m{i}", f"{name}-root") for i in range(leaves)] + [parent(f"{name}-root")]


async def until_waiting(permits: BatchPermits, count: int) -> None:
    """Until `count` requests wait for permits (a generous bound on the wait, not a measurement)."""
    for _ in range(3_000):
        if permits.waiting >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{permits.waiting} requests wait for permits, not {count}")


async def test_batches_beyond_the_bound_wait_then_each_is_all_or_nothing(app: FastAPI, goals: Goals) -> None:
    org_id, key = await goals.create_org(["read", "write"])
    auth = bearer(key)
    permits: BatchPermits = app.state.batch_permits
    missing = str(uuid.uuid4())
    bodies = {
        "small": tree("small", 4),  # 5 goals
        "refused": [*tree("refused", 2), leaf("orphan", "refused.orphan", parent_id=missing)],
        "large": tree("large", 2 * BOUND),  # more goals than the bound: it takes every permit
    }

    async def send(name: str) -> httpx.Response:
        return await goals.http.post("/v1/goals/batch", json={"goals": bodies[name]}, headers=auth)

    async with permits.hold(BOUND):  # the test stands for a batch being decided
        sent = {name: asyncio.create_task(send(name)) for name in bodies}
        await until_waiting(permits, len(bodies))
        # Sentinel: a single goal sent after them is created while the batches still wait, having written nothing.
        single = await goals.http.post("/v1/goals", json=GOAL, headers=auth)
        assert single.status_code == 201, single.text
        assert await goal_count(goals, org_id) == 1
    answers = {name: await task for name, task in sent.items()}

    for name in ("small", "large"):
        assert answers[name].status_code == 201, answers[name].text
        created = answers[name].json()["goals"]
        assert [c["ref"] for c in created] == [item["ref"] for item in bodies[name]]
    refused(answers["refused"], 404, "goals.3.parent_id", "not_found")
    assert await goal_count(goals, org_id) == 1 + len(bodies["small"]) + len(bodies["large"])
    assert (permits.free, permits.waiting) == (BOUND, 0)


async def test_a_write_in_chunks_stores_each_event_and_its_record_once_in_order(
    goals: Goals, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_store, "WRITE_CHUNK", 7)  # this batch's events span several chunks, one ends short
    org_id, key = await goals.create_org(["read", "write"])
    response = await goals.http.post("/v1/goals/batch", json={"goals": tree("chunked", 8)}, headers=bearer(key))
    assert response.status_code == 201, response.text
    events = await goals.pool.fetch(
        "SELECT event_id, stream_id, stream_version FROM events WHERE org_id = $1 ORDER BY global_position", org_id
    )
    assert len(events) > 2 * 7  # three chunks at least
    records = await goals.pool.fetch(
        "SELECT headers FROM outbox WHERE message_key = $1 ORDER BY position", org_id.encode()
    )
    record_ids = [dict(json.loads(r["headers"]) if isinstance(r["headers"], str) else r["headers"])["ce_id"]
                  for r in records]  # fmt: skip
    assert record_ids == [str(e["event_id"]) for e in events]
    versions: dict[str, list[int]] = {}
    for e in events:
        versions.setdefault(e["stream_id"], []).append(e["stream_version"])
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
