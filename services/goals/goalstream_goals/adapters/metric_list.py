"""An organisation's metrics: each with its last value, how many values it holds, and the goals bound to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from goalstream_runtime.db import Connection

# The metric keys of a page: the series' keys found by skipping from key to key on the index (a plain
# DISTINCT would read every value), and the keys active goals are bound to though nothing was measured yet.
_PAGE = """
WITH RECURSIVE measured(metric_key, n) AS (
    (SELECT metric_key, 1 FROM measurement_series
     WHERE org_id = $1 AND metric_key > $2 ORDER BY metric_key LIMIT 1)
    UNION ALL
    SELECT following.metric_key, measured.n + 1 FROM measured CROSS JOIN LATERAL (
        SELECT metric_key FROM measurement_series
        WHERE org_id = $1 AND metric_key > measured.metric_key ORDER BY metric_key LIMIT 1
    ) AS following WHERE measured.n < $3
), keys AS (
    SELECT metric_key FROM measured
    UNION
    SELECT metric_key FROM goal_metrics WHERE org_id = $1 AND active AND metric_key > $2
    ORDER BY metric_key LIMIT $3
)
SELECT k.metric_key, last.value, last.observed_at, last.recorded_at,
    (SELECT count(*) FROM measurement_series s WHERE s.org_id = $1 AND s.metric_key = k.metric_key) AS count,
    ARRAY(SELECT g.goal_id FROM goal_metrics g
          WHERE g.org_id = $1 AND g.metric_key = k.metric_key AND g.active ORDER BY g.goal_id) AS goals
FROM keys k LEFT JOIN LATERAL (
    SELECT value, observed_at, recorded_at FROM measurement_series s
    WHERE s.org_id = $1 AND s.metric_key = k.metric_key ORDER BY observed_at DESC, position DESC LIMIT 1
) AS last ON true
ORDER BY k.metric_key
"""


@dataclass(frozen=True)
class MetricSummary:
    key: str
    last_value: float | None  # the value observed last (of two observed at once, the later recorded)
    last_observed_at: datetime | None
    last_recorded_at: datetime | None
    count: int
    goals: list[str]  # ids of the active goals bound to it


async def page(conn: Connection, org_id: str, after: str, limit: int) -> list[MetricSummary]:
    """Metrics by key, those after `after`, at most `limit`."""
    rows = await conn.fetch(_PAGE, org_id, after, limit)
    return [
        MetricSummary(
            key=r["metric_key"],
            last_value=r["value"],
            last_observed_at=r["observed_at"],
            last_recorded_at=r["recorded_at"],
            count=r["count"],
            goals=list(r["goals"]),
        )
        for r in rows
    ]
