"""Kafka administration: wait for a broker and create topics (the broker does not auto-create reliably)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

from goalstream_runtime import kafka_clients
from goalstream_runtime.kafka_security import KafkaSecuritySettings

log = logging.getLogger(__name__)
CONNECT_WAIT = 0.2  # seconds between attempts to reach a broker that is starting


async def _admin(bootstrap: str, timeout: float, security: KafkaSecuritySettings | None) -> AIOKafkaAdminClient:
    """A started admin client; a broker still starting (a KafkaError) is tried again every 0.2 s for `timeout`."""

    async def connect() -> AIOKafkaAdminClient:
        admin = kafka_clients.admin(bootstrap, security=security, request_timeout_ms=5000)
        try:
            await admin.start()
        except KafkaError:
            await admin.close()
            raise
        return admin

    retrying = AsyncRetrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(CONNECT_WAIT),
        retry=retry_if_exception_type(KafkaError),
        reraise=True,  # the broker's own error after the last attempt
    )
    return await retrying(connect)


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
