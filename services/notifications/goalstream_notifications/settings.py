"""Settings of the notifications service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from goalstream_notifications.adapters.egress import EgressPolicy
from goalstream_notifications.domain.addresses import mailbox
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
    retry_after_max_seconds: float = Field(
        default=3600.0,
        ge=0,
        allow_inf_nan=False,
        description="Longest wait a receiver's Retry-After (on 429 or 503) can impose: the next attempt waits"
        " max(scheduled wait, min(Retry-After, this)). Retry-After never adds attempts.",
    )
    secret_rotation_overlap_seconds: float = Field(
        default=86400.0,
        ge=0,
        allow_inf_nan=False,
        description="After POST /v1/subscriptions/{id}/rotate-secret, how long the previous secret keeps"
        " signing alongside the new one (two signatures in webhook-signature).",
    )
    egress_allow: list[str] = Field(
        default_factory=list,
        description="Egress allow-list: what alert targets may reach beyond public addresses. Entries are CIDR"
        ' networks ("10.20.0.0/16", "::1/128", a bare address) or exact host names ("hooks.internal", no'
        " wildcards); an allowed name is admitted whatever it resolves to. JSON list in the environment;"
        " empty (the default): only public addresses.",
    )

    @field_validator("egress_allow")
    @classmethod
    def _valid_allow_entries(cls, entries: list[str]) -> list[str]:
        EgressPolicy.from_allow_list(entries)  # raises ValueError naming a bad entry
        return entries

    public_base_url: str | None = Field(
        default=None,
        description="Where people open the dashboard (tracking's `/`); Slack and email alerts link to"
        " <base>/#goal=<id>, which opens the dashboard at that goal. Unset: http://localhost:<tracking_port>,"
        " where `goalstream run` starts tracking. Empty: alerts carry no link.",
    )
    tracking_port: int = Field(
        default=8002,
        ge=1,
        le=65535,
        description="Port of the tracking service, as `goalstream run` reads it: the default public_base_url's.",
    )
    smtp_host: str = Field(default="localhost", min_length=1, description="SMTP server email alerts are sent through.")
    smtp_port: int = Field(
        default=25, ge=1, le=65535, description="SMTP port: 25 (relay), 587 (submission, STARTTLS), 465 (implicit TLS)."
    )
    smtp_from: str = Field(
        default="goalstream <goalstream@localhost>",
        description="From of email alerts, 'Name <address>' or an address; the address is also the envelope"
        " sender, and its domain ends each Message-ID.",
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user name; unset: no AUTH.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP AUTH password (with smtp_username).")
    smtp_starttls: bool = Field(
        default=False,
        description="Upgrade the connection with STARTTLS; an attempt fails if the server does not offer it.",
    )
    smtp_ssl: bool = Field(default=False, description="Implicit TLS from the first byte (port 465); not with STARTTLS.")
    smtp_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        allow_inf_nan=False,
        description="Whole-attempt timeout of one email (connect, TLS, AUTH, the message); slower is a failed attempt.",
    )

    @field_validator("public_base_url")
    @classmethod
    def _absolute_http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None  # unset: tracking's own address (`_default_dashboard`)
        if not url:
            return ""  # no link
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http or https URL, or empty")
        return url.rstrip("/")

    @field_validator("smtp_from")
    @classmethod
    def _one_mailbox(cls, value: str) -> str:
        return mailbox(value)[0]

    @model_validator(mode="after")
    def _default_dashboard(self) -> Self:
        """Unset: tracking's address where `goalstream run` starts it; empty (from `_absolute_http_url`): no link."""
        if self.public_base_url is None:
            self.public_base_url = f"http://localhost:{self.tracking_port}"
        elif not self.public_base_url:
            self.public_base_url = None
        return self

    @model_validator(mode="after")
    def _smtp_consistent(self) -> Self:
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("smtp_ssl and smtp_starttls exclude each other: choose implicit TLS or STARTTLS")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("smtp_username and smtp_password go together")
        return self

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _finite_non_negative(cls, schedule: list[float]) -> list[float]:
        if any(not 0 <= wait < float("inf") for wait in schedule):
            raise ValueError("every wait must be a finite number of seconds >= 0")
        return schedule
