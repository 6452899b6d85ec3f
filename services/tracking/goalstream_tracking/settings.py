"""Settings of the tracking service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field

from goalstream_runtime.settings import ServiceSettings


class TrackingSettings(ServiceSettings):
    http_port: int = Field(default=8002, description="Port of the tracking HTTP API.")
