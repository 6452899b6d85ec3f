"""Settings of the goals service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field

from goalstream_runtime.settings import RelaySettings


class GoalsSettings(RelaySettings):
    http_port: int = Field(default=8001, description="Port of the goals HTTP API.")
    demo_api_key: str | None = Field(
        default=None, description="When set and no organisation exists, create the demo organisation with this key."
    )
    demo_org_id: str = Field(default="demo", description="Id of the demo organisation.")
