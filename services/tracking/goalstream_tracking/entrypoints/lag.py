"""GET /v1/lag: how far the tracking consumer group is behind, per partition, in messages and seconds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from goalstream_runtime.auth import Reader
from goalstream_runtime.http import ApiError
from goalstream_runtime.lag import LagMonitor, LagSnapshot

router = APIRouter(prefix="/v1", tags=["monitoring"])


class PartitionLagView(BaseModel):
    partition: int = Field(description="the partition's number")
    committed: int | None = Field(description="the group's committed offset; null when it committed none yet")
    end: int = Field(description="log end offset: the offset the next record will get")
    lag_messages: int = Field(description="records not yet consumed: end - committed, never negative")
    lag_seconds: float | None = Field(
        description="how long the oldest unconsumed record has waited; 0 when none waits, null if unreadable"
    )


class TopicLagView(BaseModel):
    topic: str = Field(description="the topic's name")
    partitions: list[PartitionLagView] = Field(description="each partition's lag")


class LagView(BaseModel):
    group: str = Field(description="the consumer group measured")
    measured_at: datetime = Field(
        description="when it was measured, ISO-8601 in UTC like every time in the API (answers are cached briefly)"
    )
    lag_messages: int = Field(description="sum over all partitions")
    lag_seconds: float = Field(description="the largest over all partitions")
    topics: list[TopicLagView] = Field(description="the lag of each topic the group consumes")


@router.get("/lag", response_model=LagView)
async def consumer_lag(caller: Reader, request: Request) -> LagView:
    monitor: LagMonitor = request.app.state.lag_monitor
    try:
        snapshot = await monitor.snapshot()
    except (KafkaError, OSError) as exc:
        message = f"could not measure consumer lag: {exc}"
        raise ApiError(503, "broker_unavailable", message, headers={"Retry-After": "5"}) from exc
    return lag_view(snapshot, monitor.topics)


def lag_view(snapshot: LagSnapshot, topics: Iterable[str]) -> LagView:
    """The answer for `snapshot`: every topic in `topics` listed, even with no partition yet."""
    by_topic: dict[str, list[PartitionLagView]] = {t: [] for t in topics}
    for p in snapshot.partitions:
        by_topic.setdefault(p.topic, []).append(
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
        measured_at=snapshot.measured_at,
        lag_messages=snapshot.lag_messages,
        lag_seconds=snapshot.lag_seconds,
        topics=[TopicLagView(topic=t, partitions=ps) for t, ps in by_topic.items()],
    )
