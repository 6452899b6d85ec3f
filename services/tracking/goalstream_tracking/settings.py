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
        default=40_000,
        ge=0,
        description="Most nodes, ladders and rollup input rows the consumer keeps in memory between batches, over"
        " all its partitions (0: none); past it the largest partition's memory is emptied and refills from"
        " PostgreSQL as batches read it. A row takes about 1 KB; the default holds a 10,000-goal tree's working"
        " set in about 50 MB.",
    )
