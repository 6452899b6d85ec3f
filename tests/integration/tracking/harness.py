"""Feeding goal events straight into a tracking read-model generation through `project_batch()`, as the consumer
would."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_runtime.db import connect, migrate
from goalstream_tracking.adapters import generations
from goalstream_tracking.adapters.projection import project_batch

SOURCE = "/goalstream/goals"


@dataclass
class Feed:
    """One organisation's goal events, enveloped with per-stream versions and projected into `schema`."""

    conn: asyncpg.Connection
    schema: str
    org_id: str
    versions: dict[str, int] = field(default_factory=dict)

    def envelope(self, payload: Payload, occurred_at: datetime) -> Envelope[Payload]:
        stream = payload.subject()
        self.versions[stream] = self.versions.get(stream, 0) + 1
        return Envelope[Payload].new(
            payload,
            org_id=self.org_id,
            stream_id=stream,
            stream_version=self.versions[stream],
            occurred_at=occurred_at,
            source=SOURCE,
        )

    async def apply(self, events: Iterable[tuple[Payload, datetime]], per_transaction: int = 1) -> int:
        """Project the events in order, `per_transaction` to a transaction (one batch); how many were applied."""
        batch: list[tuple[Payload, datetime]] = []
        applied = 0
        for event in events:
            batch.append(event)
            if len(batch) >= per_transaction:
                applied += await self._apply_batch(batch)
                batch = []
        return applied + (await self._apply_batch(batch) if batch else 0)

    async def _apply_batch(self, batch: Sequence[tuple[Payload, datetime]]) -> int:
        async with self.conn.transaction():
            return sum(await project_batch(self.conn, self.schema, [self.envelope(p, at) for p, at in batch]))


async def open_live_generation(database_url: str) -> tuple[asyncpg.Connection, str]:
    """Tracking's migrations on `database_url`, a connection to it and the live generation's schema."""
    await migrate(database_url, "tracking", "goalstream_tracking")
    conn = await connect(database_url, "tracking")
    async with conn.transaction():
        schema = await generations.ensure_live(conn)
    return conn, schema


@contextlib.asynccontextmanager
async def rolled_back(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction that is always rolled back: changes seen inside it, gone after."""
    tx = conn.transaction()
    await tx.start()
    try:
        yield
    finally:
        await tx.rollback()
