"""The tracking projection: one goal event applied to one generation, with its processed marker.

Runs in the caller's transaction. The goal's node is evolved, its history point written, and its
ancestors' rollups recomputed from their children (and, for an anti-goal, the goal its breach
counts on), so a change deep in the tree reaches every ancestor in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalEvent, LadderEvent, MeasurementRecorded
from goalstream_runtime.consumers import Rejected
from goalstream_runtime.db import Connection
from goalstream_runtime.metrics import PROJECTION_LATENCY
from goalstream_tracking.adapters import generations, store
from goalstream_tracking.domain.ladder import LadderNode, evolve_ladder
from goalstream_tracking.domain.node import GoalNode, evolve_node
from goalstream_tracking.domain.rollup import roll_up


async def project(conn: Connection, schema: str, envelope: Envelope[Payload]) -> bool:
    """Apply the event unless this generation has already; False for a repeat."""
    fresh = await conn.fetchval(
        f'INSERT INTO "{schema}".processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true',
        envelope.event_id,
    )
    if not fresh:
        return False
    await _check_stream_order(conn, schema, envelope)
    await conn.execute(
        f'INSERT INTO "{schema}".event_log (event_id, org_id, stream_id, stream_version, event_type, schema_version,'
        " occurred_at, payload) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        envelope.event_id,
        envelope.org_id,
        envelope.stream_id,
        envelope.stream_version,
        envelope.event_type,
        envelope.schema_version,
        envelope.occurred_at,
        envelope.payload.model_dump(mode="json"),
    )
    event = envelope.payload
    if isinstance(event, GoalEvent):
        await _goal_event(conn, schema, envelope, event)
    elif isinstance(event, LadderEvent):
        old_ladder = await store.ladder(conn, schema, event.ladder_id)
        try:
            new_ladder = evolve_ladder(old_ladder, event, envelope.occurred_at, envelope.org_id)
        except LookupError as exc:
            raise Rejected(str(exc)) from exc
        await store.save_ladder(conn, schema, new_ladder)
    return True


async def _check_stream_order(conn: Connection, schema: str, envelope: Envelope[Payload]) -> None:
    """Refuse an event that is not the next of its stream, so no stream is ever folded out of order.

    It happens after a broker loss: the relay's first records to the new, empty log can land before
    it notices and republishes everything, older events included. The early copy goes to the DLQ
    (the reason says why) and the republished one applies in its place, in order.
    """
    event = envelope.payload
    if isinstance(event, GoalEvent):
        current: GoalNode | LadderNode | None = await store.node(conn, schema, event.goal_id)
        what, subject = "goal", event.goal_id
    elif isinstance(event, LadderEvent):
        current, what, subject = await store.ladder(conn, schema, event.ladder_id), "ladder", event.ladder_id
    else:
        return
    if current is not None and current.org_id != envelope.org_id:
        raise Rejected(f"{what} {subject} belongs to another organisation")
    applied = current.version if current is not None else 0
    if envelope.stream_version != applied + 1:
        seen = f"at version {applied}" if current is not None else "never seen set"
        raise Rejected(
            f"{envelope.event_type} is version {envelope.stream_version} of {what} {subject}, which this read model"
            f" has {seen}: an earlier event is missing (after a broker loss the relay republishes it)"
        )


async def _goal_event(conn: Connection, schema: str, envelope: Envelope[Payload], event: GoalEvent) -> None:
    old = await store.node(conn, schema, event.goal_id)
    if old is not None and old.org_id != envelope.org_id:
        raise Rejected(f"goal {event.goal_id} belongs to another organisation")
    try:
        new = evolve_node(old, event, envelope.occurred_at, envelope.org_id)
    except LookupError as exc:
        raise Rejected(str(exc)) from exc
    await store.save_node(conn, schema, new)
    if old is None or (new.current, new.own_progress, new.status) != (old.current, old.own_progress, old.status):
        at = event.observed_at if isinstance(event, MeasurementRecorded) else envelope.occurred_at
        await store.add_history(conn, schema, new, at, envelope.event_type)
    starts = [event.goal_id]
    for n in (old, new):
        if n is not None:
            starts += [s for s in (n.parent_id, n.breach_target) if s is not None]
    await refresh_upwards(conn, schema, envelope.org_id, starts)


async def refresh_upwards(conn: Connection, schema: str, org_id: str, starts: list[str]) -> None:
    """Recompute the rollups of the starting goals and all their ancestors, each once, deepest first."""
    height: dict[str, int] = {}  # distance from the root: children before their parents
    for start in dict.fromkeys(starts):
        chain = await store.ancestry(conn, schema, org_id, start)
        for distance, goal_id in enumerate(reversed(chain)):
            height[goal_id] = max(height.get(goal_id, 0), distance)
    for goal_id in sorted(height, key=lambda g: -height[g]):
        node = await store.node(conn, schema, goal_id)
        if node is None or node.org_id != org_id:
            continue
        kids = await store.children(conn, schema, org_id, goal_id)
        rolled = roll_up(node, kids, await store.open_breaches_on(conn, schema, org_id, goal_id))
        if rolled != node:
            await store.save_node(conn, schema, rolled)


async def apply_live(pool: asyncpg.Pool, envelope: Envelope[Payload]) -> bool:
    """The consumer's step: project into the live generation, holding it FOR SHARE so a switch waits."""
    async with pool.acquire() as conn, conn.transaction():
        schema = await generations.live_name(conn, lock="share")
        if schema is None:
            raise RuntimeError("tracking has no live read-model generation")
        applied = await project(conn, schema, envelope)
    if applied:  # committed: the read models show the event from now on
        PROJECTION_LATENCY.observe(max((datetime.now(UTC) - envelope.occurred_at).total_seconds(), 0.0))
    return applied
