"""Consumer lag per partition, in messages and in seconds, for monitoring.

For a consumer group and its topics, per partition: the group's committed offset, the log end
offset, lag in messages (end - committed, never negative) and lag in seconds (how long the oldest
unconsumed record, the one at the committed offset, has been waiting: now - its timestamp). A
partition the group never committed counts from the log start, as `auto_offset_reset="earliest"`
consumes it. Answers are cached for `cache_seconds`, so scraping is cheap.

Tansu (the embedded broker) needs two work-arounds: it drops the connection on an OffsetFetch that
names no partitions, so the partitions are always named (and a consumer in the group answers if
the admin call fails); and it reports a partition's end offset as the base offset of its last
record batch + 1, so the true end is read from the last batch itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError, OffsetOutOfRangeError

from goalstream_runtime import kafka_clients

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    """One partition's lag; one gauge sample per numeric field."""

    topic: str
    partition: int
    committed: int | None  # None: the group has committed nothing on this partition yet
    end: int  # the offset the next record will get
    lag_messages: int
    lag_seconds: float | None  # age of the oldest unconsumed record; 0 when none waits, None if unreadable


@dataclass(frozen=True)
class LagSnapshot:
    group: str
    taken_at: float  # Unix time
    partitions: list[PartitionLag]

    @property
    def measured_at(self) -> datetime:
        """`taken_at` as an aware UTC datetime, as the APIs give every time."""
        return datetime.fromtimestamp(self.taken_at, UTC)

    @property
    def lag_messages(self) -> int:
        return sum(p.lag_messages for p in self.partitions)

    @property
    def lag_seconds(self) -> float:
        return max((p.lag_seconds or 0.0 for p in self.partitions), default=0.0)


class LagMonitor:
    """Measures `group`'s lag on `topics`; connects on first use, never joins the group."""

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Iterable[str],
        *,
        cache_seconds: float = 2.0,
        fetch_timeout: float = 2.0,
    ) -> None:
        self.bootstrap, self.group, self.topics = bootstrap, group, sorted(set(topics))
        self.cache_seconds, self._fetch_ms = cache_seconds, int(fetch_timeout * 1000)
        self._clients: tuple[Any, Any] | None = None  # (admin, consumer without a group)
        self._cached: tuple[float, LagSnapshot] | None = None
        self._lock = asyncio.Lock()

    async def snapshot(self) -> LagSnapshot:
        """The lag now, or as measured less than `cache_seconds` ago; raises KafkaError when the broker is away."""
        async with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] >= self.cache_seconds:
                try:
                    self._cached = (time.monotonic(), await self._measure())
                except BaseException:
                    await self.close()  # reconnect afresh next time
                    raise
            return self._cached[1]

    async def close(self) -> None:
        """Disconnect (a later snapshot connects again); never raises."""
        clients, self._clients = self._clients, None
        if clients is not None:
            for close in (clients[1].stop, clients[0].close):
                try:
                    await close()
                except Exception:
                    log.debug("closing a lag monitor client failed", exc_info=True)

    async def _connect(self) -> tuple[Any, Any]:
        if self._clients is None:
            admin = kafka_clients.admin(self.bootstrap, request_timeout_ms=10_000)
            consumer = kafka_clients.consumer(
                self.bootstrap,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="none",
                max_poll_records=100_000,  # the whole last batch in one read (Tansu end offsets)
                request_timeout_ms=10_000,
            )
            await admin.start()
            try:
                await consumer.start()
            except BaseException:
                await admin.close()
                raise
            self._clients = (admin, consumer)
        return self._clients

    async def _measure(self) -> LagSnapshot:
        admin, consumer = await self._connect()
        # Only existing topics are described: naming a missing one makes Tansu create it.
        existing = set(await admin.list_topics())
        present = [t for t in self.topics if t in existing]
        described = await admin.describe_topics(present) if present else []  # [] would describe every topic
        tps = sorted(TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"])
        if not tps:
            return LagSnapshot(self.group, time.time(), [])
        committed = await self._committed(admin, tps)
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        now, rows = time.time(), []
        for tp in tps:
            end = ends[tp]
            if end > 0:
                last = await self._read(consumer, tp, end - 1, None)
                end = max([end] + [r.offset + 1 for r in last])
            position = max(committed.get(tp, -1), starts[tp])
            lag = max(end - position, 0)
            seconds: float | None = 0.0
            if lag:
                oldest = await self._read(consumer, tp, position, 1)
                stamp = oldest[0].timestamp if oldest else -1
                seconds = max(now - stamp / 1000, 0.0) if stamp >= 0 else None
            rows.append(PartitionLag(tp.topic, tp.partition, committed.get(tp), end, lag, seconds))
        return LagSnapshot(self.group, now, rows)

    async def _committed(self, admin: Any, tps: list[Any]) -> dict[Any, int]:
        """The group's committed offsets (partitions without one are left out)."""
        try:
            offsets = await admin.list_consumer_group_offsets(self.group, partitions=tps)
            found: dict[Any, int | None] = {tp: meta.offset for tp, meta in offsets.items()}
        except KafkaError:
            found = await self.committed_by_member(tps)
        return {tp: offset for tp, offset in found.items() if offset is not None and offset >= 0}

    async def committed_by_member(self, tps: list[Any]) -> dict[Any, int | None]:
        """The fallback for brokers without the admin call: ask as the group's consumers do (never joins)."""
        member = kafka_clients.consumer(self.bootstrap, group_id=self.group, enable_auto_commit=False)
        await member.start()
        try:
            return {tp: await member.committed(tp) for tp in tps}
        finally:
            await member.stop()

    async def _read(self, consumer: Any, tp: Any, offset: int, limit: int | None) -> list[Any]:
        """The records from `offset` on (at most `limit`); empty when there are none."""
        consumer.assign([tp])
        consumer.seek(tp, offset)
        try:
            fetched = await consumer.getmany(tp, timeout_ms=self._fetch_ms, max_records=limit)
            return list(fetched.get(tp, []))
        except OffsetOutOfRangeError:
            return []
        finally:
            consumer.unsubscribe()
