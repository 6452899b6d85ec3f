"""What tracking adds to its /metrics: anti-goals in breach, read from the live read model at scrape time."""

from __future__ import annotations

import asyncpg
from prometheus_client.core import GaugeMetricFamily, Metric

from goalstream_runtime.metrics import Scrape
from goalstream_tracking.adapters import generations


def add_breach_metrics(scrape: Scrape, pool: asyncpg.Pool) -> None:
    async def breaches() -> list[Metric]:
        async with pool.acquire() as conn:
            schema = await generations.live_name(conn)
            rows = (
                await conn.fetch(
                    f"SELECT doc->'definition'->>'severity' AS severity, count(*) AS n FROM \"{schema}\".nodes"
                    " WHERE kind = 'anti' AND breached AND in_tree GROUP BY 1"
                )
                if schema
                else []
            )
        family = GaugeMetricFamily(
            "goalstream_anti_goals_breached", "Anti-goals in an open breach, by severity.", labels=["severity"]
        )
        counts = {r["severity"] or "warning": int(r["n"]) for r in rows}
        for severity in ("info", "warning", "critical"):
            family.add_metric([severity], counts.get(severity, 0))
        return [family]

    scrape.add(breaches, "database")
