"""How big a run is: the issue's sizes by default, a smoke-test size with `--quick`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    goals: int  # the five-level tree for end-to-end, latency and the tree query
    raw_messages: int  # broker produce-to-consume
    pipeline_records: int  # the pipeline's hops with no work
    copy_rows: int  # PostgreSQL COPY
    measurements: int  # end-to-end throughput
    ingest_measurements: int  # through POST /v1/measurements
    latency_rate: int  # measurements per second offered
    latency_seconds: int
    rebuild_events: int
    memory_goals: int
    queries: int
    phase_timeout: float  # seconds; a phase that has not finished records how far it got


FULL = Scale(
    name="full",
    goals=10_000,
    raw_messages=200_000,
    pipeline_records=100_000,
    copy_rows=1_000_000,
    measurements=100_000,
    ingest_measurements=100_000,
    latency_rate=1_000,
    latency_seconds=60,
    rebuild_events=1_000_000,
    memory_goals=100_000,
    queries=200,
    phase_timeout=600,
)
QUICK = Scale(
    name="quick",
    goals=1_000,
    raw_messages=20_000,
    pipeline_records=20_000,
    copy_rows=100_000,
    measurements=10_000,
    ingest_measurements=10_000,
    latency_rate=1_000,
    latency_seconds=10,
    rebuild_events=100_000,
    memory_goals=2_000,  # 1,000 more than the tree: the memory phase's goal creation runs too
    queries=50,
    phase_timeout=120,
)

BATCH = 500  # measurements per POST /v1/measurements, as the issue asks
