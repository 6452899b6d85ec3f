"""Relay watermarks: what the broker acknowledged, kept in the database to notice a broker loss.

Per (topic, partition) the relay stores the offset after the highest one the broker acknowledged
(`relay_watermarks.next_offset`), in the transaction that marks the records published. A broker
that has since lost records shows it in two ways: its end offset is below the watermark (or the
topic or partition is gone), or it acknowledges a new record at an offset below the watermark.
Tansu reports a partition's end offset as the base offset of its last record batch + 1, which can
be below the truth; so an end offset below the watermark counts as a loss only once the last
acknowledged record cannot be fetched either.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

from goalstream_runtime import kafka_clients
from goalstream_runtime.db import Connection

Partition = tuple[str, int]


async def load(conn: Connection) -> dict[Partition, int]:
    rows = await conn.fetch("SELECT topic, partition, next_offset FROM relay_watermarks")
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


async def record(conn: Connection, acked: Iterable[Any]) -> dict[str, str]:
    """Raise the watermarks to the acknowledged `RecordMetadata`; in the caller's transaction.

    Returns the topics whose new records got offsets below their watermark (the broker lost the
    log and started again), with the reason.
    """
    first: dict[Partition, int] = {}
    last: dict[Partition, int] = {}
    for meta in acked:
        key = (meta.topic, meta.partition)
        first[key] = min(first.get(key, meta.offset), meta.offset)
        last[key] = max(last.get(key, meta.offset), meta.offset)
    stored = await load(conn)
    lost = {
        topic: f"partition {partition} acknowledged offset {offset}, below the watermark {stored[(topic, partition)]}"
        for (topic, partition), offset in first.items()
        if offset < stored.get((topic, partition), 0)
    }
    await conn.executemany(
        "INSERT INTO relay_watermarks (topic, partition, next_offset) VALUES ($1, $2, $3)"
        " ON CONFLICT (topic, partition) DO UPDATE"
        " SET next_offset = greatest(relay_watermarks.next_offset, excluded.next_offset), updated_at = now()",
        [(topic, partition, offset + 1) for (topic, partition), offset in last.items()],
    )
    return lost


async def reset(conn: Connection, topics: Iterable[str]) -> int:
    """Mark every outbox record of `topics` unpublished and forget their watermarks; in a transaction."""
    names = sorted(set(topics))
    status = await conn.execute(
        "UPDATE outbox SET published_at = NULL WHERE topic = ANY($1::text[]) AND published_at IS NOT NULL", names
    )
    await conn.execute("DELETE FROM relay_watermarks WHERE topic = ANY($1::text[])", names)
    return int(status.split()[-1])


class BrokerProbe:
    """Asks the broker whether it still holds what it acknowledged. Never creates topics."""

    def __init__(self, bootstrap: str, client_id: str, fetch_timeout: float = 3.0) -> None:
        self._admin = kafka_clients.admin(bootstrap, client_id=client_id, request_timeout_ms=10_000)
        self._consumer = kafka_clients.consumer(
            bootstrap,
            client_id=client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="none",
            request_timeout_ms=10_000,
        )
        self._fetch_ms = int(fetch_timeout * 1000)

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        try:
            await self._consumer.stop()
        finally:
            await self._admin.close()

    async def lost(self, marks: dict[Partition, int]) -> dict[str, str]:
        """The topics that lost acknowledged records, with the reason; raises while the broker is down."""
        # Only existing topics are described or queried: a metadata request naming a missing topic
        # makes some brokers (Tansu among them) create it with their default partition count.
        existing = set(await self._admin.list_topics())
        lost = {topic: "the topic is gone" for topic, _ in marks if topic not in existing}
        present = sorted({topic for topic, _ in marks} - lost.keys())
        partitions = {t["topic"]: {p["partition"] for p in t["partitions"]} for t in await self._describe(present)}
        for topic, partition in marks:
            if topic in partitions and partition not in partitions[topic]:
                lost[topic] = f"partition {partition} is gone"
        wanted = [TopicPartition(topic, partition) for topic, partition in marks if topic not in lost]
        ends: dict[Any, int] = await self._consumer.end_offsets(wanted) if wanted else {}
        for tp, end in sorted(ends.items()):
            mark = marks[(tp.topic, tp.partition)]
            if tp.topic not in lost and end < mark and not await self._holds(tp, mark - 1):
                lost[tp.topic] = f"partition {tp.partition} ends at offset {end}, below the watermark {mark}"
        return lost

    async def _describe(self, topics: list[str]) -> list[dict[str, Any]]:
        return list(await self._admin.describe_topics(topics)) if topics else []

    async def _holds(self, tp: Any, offset: int) -> bool:
        """Whether the broker serves the record at `offset` (or a later one) of partition `tp`."""
        self._consumer.assign([tp])
        self._consumer.seek(tp, offset)
        try:
            fetched = await self._consumer.getmany(tp, timeout_ms=self._fetch_ms, max_records=1)
            return bool(fetched.get(tp))
        except OffsetOutOfRangeError:
            return False
        finally:
            self._consumer.unsubscribe()
