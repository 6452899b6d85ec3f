"""Kafka administration: wait for a broker and create topics (the broker does not auto-create reliably)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from goalstream_runtime import kafka_clients
from goalstream_runtime.kafka_security import KafkaSecuritySettings

log = logging.getLogger(__name__)


async def _admin(bootstrap: str, timeout: float, security: KafkaSecuritySettings | None) -> AIOKafkaAdminClient:
    deadline = time.monotonic() + timeout
    while True:
        admin = kafka_clients.admin(bootstrap, security=security, request_timeout_ms=5000)
        try:
            await admin.start()
            return admin
        except KafkaError:
            await admin.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    partitions: int,
    timeout: float = 30.0,
    security: KafkaSecuritySettings | None = None,
    *,
    replication_factor: int = 1,
    config: Mapping[str, str] | None = None,
) -> None:
    """Create every topic that does not exist yet; existing topics are left as they are.

    `replication_factor=-1` takes the broker's `default.replication.factor`: a topic written with acks=all must
    have at least `min.insync.replicas` replicas, which a factor of 1 never has on a cluster that asks for 2.
    `config` is the topics' configuration (e.g. `cleanup.policy`)."""
    admin = await _admin(bootstrap, timeout, security)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return
        response = await admin.create_topics(
            [
                NewTopic(
                    name=t,
                    num_partitions=partitions,
                    replication_factor=replication_factor,
                    # aiokafka takes -1 only beside an assignment; an empty one sends none, as the broker expects
                    replica_assignments={} if replication_factor == -1 else None,
                    topic_configs=dict(config or {}),
                )
                for t in missing
            ]
        )
        for topic, code, *_ in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise RuntimeError(f"could not create topic {topic}: error code {code}")
        log.info("topics created", extra={"topics": missing})
    finally:
        await admin.close()
