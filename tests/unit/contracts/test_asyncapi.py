"""The AsyncAPI document: valid by the official AsyncAPI 3.0.0 JSON Schema, complete against DESIGN §3, up to date."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from goalstream_contracts import asyncapi, examples, registry, snapshots, topics
from goalstream_contracts.cloudevents import TYPE_PREFIX, ContractError, from_kafka, to_kafka
from tests.unit.contracts.design import DESIGN_ALERT_EVENTS, DESIGN_DOMAIN_EVENTS

HERE = Path(__file__).resolve().parent
OFFICIAL_SCHEMA = HERE / "asyncapi-3.0.0.schema.json"  # vendored from @asyncapi/specs, see README.md here
CHECKED_IN = asyncapi.DOCS_DIR / asyncapi.YAML_NAME

# docs/design.md §3 (DESIGN §3), word for word.
DESIGN_TOPICS = {
    "goalstream.goals.events.v1": DESIGN_DOMAIN_EVENTS,
    "goalstream.measurements.v1": ("MeasurementSubmitted",),
    "goalstream.notifications.events.v1": DESIGN_ALERT_EVENTS,
}

Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    return asyncapi.build_document()


@pytest.fixture(scope="module")
def official() -> jsonschema.Draft7Validator:
    schema = json.loads(OFFICIAL_SCHEMA.read_text())
    assert schema["properties"]["asyncapi"]["const"] == "3.0.0"
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _errors(validator: jsonschema.Draft7Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def _channel_of(document: Document, address: str) -> tuple[str, Document]:
    found = [(cid, ch) for cid, ch in document["channels"].items() if ch["address"] == address]
    assert len(found) == 1, f"{address}: {len(found)} channels"
    return found[0]


def _resolve(document: Document, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


# --- validity -----------------------------------------------------------------------------------------


def test_the_document_validates_against_the_official_asyncapi_3_schema(
    document: Document, official: jsonschema.Draft7Validator
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert _errors(official, document) == []


def test_the_served_and_checked_in_forms_validate_too(official: jsonschema.Draft7Validator) -> None:
    assert _errors(official, yaml.safe_load(CHECKED_IN.read_text())) == []
    assert _errors(official, json.loads(asyncapi.document_json())) == []


def _drop_server_protocol(d: Document) -> None:
    del d["servers"]["production"]["protocol"]


def _v2_style_operation(d: Document) -> None:
    d["operations"]["goalsSendGoalEvents"]["action"] = "publish"


def _unknown_message_field(d: Document) -> None:
    d["components"]["messages"]["GoalSet"]["messageId"] = "goalSet"


def _bad_binding_version(d: Document) -> None:
    d["components"]["messages"]["GoalSet"]["bindings"]["kafka"]["bindingVersion"] = "9.9.9"


def _payload_not_a_schema(d: Document) -> None:
    d["components"]["schemas"]["GoalSet"]["required"] = "goal_id"


def _example_without_content(d: Document) -> None:
    d["components"]["messages"]["GoalSet"]["examples"] = [{"name": "empty"}]


@pytest.mark.parametrize(
    "break_it",
    [
        _drop_server_protocol,
        _v2_style_operation,
        _unknown_message_field,
        _bad_binding_version,
        _payload_not_a_schema,
        _example_without_content,
    ],
)
def test_the_official_schema_rejects_a_broken_document(
    document: Document, official: jsonschema.Draft7Validator, break_it: Callable[[Document], None]
) -> None:
    broken = copy.deepcopy(document)
    break_it(broken)
    assert _errors(official, broken) != []


def test_every_reference_resolves(document: Document) -> None:
    refs = _refs(document)
    assert len(refs) > 100
    for ref in refs:
        _resolve(document, ref)


def test_operation_messages_belong_to_their_channel(document: Document) -> None:
    for name, operation in document["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        channel = _resolve(document, channel_ref)
        assert operation["messages"], name
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), (name, message)
            assert message["$ref"].rsplit("/", 1)[1] in channel["messages"], (name, message)


# --- complete against DESIGN §3 and the contract ---------------------------------------------------------


def test_every_topic_and_event_of_design_section_3_is_listed(document: Document) -> None:
    messages = document["components"]["messages"]
    for address, event_types in DESIGN_TOPICS.items():
        cid, channel = _channel_of(document, address)
        for event_type in event_types:
            assert event_type in channel["messages"], f"{event_type} is not on {address}"
            assert _resolve(document, channel["messages"][event_type]["$ref"]) is messages[event_type]
            message = messages[event_type]
            assert message["name"] == event_type
            assert message["title"] and message["summary"]
            assert message["headers"]["properties"]["ce_type"]["const"] == f"io.goalstream.{event_type}"
            assert message["payload"] == {"$ref": f"#/components/schemas/{event_type}"}
            assert message["examples"], event_type
        # ... with an operation that carries them, and a dead-letter channel beside it.
        assert any(op["channel"]["$ref"] == f"#/channels/{cid}" for op in document["operations"].values())
        _, dead = _channel_of(document, f"{address}.dlq")
        assert list(dead["messages"]) == ["DeadLetter"]
    assert set(DESIGN_DOMAIN_EVENTS + DESIGN_ALERT_EVENTS) <= set(messages)


def test_every_topic_and_event_of_the_contract_is_listed(document: Document) -> None:
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert set(topics.ALL_TOPICS) <= addresses
    for cls in registry.EVENT_CLASSES:
        _, channel = _channel_of(document, cls.topic)
        assert cls.event_type in channel["messages"]
        assert cls.event_type in document["components"]["messages"]
        assert topics.dlq(cls.topic) in addresses


def test_every_event_is_sent_by_the_platform_or_received_from_outside(document: Document) -> None:
    for cls in registry.EVENT_CLASSES:
        carrying = [
            op["action"]
            for op in document["operations"].values()
            if any(m["$ref"].endswith(f"/messages/{cls.event_type}") for m in op["messages"])
        ]
        expected = "receive" if cls.topic == topics.MEASUREMENTS else "send"
        assert expected in carrying, f"no {expected} operation carries {cls.event_type}"


def test_payloads_are_the_checked_in_snapshots(document: Document) -> None:
    components = document["components"]["schemas"]
    for cls in registry.EVENT_CLASSES:
        snapshot = json.loads(snapshots.snapshot_path(cls.event_type, cls.schema_version).read_text())
        assert asyncapi.snapshot_form(components[cls.event_type], components) == snapshot, cls.event_type
    nested = set(components) - {cls.event_type for cls in registry.EVENT_CLASSES}
    assert nested == {"Metric", "Milestone", "LadderRung"}


def test_headers_are_the_ones_the_binding_writes(document: Document) -> None:
    for event_type, envelope in examples.example_envelopes().items():
        headers = document["components"]["messages"][event_type]["headers"]
        written = {name for name, _ in to_kafka(envelope).headers}
        declared = set(headers["properties"])
        assert written <= declared, f"{event_type}: undocumented headers {written - declared}"
        assert declared - written <= {"ce_causationid", "traceparent"}, event_type
        assert set(headers["required"]) <= written, event_type
        assert (
            headers["properties"]["ce_dataschema"]["const"]
            == dict((k, v.decode()) for k, v in to_kafka(envelope).headers)["ce_dataschema"]
        )


def test_a_reader_needs_exactly_the_headers_required_of_inbound_measurements(document: Document) -> None:
    required = document["components"]["messages"]["MeasurementSubmitted"]["headers"]["required"]
    assert required == list(asyncapi.READER_REQUIRED_HEADERS)
    record = to_kafka(examples.example_envelopes()["MeasurementSubmitted"])
    minimal = [(k, v) for k, v in record.headers if k in required]
    # The time and the organisation come from the record's timestamp and key when its headers lack them.
    decoded = from_kafka(minimal, record.value, record.key, 0)
    assert decoded.payload == examples.example_envelopes()["MeasurementSubmitted"].payload
    for name in required:
        with pytest.raises(ContractError):
            from_kafka([(k, v) for k, v in minimal if k != name], record.value, record.key, 0)


# --- examples ---------------------------------------------------------------------------------------------


def _validator_for(document: Document, schema: Any) -> jsonschema.Draft7Validator:
    # Payloads refer to `#/components/schemas/...`: resolve them against the document.
    return jsonschema.Draft7Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize("event_type", [cls.event_type for cls in registry.EVENT_CLASSES])
def test_the_example_is_a_valid_record_of_its_message(document: Document, event_type: str) -> None:
    message = document["components"]["messages"][event_type]
    (example,) = message["examples"]
    assert _errors(_validator_for(document, message["headers"]), example["headers"]) == []
    assert _errors(_validator_for(document, {"$ref": f"#/components/schemas/{event_type}"}), example["payload"]) == []
    decoded = from_kafka(
        [(k, v.encode()) for k, v in example["headers"].items()], json.dumps(example["payload"]).encode()
    )
    assert decoded.payload == examples.example_envelopes()[event_type].payload
    assert example["headers"]["ce_type"] == TYPE_PREFIX + event_type
    assert example["headers"]["ce_orgid"] == examples.EXAMPLE_ORG


def test_the_examples_fail_a_wrong_record(document: Document) -> None:
    message = document["components"]["messages"]["GoalSet"]
    (example,) = message["examples"]
    assert _errors(_validator_for(document, message["headers"]), {**example["headers"], "ce_type": "x"}) != []
    payload = {k: v for k, v in example["payload"].items() if k != "kind"}
    assert _errors(_validator_for(document, {"$ref": "#/components/schemas/GoalSet"}), payload) != []


def test_the_dead_letter_example_carries_the_bindings_reason(document: Document) -> None:
    message = document["components"]["messages"]["DeadLetter"]
    (example,) = message["examples"]
    assert example["headers"]["dlq_reason"] == (
        "missing CloudEvents headers: ce_orgid (and the record has no key naming the organisation)"
    )
    assert example["headers"]["dlq_topic"] == topics.MEASUREMENTS
    assert _errors(_validator_for(document, message["headers"]), example["headers"]) == []


# --- agreement with the services ---------------------------------------------------------------------------


def _declared_receives(document: Document, service: str) -> set[tuple[str, str]]:
    found = set()
    for operation in document["operations"].values():
        if operation["action"] == "receive" and operation["tags"] == [{"name": service}]:
            address = _resolve(document, operation["channel"]["$ref"])["address"]
            (group,) = operation["bindings"]["kafka"]["groupId"]["enum"]
            found.add((address, group))
    return found


def _faststream_receives(broker: KafkaBroker) -> set[tuple[str, str]]:
    """What FastStream's own AsyncAPI generator finds subscribed, with each subscriber's consumer group."""
    spec = AsyncAPI(broker, schema_version="3.0.0").to_specification().to_jsonable()
    addresses = {
        spec["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
        for op in spec["operations"].values()
        if op["action"] == "receive"
    }
    subscribers: list[Any] = list(broker.subscribers)  # KafkaSubscribers: `topics` and `group_id`
    groups = {(topic.name, str(sub.group_id)) for sub in subscribers for topic in sub.topics}
    assert {topic for topic, _ in groups} == addresses
    return groups


def test_the_declared_consumers_are_the_services_subscribers(document: Document) -> None:
    from goalstream_goals.entrypoints.kafka import subscribe_measurements
    from goalstream_notifications.entrypoints.kafka import subscribe_goal_events
    from goalstream_runtime.identity import subscribe_identity

    prefix = asyncapi.DEFAULT_GROUP_PREFIX
    goals = KafkaBroker()
    subscribe_measurements(goals, None, prefix)  # type: ignore[arg-type]
    assert _faststream_receives(goals) == _declared_receives(document, "goals")

    notifications = KafkaBroker()
    subscribe_goal_events(notifications, None, None, prefix)  # type: ignore[arg-type]
    assert _faststream_receives(notifications) == _declared_receives(document, "notifications")

    # tracking subscribes to goal events inside its lifespan (after migrations), so only its
    # identity subscription can be built here; the goal-events group is the one its LagMonitor watches.
    tracking = KafkaBroker()
    subscribe_identity(tracking, "tracking", None, prefix)  # type: ignore[arg-type]
    assert _faststream_receives(tracking) <= _declared_receives(document, "tracking")
    assert (topics.GOAL_EVENTS, f"{prefix}-tracking") in _declared_receives(document, "tracking")


def test_defaults_and_sources_agree_with_the_services() -> None:
    from goalstream_goals.adapters import event_store
    from goalstream_notifications.adapters import alerts
    from goalstream_runtime.settings import InfraSettings, ServiceSettings

    assert InfraSettings.model_fields["topic_partitions"].default == asyncapi.DEFAULT_PARTITIONS
    assert ServiceSettings.model_fields["topic_partitions"].default == asyncapi.DEFAULT_PARTITIONS
    assert ServiceSettings.model_fields["consumer_group_prefix"].default == asyncapi.DEFAULT_GROUP_PREFIX
    assert examples.SOURCES[topics.GOAL_EVENTS] == event_store.SOURCE
    assert examples.SOURCES[topics.IDENTITY_EVENTS] == event_store.SOURCE
    assert examples.SOURCES[topics.NOTIFICATION_EVENTS] == alerts.SOURCE


# --- the checked-in files and the served document ------------------------------------------------------------


def test_the_checked_in_yaml_is_a_fresh_generation(document: Document) -> None:
    assert CHECKED_IN.read_text() == asyncapi.render_yaml(document), "run `make schemas`"
    assert yaml.safe_load(CHECKED_IN.read_text()) == json.loads(asyncapi.document_json())
    assert "&id" not in CHECKED_IN.read_text()  # no YAML anchors: every tool reads it


def test_the_checked_in_event_pages_are_up_to_date() -> None:
    assert asyncapi.check_docs() == [], "run `make schemas`"
    assert asyncapi.main(["--check"]) == 0


def test_there_is_a_page_per_event() -> None:
    pages = {p.stem for p in (asyncapi.DOCS_DIR / "events").glob("*.md")} - {"README"}
    assert pages == {cls.event_type for cls in registry.EVENT_CLASSES}
    for cls in registry.EVENT_CLASSES:
        page = (asyncapi.DOCS_DIR / "events" / f"{cls.event_type}.md").read_text()
        assert f"`io.goalstream.{cls.event_type}`" in page
        assert "## Example" in page and "```json" in page


def test_write_then_check_in_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert asyncapi.main(["--check", "--dir", str(tmp_path)]) == 1
    assert "asyncapi.yaml: missing" in capsys.readouterr().err

    assert asyncapi.main(["--write", "--dir", str(tmp_path)]) == 0
    assert asyncapi.main(["--check", "--dir", str(tmp_path)]) == 0

    (tmp_path / "events" / "GoalSet.md").write_text("edited by hand\n")
    (tmp_path / "events" / "GoalDeleted.md").write_text("an event that does not exist\n")
    assert asyncapi.check_docs(tmp_path) == [
        "events/GoalSet.md: out of date",
        "events/GoalDeleted.md: not generated (no such event); delete it",
    ]
    asyncapi.write_docs(tmp_path)
    assert asyncapi.check_docs(tmp_path) == []
    assert not (tmp_path / "events" / "GoalDeleted.md").exists()


async def test_every_service_serves_the_document() -> None:
    from goalstream_runtime.http import create_app

    async def ready() -> dict[str, bool]:
        return {}

    app = create_app("any service", "0", 1 << 20, ready)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        as_yaml = await client.get("/asyncapi.yaml")
        assert as_yaml.status_code == 200
        assert as_yaml.headers["content-type"].startswith("application/yaml")
        assert as_yaml.text == CHECKED_IN.read_text()
        as_json = await client.get("/asyncapi.json")
        assert as_json.status_code == 200
        assert as_json.headers["content-type"].startswith("application/json")
        assert as_json.json() == yaml.safe_load(as_yaml.text)
        assert {"/asyncapi.json", "/asyncapi.yaml"} <= set((await client.get("/openapi.json")).json()["paths"])
