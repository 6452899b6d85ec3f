"""Writing a rebuilt generation with COPY: the append-only tables in chunks while the fold goes on, the nodes and
ladders once at the end. The rows are the live projection's own (`batch_store`), so both write the same columns.

A chunk is written in the background while the next one is folded (PostgreSQL takes it on another core); at most
one is in flight, so memory holds two chunks at most. History points keep the live statement's `ON CONFLICT DO
NOTHING`: a chunk COPY refuses a repeated (goal, version), and that chunk then goes in through `add_history`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import batch_store
from goalstream_tracking.adapters.store import ladder_doc
from goalstream_tracking.domain.ladder import LadderNode
from goalstream_tracking.domain.node import GoalNode

_LOG = [
    "event_id", "org_id", "stream_id", "stream_version", "event_type", "schema_version", "occurred_at", "payload",
    "trace_id",
]  # fmt: skip
_HISTORY = ["goal_id", "version", "org_id", "at", "event_type", "current", "progress", "status"]
_NODES = [
    "goal_id", "org_id", "parent_id", "level", "kind", "breach_target", "breached", "in_tree", "doc", "weight",
    "baseline", "progress", "current_value", "status", "counts", "open_breaches", "view_json", "plan_json",
]  # fmt: skip
_DOC = _NODES.index("doc")


class GenerationCopy:
    def __init__(self, conn: Connection, schema: str) -> None:
        self.conn, self.schema = conn, schema
        self._pending: asyncio.Task[None] | None = None

    async def append(
        self, log_rows: Sequence[tuple[Any, ...]], history_rows: Sequence[tuple[Any, ...]], processed: list[uuid.UUID]
    ) -> None:
        """Start writing a chunk once the previous one is written (its failure is raised here)."""
        await self.flush()
        self._pending = asyncio.create_task(self._write(log_rows, history_rows, processed))

    async def flush(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending

    async def _write(
        self, log_rows: Sequence[tuple[Any, ...]], history_rows: Sequence[tuple[Any, ...]], processed: list[uuid.UUID]
    ) -> None:
        copy = self.conn.copy_records_to_table
        if log_rows:  # in arrival order: `seq`, which `as_of` folds by, numbers them as the live projection does
            await copy("event_log", schema_name=self.schema, records=log_rows, columns=_LOG)
        if processed:
            await copy("processed_events", schema_name=self.schema, records=[(e,) for e in processed])
        if history_rows:
            try:  # one statement: all of the chunk or none of it
                await copy("history", schema_name=self.schema, records=history_rows, columns=_HISTORY)
            except asyncpg.UniqueViolationError:  # a goal set anew over its own versions: the first point stays
                await batch_store.add_history(self.conn, self.schema, history_rows)

    async def nodes_and_ladders(self, nodes: Sequence[GoalNode], ladders: Sequence[LadderNode]) -> None:
        await self.flush()
        rows = []
        for n in sorted(nodes, key=lambda n: n.goal_id):
            row = batch_store.node_row(n)
            doc: str = row[_DOC]  # text for the live statement's cast; the binary jsonb codec takes bytes
            rows.append((*row[:_DOC], doc.encode(), *row[_DOC + 1 :]))
        if rows:
            await self.conn.copy_records_to_table("nodes", schema_name=self.schema, records=rows, columns=_NODES)
        if ladders:
            records = [(lad.ladder_id, lad.org_id, ladder_doc(lad)) for lad in ladders]
            await self.conn.copy_records_to_table("ladders", schema_name=self.schema, records=records)
