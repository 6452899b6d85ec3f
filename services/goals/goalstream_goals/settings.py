"""Settings of the goals service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field

from goalstream_runtime.settings import ServiceSettings


class GoalsSettings(ServiceSettings):
    http_port: int = Field(default=8001, description="Port of the goals HTTP API.")
    demo_api_key: str | None = Field(
        default=None, description="When set and no organisation exists, create the demo organisation with this key."
    )
    demo_org_id: str = Field(default="demo", description="Id of the demo organisation.")
    relay_batch_size: int = Field(default=500, ge=1, description="Most outbox records the relay publishes at once.")
    relay_poll_seconds: float = Field(default=1.0, gt=0, description="Relay poll interval when no NOTIFY wakes it.")
