"""Settings of the notifications service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field, field_validator

from goalstream_runtime.settings import RelaySettings

DEFAULT_RETRY_SCHEDULE = [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


class NotificationsSettings(RelaySettings):
    http_port: int = Field(default=8003, description="Port of the notifications HTTP API.")
    delivery_batch_size: int = Field(
        default=50, ge=1, le=1000, description="Most due deliveries one worker claims and sends concurrently."
    )
    delivery_poll_seconds: float = Field(
        default=1.0, gt=0, description="Delivery worker poll interval when no NOTIFY wakes it (and for due retries)."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Whole-request timeout of one webhook attempt; slower counts as a failure."
    )
    claim_lease_margin_seconds: float = Field(
        default=5.0,
        ge=0,
        description="A claimed delivery is hidden from other workers for the webhook timeout plus this margin;"
        " if its worker dies, another one retries it afterwards.",
    )
    retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
        min_length=1,
        description="Wait before each attempt: attempt n (from 0) waits schedule[n] after the previous failure;"
        " its length is the number of attempts before a delivery is dead. JSON list in the environment.",
    )
    retry_jitter: float = Field(
        default=0.2,
        ge=0,
        lt=1,
        description="Each non-zero wait is scaled by a random factor in [1 - jitter, 1 + jitter] so that"
        " deliveries that failed together do not retry together.",
    )
    egress_allow_private: bool = Field(
        default=True,
        description="TEMPORARY until the egress issue: private/loopback targets allowed"
        " (the SSRF guard of DESIGN.md section 5 is not implemented yet).",
    )

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _finite_non_negative(cls, schedule: list[float]) -> list[float]:
        if any(not 0 <= wait < float("inf") for wait in schedule):
            raise ValueError("every wait must be a finite number of seconds >= 0")
        return schedule
