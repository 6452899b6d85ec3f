"""The tracking projection: a batch of goal events applied to one generation, with their processed markers.

Runs in the caller's transaction. Every node and ladder the batch touches is read in a few queries and
evolved in memory, event by event; then the goals whose subtree changed are rolled up once each, deepest
first (`cascade`), and the event log, history points and changed rows are written with one statement
each. The result is the same as applying the events one at a time: a change deep in the tree reaches
every ancestor in the same transaction. Any event refused (`Rejected`) fails the whole batch, so the
caller can roll back and apply it one event at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import GoalEvent, LadderEvent
from goalstream_runtime.consumer_batch import OwnedBatch
from goalstream_runtime.db import Connection
from goalstream_runtime.metrics import PROJECTION_LATENCY
from goalstream_tracking.adapters import batch_store, generations, trace_ids
from goalstream_tracking.adapters.cascade import roll_up_touched
from goalstream_tracking.adapters.working_set import WorkingSet
from goalstream_tracking.service_layer.committed import CommittedMemory, Recall


async def project(conn: Connection, schema: str, envelope: Envelope[Payload], trace_id: str | None = None) -> bool:
    """Apply the event unless this generation has already; False for a repeat."""
    (applied,) = await project_batch(conn, schema, [envelope], trace_ids=[trace_id])
    return applied


async def project_batch(
    conn: Connection,
    schema: str,
    envelopes: Sequence[Envelope[Payload]],
    recall: Recall | None = None,
    trace_ids: Sequence[str | None] = (),
) -> list[bool]:
    """Apply the events in order, each unless this generation has already; per event, False for a repeat.
    `trace_ids`, when given, are the records' trace ids (`trace_ids.from_headers`), one per event."""
    fresh, _ = await _project(conn, schema, envelopes, recall, trace_ids)
    return fresh


async def _project(
    conn: Connection,
    schema: str,
    envelopes: Sequence[Envelope[Payload]],
    recall: Recall | None,
    trace_ids: Sequence[str | None] = (),
) -> tuple[list[bool], WorkingSet | None]:
    fresh_ids = await batch_store.mark_processed(conn, schema, [e.event_id for e in envelopes])
    fresh: list[bool] = []
    for e in envelopes:
        fresh.append(e.event_id in fresh_ids)
        fresh_ids.discard(e.event_id)  # a second copy in the same batch is a repeat
    traces = dict(zip((e.event_id for e in envelopes), trace_ids, strict=False))
    todo = [e for e, f in zip(envelopes, fresh, strict=True) if f]
    if not todo:
        return fresh, None
    ws = WorkingSet(recall=recall)
    goal_ids = {e.payload.goal_id for e in todo if isinstance(e.payload, GoalEvent)}
    if left := ws.recalled(goal_ids):
        ws.add_loaded(await batch_store.nodes(conn, schema, left), left)
    ladder_ids = {e.payload.ladder_id for e in todo if isinstance(e.payload, LadderEvent)}
    if left := ws.recalled_ladders(ladder_ids):
        for lad in await batch_store.ladders(conn, schema, left):
            ws.loaded_ladders[lad.ladder_id] = ws.ladders[lad.ladder_id] = lad
    for envelope in todo:
        ws.fold(envelope, traces.get(envelope.event_id))
    await roll_up_touched(conn, schema, ws)
    if ws.log_rows:
        await batch_store.log_events(conn, schema, ws.log_rows)
    if ws.history_rows:
        await batch_store.add_history(conn, schema, ws.history_rows)
    if changed := ws.changed_nodes():
        await batch_store.save_nodes(conn, schema, changed)
    if changed_ladders := ws.changed_ladders():
        await batch_store.save_ladders(conn, schema, changed_ladders)
    return fresh, ws


async def apply_live(pool: asyncpg.Pool, batch: OwnedBatch, memory: CommittedMemory) -> list[bool]:
    """The consumer's step: project a batch into the live generation in one transaction, holding the
    generation FOR SHARE so a switch waits; per event, False for a repeat. What committed is remembered for
    the next batch of the same partitions; a failure forgets them (the commit itself may have been lost)."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            schema = await generations.live_name(conn, lock="share")
            if schema is None:
                raise RuntimeError("tracking has no live read-model generation")
            recall = memory.recall(schema, batch)
            traces = [trace_ids.from_headers(record.headers) for record in batch.records]
            applied, ws = await _project(conn, schema, batch.envelopes, recall, traces)
    except BaseException:
        memory.forget(batch)
        raise
    if ws is not None:
        recall.remember(ws.loaded, ws.nodes, ws.ladders, ws.fetched)
    memory.committed(batch)
    now = datetime.now(UTC)  # committed: the read models show the events from now on
    for envelope, fresh in zip(batch.envelopes, applied, strict=True):
        if fresh:
            PROJECTION_LATENCY.observe(max((now - envelope.occurred_at).total_seconds(), 0.0))
    return applied
