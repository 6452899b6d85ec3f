"""The delivery worker: claims due deliveries, sends them, and records the outcomes of a batch in one transaction.

Any number of workers (instances) can run: claims use FOR UPDATE SKIP LOCKED and a lease, so a
delivery is sent by one worker at a time and retried by another if its worker dies mid-send.
Delivery is at least once: a worker killed after the receiver answered but before the commit
sends that attempt again, with the same `webhook-id` so the receiver can drop the repeat.
Each delivery goes out on its subscription's channel (webhook, Slack or email); the outcome rules
are the same for all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime

import asyncpg

from goalstream_notifications.adapters import deliveries
from goalstream_notifications.adapters.deliveries import WAKE_CHANNEL, ClaimedDelivery
from goalstream_notifications.adapters.email import EmailSender
from goalstream_notifications.adapters.slack import SlackSender
from goalstream_notifications.adapters.webhook import WebhookSender
from goalstream_notifications.domain.retry import AttemptResult, RetrySchedule, decide
from goalstream_notifications.service_layer import conclude
from goalstream_notifications.service_layer.conclude import Attempted
from goalstream_runtime.db import connect
from goalstream_runtime.telemetry import current_headers, extract, tracer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        schema: str,
        sender: WebhookSender,
        schedule: RetrySchedule,
        clock: Clock,
        *,
        batch_size: int,
        lease_seconds: float,
        poll_seconds: float,
        rng: random.Random | None = None,
        slack: SlackSender,
        email: EmailSender,
    ) -> None:
        self.pool, self.dsn, self.schema = pool, dsn, schema
        self.sender, self.schedule, self.clock = sender, schedule, clock
        self.slack, self.email = slack, email
        self.batch_size, self.lease_seconds, self.poll_seconds = batch_size, lease_seconds, poll_seconds
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Deliver forever; survives database outages by reconnecting."""
        while True:
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery worker failed; restarting")
                await asyncio.sleep(self.poll_seconds)

    async def _serve(self) -> None:
        listener = await connect(self.dsn, self.schema)
        try:
            await listener.add_listener(WAKE_CHANNEL, lambda *_: self._wake.set())
            while not listener.is_closed():
                # Cleared before claiming, so a NOTIFY that arrives while sending is not lost.
                self._wake.clear()
                if await self.deliver_due() < self.batch_size:
                    # The poll also picks up retries that came due, which nobody NOTIFYs about.
                    # asyncio.timeout, not wait_for, which on 3.11 can swallow a cancellation.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_seconds):
                            await self._wake.wait()
        finally:
            with contextlib.suppress(Exception):
                await listener.close()

    async def deliver_due(self) -> int:
        """Claim one batch of due deliveries, send them concurrently, record them together; how many were claimed."""
        batch = await deliveries.claim_due(self.pool, self.batch_size, self.lease_seconds)
        if not batch:
            return 0
        results = await asyncio.gather(*(self._attempt(d) for d in batch), return_exceptions=True)
        attempted: list[Attempted] = []
        for delivery, result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                # Its lease runs out and it is attempted again; the attempt count was not advanced.
                log.error("delivery attempt failed", extra={"delivery_id": str(delivery.id)}, exc_info=result)
            else:
                attempted.append(result)
        try:
            await conclude.record(self.pool, attempted, self.clock())
        except Exception as exc:
            # None of the batch was recorded: the leases run out and every one is attempted again
            # (at least once, with the same webhook-id).
            for a in attempted:
                log.error("delivery could not be recorded", extra={"delivery_id": str(a.delivery.id)}, exc_info=exc)
        return len(batch)

    async def _attempt(self, delivery: ClaimedDelivery) -> Attempted:
        # Continues the trace stored at fan-out: the request that caused the event, across Kafka.
        with tracer.start_as_current_span(
            "notifications deliver",
            context=extract(delivery.trace_context),
            attributes={
                "goalstream.delivery_id": str(delivery.id),
                "goalstream.event_id": str(delivery.event_id),
                "goalstream.event_type": delivery.event_type,
                "goalstream.org_id": delivery.org_id,
                "goalstream.channel": delivery.channel,
                "goalstream.attempt": delivery.attempts + 1,
            },
        ) as span:
            if not delivery.subscription_enabled:
                return Attempted(delivery)
            result = await self._send(delivery)
            if result.status_code is not None:
                span.set_attribute("http.response.status_code", result.status_code)
            outcome = decide(self.schedule, delivery.attempts + 1, result, self.rng)
            span.set_attribute("goalstream.outcome", type(outcome).__name__)
            return Attempted(delivery, result, outcome, current_headers())

    async def _send(self, delivery: ClaimedDelivery) -> AttemptResult:
        """One attempt on the subscription's channel; the body was rendered for that channel at fan-out."""
        if delivery.channel == "slack":
            return await self.slack.send(delivery.target, delivery.body, self.clock())
        if delivery.channel == "email":
            return await self.email.send(delivery.target, str(delivery.id), delivery.body, self.clock())
        return await self.sender.send(
            delivery.target, str(delivery.id), delivery.secret, delivery.body, self.clock(), delivery.previous_secret
        )
