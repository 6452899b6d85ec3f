"""The transactional outbox and its relay to Kafka.

A service writes its facts and their Kafka records in one transaction (`enqueue`); the relay
publishes unpublished records in position order and then marks them published. It selects by
"not yet published" rather than "after the last position", so a transaction that commits after
a later-numbered one is never skipped. One relay per database publishes (a session advisory lock
elects it); if its connection drops, another instance takes over. Delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import asyncpg
from aiokafka import AIOKafkaProducer

from goalstream_contracts.cloudevents import KafkaRecord
from goalstream_runtime.db import Connection, connect, lock_key
from goalstream_runtime.settings import RelaySettings

log = logging.getLogger(__name__)


async def enqueue(conn: Connection, records: Iterable[KafkaRecord], channel: str) -> None:
    """Add records to the outbox inside the caller's transaction and wake the relay on commit."""
    rows = [(r.topic, r.key, r.value, [[k, v.decode()] for k, v in r.headers]) for r in records]
    if not rows:
        return
    await conn.executemany("INSERT INTO outbox (topic, message_key, value, headers) VALUES ($1, $2, $3, $4)", rows)
    await conn.execute(f"NOTIFY {channel}")


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        schema: str,
        bootstrap: str,
        *,
        channel: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.dsn, self.schema, self.bootstrap = dsn, schema, bootstrap
        self.channel, self.batch_size, self.poll_interval = channel, batch_size, poll_interval
        self.is_leader = False
        self.published = 0
        self._wake = asyncio.Event()

    @classmethod
    def for_service(cls, settings: RelaySettings, schema: str, channel: str) -> OutboxRelay:
        return cls(
            settings.database_url,
            schema,
            settings.kafka_bootstrap,
            channel=channel,
            batch_size=settings.relay_batch_size,
            poll_interval=settings.relay_poll_seconds,
        )

    async def run(self) -> None:
        """Publish forever; survives database and broker outages by retrying."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                self.is_leader = False
                await asyncio.sleep(1.0)

    async def _lead(self) -> None:
        conn = await connect(self.dsn, self.schema)
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=False,
            linger_ms=2,
            client_id=f"goalstream-{self.schema}-relay",
        )
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(f"relay:{self.schema}")):
                self.is_leader = False
                await asyncio.sleep(self.poll_interval)
            self.is_leader = True
            await conn.add_listener(self.channel, lambda *_: self._wake.set())
            await producer.start()
            log.info("outbox relay leading", extra={"schema": self.schema})
            while True:
                self._wake.clear()  # before the fetch: a NOTIFY during publishing is not lost
                if await self._publish_batch(conn, producer) < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            self.is_leader = False
            await producer.stop()
            await conn.close()

    async def _publish_batch(self, conn: Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(
            "SELECT position, topic, message_key, value, headers FROM outbox"
            " WHERE published_at IS NULL ORDER BY position LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        # Sent in position order: aiokafka keeps per-partition order, and the key is the organisation.
        futures = [
            await producer.send(
                r["topic"],
                value=bytes(r["value"]),
                key=bytes(r["message_key"]),
                headers=[(k, v.encode()) for k, v in r["headers"]],
            )
            for r in rows
        ]
        await asyncio.gather(*futures)
        await conn.execute(
            "UPDATE outbox SET published_at = now() WHERE position = ANY($1::bigint[])", [r["position"] for r in rows]
        )
        self.published += len(rows)
        return len(rows)

    async def backlog(self, pool: asyncpg.Pool) -> int:
        return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
