"""Publishing measurements as a CRM or analytics pipeline would: CloudEvents on the measurements topic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from goalstream_contracts.cloudevents import to_kafka
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.measurements import MeasurementSubmitted


async def publish_measurements(bootstrap: str, org_id: str, *measurements: MeasurementSubmitted) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for m in measurements:
            envelope = Envelope[MeasurementSubmitted].new(
                m,
                org_id=org_id,
                stream_id=m.id or str(uuid.uuid4()),
                stream_version=1,
                occurred_at=datetime.now(UTC),
                source="/crm/salesforce",
            )
            record = to_kafka(envelope)
            await producer.send_and_wait(record.topic, record.value, key=record.key, headers=list(record.headers))
    finally:
        await producer.stop()
