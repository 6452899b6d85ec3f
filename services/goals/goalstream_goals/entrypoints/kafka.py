"""Measurements from CRMs and analytics pipelines, as CloudEvents on `goalstream.measurements.v1`."""

from __future__ import annotations

import asyncio
import logging
import uuid

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from goalstream_contracts.cloudevents import ContractError, from_kafka
from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import MEASUREMENTS
from goalstream_goals.entrypoints.schemas import to_measurement
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_goals.service_layer.measurements import record_measurements
from goalstream_runtime import metrics
from goalstream_runtime.consumers import HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS, TRANSIENT, dead_letter
from goalstream_runtime.logs import org_id_var

log = logging.getLogger(__name__)


async def _raw_body(msg: object) -> object:
    return getattr(msg, "body", None)


def subscribe_measurements(broker: KafkaBroker, service: GoalsService, group_prefix: str) -> None:
    group_id = f"{group_prefix}-goals-measurements"

    @broker.subscriber(
        MEASUREMENTS,
        group_id=group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        title="goals:measurements",
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
    )
    @metrics.instrument_handler(MEASUREMENTS, group_id)
    async def on_measurement(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        assert not isinstance(record, tuple)
        try:
            envelope = from_kafka(record.headers, record.value)
            if not isinstance(envelope.payload, MeasurementSubmitted):
                raise ContractError(f"{envelope.event_type} does not belong on {MEASUREMENTS}")
        except ContractError as exc:
            await dead_letter(broker, msg, str(exc), consumer=group_id)
            return
        m = envelope.payload
        org_id_var.set(envelope.org_id)
        measurement = to_measurement(m, str(envelope.event_id))
        try:
            result = await record_measurements(
                service,
                envelope.org_id,
                [(m.goal_id, measurement)],
                envelope.correlation_id or uuid.uuid4(),
                causation_id=envelope.event_id,
            )
        except TRANSIENT:
            await asyncio.sleep(1.0)
            raise
        rejected = [o for o in result.outcomes if o.status == "rejected"]
        if rejected:
            await dead_letter(broker, msg, rejected[0].reason or "rejected", consumer=group_id)
        elif all(o.status == "duplicate" for o in result.outcomes):
            metrics.mark("repeat")
