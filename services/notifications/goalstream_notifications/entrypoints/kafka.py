"""What notifications consumes: goal events (fanned out into deliveries) and the identity topic (API keys)."""

from __future__ import annotations

import asyncpg
from faststream.kafka import KafkaBroker

from goalstream_contracts.topics import GOAL_EVENTS
from goalstream_notifications.service_layer.fanout import FanOut
from goalstream_runtime.consumers import subscribe
from goalstream_runtime.identity import subscribe_identity

SERVICE = "notifications"


def subscribe_goal_events(broker: KafkaBroker, pool: asyncpg.Pool, fan_out: FanOut, group_prefix: str) -> None:
    subscribe(broker, GOAL_EVENTS, f"{group_prefix}-{SERVICE}", pool, fan_out, span_name="notifications fan-out")
    subscribe_identity(broker, SERVICE, pool, group_prefix)
