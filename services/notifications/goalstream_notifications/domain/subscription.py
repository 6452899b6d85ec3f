"""Which goal events a subscription wants: event types, minimum severity and goal subtree."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, Literal, get_args

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Severity
from goalstream_contracts.registry import EVENT_CLASSES
from goalstream_contracts.topics import GOAL_EVENTS

Channel = Literal["webhook", "slack", "email"]

# The names a subscription may list: the payload types published on the goal events topic.
GOAL_EVENT_TYPES: Final = frozenset(cls.event_type for cls in EVENT_CLASSES if cls.topic == GOAL_EVENTS)

SEVERITY_RANK: Final[dict[str, int]] = {name: rank for rank, name in enumerate(get_args(Severity))}

SECRET_PREFIX: Final = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass(frozen=True)
class SubscriptionFilter:
    """The matching part of an enabled subscription."""

    subscription_id: str
    event_types: frozenset[str]
    root_goal_id: str | None = None
    min_severity: Severity | None = None
    channel: Channel = "webhook"  # not for matching: fan-out renders the delivery's body for it


def event_severity(payload: Payload) -> Severity | None:
    """The severity an event carries (anti-goal events, anti-goal definitions), if any."""
    severity: Severity | None = getattr(payload, "severity", None)
    return severity


def event_goal_id(payload: Payload) -> str | None:
    """The goal an event is about; ladder events other than a rung unlock are about no goal."""
    goal_id: str | None = getattr(payload, "goal_id", None)
    return goal_id


def matches(
    subscription: SubscriptionFilter, event_type: str, severity: Severity | None, lineage: Collection[str]
) -> bool:
    """Whether the subscription wants this event.

    `lineage` is the event's goal and all its ancestors; a subtree subscription matches when its
    root is among them. An event without severity passes only subscriptions without a minimum.
    """
    if subscription.event_types and event_type not in subscription.event_types:
        return False
    if subscription.min_severity is not None and (
        severity is None or SEVERITY_RANK[severity] < SEVERITY_RANK[subscription.min_severity]
    ):
        return False
    return subscription.root_goal_id is None or subscription.root_goal_id in lineage
