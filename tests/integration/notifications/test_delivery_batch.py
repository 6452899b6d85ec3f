"""A claimed batch with every kind of outcome is recorded in one transaction, each delivery as it came out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from goalstream_notifications.adapters import deliveries, subscriptions
from goalstream_notifications.adapters.egress import EgressGuard, EgressPolicy
from goalstream_notifications.adapters.email import EmailSender, SmtpConfig
from goalstream_notifications.adapters.slack import SlackSender
from goalstream_notifications.adapters.webhook import WebhookSender, new_client
from goalstream_notifications.domain.retry import RetrySchedule
from goalstream_notifications.service_layer.delivery import DeliveryWorker
from goalstream_runtime.db import _init_connection, migrate
from goalstream_runtime.embedded.ports import free_port
from tests.integration.notifications.harness import LOOPBACK_ALLOWED
from tests.integration.notifications.test_egress import serving

pytestmark = pytest.mark.timeout(60)
ORG = "org-batch"
STATUSES = {"ok": 200, "fail": 500, "gone": 410}


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[tuple[asyncpg.Pool, list[str]]]:
    """A pool that notes every transaction its connections begin."""
    await migrate(database_url, "notifications", "goalstream_notifications")
    transactions: list[str] = []

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)  # the service pool's codecs (jsonb)
        conn.add_query_logger(lambda q: transactions.append(q.query) if q.query.startswith("BEGIN") else None)

    created = await asyncpg.create_pool(
        database_url, init=init, min_size=1, max_size=4, server_settings={"search_path": "notifications"}
    )
    try:
        yield created, transactions
    finally:
        await created.close()


async def pending(pool: asyncpg.Pool, port: int, path: str, events: int, *, disabled: bool = False) -> None:
    sub = await subscriptions.insert(
        pool, org_id=ORG, channel="webhook", target=f"http://127.0.0.1:{port}/{path}", event_types=[],
        root_goal_id=None, min_severity=None, secret="whsec_" + "A" * 32,
    )  # fmt: skip
    async with pool.acquire() as conn:
        for _ in range(events):
            await deliveries.insert_pending(
                conn, org_id=ORG, subscription_ids=[str(sub.id)], event_id=uuid.uuid4(),
                event_type="GoalAchieved", correlation_id=uuid.uuid4(), body=b"{}", first_wait=0.0,
            )  # fmt: skip
        if disabled:
            await conn.execute("UPDATE subscriptions SET disabled_at = now() WHERE id = $1", sub.id)


async def test_a_mixed_batch_is_recorded_in_one_transaction(pool: tuple[asyncpg.Pool, list[str]]) -> None:
    db, transactions = pool

    async def hook(request: Request) -> Response:
        return Response(status_code=STATUSES[request.path_params["path"]])

    port = free_port()
    app = Starlette(routes=[Route("/{path}", hook, methods=["POST"])])
    for path, events in [("ok", 3), ("fail", 2), ("gone", 2)]:
        await pending(db, port, path, events)
    await pending(db, port, "ok", 1, disabled=True)
    guard = EgressGuard(EgressPolicy.from_allow_list(LOOPBACK_ALLOWED))
    async with serving(app, port), new_client(3.0, guard) as client:
        worker = DeliveryWorker(
            db, "", "notifications", WebhookSender(client, 3.0), RetrySchedule((0.0, 60.0), jitter=0.0),
            lambda: datetime.now(UTC), batch_size=50, lease_seconds=30, poll_seconds=1,
            slack=SlackSender(client, 3.0), email=EmailSender(SmtpConfig("localhost", 25, "a@b.c", 1.0)),
        )  # fmt: skip
        transactions.clear()
        assert await worker.deliver_due() == 8
    assert len(transactions) == 1, transactions
    rows = await db.fetch(
        "SELECT s.target, d.status, d.attempts, s.disabled_at IS NOT NULL AS disabled,"
        " (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id) AS logged"
        " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id ORDER BY s.created_at, d.id"
    )
    seen = sorted((r["target"].rsplit("/", 1)[1], r["status"], r["attempts"], r["logged"]) for r in rows)
    assert seen == sorted(
        [("ok", "delivered", 1, 1)] * 3 + [("fail", "pending", 1, 1)] * 2 + [("gone", "dead", 1, 1)] * 2
        + [("ok", "dead", 0, 0)]
    )  # fmt: skip
    assert {r["target"].rsplit("/", 1)[1] for r in rows if r["disabled"]} == {"gone", "ok"}
    # Binary-mode CloudEvents: the type is a header.
    types = [dict(r["headers"])["ce_type"] for r in await db.fetch("SELECT headers FROM outbox")]
    assert sorted(t.rsplit(".", 1)[-1] for t in types) == ["AlertDelivered"] * 3 + ["AlertDeliveryFailed"] * 2
