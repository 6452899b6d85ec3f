"""Each organisation's measurement series per metric: every accepted measurement, with or without a goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from goalstream_goals.domain.goal import Measurement
from goalstream_runtime.db import Connection


@dataclass(frozen=True)
class Kept:
    """One value of a series; `order` sorts values observed at the same time by arrival."""

    measurement: Measurement
    goal_id: str | None  # a check-in aimed at this goal only
    order: tuple[int, int]  # (0, position) for stored values, (1, index) for a batch's not yet written


async def seen(conn: Connection, org_id: str, measurement_ids: list[str]) -> set[str]:
    """The ids that already took effect (one effect per measurement id and organisation)."""
    rows = await conn.fetch(
        "SELECT measurement_id FROM measurements_seen WHERE org_id = $1 AND measurement_id = ANY($2::text[])",
        org_id,
        list(dict.fromkeys(measurement_ids)),
    )
    return {r["measurement_id"] for r in rows}


async def keep(conn: Connection, org_id: str, values: list[Kept], recorded_at: datetime) -> None:
    """Mark a batch's accepted measurements seen and add them to their series, in one statement."""
    if not values:
        return
    ms = [v.measurement for v in values]
    await conn.execute(
        "WITH batch AS (SELECT * FROM unnest($2::text[], $3::text[], $4::float8[], $5::timestamptz[],"
        " $6::text[], $7::text[], $8::float8[], $9::text[]) WITH ORDINALITY"
        " AS b(measurement_id, metric_key, value, observed_at, source, comment, confidence, goal_id, n)),"
        " marked AS (INSERT INTO measurements_seen (org_id, measurement_id) SELECT $1, measurement_id FROM batch"
        " ON CONFLICT DO NOTHING)"
        " INSERT INTO measurement_series (org_id, metric_key, measurement_id, value, observed_at, recorded_at,"
        " source, comment, confidence, goal_id)"
        " SELECT $1, metric_key, measurement_id, value, observed_at, $10, source, comment, confidence, goal_id"
        " FROM batch ORDER BY n ON CONFLICT DO NOTHING",
        org_id,
        [m.measurement_id for m in ms],
        [m.metric for m in ms],
        [m.value for m in ms],
        [m.observed_at for m in ms],
        [m.source for m in ms],
        [m.comment for m in ms],
        [m.confidence for m in ms],
        [v.goal_id for v in values],
        recorded_at,
    )


async def newest(
    conn: Connection,
    org_id: str,
    metric: str,
    goal_id: str,
    *,
    since: datetime | None,
    strictly: bool,
    limit: int,
) -> list[Kept]:
    """Up to `limit` values of the metric a goal may fold (untargeted or aimed at it), newest first.

    `since`, `strictly`: the goal's `goalstream_rules.counting.Since`, in SQL (`Since.admits`): only values observed
    at or after `since` (`strictly`: after it), so a fold reads no value the goal would not count.
    """
    rows = await conn.fetch(
        "SELECT measurement_id, value, observed_at, source, comment, confidence, goal_id, position"
        " FROM measurement_series WHERE org_id = $1 AND metric_key = $2 AND (goal_id IS NULL OR goal_id = $3)"
        " AND ($4::timestamptz IS NULL OR observed_at > $4 OR (NOT $5 AND observed_at = $4))"
        " ORDER BY observed_at DESC, position DESC LIMIT $6",
        org_id,
        metric,
        goal_id,
        since,
        strictly,
        limit,
    )
    return [_kept(r, metric) for r in rows]


@dataclass(frozen=True)
class Wanted:
    """One goal's `newest` question: its metric, `since`, `strictly` and `limit`."""

    goal_id: str
    metric: str
    since: datetime | None
    strictly: bool
    limit: int


async def newest_many(conn: Connection, org_id: str, wanted: list[Wanted]) -> dict[str, list[Kept]]:
    """`newest` for many goals in one query (each goal's values, newest first); a goal with none is left out."""
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT w.goal, s.measurement_id, s.value, s.observed_at, s.source, s.comment, s.confidence, s.goal_id,"
        " s.position FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::bool[], $6::int[])"
        " AS w(goal, metric, since, strictly, lim) CROSS JOIN LATERAL (SELECT * FROM measurement_series"
        " WHERE org_id = $1 AND metric_key = w.metric AND (goal_id IS NULL OR goal_id = w.goal)"
        " AND (w.since IS NULL OR observed_at > w.since OR (NOT w.strictly AND observed_at = w.since))"
        " ORDER BY observed_at DESC, position DESC LIMIT w.lim) s",
        org_id,
        [w.goal_id for w in wanted],
        [w.metric for w in wanted],
        [w.since for w in wanted],
        [w.strictly for w in wanted],
        [w.limit for w in wanted],
    )
    metric_of = {w.goal_id: w.metric for w in wanted}
    found: dict[str, list[Kept]] = {}
    for r in rows:  # in no promised order: a fold sorts its values by arrival
        found.setdefault(r["goal"], []).append(_kept(r, metric_of[r["goal"]]))
    return found


def _kept(r: Record, metric: str) -> Kept:
    m = Measurement(
        measurement_id=r["measurement_id"],
        metric=metric,
        value=r["value"],
        observed_at=r["observed_at"],
        source=r["source"],
        comment=r["comment"],
        confidence=r["confidence"],
    )
    return Kept(m, r["goal_id"], (0, r["position"]))
