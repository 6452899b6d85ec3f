"""End-to-end throughput: measurements on `goalstream.measurements.v1` until the read models show them all.

Run twice, as the pipeline limit is: with one organisation (one partition, the worst case: a single large
tenant, the setup's tree) and with the same load spread over eight organisations, each with a tree of its own
holding an eighth of the goals. Each figure is also given as a fraction of the pipeline limit with as many
organisations, measured in the same run.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bench.organisations import new_organisations
from bench.pipeline import Tenant, applied, producer, publish_all, tracking_client
from bench.pipeline_limit import ORGANISATIONS, label
from bench.platform import BenchPlatform
from bench.progress import Deadline, bar
from bench.query import whole_tree
from bench.results import Figure, Results
from bench.settings import Scale
from bench.tree import GoalTree, grow

POLL_EVERY = 0.5
TARGET = 10_000  # measurements/s, with eight organisations
SHARE = 50  # % of the pipeline limit with as many organisations


async def spread(platform: BenchPlatform, scale: Scale, count: int, deadline: Deadline) -> list[Tenant]:
    """`count` new organisations, each with a tree of scale.goals / count goals, once tracking shows them whole."""
    organisations = await new_organisations(platform, count, "e2e")
    each = max(10, scale.goals // count)
    with bar() as progress:
        task = progress.add_task(f"end to end: {count} trees of {each:,} goals (HTTP)", total=each * count)
        url = platform.url("goals")
        clients = [httpx.AsyncClient(base_url=url, headers=o.auth, timeout=120) for o in organisations]
        try:
            trees = await asyncio.gather(*(grow(c, each, deadline, lambda: progress.advance(task)) for c in clients))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
    tenants = [Tenant(o.org_id, o.auth, t) for o, t in zip(organisations, trees, strict=True)]
    for tenant in tenants:
        async with httpx.AsyncClient(base_url=platform.url("tracking"), headers=tenant.auth, timeout=120) as client:
            params: dict[str, str | int] = {"root": tenant.tree.root_id, "max_depth": 10}
            await whole_tree(client, params, tenant.tree.created, deadline)
    return tenants


async def measure(platform: BenchPlatform, scale: Scale, tenants: list[Tenant], results: Results) -> None:
    orgs, total, deadline = len(tenants), scale.measurements, Deadline(scale.phase_timeout)
    prefix, kafka = f"e2e-{uuid.uuid4().hex[:8]}", producer(platform)
    await kafka.start()
    async with tracking_client(platform) as client:
        baseline = await applied(client, tenants)
        with bar() as progress:
            sent = progress.add_task(f"{label(orgs)}: published", total=total)
            shown = progress.add_task(f"{label(orgs)}: in the read models", total=total)
            started = time.monotonic()
            publishing = asyncio.create_task(
                publish_all(kafka, tenants, prefix, total, lambda n: progress.update(sent, completed=n))
            )
            done = 0
            try:
                while done < total and not deadline.passed:
                    await asyncio.sleep(POLL_EVERY)
                    done = await applied(client, tenants) - baseline
                    progress.update(shown, completed=done)
            finally:
                publishing.cancel()
                await asyncio.gather(publishing, return_exceptions=True)
                await kafka.stop()
            elapsed = time.monotonic() - started
    rate, leaves = done / elapsed, sum(t.tree.leaves for t in tenants)
    note = f"{done:,} of {total:,} in {elapsed:,.1f} s, {leaves:,} leaves"
    target = TARGET if orgs > 1 else None
    results.add(Figure("end to end", f"throughput, {label(orgs)}", rate, "measurements/s", target, note=note))
    if raw := results.value("raw limits", "broker produce→consume"):
        results.add(Figure("end to end", f"{label(orgs)}: fraction of raw broker limit", 100 * rate / raw, "%"))
    if limit := results.value("pipeline limit", f"relay and 2 groups, {label(orgs)}"):
        name = f"{label(orgs)}: fraction of pipeline limit"
        results.add(Figure("end to end", name, 100 * rate / limit, "%", SHARE))
    results.phases[f"end to end: {label(orgs)}"] = "done" if done >= total else deadline.timed_out(done, total)


async def run(platform: BenchPlatform, scale: Scale, tree: GoalTree, results: Results) -> None:
    many = ORGANISATIONS[-1]
    await measure(platform, scale, [Tenant(platform.org_id, platform.auth, tree)], results)
    tenants = await spread(platform, scale, many, Deadline(scale.phase_timeout * 2))
    if len(tenants) == many and all(t.tree.leaf_ids for t in tenants):
        await measure(platform, scale, tenants, results)
