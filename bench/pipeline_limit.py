"""The pipeline's own limit: the same hops as end to end with no work, measured in the same run.

Measurements (as end to end publishes them) go to a topic; a relay process consumes them and produces one
record of an event's size per message to an events topic; two reader processes, two consumer groups, read
that topic, as tracking and notifications read goals' events. Rate: records / (last record read by both
groups - first produce). Run with one organisation (one key, one partition) and with eight.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid

from aiokafka import AIOKafkaProducer

from bench import history, pipeline_hops
from bench.platform import PARTITIONS, BenchPlatform
from bench.progress import Deadline, bar
from bench.results import Figure, Results
from bench.sample import leaf_metric, measurement_record, record_size
from bench.settings import Scale
from goalstream_contracts.cloudevents import KafkaRecord
from goalstream_runtime.kafka_admin import ensure_topics

ORGANISATIONS = (1, 8)
SEND_CHUNK = 1_000
SPAWN = multiprocessing.get_context("spawn")  # no fork of a process with a running event loop


def event_record() -> KafkaRecord:
    """A `MeasurementRecorded` CloudEvent as the relay publishes one per measurement."""
    records = history.events("org-bench", 1)
    return next(r for r in records if dict(r.headers)["ce_type"].endswith(b"MeasurementRecorded"))


def label(orgs: int) -> str:
    return f"{orgs} organisation{'s' if orgs > 1 else ''}"


async def _produce(producer: AIOKafkaProducer, topic: str, orgs: int, total: int, deadline: Deadline) -> None:
    # One record per organisation, reused: the transport is measured, not the building of records.
    samples = [measurement_record(f"org-bench-{i}", str(uuid.uuid4()), leaf_metric(i)) for i in range(orgs)]
    for n in range(0, total, SEND_CHUNK):
        if deadline.passed:
            return
        chunk = (samples[i % orgs] for i in range(n, min(n + SEND_CHUNK, total)))
        futures = [await producer.send(topic, r.value, key=r.key, headers=list(r.headers)) for r in chunk]
        await asyncio.gather(*futures)


async def measure(platform: BenchPlatform, scale: Scale, orgs: int, results: Results) -> float:
    run = uuid.uuid4().hex[:8]
    topics = (f"bench.pipeline.measurements.{run}", f"bench.pipeline.events.{run}")
    await ensure_topics(platform.bootstrap, topics, PARTITIONS)
    total, deadline, event = scale.pipeline_records, Deadline(scale.phase_timeout), event_record()
    done = [SPAWN.Value("q", 0) for _ in range(3)]  # relayed, read by group a, read by group b
    last = [SPAWN.Value("d", 0.0) for _ in range(2)]
    ready = [SPAWN.Event() for _ in range(3)]
    relay_args = (platform.bootstrap, topics, (event.value, list(event.headers)), total, done[0], ready[0])
    processes = [SPAWN.Process(target=pipeline_hops.relay, args=relay_args, daemon=True)] + [
        SPAWN.Process(
            target=pipeline_hops.read,
            args=(platform.bootstrap, topics[1], f"{topics[1]}.{g}", total, done[i + 1], last[i], ready[i + 1]),
            daemon=True,
        )
        for i, g in enumerate("ab")
    ]
    producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, linger_ms=5, max_batch_size=256 * 1024)
    for process in processes:
        process.start()
    try:
        await producer.start()
        await producer.partitions_for(topics[0])  # connected, metadata known: outside the timed window
        for joined in ready:  # every group has its partitions: time the hops, not the joins
            await asyncio.to_thread(joined.wait, deadline.left)
        with bar() as progress:
            names = ("relayed", "read by group a", "read by group b")
            tasks = [progress.add_task(f"{label(orgs)}: {name}", total=total) for name in names]
            started = time.monotonic()
            producing = asyncio.create_task(_produce(producer, topics[0], orgs, total, deadline))
            while min(d.value for d in done[1:]) < total and not deadline.passed:
                await asyncio.sleep(0.2)
                for task, counter in zip(tasks, done, strict=True):
                    progress.update(task, completed=counter.value)
                if any(p.exitcode for p in processes):  # the relay ends with exit code 0 once it relayed all
                    raise RuntimeError("a pipeline-limit process failed")
            await producing
    finally:
        await producer.stop()
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(5)
    read = int(min(d.value for d in done[1:]))
    elapsed = (max(v.value for v in last) if read >= total else time.monotonic()) - started
    rate = read / elapsed
    sizes = f"{record_size(measurement_record('org-bench-0', str(uuid.uuid4()), leaf_metric(0)))} B in"
    note = f"{read:,} of {total:,} in {elapsed:,.1f} s; {sizes}, {record_size(event)} B out, 2 groups"
    results.add(Figure("pipeline limit", f"relay and 2 groups, {label(orgs)}", rate, "records/s", note=note))
    if raw := results.value("raw limits", "broker produce→consume"):
        results.add(Figure("pipeline limit", f"{label(orgs)}: fraction of raw broker limit", 100 * rate / raw, "%"))
    results.phases[f"pipeline limit: {label(orgs)}"] = "done" if read >= total else deadline.timed_out(read, total)
    return rate


async def run(platform: BenchPlatform, scale: Scale, results: Results) -> None:
    for orgs in ORGANISATIONS:
        await measure(platform, scale, orgs, results)
