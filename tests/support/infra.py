"""One suite, two backends: testcontainers when a Docker engine answers, the embedded pair otherwise.

Configured servers (GOALSTREAM_DATABASE_URL and GOALSTREAM_KAFKA_BOOTSTRAP) win over both.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime.infra import Infrastructure
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.settings import InfraSettings


@dataclass
class Endpoints:
    database_url: str
    kafka_bootstrap: str
    backend: str
    infra: Infrastructure | None = None


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _containers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with (
        PostgresContainer("postgres:18-alpine", driver=None) as pg,
        KafkaContainer("confluentinc/cp-kafka:7.6.1") as kafka,
    ):
        url = pg.get_connection_url()
        import asyncio

        asyncio.run(ensure_topics(kafka.get_bootstrap_server(), ALL_TOPICS, 3))
        yield Endpoints(url, kafka.get_bootstrap_server(), "testcontainers")


@contextlib.contextmanager
def real_infrastructure(data_dir: Path) -> Iterator[Endpoints]:
    db, kafka = os.environ.get("GOALSTREAM_DATABASE_URL"), os.environ.get("GOALSTREAM_KAFKA_BOOTSTRAP")
    if db and kafka:
        yield Endpoints(db, kafka, "configured")
    elif docker_available():
        with _containers() as endpoints:
            yield endpoints
    else:
        with Infrastructure(InfraSettings(data_dir=data_dir)) as infra:
            yield Endpoints(infra.database_url, infra.kafka_bootstrap, "embedded", infra)


async def create_database(server_url: str) -> str:
    """A new, empty database on the same server; tests get one each instead of cleaning up."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


async def start_groups_at_end(bootstrap: str, prefix: str) -> None:
    """Commit the current end offsets for every consumer group of a test platform before it starts.

    The topics are shared by every test of the session; a platform that starts later would otherwise
    read everything earlier tests published (production groups start at the earliest offset on purpose).
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.structs import OffsetAndMetadata

    from goalstream_cli.lag import default_groups

    for group, topics in default_groups(prefix).items():
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [
                TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            if not partitions:
                continue
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
        finally:
            await consumer.stop()
