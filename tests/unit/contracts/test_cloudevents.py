"""CloudEvents 1.0 Kafka binary-mode binding, the registry and upcasting, for every published payload."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from goalstream_contracts import alerts, events, identity, measurements, registry
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import (
    ContractError,
    KafkaRecord,
    from_kafka,
    to_kafka,
)
from goalstream_contracts.common import LadderRung, Metric, Milestone
from goalstream_contracts.envelope import Envelope
from tests.unit.contracts.design import DESIGN_EVENTS

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
GOAL = "goal-7f3a"
LADDER = "ladder-1"
ORG = "org-acme"


ALERT = {
    "delivery_id": "dlv-1",
    "subscription_id": "sub-1",
    "channel": "webhook",
    "alerted_event_id": str(uuid.UUID(int=5)),
    "alerted_event_type": "GoalAchieved",
    "attempts": 2,
}

# One valid payload per published class, with the optional fields filled where it matters.
SAMPLES: dict[type[Payload], dict[str, Any]] = {
    events.GoalSet: {
        "goal_id": GOAL,
        "kind": "hard",
        "title": "Qualified leads",
        "owner": "ana",
        "level": "team",
        "weight": 2.0,
        "rollup": "sum",
        "metric": Metric(key="crm.leads.qualified", aggregation="sum"),
        "unit": "leads",
        "baseline": 0.0,
        "target": 120.0,
        "start_at": T0,
        "deadline": T0 + timedelta(days=90),
        "checkin_every": "P7D",
    },
    events.GoalRevised: {"goal_id": GOAL, "target": 150.0, "changed": ("target",)},
    events.GoalArchived: {"goal_id": GOAL, "reason": "reorg"},
    events.GoalPlanned: {
        "goal_id": GOAL,
        "milestones": (
            Milestone(index=1, due=T0 + timedelta(days=30), target=40.0, fraction=1 / 3),
            Milestone(index=2, due=T0 + timedelta(days=60), target=80.0, fraction=2 / 3),
        ),
    },
    events.MeasurementRecorded: {
        "goal_id": GOAL,
        "measurement_id": "m-1",
        "metric": "crm.leads.qualified",
        "value": 12.0,
        "observed_at": T0,
        "recorded_at": T0 + timedelta(seconds=2),
        "source": "hubspot",
        "confidence": 0.9,
        "current_value": 12.0,
        "progress": 0.1,
    },
    events.GoalStatusChanged: {
        "goal_id": GOAL,
        "previous_status": "on_track",
        "status": "at_risk",
        "progress": 0.2,
        "expected_progress": 0.4,
    },
    events.MilestoneHit: {
        "goal_id": GOAL,
        "milestone_index": 1,
        "due": T0,
        "target": 40.0,
        "value": 41.0,
        "hit_at": T0,
        "late": False,
    },
    events.MilestoneMissed: {"goal_id": GOAL, "milestone_index": 2, "due": T0, "target": 80.0, "value": 50.0},
    events.GoalAchieved: {
        "goal_id": GOAL,
        "value": 121.0,
        "target": 120.0,
        "progress": 1.01,
        "achieved_at": T0,
        "ladder_id": LADDER,
    },
    events.GoalMissed: {"goal_id": GOAL, "value": 90.0, "target": 120.0, "progress": 0.75, "deadline": T0},
    events.AntiGoalBreached: {
        "goal_id": GOAL,
        "value": 0.07,
        "threshold": 0.05,
        "comparator": "above",
        "severity": "critical",
        "breached_at": T0,
        "guards": "goal-other",
    },
    events.AntiGoalRecovered: {
        "goal_id": GOAL,
        "value": 0.03,
        "recovery_threshold": 0.04,
        "severity": "critical",
        "recovered_at": T0,
        "breached_at": T0 - timedelta(hours=3),
    },
    events.GoalCheckInDue: {"goal_id": GOAL, "last_measurement_at": T0 - timedelta(days=8), "due_since": T0},
    events.LadderSet: {
        "ladder_id": LADDER,
        "title": "Revenue ladder",
        "rungs": (LadderRung(index=1, goal_id="g-1", title="10k"), LadderRung(index=2, goal_id="g-2", title="20k")),
    },
    events.LadderRungUnlocked: {
        "ladder_id": LADDER,
        "rung_index": 2,
        "goal_id": "g-2",
        "unlocked_at": T0,
        "previous_goal_id": "g-1",
    },
    alerts.AlertDelivered: {**ALERT, "delivered_at": T0, "status_code": 204},
    alerts.AlertDeliveryFailed: {**ALERT, "failed_at": T0, "last_error": "timeout", "status_code": 504},
    identity.OrganisationCreated: {"name": "Acme"},
    identity.ApiKeyIssued: {"key_id": "key-1", "key_hash": "ab" * 32, "prefix": "gs_live_ab", "scopes": ("read",)},
    identity.ApiKeyRevoked: {"key_id": "key-1", "key_hash": "ab" * 32},
    measurements.MeasurementSubmitted: {
        "id": "evt-9",
        "metric": "crm.leads.qualified",
        "value": 3.0,
        "observed_at": T0,
        "source": "hubspot",
    },
}

SUBJECTS: dict[type[Payload], str] = {
    **{cls: GOAL for cls in SAMPLES if issubclass(cls, events.GoalEvent)},
    **{cls: LADDER for cls in SAMPLES if issubclass(cls, events.LadderEvent)},
    **{cls: "dlv-1" for cls in SAMPLES if issubclass(cls, alerts.AlertEvent)},
    identity.OrganisationCreated: "Acme",
    identity.ApiKeyIssued: "key-1",
    identity.ApiKeyRevoked: "key-1",
    measurements.MeasurementSubmitted: "crm.leads.qualified",
}

by_type = pytest.mark.parametrize("cls", registry.EVENT_CLASSES, ids=lambda cls: cls.event_type)


def sample(cls: type[Payload]) -> Payload:
    return cls(**SAMPLES[cls])


def envelope(payload: Payload, *, causation_id: uuid.UUID | None = None) -> Envelope[Payload]:
    return Envelope[Payload].new(
        payload,
        org_id=ORG,
        stream_id=payload.subject(),
        stream_version=3,
        occurred_at=T0,
        source="/goalstream/test",
        correlation_id=uuid.UUID(int=1),
        causation_id=causation_id,
        event_id=uuid.UUID(int=2),
    )


def record(cls: type[Payload] = events.GoalSet) -> KafkaRecord:
    return to_kafka(envelope(sample(cls)))


def headers_without(rec: KafkaRecord, name: str) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in rec.headers if n != name]


def headers_with(rec: KafkaRecord, name: str, value: str) -> list[tuple[str, bytes]]:
    return [*headers_without(rec, name), (name, value.encode())]


# --- registry --------------------------------------------------------------------------------------


def test_every_class_has_a_sample_and_a_subject() -> None:
    assert set(SAMPLES) == set(registry.EVENT_CLASSES) == set(SUBJECTS)


def test_every_design_event_is_registered() -> None:
    assert [name for name in DESIGN_EVENTS if name not in registry.BY_TYPE] == []


def test_event_types_are_unique() -> None:
    assert len(registry.BY_TYPE) == len(registry.EVENT_CLASSES)


@by_type
def test_payloads_are_frozen(cls: type[Payload]) -> None:
    payload = sample(cls)
    field = next(iter(cls.model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(payload, field, getattr(payload, field))
    assert cls.model_config.get("frozen") is True


@by_type
def test_payloads_know_their_subject_and_topic(cls: type[Payload]) -> None:
    assert sample(cls).subject() == SUBJECTS[cls]
    assert cls.topic.startswith("goalstream.")


# --- to_kafka / from_kafka -------------------------------------------------------------------------


@by_type
def test_round_trip(cls: type[Payload]) -> None:
    payload = sample(cls)
    original = envelope(payload, causation_id=uuid.UUID(int=3))
    rec = to_kafka(original)

    headers = dict(rec.headers)
    assert len(headers) == len(rec.headers), "a header appears twice"
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == str(original.event_id).encode()
    assert headers["ce_type"] == f"io.goalstream.{cls.event_type}".encode()
    assert datetime.fromisoformat(headers["ce_time"].decode()) == T0
    assert headers["ce_subject"] == SUBJECTS[cls].encode()
    assert headers["ce_dataschema"].decode().endswith(f"/{cls.event_type}/v{cls.schema_version}.json")
    assert headers["ce_source"] == b"/goalstream/test"
    assert headers["content-type"] == b"application/json"
    assert headers["ce_orgid"] == ORG.encode()
    assert headers["ce_causationid"] == str(uuid.UUID(int=3)).encode()
    assert all(isinstance(value, bytes) for value in headers.values())

    assert rec.topic == cls.topic
    assert rec.key == ORG.encode()
    value = json.loads(rec.value)
    assert set(value) == set(cls.model_fields), "the value is the payload only, no envelope fields"
    assert value == payload.model_dump(mode="json")

    decoded = from_kafka(rec.headers, rec.value)
    assert type(decoded.payload) is cls
    assert decoded.payload == payload
    assert decoded.model_dump() == original.model_dump()


def test_round_trip_without_causation() -> None:
    rec = record()
    assert "ce_causationid" not in dict(rec.headers)
    assert from_kafka(rec.headers, rec.value).causation_id is None


def test_headers_are_read_case_insensitively_and_as_str() -> None:
    rec = record()
    headers = [(name.upper(), value.decode()) for name, value in rec.headers]
    assert from_kafka(headers, rec.value).payload == sample(events.GoalSet)


def test_unknown_payload_fields_are_ignored() -> None:
    rec = record(events.GoalArchived)
    value = json.dumps({**json.loads(rec.value), "added_later": 1}).encode()
    assert from_kafka(rec.headers, value).payload == sample(events.GoalArchived)


@pytest.mark.parametrize("name", ["ce_specversion", "ce_id", "ce_type", "ce_source"])
def test_missing_header(name: str) -> None:
    rec = record()
    with pytest.raises(ContractError, match=f"missing CloudEvents headers: {name}"):
        from_kafka(headers_without(rec, name), rec.value, rec.key, 0)


def test_missing_time_with_no_record_timestamp() -> None:
    rec = record()
    with pytest.raises(ContractError, match=r"missing CloudEvents headers: ce_time \(and the record has no timestamp"):
        from_kafka(headers_without(rec, "ce_time"), rec.value, rec.key, None)


@pytest.mark.parametrize("key", [None, b""])
def test_missing_organisation_with_nothing_to_supply_it(key: bytes | None) -> None:
    rec = record()
    headers = [(n, v) for n, v in rec.headers if n not in ("ce_orgid", "ce_partitionkey")]
    with pytest.raises(ContractError, match=r"missing CloudEvents headers: ce_orgid \(and the record has no key"):
        from_kafka(headers, rec.value, key, 0)


def test_no_headers_at_all() -> None:
    with pytest.raises(ContractError, match="missing CloudEvents headers: ce_specversion, ce_id"):
        from_kafka(None, record().value)


def test_wrong_specversion() -> None:
    rec = record()
    with pytest.raises(ContractError, match=r"unsupported ce_specversion '0\.3'"):
        from_kafka(headers_with(rec, "ce_specversion", "0.3"), rec.value)


def test_foreign_type() -> None:
    rec = record()
    with pytest.raises(ContractError, match=r"'com\.example\.GoalSet' is not an io\.goalstream type"):
        from_kafka(headers_with(rec, "ce_type", "com.example.GoalSet"), rec.value)


def test_unknown_type() -> None:
    rec = record()
    with pytest.raises(ContractError, match="unknown event type 'GoalDeleted'"):
        from_kafka(headers_with(rec, "ce_type", "io.goalstream.GoalDeleted"), rec.value)


def test_wrong_content_type() -> None:
    rec = record()
    with pytest.raises(ContractError, match="unsupported content-type 'application/avro'"):
        from_kafka(headers_with(rec, "content-type", "application/avro"), rec.value)


def test_content_type_parameters_are_accepted() -> None:
    rec = record()
    assert from_kafka(headers_with(rec, "content-type", "application/json; charset=utf-8"), rec.value)


@pytest.mark.parametrize("value", [b"not json", b"", None, b'{"goal_id": "g",'])
def test_value_that_is_not_json(value: bytes | None) -> None:
    with pytest.raises(ContractError, match="malformed record"):
        from_kafka(record().headers, value)


@pytest.mark.parametrize("value", [b"[1, 2]", b'"GoalSet"', b"null"])
def test_value_that_is_not_an_object(value: bytes) -> None:
    with pytest.raises(ContractError, match="value is not a JSON object"):
        from_kafka(record().headers, value)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_constants(constant: str) -> None:
    rec = record(events.GoalAchieved)
    value = rec.value.replace(b'"value":121.0', f'"value":{constant}'.encode())
    assert value != rec.value
    with pytest.raises(ContractError, match=f"{constant} is not allowed in JSON"):
        from_kafka(rec.headers, value)


def test_overflowing_number() -> None:
    rec = record(events.GoalAchieved)
    value = rec.value.replace(b'"value":121.0', b'"value":1e999')
    with pytest.raises(ContractError, match=r"invalid GoalAchieved: .*finite_number.*'value'"):
        from_kafka(rec.headers, value)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "soft"}, "kind"),
        ({"title": None}, "title"),
        ({"target": "a lot"}, "target"),
        ({"deadline": "2025-06-01T00:00:00"}, "deadline"),  # naive: no time zone
        ({"metric": {"key": ""}}, "metric"),
    ],
    ids=["enum", "null", "type", "naive-time", "nested"],
)
def test_payload_violating_the_schema(change: dict[str, Any], problem: str) -> None:
    rec = record()
    value = json.dumps({**json.loads(rec.value), **change}).encode()
    with pytest.raises(ContractError, match=f"invalid GoalSet: .*'{problem}'"):
        from_kafka(rec.headers, value)


def test_payload_missing_a_required_field() -> None:
    rec = record()
    data = json.loads(rec.value)
    del data["goal_id"]
    with pytest.raises(ContractError, match=r"invalid GoalSet: .*'missing'.*'goal_id'"):
        from_kafka(rec.headers, json.dumps(data).encode())


def test_newer_schema_version_than_known() -> None:
    rec = record()
    with pytest.raises(ContractError, match=r"GoalSet v2 is newer than this reader \(v1\)"):
        from_kafka(headers_with(rec, "ce_schemaversion", "2"), rec.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("ce_id", ""), ("ce_schemaversion", "two"), ("ce_time", "yesterday"), ("ce_streamversion", "x")],
)
def test_malformed_envelope_header(name: str, value: str) -> None:
    rec = record()
    with pytest.raises(ContractError):
        from_kafka(headers_with(rec, name, value), rec.value)


# --- upcasting -------------------------------------------------------------------------------------


class Renamed(Payload):
    """Test-only payload at v2; v1 was {"title": str} and had no `size`."""

    event_type: ClassVar[str] = "ContractTestRenamed"
    schema_version: ClassVar[int] = 2
    topic: ClassVar[str] = "goalstream.test.v1"
    name: str
    size: int

    def subject(self) -> str:
        return self.name


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"name": data["title"], "size": 0}


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BY_TYPE, Renamed.event_type, Renamed)
    monkeypatch.setitem(registry.UPCASTERS, (Renamed.event_type, 1), _v1_to_v2)


@pytest.mark.usefixtures("renamed")
def test_decode_payload_upcasts_old_versions() -> None:
    assert registry.decode_payload(Renamed.event_type, 1, {"title": "x"}) == Renamed(name="x", size=0)
    assert registry.decode_payload(Renamed.event_type, 2, {"name": "y", "size": 4}) == Renamed(name="y", size=4)


@pytest.mark.usefixtures("renamed")
def test_from_kafka_upcasts_a_v1_record() -> None:
    rec = to_kafka(envelope(Renamed(name="ignored", size=9)))
    headers = headers_with(rec, "ce_schemaversion", "1")
    decoded = from_kafka(headers, b'{"title": "old"}')
    assert decoded.payload == Renamed(name="old", size=0)
    assert decoded.schema_version == 2


def test_a_missing_upcaster_is_a_contract_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BY_TYPE, Renamed.event_type, Renamed)
    with pytest.raises(registry.UnsupportedSchemaVersion, match="no upcaster from ContractTestRenamed v1"):
        registry.decode_payload(Renamed.event_type, 1, {"title": "x"})
    rec = to_kafka(envelope(Renamed(name="n", size=1)))
    with pytest.raises(ContractError, match="no upcaster from ContractTestRenamed v1"):
        from_kafka(headers_with(rec, "ce_schemaversion", "1"), b'{"title": "old"}')


def test_the_registry_is_left_as_it_was() -> None:
    assert Renamed.event_type not in registry.BY_TYPE
    assert (Renamed.event_type, 1) not in registry.UPCASTERS
