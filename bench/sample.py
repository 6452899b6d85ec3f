"""Records shaped like goalstream's own: a measurement CloudEvent, as the pipelines publish it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from goalstream_contracts.cloudevents import KafkaRecord, to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.measurements import MeasurementSubmitted

START = datetime.now(UTC) - timedelta(days=1)
DEADLINE = START + timedelta(days=60)


def leaf_metric(index: int) -> str:
    return f"bench.leaf.{index}"


def measurement_record(org_id: str, measurement_id: str, metric: str, value: float = 1.0) -> KafkaRecord:
    payload = MeasurementSubmitted(
        id=measurement_id, metric=metric, value=value, observed_at=datetime.now(UTC), source="/bench"
    )
    envelope = Envelope[MeasurementSubmitted].new(
        payload,
        org_id=org_id,
        stream_id=measurement_id,
        stream_version=1,
        occurred_at=datetime.now(UTC),
        source="/bench",
    )
    return to_kafka(envelope)


def record_size(record: KafkaRecord) -> int:
    return len(record.key) + len(record.value) + sum(len(k) + len(v) for k, v in record.headers)


def sample_record() -> KafkaRecord:
    return measurement_record("org-bench", str(uuid.uuid4()), leaf_metric(0))
