"""Measurements from CRMs and analytics pipelines, as CloudEvents on `goalstream.measurements.v1`.

A poll's records are recorded together: one transaction per organisation in the batch, each
measurement with its own cause (its record's event id), correlation and trace. The offsets are
committed after every organisation's transaction; on a failure the poll is recorded again one record
at a time (a record that fails alone goes to the DLQ) or, on an outage, redelivered, and what was
already recorded is a duplicate by measurement id, so it changes nothing. Losing the race for a goal's
version (ConcurrencyError, after `record_measurements`' own tries) is waited out, never dead-lettered.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from goalstream_contracts.measurements import MeasurementSubmitted
from goalstream_contracts.topics import MEASUREMENTS
from goalstream_goals.entrypoints.schemas import to_measurement
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_goals.service_layer.measurements import Origin, record_measurements
from goalstream_runtime import metrics
from goalstream_runtime.consumer_batch import Item
from goalstream_runtime.consumers import batch_subscriber, consume_batch

log = logging.getLogger(__name__)


def subscribe_measurements(broker: KafkaBroker, service: GoalsService, group_prefix: str) -> None:
    group_id = f"{group_prefix}-goals-measurements"
    metrics.count_measurements("topic", {}, 0)  # the series exist at 0 from start-up

    @batch_subscriber(broker, MEASUREMENTS, group_id, "goals:measurements")
    async def on_measurements(bodies: list[bytes], msg: KafkaMessage) -> None:
        await consume_batch(
            broker,
            msg,
            MEASUREMENTS,
            group_id,
            "goals measurement",
            partial(_by_org, service),
            transient=(ConcurrencyError,),
        )


async def _by_org(service: GoalsService, items: list[Item]) -> None:
    """Record the poll's measurements, one transaction per organisation; anything else is refused."""
    by_org: dict[str, list[Item]] = {}
    # Refused at decoding (not our contract): counted now, as a poll applied again alone skips them.
    invalid = sum(1 for item in items if item.envelope is None)
    metrics.count_measurements("topic", {"rejected": invalid}, 0, {"invalid": invalid})
    wrong = 0
    for item in items:
        if item.envelope is None:
            continue
        if not isinstance(item.envelope.payload, MeasurementSubmitted):
            item.reject(f"{item.envelope.event_type} does not belong on {MEASUREMENTS}")
            wrong += 1
            continue
        by_org.setdefault(item.envelope.org_id, []).append(item)
    for org_id, org_items in by_org.items():
        await _record(service, org_id, org_items)
    # Counted once the poll is recorded: a poll that fails is applied again one record at a time.
    metrics.count_measurements("topic", {"rejected": wrong}, 0, {"wrong_type": wrong})


async def _record(service: GoalsService, org_id: str, items: list[Item]) -> None:
    batch, origins = [], []
    for item in items:
        envelope = item.envelope
        assert envelope is not None and isinstance(envelope.payload, MeasurementSubmitted)
        batch.append((envelope.payload.goal_id, to_measurement(envelope.payload, str(envelope.event_id))))
        origins.append(Origin(envelope.event_id, envelope.correlation_id, item.context))
    result = await record_measurements(service, org_id, batch, uuid.uuid4(), origins=origins)
    counts = {status: result.count(status) for status in ("accepted", "duplicate", "rejected")}
    metrics.count_measurements("topic", counts, result.unmatched, result.rejections())
    for item, outcome in zip(items, result.outcomes, strict=True):
        if outcome.status == "rejected":
            item.reject(outcome.reason or "rejected")
        elif outcome.status == "duplicate":
            item.outcome = "repeat"
