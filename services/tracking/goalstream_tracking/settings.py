"""Settings of the tracking service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field

from goalstream_runtime.settings import ServiceSettings


class TrackingSettings(ServiceSettings):
    http_port: int = Field(default=8002, description="Port of the tracking HTTP API.")
    lag_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long GET /v1/lag reuses a consumer-lag measurement, so frequent scraping stays cheap.",
    )
    memory_max_rows: int = Field(
        default=100_000,
        ge=0,
        description="Most nodes, ladders and rollup input rows the consumer keeps in memory per partition between"
        " batches (0: none); past it the partition's memory is emptied and refills from PostgreSQL as batches read"
        " it. Lower it if the service's memory is short; each row is a few hundred bytes to a few kilobytes.",
    )
