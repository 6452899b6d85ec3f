"""Which metric each goal is bound to (`goal_metrics`): what a measurement reaches is read from here."""

from __future__ import annotations

from goalstream_runtime.db import Connection


async def bind_many(conn: Connection, org_id: str, bindings: dict[str, tuple[str | None, bool]]) -> None:
    """Each goal's (metric key, active) in two statements at most; a goal with no metric (None) is unbound."""
    unbound = [g for g, (key, _) in bindings.items() if key is None]
    if unbound:
        await conn.execute("DELETE FROM goal_metrics WHERE goal_id = ANY($1::text[])", unbound)
    bound = [(g, org_id, key, active) for g, (key, active) in bindings.items() if key is not None]
    if bound:
        await conn.executemany(
            "INSERT INTO goal_metrics (goal_id, org_id, metric_key, active) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (goal_id) DO UPDATE SET metric_key = excluded.metric_key, active = excluded.active",
            bound,
        )


async def active(conn: Connection, org_id: str, goal_ids: list[str], metrics: list[str]) -> list[tuple[str, str]]:
    """(goal id, metric key) of the active goals among `goal_ids` or bound to one of `metrics`, by goal id."""
    rows = await conn.fetch(
        "SELECT goal_id, metric_key FROM goal_metrics WHERE org_id = $1 AND active"
        " AND (goal_id = ANY($2::text[]) OR metric_key = ANY($3::text[])) ORDER BY goal_id",
        org_id,
        goal_ids,
        metrics,
    )
    return [(r["goal_id"], r["metric_key"]) for r in rows]
