"""Measurements that CRMs and analytics pipelines publish on `goalstream.measurements.v1`.

A record is a CloudEvent of type `io.goalstream.MeasurementSubmitted` with the organisation id
as key (and in `ce_orgid`, which a producer may leave out); its value is this model's JSON, or its
`data` in structured mode.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from goalstream_contracts import topics
from goalstream_contracts.base import FiniteFloat, Payload
from goalstream_contracts.inputs import Number, Text, Time


class MeasurementSubmitted(Payload):
    topic: ClassVar[str] = topics.MEASUREMENTS
    event_type: ClassVar[str] = "MeasurementSubmitted"

    # A producer's input, so read through the bounds of `inputs` (a record out of them is dead-lettered).
    id: Text | None = Field(default=None, max_length=200, description="idempotency key: one effect per id")
    metric: Text = Field(min_length=1, max_length=200)
    value: Number = Field(description="finite, at most 1e15 in magnitude")
    observed_at: Time = Field(description="with a UTC offset, from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z")
    source: Text | None = Field(default=None, max_length=200)
    goal_id: Text | None = Field(default=None, description="only this goal: a manual check-in")
    comment: Text | None = Field(default=None, max_length=2000)
    confidence: FiniteFloat | None = Field(default=None, ge=0, le=1)

    def subject(self) -> str:
        return self.goal_id or self.metric
