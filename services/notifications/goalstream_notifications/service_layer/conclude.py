"""Recording a claimed batch's attempts: one transaction for the batch, one statement per table.

Each delivery was attempted under its own span; what it came to is written here together, after
the batch's sends. A worker killed before this commit leaves every attempt of the batch
unrecorded: their leases run out and they are sent again with the same `webhook-id` (at least
once, as before, only for a whole batch instead of one delivery). The attempt count the claim saw
still guards each row, so a result that lost the race to another worker is dropped alone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

import asyncpg

from goalstream_contracts.cloudevents import KafkaRecord
from goalstream_notifications.adapters import alerts, deliveries, subscriptions
from goalstream_notifications.adapters.deliveries import ClaimedDelivery, Conclusion
from goalstream_notifications.domain.retry import AttemptResult, Dead, Delivered, Outcome, RetryLater
from goalstream_notifications.domain.subscription import Channel
from goalstream_notifications.service_layer.subscriptions import disable_subscription
from goalstream_runtime import metrics
from goalstream_runtime.outbox import enqueue

log = logging.getLogger(__name__)
for _channel in get_args(Channel):  # every attempt series exists from the start, at 0
    for _outcome in metrics.DELIVERY_OUTCOMES:
        metrics.DELIVERY_ATTEMPTS.labels(_channel, _outcome)


@dataclass(frozen=True)
class Attempted:
    """One delivery of the batch after its attempt; `outcome` None: not sent, its subscription is disabled."""

    delivery: ClaimedDelivery
    result: AttemptResult | None = None
    outcome: Outcome | None = None
    trace: dict[str, str] | None = None  # its span's context: the alert's publish continues that trace


def _conclusion(a: Attempted) -> Conclusion:
    assert a.result is not None
    if isinstance(a.outcome, Delivered):
        return Conclusion(a.delivery, a.result, "delivered")
    if isinstance(a.outcome, RetryLater):
        return Conclusion(a.delivery, a.result, "pending", a.outcome.wait_seconds)
    return Conclusion(a.delivery, a.result, "dead")


async def record(pool: asyncpg.Pool, batch: Sequence[Attempted], now: datetime) -> None:
    """Conclude every attempt of `batch` in one transaction (raises if it fails: nothing is recorded)."""
    sent = [a for a in batch if a.outcome is not None]
    cancelled = [a.delivery.id for a in batch if a.outcome is None]
    disabling: dict[tuple[str, uuid.UUID], str] = {}
    for a in sent:
        if isinstance(a.outcome, Dead) and a.outcome.disable_subscription:
            disabling.setdefault((a.delivery.org_id, a.delivery.subscription_id), a.outcome.reason)
    async with pool.acquire() as conn, conn.transaction():
        # Subscription rows before delivery rows, the order an API delete locks them in, so that the
        # two cannot deadlock.
        for (org_id, subscription_id), reason in sorted(disabling.items()):
            await subscriptions.disable(conn, org_id, subscription_id, reason)
        attempts = await deliveries.conclude_attempts(conn, [_conclusion(a) for a in sent])
        if cancelled:
            await deliveries.cancel(conn, cancelled, "subscription disabled")
        concluded = [a for a in sent if a.delivery.id in attempts]
        for (org_id, subscription_id), reason in sorted(disabling.items()):
            if any(a.delivery.subscription_id == subscription_id for a in concluded):
                # Idempotent for the subscription; cancels its other pending deliveries.
                await disable_subscription(conn, org_id, subscription_id, reason)
        records = [_alert(a, attempts[a.delivery.id], now) for a in concluded]
        kept = [(r, a.trace or {}) for r, a in zip(records, concluded, strict=True) if r is not None]
        await enqueue(conn, [r for r, _ in kept], alerts.OUTBOX_CHANNEL, traces=[t for _, t in kept])
    _log(concluded, attempts)


def _alert(a: Attempted, attempts: int, now: datetime) -> KafkaRecord | None:
    assert a.result is not None
    if isinstance(a.outcome, Delivered):
        return alerts.delivered(a.delivery, attempts, a.result.status_code, now)
    if isinstance(a.outcome, Dead):
        return alerts.failed(a.delivery, attempts, a.result.status_code, a.outcome.reason, now)
    return None


def _log(concluded: Sequence[Attempted], attempts: dict[uuid.UUID, int]) -> None:
    """One line for the batch's deliveries; one per failed attempt, which someone may need to look at."""
    delivered = sum(isinstance(a.outcome, Delivered) for a in concluded)
    for a in concluded:  # after the commit: each attempt counted once
        outcome = (
            "delivered"
            if isinstance(a.outcome, Delivered)
            else "retry"
            if isinstance(a.outcome, RetryLater)
            else "dead"
        )
        metrics.count_delivery(a.delivery.channel, outcome)
    if delivered:
        log.info("delivered", extra={"deliveries": delivered})
    for a in concluded:
        assert a.result is not None
        d = a.delivery
        extra: dict[str, object] = {"delivery_id": str(d.id), "org_id": d.org_id, "attempts": attempts[d.id]}
        extra["status_code"] = a.result.status_code
        if isinstance(a.outcome, RetryLater):
            extra |= {"retry_in": a.outcome.wait_seconds, "error": a.result.describe()}
            log.warning("delivery attempt failed; will retry", extra=extra)
        elif isinstance(a.outcome, Dead):
            log.error("delivery dead", extra=extra | {"reason": a.outcome.reason})
