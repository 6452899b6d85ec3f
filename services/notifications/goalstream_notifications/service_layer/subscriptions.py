"""Use cases behind the API: subscribe, list, unsubscribe, inspect deliveries, retry a dead one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from goalstream_contracts.common import Severity
from goalstream_notifications.adapters import deliveries, delivery_log, goal_tree, subscriptions
from goalstream_notifications.adapters.delivery_log import Delivery, DeliveryStatus
from goalstream_notifications.adapters.egress import EgressGuard
from goalstream_notifications.adapters.subscriptions import Subscription
from goalstream_notifications.domain.subscription import Channel, new_secret
from goalstream_runtime.db import Connection

# Channels whose target is a URL this service connects to: the egress guard checks it at creation.
URL_CHANNELS = frozenset({"webhook", "slack"})


class NotFound(LookupError):
    """No such subscription or delivery in the caller's organisation (another organisation's is not found either)."""


class Refused(Exception):
    """The request is well-formed but cannot be done; `code` is machine-readable, `field` the input at fault."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


async def disable_subscription(conn: Connection, org_id: str, subscription_id: uuid.UUID, reason: str) -> bool:
    """Disable it and cancel its pending deliveries, in the caller's transaction; False if not found."""
    if not await subscriptions.disable(conn, org_id, subscription_id, reason):
        return False
    await deliveries.cancel_for_subscription(conn, subscription_id, f"subscription disabled: {reason}")
    return True


@dataclass
class SubscriptionsService:
    pool: asyncpg.Pool
    # Strict (public addresses only) unless the composition root passes the operator's allow-list.
    egress: EgressGuard = field(default_factory=EgressGuard)
    secret_overlap_seconds: float = 86400.0  # how long a rotated-out secret keeps signing

    async def subscribe(
        self,
        org_id: str,
        *,
        channel: Channel,
        target: str,
        event_types: Sequence[str],
        root_goal_id: str | None,
        min_severity: Severity | None,
    ) -> tuple[Subscription, str]:
        """Create a subscription; returns it and its signing secret (which is never shown again)."""
        if channel in URL_CHANNELS and (refusal := await self.egress.target_refusal(target)) is not None:
            raise Refused(422, "egress_refused", refusal, "target")
        if root_goal_id is not None and not await goal_tree.known(self.pool, org_id, root_goal_id):
            raise Refused(
                422,
                "unknown_goal",
                f"goal {root_goal_id} is unknown (a goal created a moment ago may not have reached notifications yet)",
                "root_goal_id",
            )
        secret = new_secret()
        subscription = await subscriptions.insert(
            self.pool,
            org_id=org_id,
            channel=channel,
            target=target,
            event_types=sorted(set(event_types)),
            root_goal_id=root_goal_id,
            min_severity=min_severity,
            secret=secret,
        )
        return subscription, secret

    async def list_subscriptions(self, org_id: str, limit: int) -> list[Subscription]:
        return await subscriptions.list_for_org(self.pool, org_id, limit)

    async def rotate_secret(self, org_id: str, subscription_id: uuid.UUID) -> tuple[Subscription, str]:
        """Issue a new signing secret (returned once); the old one keeps signing for the overlap window."""
        secret = new_secret()
        async with self.pool.acquire() as conn, conn.transaction():
            rotated = await subscriptions.rotate_secret(
                conn, org_id, subscription_id, secret, self.secret_overlap_seconds
            )
            if rotated is not None:
                return rotated, secret
            found = await subscriptions.get(conn, org_id, subscription_id)
        if found is None:
            raise NotFound(str(subscription_id))
        if found.channel != "webhook":
            raise Refused(409, "not_a_webhook", f"subscription {subscription_id} is {found.channel}; it has no secret")
        raise Refused(409, "subscription_disabled", f"subscription {subscription_id} is disabled")

    async def unsubscribe(self, org_id: str, subscription_id: uuid.UUID) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await disable_subscription(conn, org_id, subscription_id, "deleted through the API"):
                raise NotFound(str(subscription_id))

    async def list_deliveries(
        self, org_id: str, status: DeliveryStatus | None, subscription_id: uuid.UUID | None, limit: int
    ) -> list[Delivery]:
        return await delivery_log.list_for_org(
            self.pool, org_id, status=status, subscription_id=subscription_id, limit=limit
        )

    async def retry_delivery(self, org_id: str, delivery_id: uuid.UUID) -> Delivery:
        """Make a dead delivery due now. It gets one more attempt; failing that, it is dead again."""
        async with self.pool.acquire() as conn, conn.transaction():
            found = await deliveries.lock_for_retry(conn, org_id, delivery_id)
            if found is None:
                raise NotFound(str(delivery_id))
            if found["status"] != "dead":
                raise Refused(
                    409, "not_dead", f"delivery {delivery_id} is {found['status']}; only a dead one is retried"
                )
            if not found["subscription_enabled"]:
                raise Refused(409, "subscription_disabled", f"the subscription of delivery {delivery_id} is disabled")
            await deliveries.reopen(conn, delivery_id)
            delivery = await delivery_log.get(conn, org_id, delivery_id)
        assert delivery is not None
        return delivery
