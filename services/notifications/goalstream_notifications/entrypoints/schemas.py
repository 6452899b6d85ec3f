"""The notifications API's request and response bodies; validation here names the field at fault."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from goalstream_contracts.common import Severity
from goalstream_notifications.adapters.delivery_log import Delivery, DeliveryStatus
from goalstream_notifications.adapters.subscriptions import Subscription
from goalstream_notifications.domain.addresses import address
from goalstream_notifications.domain.subscription import GOAL_EVENT_TYPES, Channel


def _goal_event_type(name: str) -> str:
    if name not in GOAL_EVENT_TYPES:
        raise ValueError(f"unknown goal event type {name!r}; known: {', '.join(sorted(GOAL_EVENT_TYPES))}")
    return name


GoalEventType = Annotated[str, AfterValidator(_goal_event_type)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SubscriptionCreate(Strict):
    channel: Channel = Field(description="webhook (signed JSON), slack (incoming webhook) or email (SMTP)")
    target: str = Field(
        min_length=1,
        max_length=2048,
        description="webhook: an http(s) URL; slack: the incoming-webhook https URL (http only for a loopback"
        " receiver); email: one plain address such as ops@example.com",
    )
    event_types: list[GoalEventType] = Field(
        default_factory=list, max_length=100, description="goal event type names, e.g. GoalAchieved; empty: all"
    )
    root_goal_id: str | None = Field(default=None, min_length=1, max_length=100, description="only this subtree")
    min_severity: Severity | None = Field(default=None, description="only events with at least this severity")

    @field_validator("target")
    @classmethod
    def _target_for_channel(cls, target: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        if channel == "email":
            return address(target)
        parts = urlsplit(target)
        if channel == "webhook" and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("a webhook target must be an absolute http or https URL")
        if channel == "slack" and not (
            parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname)))
        ):
            # The URL carries Slack's token: plain http only to a local receiver (tests, a local relay).
            raise ValueError("a slack target must be an https incoming-webhook URL (http only for a loopback host)")
        return target


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SubscriptionView(BaseModel):
    id: str = Field(description="the subscription's id")
    channel: Channel = Field(description="webhook, slack or email")
    target: str = Field(description="where deliveries go: the webhook or Slack URL, or the email address")
    event_types: list[str] = Field(description="the goal event types delivered (all when empty)")
    root_goal_id: str | None = Field(description="only events of this goal's subtree; null: every goal")
    min_severity: Severity | None = Field(description="only events with at least this severity; null: any")
    status: Literal["enabled", "disabled"] = Field(description="enabled, or disabled (no more deliveries)")
    created_at: datetime = Field(description="when it was created")
    disabled_at: datetime | None = Field(description="when it was disabled; null while enabled")
    disabled_reason: str | None = Field(description="why it was disabled")
    secret_rotated_at: datetime | None = Field(default=None, description="when the secret was last rotated")
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="set while the previous secret still signs alongside the current one"
    )

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionView:
        return cls(
            id=str(s.id),
            channel=s.channel,
            target=s.target,
            event_types=list(s.event_types),
            root_goal_id=s.root_goal_id,
            min_severity=s.min_severity,
            status="enabled" if s.disabled_at is None else "disabled",
            created_at=s.created_at,
            disabled_at=s.disabled_at,
            disabled_reason=s.disabled_reason,
            secret_rotated_at=s.secret_rotated_at,
            previous_secret_expires_at=s.previous_secret_expires_at,
        )


class SubscriptionCreated(SubscriptionView):
    secret: str = Field(description="the whsec_ signing secret; shown only in this response")


class SecretRotated(SubscriptionView):
    secret: str = Field(
        description="the new whsec_ signing secret; shown only in this response. The previous one keeps signing"
        " too until previous_secret_expires_at"
    )


class AttemptView(BaseModel):
    attempt: int = Field(description="1-based number of the attempt")
    at: datetime = Field(description="when it was made")
    status_code: int | None = Field(description="the receiver's HTTP status; null when none came (refused, timed out)")
    error: str | None = Field(description="what went wrong; null on success")
    retry_after_seconds: float | None = Field(
        default=None, description="what the receiver's Retry-After asked for (429 and 503 only)"
    )


class DeliveryView(BaseModel):
    id: str = Field(description="also the webhook-id header of every attempt")
    subscription_id: str = Field(description="the subscription it is for")
    event_id: str = Field(description="the goal event delivered")
    event_type: str = Field(description="its type, e.g. GoalAchieved")
    status: DeliveryStatus = Field(
        description="pending (to be tried or retried), delivered, or dead (out of retries: POST .../retry)"
    )
    attempts: int = Field(description="attempts made so far")
    next_attempt_at: datetime | None = Field(description="set while pending")
    last_error: str | None = Field(description="the last attempt's error")
    last_status_code: int | None = Field(description="the last attempt's HTTP status")
    created_at: datetime = Field(description="when the delivery was made from its event")
    delivered_at: datetime | None = Field(description="when it was delivered; null until then")
    attempt_log: list[AttemptView] = Field(description="every attempt, oldest first")

    @classmethod
    def of(cls, d: Delivery) -> DeliveryView:
        return cls(
            id=str(d.id),
            subscription_id=str(d.subscription_id),
            event_id=str(d.event_id),
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
            last_error=d.last_error,
            last_status_code=d.last_status_code,
            created_at=d.created_at,
            delivered_at=d.delivered_at,
            attempt_log=[
                AttemptView(
                    attempt=a.attempt,
                    at=a.at,
                    status_code=a.status_code,
                    error=a.error,
                    retry_after_seconds=a.retry_after_seconds,
                )
                for a in d.attempt_log
            ],
        )
