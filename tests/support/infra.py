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
        PostgresContainer("postgres:16-alpine", driver=None) as pg,
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
