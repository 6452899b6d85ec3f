"""Reading and writing one generation's rows for a whole batch of events: a few queries, not a few per event.

Reads take every id at once (`= ANY($1)`); writes go out with `executemany`, one pipelined round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import node_view
from goalstream_tracking.adapters.store import ladder_doc, ladder_from_doc, node_from_json, node_json
from goalstream_tracking.domain.child import ChildRow, child_row, counts_array, counts_of
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode


async def mark_processed(conn: Connection, schema: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Record the events as processed; the ones this generation had not processed before."""
    rows = await conn.fetch(
        f'INSERT INTO "{schema}".processed_events (event_id) SELECT unnest($1::uuid[])'
        " ON CONFLICT DO NOTHING RETURNING event_id",
        list(event_ids),
    )
    return {r["event_id"] for r in rows}


def _parsed(rows: Iterable[asyncpg.Record], known: Container[str]) -> list[GoalNode]:
    # Parsing is most of a read's cost: skip the nodes the caller holds already.
    return [node_from_json(r["doc"]) for r in rows if r["goal_id"] not in known]


async def nodes(conn: Connection, schema: str, goal_ids: Iterable[str]) -> list[GoalNode]:
    rows = await conn.fetch(
        f'SELECT goal_id, doc::text FROM "{schema}".nodes WHERE goal_id = ANY($1::text[])', list(goal_ids)
    )
    return _parsed(rows, ())


async def with_ancestors(
    conn: Connection, schema: str, goal_ids: Iterable[str], known: Container[str] = ()
) -> list[GoalNode]:
    """The goals and all their ancestors in the same organisation (UNION stops a corrupt loop), but `known`."""
    rows = await conn.fetch(
        f'WITH RECURSIVE up(goal_id, org_id, parent_id) AS (SELECT goal_id, org_id, parent_id FROM "{schema}".nodes'
        " WHERE goal_id = ANY($1::text[]) UNION SELECT n.goal_id, n.org_id, n.parent_id"
        f' FROM "{schema}".nodes n JOIN up ON n.goal_id = up.parent_id AND n.org_id = up.org_id)'
        f' SELECT goal_id, doc::text FROM "{schema}".nodes WHERE goal_id IN (SELECT goal_id FROM up)',
        list(goal_ids),
    )
    return _parsed(rows, known)


_CHILD = (
    "goal_id, org_id, parent_id, kind, in_tree, breached, breach_target, weight, baseline, progress,"
    " current_value, status, counts, open_breaches"
)


async def children_and_anti_goals(
    conn: Connection, schema: str, org_ids: Iterable[str], goal_ids: Iterable[str]
) -> list[ChildRow]:
    """The children of the goals and the anti-goals counting their breaches on them (org_id first: the indexes):
    read-only inputs of the rollup, from their columns (no document is read). An anti-goal that is both comes
    twice."""
    rows = await conn.fetch(
        f'SELECT {_CHILD} FROM "{schema}".nodes WHERE org_id = ANY($1::text[]) AND parent_id = ANY($2::text[])'
        f" UNION ALL SELECT {_CHILD} FROM \"{schema}\".nodes WHERE org_id = ANY($1::text[]) AND kind = 'anti'"
        " AND breach_target = ANY($2::text[])",
        list(set(org_ids)),
        list(goal_ids),
    )
    return [
        ChildRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], counts_of(r[12]), r[13])
        for r in rows
    ]


async def ladders(conn: Connection, schema: str, ladder_ids: Iterable[str]) -> list[LadderNode]:
    rows = await conn.fetch(f'SELECT doc FROM "{schema}".ladders WHERE ladder_id = ANY($1::text[])', list(ladder_ids))
    return [ladder_from_doc(r["doc"]) for r in rows]


def node_row(n: GoalNode) -> tuple[Any, ...]:
    c = child_row(n)
    return (
        n.goal_id,
        n.org_id,
        n.parent_id,
        n.level,
        n.kind,
        c.breach_target,
        n.breached,
        n.in_tree,
        node_json(n).decode(),
        c.weight,
        c.baseline,
        c.progress,
        c.current,
        c.status,
        counts_array(c.counts),
        c.open_breaches,
        node_view.view_json(n),
        node_view.plan_json(n),
    )


async def save_nodes(conn: Connection, schema: str, changed: Iterable[GoalNode]) -> None:
    """The documents, with the rollup columns and the stored view derived from them, in the same statement."""
    rows = [node_row(n) for n in sorted(changed, key=lambda n: n.goal_id)]  # one lock order for every writer
    await conn.executemany(
        f'INSERT INTO "{schema}".nodes (goal_id, org_id, parent_id, level, kind, breach_target, breached, in_tree, doc,'
        " weight, baseline, progress, current_value, status, counts, open_breaches, view_json, plan_json)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text::jsonb,$10,$11,$12,$13,$14,$15,$16,$17,$18)"
        " ON CONFLICT (goal_id) DO UPDATE SET parent_id = excluded.parent_id, level = excluded.level,"
        " breach_target = excluded.breach_target, breached = excluded.breached, in_tree = excluded.in_tree,"
        " doc = excluded.doc, weight = excluded.weight, baseline = excluded.baseline, progress = excluded.progress,"
        " current_value = excluded.current_value, status = excluded.status, counts = excluded.counts,"
        " open_breaches = excluded.open_breaches, view_json = excluded.view_json, plan_json = excluded.plan_json",
        rows,
    )


async def save_ladders(conn: Connection, schema: str, changed: Iterable[LadderNode]) -> None:
    rows = [(lad.ladder_id, lad.org_id, ladder_doc(lad)) for lad in changed]
    await conn.executemany(
        f'INSERT INTO "{schema}".ladders (ladder_id, org_id, doc) VALUES ($1, $2, $3)'
        " ON CONFLICT (ladder_id) DO UPDATE SET doc = excluded.doc",
        rows,
    )


def log_row(envelope: Envelope[Payload], trace_id: str | None = None) -> tuple[Any, ...]:
    return (
        envelope.event_id,
        envelope.org_id,
        envelope.stream_id,
        envelope.stream_version,
        envelope.event_type,
        envelope.schema_version,
        envelope.occurred_at,
        envelope.payload.__pydantic_serializer__.to_json(envelope.payload),  # JSON text: the jsonb codec takes it
        trace_id,
    )


async def log_events(conn: Connection, schema: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append to the event log in the given order (its `seq` is the arrival order `as_of` folds by)."""
    await conn.executemany(
        f'INSERT INTO "{schema}".event_log (event_id, org_id, stream_id, stream_version, event_type, schema_version,'
        " occurred_at, payload, trace_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        rows,
    )


def history_row(n: GoalNode, at: datetime, event_type: str) -> tuple[Any, ...]:
    return (n.goal_id, n.version, n.org_id, at, event_type, n.current, n.own_progress, n.status)


async def add_history(conn: Connection, schema: str, rows: Sequence[tuple[Any, ...]]) -> None:
    await conn.executemany(
        f'INSERT INTO "{schema}".history (goal_id, version, org_id, at, event_type, current, progress, status)'
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING",
        rows,
    )
