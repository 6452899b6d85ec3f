"""A realistic instance of every event, as an envelope and as the Kafka record the binding makes of it.

One organisation's story (a sales team's quarterly goal with its plan, measurements, milestones and
an anti-goal guarding it, a ladder, an alert, an API key), used as the examples of the AsyncAPI
document and of the event pages, and by tests that want a valid instance of each type.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from goalstream_contracts import alerts, events, identity, measurements, topics
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import ContractError, from_kafka, to_kafka
from goalstream_contracts.common import LadderRung, Metric, Milestone
from goalstream_contracts.envelope import Envelope

TRACEPARENT: Final = "traceparent"
# `ce_source` by topic: the SOURCE of the goals and notifications services, and an integration's own.
SOURCES: Final = {
    topics.GOAL_EVENTS: "/goalstream/goals",
    topics.IDENTITY_EVENTS: "/goalstream/goals",
    topics.NOTIFICATION_EVENTS: "/goalstream/notifications",
    topics.MEASUREMENTS: "/integrations/hubspot",
}
_NS = uuid.UUID("6f1c2d1e-8a4b-4c1d-9e57-3a2b1c0d9e8f")
EXAMPLE_ORG: Final = "acme"
EXAMPLE_TRACEPARENT: Final = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
_GOAL = "5f0c7e0a-3b8e-4f5e-9a57-2f1f8f6c1a01"
_PARENT = "0b6c1f2e-7d3a-4a8e-8c1b-5e2d9f4a7c10"
_ANTI = "9a4e2c71-1f3b-4d6a-b8e5-7c0d2f9e1a34"
_LADDER = "c2d8e5f1-4a7b-4c3e-9f60-1b2a3c4d5e6f"
_RUNGS = (
    "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a51",
    "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a52",
    "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a53",
)
_DELIVERY = "7d3e9b20-5c4f-4a1e-8b6d-2f0e1c9a8b77"
_SUBSCRIPTION = "3c1b0a9f-8e7d-4c6b-a5f4-e3d2c1b0a987"
_KEY_ID = "key_3f9a1c0b7d2e"
_KEY_HASH = hashlib.sha256(b"gs_Xy12abEXAMPLEONLYnotarealkey").hexdigest()


def _t(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


def _example_payloads() -> list[tuple[Payload, str, int, datetime, uuid.UUID | None]]:
    """(payload, stream id, stream version, occurred at, causation) per event type: one organisation's story."""
    q3_start, q3_end = _t(7, 1, 0), _t(10, 1, 0)
    return [
        (
            events.GoalSet(
                goal_id=_GOAL,
                kind="hard",
                title="Qualified leads, EMEA, Q3",
                owner="sales-emea",
                level="team",
                parent_id=_PARENT,
                weight=2.0,
                metric=Metric(key="crm.leads.qualified", aggregation="sum"),
                unit="leads",
                baseline=0.0,
                target=1200.0,
                start_at=q3_start,
                deadline=q3_end,
                checkin_every="P7D",
            ),
            _GOAL,
            1,
            _t(6, 24, 10, 12),
            None,
        ),
        (
            events.GoalPlanned(
                goal_id=_GOAL,
                milestones=(
                    Milestone(index=1, due=_t(7, 24, 0), target=300.0, fraction=0.25),
                    Milestone(index=2, due=_t(8, 16, 0), target=600.0, fraction=0.5),
                    Milestone(index=3, due=_t(9, 8, 0), target=900.0, fraction=0.75),
                    Milestone(index=4, due=q3_end, target=1200.0, fraction=1.0),
                ),
            ),
            _GOAL,
            2,
            _t(6, 24, 10, 15),
            None,
        ),
        (
            events.GoalRevised(
                goal_id=_GOAL,
                changed=("title", "owner"),
                title="Qualified leads, EMEA North, Q3",
                owner="sales-emea-north",
            ),
            _GOAL,
            3,
            _t(7, 2, 14, 30),
            None,
        ),
        (
            measurements.MeasurementSubmitted(
                id="hubspot-2026-08-03-emea",
                metric="crm.leads.qualified",
                value=38.0,
                observed_at=_t(8, 3, 17, 0),
                source="hubspot",
                confidence=0.95,
            ),
            "crm.leads.qualified",
            1,
            _t(8, 3, 17, 0),
            None,
        ),
        (
            events.MeasurementRecorded(
                goal_id=_GOAL,
                measurement_id="hubspot-2026-08-03-emea",
                metric="crm.leads.qualified",
                value=38.0,
                observed_at=_t(8, 3, 17, 0),
                recorded_at=_t(8, 3, 17, 0),
                source="hubspot",
                confidence=0.95,
                current_value=390.0,
                progress=0.325,
            ),
            _GOAL,
            5,
            _t(8, 3, 17, 0),
            _id("MeasurementSubmitted"),
        ),
        (
            events.GoalStatusChanged(
                goal_id=_GOAL, previous_status="on_track", status="at_risk", progress=0.325, expected_progress=0.36
            ),
            _GOAL,
            6,
            _t(8, 3, 17, 0),
            _id("MeasurementRecorded"),
        ),
        (
            events.MilestoneHit(
                goal_id=_GOAL,
                milestone_index=1,
                due=_t(7, 24, 0),
                target=300.0,
                value=312.0,
                hit_at=_t(7, 22, 16, 40),
                late=False,
            ),
            _GOAL,
            4,
            _t(7, 22, 16, 40),
            None,
        ),
        (
            events.MilestoneMissed(goal_id=_GOAL, milestone_index=2, due=_t(8, 16, 0), target=600.0, value=540.0),
            _GOAL,
            8,
            _t(8, 16, 0),
            None,
        ),
        (
            events.GoalCheckInDue(goal_id=_GOAL, last_measurement_at=_t(8, 3, 17, 0), due_since=_t(8, 10, 17, 0)),
            _GOAL,
            7,
            _t(8, 10, 17, 0),
            None,
        ),
        (
            events.GoalAchieved(
                goal_id=_GOAL, value=1212.0, target=1200.0, progress=1.01, achieved_at=_t(9, 28, 11, 5)
            ),
            _GOAL,
            9,
            _t(9, 28, 11, 5),
            None,
        ),
        (
            events.GoalMissed(goal_id=_PARENT, value=3720.0, target=4000.0, progress=0.93, deadline=q3_end),
            _PARENT,
            7,
            q3_end,
            None,
        ),
        (
            events.AntiGoalBreached(
                goal_id=_ANTI,
                value=6.2,
                threshold=5.0,
                comparator="above",
                severity="critical",
                breached_at=_t(8, 12, 8, 30),
                guards=_GOAL,
            ),
            _ANTI,
            4,
            _t(8, 12, 8, 30),
            None,
        ),
        (
            events.AntiGoalRecovered(
                goal_id=_ANTI,
                value=4.1,
                recovery_threshold=4.5,
                severity="critical",
                recovered_at=_t(8, 19, 8, 30),
                breached_at=_t(8, 12, 8, 30),
                guards=_GOAL,
            ),
            _ANTI,
            5,
            _t(8, 19, 8, 30),
            None,
        ),
        (
            events.GoalArchived(goal_id=_ANTI, reason="replaced by the EU-wide refund-rate anti-goal"),
            _ANTI,
            6,
            _t(10, 2, 9, 0),
            None,
        ),
        (
            events.LadderSet(
                ladder_id=_LADDER,
                title="Enterprise readiness",
                owner="platform",
                rungs=(
                    LadderRung(index=1, goal_id=_RUNGS[0], title="SOC 2 Type I"),
                    LadderRung(index=2, goal_id=_RUNGS[1], title="SOC 2 Type II"),
                    LadderRung(index=3, goal_id=_RUNGS[2], title="ISO 27001"),
                ),
            ),
            _LADDER,
            1,
            _t(5, 4, 9, 0),
            None,
        ),
        (
            events.LadderRungUnlocked(
                ladder_id=_LADDER,
                rung_index=2,
                goal_id=_RUNGS[1],
                unlocked_at=_t(8, 21, 15, 2),
                previous_goal_id=_RUNGS[0],
            ),
            _LADDER,
            2,
            _t(8, 21, 15, 2),
            None,
        ),
        (
            alerts.AlertDelivered(
                delivery_id=_DELIVERY,
                subscription_id=_SUBSCRIPTION,
                channel="webhook",
                alerted_event_id=str(_id("AntiGoalBreached")),
                alerted_event_type="AntiGoalBreached",
                attempts=1,
                delivered_at=_t(8, 12, 8, 30),
                status_code=204,
            ),
            _DELIVERY,
            1,
            _t(8, 12, 8, 30),
            _id("AntiGoalBreached"),
        ),
        (
            alerts.AlertDeliveryFailed(
                delivery_id=_DELIVERY,
                subscription_id=_SUBSCRIPTION,
                channel="slack",
                alerted_event_id=str(_id("AntiGoalBreached")),
                alerted_event_type="AntiGoalBreached",
                attempts=8,
                failed_at=_t(8, 14, 4, 31),
                last_error="HTTP 503 from hooks.slack.com",
                status_code=503,
            ),
            _DELIVERY,
            8,
            _t(8, 14, 4, 31),
            _id("AntiGoalBreached"),
        ),
        (identity.OrganisationCreated(name="Acme Corporation"), f"org-{EXAMPLE_ORG}", 1, _t(4, 1, 8, 0), None),
        (
            identity.ApiKeyIssued(key_id=_KEY_ID, key_hash=_KEY_HASH, prefix="gs_Xy12ab", scopes=("read", "write")),
            f"org-{EXAMPLE_ORG}",
            2,
            _t(4, 1, 8, 0),
            None,
        ),
        (identity.ApiKeyRevoked(key_id=_KEY_ID, key_hash=_KEY_HASH), f"org-{EXAMPLE_ORG}", 3, _t(9, 30, 12, 0), None),
    ]


def source(cls: type[Payload]) -> str:
    """`ce_source` of the example: the service that publishes `cls`, or a CRM integration for measurements."""
    return SOURCES[cls.topic]


def example_envelopes() -> dict[str, Envelope[Payload]]:
    """A realistic envelope per event type, by type."""
    found: dict[str, Envelope[Payload]] = {}
    for payload, stream_id, version, at, causation in _example_payloads():
        found[payload.event_type] = Envelope[Payload].new(
            payload,
            org_id=EXAMPLE_ORG,
            stream_id=stream_id,
            stream_version=version,
            occurred_at=at,
            source=source(type(payload)),
            correlation_id=_id(f"request:{stream_id}"),
            causation_id=causation,
            event_id=_id(payload.event_type),
        )
    return found


@dataclass(frozen=True)
class Example:
    key: str
    headers: dict[str, str]
    value: Any  # the value's JSON


def examples() -> dict[str, Example]:
    """The Kafka record of each example envelope, as `to_kafka` writes it (plus a `traceparent`), by type."""
    found: dict[str, Example] = {}
    for event_type, envelope in example_envelopes().items():
        record = to_kafka(envelope)
        headers = {name: value.decode() for name, value in record.headers} | {TRACEPARENT: EXAMPLE_TRACEPARENT}
        found[event_type] = Example(record.key.decode(), headers, json.loads(record.value))
    return found


def dead_letter_example() -> Example:
    """A measurement with neither `ce_orgid` nor a key, dead-lettered by goals with the reason the binding gives."""
    good = to_kafka(example_envelopes()["MeasurementSubmitted"])
    headers = [(k, v) for k, v in good.headers if k not in ("ce_orgid", "ce_partitionkey")]
    try:
        from_kafka(headers, good.value, None, 0)
    except ContractError as exc:
        reason = str(exc)
    else:  # pragma: no cover - the binding would have to accept a record without an organisation
        raise AssertionError("a record without ce_orgid was accepted")
    decoded = {k: v.decode() for k, v in headers}
    decoded |= {"dlq_reason": reason, "dlq_topic": good.topic, "dlq_partition": "1", "dlq_offset": "48213"}
    decoded["dlq_consumer"] = "goalstream-goals-measurements"
    return Example("", decoded, json.loads(good.value))
