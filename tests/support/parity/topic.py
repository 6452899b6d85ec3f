"""The organisation's goal and ladder events as they reach the goal events topic, read with plain aiokafka.

The reader starts at the end of every partition before the organisation exists, so all it sees under
the organisation's key is the example's. The relay publishes at least once: a repeat (same stream and
version) must be the same event, and counts once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType

from aiokafka import AIOKafkaConsumer, TopicPartition

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import from_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.topics import GOAL_EVENTS


class TopicReader:
    def __init__(self, bootstrap: str, org_id: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.key = org_id.encode()
        self.seen: dict[tuple[str, int], Envelope[Payload]] = {}
        self.repeats = 0

    async def __aenter__(self) -> TopicReader:
        await self.consumer.start()
        await self.consumer.topics()  # metadata for every topic, so the partitions are known
        partitions = [TopicPartition(GOAL_EVENTS, p) for p in sorted(self.consumer.partitions_for_topic(GOAL_EVENTS))]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_end(*partitions)
        for tp in partitions:
            await self.consumer.position(tp)  # resolve "the end" now, before anything of ours is published
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.consumer.stop()

    async def until(self, versions: Mapping[str, int], timeout: float) -> dict[str, list[Envelope[Payload]]]:
        """Every stream's events 1..version (the goals service's version of it), in order; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            missing = {s: v for s, v in versions.items() if any((s, n) not in self.seen for n in range(1, v + 1))}
            if not missing:
                return {s: [self.seen[(s, n)] for n in range(1, v + 1)] for s, v in versions.items()}
            left = deadline - time.monotonic()
            assert left > 0, f"events never reached {GOAL_EVENTS}: streams and versions still missing {missing}"
            batch = await self.consumer.getmany(timeout_ms=int(min(left, 0.5) * 1000))
            for records in batch.values():
                for record in records:
                    if record.key == self.key:
                        self._keep(from_kafka(record.headers, record.value))
            await asyncio.sleep(0)

    def _keep(self, e: Envelope[Payload]) -> None:
        at = (e.stream_id, e.stream_version)
        if at in self.seen:
            assert self.seen[at].event_id == e.event_id, f"two different events at {at}: {self.seen[at]} and {e}"
            self.repeats += 1
        self.seen[at] = e
