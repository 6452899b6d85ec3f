"""What notifications adds to its /metrics: the delivery queue, read from the database at scrape time."""

from __future__ import annotations

import asyncpg
from prometheus_client.core import GaugeMetricFamily, Metric

from goalstream_notifications.adapters import deliveries
from goalstream_runtime.metrics import Scrape, gauge


def add_delivery_metrics(scrape: Scrape, pool: asyncpg.Pool) -> None:
    async def queue() -> list[Metric]:
        pending, due, dead = await deliveries.queue_depth(pool)
        depth = GaugeMetricFamily(
            "goalstream_delivery_queue_depth",
            "Deliveries waiting: pending (not yet delivered or dead), and due (pending whose next attempt is due).",
            labels=["state"],
        )
        depth.add_metric(["pending"], pending)
        depth.add_metric(["due"], due)
        return [depth, gauge("goalstream_delivery_dead_letters", "Deliveries given up on (status dead).", dead)]

    scrape.add(queue, "database")
