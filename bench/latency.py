"""Latency at an offered load: publication to read-model update, and to the webhook's arrival, at half the end-to-end
throughput (one measurement's path rather than a queue) and at the issue's fixed 1,000/s.

Every measurement is the one organisation's, so they travel in one partition and are applied in
publication order: when the `sum` root shows c more than before, the first c are in the read
models. The root is polled every POLL_EVERY seconds, which bounds the resolution of that figure.
A measurement not seen by the deadline counts as the time waited: its percentile is a lower bound.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bench.pipeline import producer, root_count, tracking_client, wait_quiet
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.receiver import WebhookReceiver
from bench.results import Figure, Results
from bench.sample import leaf_metric, measurement_record
from bench.settings import Scale
from bench.stats import percentile
from bench.tree import GoalTree

POLL_EVERY, TICK = 0.02, 0.005


async def subscribe(platform: BenchPlatform, url: str, deadline: Deadline) -> str:
    """A webhook subscription to MeasurementRecorded, once notifications has learned the organisation's key."""
    body = {"channel": "webhook", "target": url, "event_types": ["MeasurementRecorded"]}
    async with httpx.AsyncClient(base_url=platform.url("notifications"), headers=platform.auth, timeout=30) as client:
        while (response := await client.post("/v1/subscriptions", json=body)).status_code == 401:
            if deadline.passed:
                raise TimeoutError("notifications never learned the organisation's key")
            await asyncio.sleep(0.3)
        response.raise_for_status()
        subscription_id: str = response.json()["id"]
        return subscription_id


async def unsubscribe(platform: BenchPlatform, subscription_id: str) -> None:
    """The later phases measure without webhooks: one per measurement would share their CPU."""
    async with httpx.AsyncClient(base_url=platform.url("notifications"), headers=platform.auth, timeout=30) as client:
        (await client.delete(f"/v1/subscriptions/{subscription_id}")).raise_for_status()


def _figures(results: Results, what: str, load: str, waits: list[float], missing: int, target: float) -> None:
    note = f"{len(waits) - missing:,} of {len(waits):,} arrived" + (" (lower bound)" if missing else "")
    for p in (50, 95, 99):
        value = percentile(waits, p)
        results.add(
            Figure("latency", f"{what} p{p}, {load}", None if value is None else value * 1000, "ms",
                   target if p == 99 else None, "lower", note)
        )  # fmt: skip


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    """At half the one-organisation end-to-end throughput (one measurement's path, no queue), then at the
    issue's fixed load; both against one webhook subscription."""
    deadline = Deadline(scale.phase_timeout)
    receiver = WebhookReceiver().start()
    subscription = None
    try:
        subscription = await subscribe(platform, receiver.url, deadline)
        if carried := results.value("end to end", "throughput, 1 organisation"):
            half = max(1, int(carried / 2))
            await measure(platform, scale, tree, results, receiver, half, "half of end to end")
        await measure(platform, scale, tree, results, receiver, scale.latency_rate, f"{scale.latency_rate:,}/s")
    finally:
        if subscription is not None:
            await unsubscribe(platform, subscription)
        receiver.stop()


async def measure(
    platform: BenchPlatform,
    scale: Scale,
    tree: GoalTree,
    results: Results,
    receiver: WebhookReceiver,
    rate: int,
    load: str,
) -> None:
    total = rate * scale.latency_seconds
    deadline, prefix = Deadline(scale.latency_seconds + scale.phase_timeout), f"lat-{uuid.uuid4().hex[:8]}"
    kafka = producer(platform)
    await kafka.start()
    published: list[float] = []
    shown: list[float] = []
    try:
        async with tracking_client(platform) as client:
            baseline = await wait_quiet(client, tree, deadline)
            with bar() as progress:
                sent_task = progress.add_task(f"latency: published at {rate:,}/s", total=total)
                shown_task = progress.add_task("latency: in the read models", total=total)
                hook_task = progress.add_task("latency: webhooks arrived", total=total)

                async def publish() -> None:
                    started = time.monotonic()
                    while len(published) < total:
                        due = min(total, int(rate * (time.monotonic() - started)))
                        for k in range(len(published), due):
                            record = measurement_record(platform.org_id, f"{prefix}-{k}", leaf_metric(k % tree.leaves))
                            await kafka.send(record.topic, record.value, key=record.key, headers=list(record.headers))
                            published.append(time.monotonic())
                        progress.update(sent_task, completed=len(published))
                        await asyncio.sleep(TICK)

                publishing = asyncio.create_task(publish())
                hooks = 0
                while (len(shown) < total or hooks < total) and not deadline.passed:
                    await asyncio.sleep(POLL_EVERY)
                    count, now = await root_count(client, tree) - baseline, time.monotonic()
                    shown.extend(now - published[k] for k in range(len(shown), min(count, len(published))))
                    hooks = sum(1 for k in receiver.arrivals() if k.startswith(prefix))
                    progress.update(shown_task, completed=len(shown))
                    progress.update(hook_task, completed=hooks)
                publishing.cancel()
                await asyncio.gather(publishing, return_exceptions=True)
    finally:
        await kafka.stop()
    waited = time.monotonic()
    arrivals = receiver.arrivals()
    hook_waits = [arrivals.get(f"{prefix}-{k}", waited) - at for k, at in enumerate(published)]
    read_waits = shown + [waited - at for at in published[len(shown) :]]
    missing_hooks = sum(1 for k in range(len(published)) if f"{prefix}-{k}" not in arrivals)
    _figures(results, "to read model", load, read_waits, len(published) - len(shown), 100)
    _figures(results, "to webhook", load, hook_waits, missing_hooks, 250)
    complete = len(shown) >= total and missing_hooks == 0
    arrived = min(len(shown), len(published) - missing_hooks)
    results.phases[f"latency: {load}"] = "done" if complete else deadline.timed_out(arrived, total)
