"""Measurements that CRMs and analytics pipelines publish on `goalstream.measurements.v1`.

A record is a CloudEvent of type `io.goalstream.MeasurementSubmitted` with the organisation id
as key and in `ce_orgid`; its value is this model's JSON.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from goalstream_contracts import topics
from goalstream_contracts.base import FiniteFloat, Payload, Timestamp


class MeasurementSubmitted(Payload):
    topic: ClassVar[str] = topics.MEASUREMENTS
    event_type: ClassVar[str] = "MeasurementSubmitted"

    id: str | None = Field(default=None, max_length=200, description="idempotency key: one effect per id")
    metric: str = Field(min_length=1, max_length=200)
    value: FiniteFloat
    observed_at: Timestamp
    source: str | None = Field(default=None, max_length=200)
    goal_id: str | None = Field(default=None, description="only this goal: a manual check-in")
    comment: str | None = Field(default=None, max_length=2000)
    confidence: FiniteFloat | None = Field(default=None, ge=0, le=1)

    def subject(self) -> str:
        return self.goal_id or self.metric
