"""Feeding the pipeline from the measurements topic, and watching how much of it the read models show."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer

from bench.platform import BenchPlatform
from bench.progress import Deadline
from bench.sample import leaf_metric, measurement_record
from bench.tree import GoalTree

SEND_CHUNK = 500
QUIET_FOR = 3.0  # seconds without change: the pipeline has drained


async def root_count(client: httpx.AsyncClient, tree: GoalTree, auth: dict[str, str] | None = None) -> int:
    """Unit measurements applied to the tree so far: the `sum` root's current value (`auth`: the tree's org)."""
    response = await client.get(f"/v1/goals/{tree.root_id}/progress", headers=auth)
    if response.status_code == 404:  # tracking has not seen the root yet
        return 0
    response.raise_for_status()
    return round(response.json()["current_value"] or 0)


def tracking_client(platform: BenchPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=platform.url("tracking"), headers=platform.auth, timeout=30)


def producer(platform: BenchPlatform) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=platform.bootstrap, linger_ms=5)


@dataclass(frozen=True)
class Tenant:
    """One organisation's tree that a phase feeds: measurements under its org id, read back with its key."""

    org_id: str
    auth: dict[str, str]
    tree: GoalTree


async def publish(kafka: AIOKafkaProducer, tenants: list[Tenant], prefix: str, first: int, count: int) -> None:
    """Publish measurements `first`..`first + count - 1`, each adding 1 to one leaf, the organisations taking turns,
    and wait for the broker's acks."""
    futures = []
    for n in range(first, first + count):
        tenant = tenants[n % len(tenants)]
        metric = leaf_metric((n // len(tenants)) % tenant.tree.leaves)
        record = measurement_record(tenant.org_id, f"{prefix}-{n}", metric)
        futures.append(await kafka.send(record.topic, record.value, key=record.key, headers=list(record.headers)))
    await asyncio.gather(*futures)


async def publish_all(
    kafka: AIOKafkaProducer, tenants: list[Tenant], prefix: str, total: int, on_progress: Callable[[int], None]
) -> None:
    for first in range(0, total, SEND_CHUNK):
        count = min(SEND_CHUNK, total - first)
        await publish(kafka, tenants, prefix, first, count)
        on_progress(first + count)


async def applied(client: httpx.AsyncClient, tenants: list[Tenant]) -> int:
    """Unit measurements the read models have applied over every tenant's tree."""
    counts = await asyncio.gather(*(root_count(client, t.tree, t.auth) for t in tenants))
    return sum(counts)


async def wait_quiet(client: httpx.AsyncClient, tree: GoalTree, deadline: Deadline) -> int:
    """Let earlier phases' backlog drain: the root's count unchanged for QUIET_FOR seconds."""
    count, since = await root_count(client, tree), time.monotonic()
    while time.monotonic() - since < QUIET_FOR and not deadline.passed:
        await asyncio.sleep(0.5)
        if (now := await root_count(client, tree)) != count:
            count, since = now, time.monotonic()
    return count


async def drain(platform: BenchPlatform, tree: GoalTree, timeout: float) -> float:
    """Wait (up to `timeout`) for what earlier phases left in the pipeline, so a phase measures itself alone."""
    started = time.monotonic()
    async with tracking_client(platform) as client:
        await wait_quiet(client, tree, Deadline(timeout))
    return time.monotonic() - started
