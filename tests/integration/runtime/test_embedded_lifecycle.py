"""The embedded pair: started on free ports, ready when start() returns, stopped with nothing left
running, and PostgreSQL's data kept between runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import psutil
from aiokafka.admin import AIOKafkaAdminClient

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime.infra import Infrastructure
from goalstream_runtime.settings import InfraSettings


async def _write(url: str) -> None:
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
    await conn.close()


async def _read(url: str) -> int:
    conn = await asyncpg.connect(url)
    value: int = await conn.fetchval("SELECT v FROM kept")
    await conn.close()
    return value


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_start_stop_and_data_kept_between_runs(tmp_path: Path) -> None:
    settings = InfraSettings(data_dir=tmp_path, database_url=None, kafka_bootstrap=None)
    with Infrastructure(settings) as first:
        assert first.postgres is not None and first.kafka is not None
        pids = [first.postgres._process.pid, first.kafka._process.pid]  # type: ignore[union-attr]
        asyncio.run(_write(first.database_url))
        assert set(ALL_TOPICS) <= asyncio.run(_topics(first.kafka_bootstrap))
    assert not [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    with Infrastructure(settings) as second:
        assert asyncio.run(_read(second.database_url)) == 42


def test_a_server_left_by_a_killed_supervisor_is_replaced(tmp_path: Path) -> None:
    settings = InfraSettings(data_dir=tmp_path, database_url=None, kafka_bootstrap=None)
    first = Infrastructure(settings).start()
    orphan = first.postgres._process  # type: ignore[union-attr]
    assert orphan is not None
    first.kafka.stop()  # type: ignore[union-attr]
    first.postgres._process = None  # type: ignore[union-attr]  # as if the supervisor died holding it
    with Infrastructure(settings) as second:
        assert asyncio.run(_topics(second.kafka_bootstrap))
        orphan.wait(30)  # the stale server was shut down by the new start
    assert orphan.returncode is not None
