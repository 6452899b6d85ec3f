"""/metrics exports no `_created` series (issue 19): a counter is `_total`, a histogram its buckets, sum and count.

prometheus_client adds a `<name>_created` gauge (the Unix time the series was made) to every counter and histogram
unless told not to; Prometheus stores it as a series of its own that no dashboard or alert of ours reads.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from goalstream_runtime import metrics


async def test_metrics_export_counters_and_histograms_without_created_series() -> None:
    app = FastAPI()
    metrics.install(app)

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/ping")).status_code == 200  # gives the request counter and histogram a series
        text = (await client.get("/metrics")).text
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert {"goalstream_http_requests_total", "goalstream_http_request_duration_seconds_bucket"} <= names, names
    assert sorted(n for n in names if n.endswith("_created")) == []
