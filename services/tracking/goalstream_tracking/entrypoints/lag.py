"""GET /v1/lag: how far the tracking consumer group is behind, per partition, in messages and seconds."""

from __future__ import annotations

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from goalstream_runtime.auth import Reader
from goalstream_runtime.http import ApiError
from goalstream_runtime.lag import LagMonitor

router = APIRouter(prefix="/v1", tags=["monitoring"])


class PartitionLagView(BaseModel):
    partition: int
    committed: int | None = Field(description="the group's committed offset; null when it committed none yet")
    end: int = Field(description="log end offset: the offset the next record will get")
    lag_messages: int = Field(description="records not yet consumed: end - committed, never negative")
    lag_seconds: float | None = Field(
        description="how long the oldest unconsumed record has waited; 0 when none waits, null if unreadable"
    )


class TopicLagView(BaseModel):
    topic: str
    partitions: list[PartitionLagView]


class LagView(BaseModel):
    group: str
    measured_at: float = Field(description="Unix time of the measurement (answers are cached briefly)")
    lag_messages: int = Field(description="sum over all partitions")
    lag_seconds: float = Field(description="the largest over all partitions")
    topics: list[TopicLagView]


@router.get("/lag", response_model=LagView)
async def consumer_lag(caller: Reader, request: Request) -> LagView:
    monitor: LagMonitor = request.app.state.lag_monitor
    try:
        snapshot = await monitor.snapshot()
    except (KafkaError, OSError) as exc:
        raise ApiError(503, "broker_unavailable", f"could not measure consumer lag: {exc}") from exc
    topics: dict[str, list[PartitionLagView]] = {t: [] for t in monitor.topics}
    for p in snapshot.partitions:
        topics.setdefault(p.topic, []).append(
            PartitionLagView(
                partition=p.partition,
                committed=p.committed,
                end=p.end,
                lag_messages=p.lag_messages,
                lag_seconds=p.lag_seconds,
            )
        )
    return LagView(
        group=snapshot.group,
        measured_at=snapshot.taken_at,
        lag_messages=snapshot.lag_messages,
        lag_seconds=snapshot.lag_seconds,
        topics=[TopicLagView(topic=t, partitions=ps) for t, ps in topics.items()],
    )
