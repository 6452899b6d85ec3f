"""The AsyncAPI 3.0 document of goalstream's Kafka contract, and a human page per event, generated from the contract.

The payload models, `topics`, `registry` and the CloudEvents binding (`cloudevents`) are the
source: every channel, message, header and payload schema below is derived from them, and every
example is a real model instance encoded by `cloudevents.to_kafka`. What the code does not say
in one place (which service sends or receives which topic, under which consumer group, and the
sentences a reader needs) is declared here, next to the generator; the tests hold it to the
services' FastStream subscribers and to the runtime's settings.

    python -m goalstream_contracts.asyncapi --write   # docs/asyncapi.yaml and docs/events/*.md
    python -m goalstream_contracts.asyncapi --check   # exit 1 when a checked-in file is stale
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import yaml

from goalstream_contracts import alerts, events, identity, measurements, registry, topics
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import CONTENT_TYPE, SPEC_VERSION, TYPE_PREFIX, dataschema
from goalstream_contracts.cloudevents_structured import JSON_FORMAT
from goalstream_contracts.examples import EXAMPLE_ORG, TRACEPARENT, Example, dead_letter_example, examples, source

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
DEFAULT_PARTITIONS: Final = 3  # GOALSTREAM_TOPIC_PARTITIONS' default (runtime settings; a test keeps them equal)
DEFAULT_GROUP_PREFIX: Final = "goalstream"  # GOALSTREAM_CONSUMER_GROUP_PREFIX' default
DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"
YAML_NAME: Final = "asyncapi.yaml"
EVENTS_DIRNAME: Final = "events"
DLQ_HEADERS: Final = ("dlq_reason", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_consumer")

Schema = dict[str, Any]

# --- what the code does not say in one place ---------------------------------------------------------

SERVICES: Final = ("goals", "tracking", "notifications")


@dataclass(frozen=True)
class Receive:
    """A service consuming a topic under the consumer group `<prefix>-<group>`."""

    service: str
    topic: str
    group: str
    purpose: str


RECEIVES: Final = (
    Receive(
        "goals", topics.MEASUREMENTS, "goals-measurements", "records each measurement against the goals it reaches"
    ),
    Receive("tracking", topics.GOAL_EVENTS, "tracking", "projects goal events into the read models it answers from"),
    Receive("tracking", topics.IDENTITY_EVENTS, "tracking-identity", "keeps its own table of API key hashes"),
    Receive("notifications", topics.GOAL_EVENTS, "notifications", "fans goal events out into alert deliveries"),
    Receive("notifications", topics.IDENTITY_EVENTS, "notifications-identity", "keeps its own table of API key hashes"),
)

# Who publishes each topic's events (through its transactional outbox). Dead letters are sent by
# whichever service consumes the topic, derived from RECEIVES.
PUBLISHERS: Final = {
    topics.GOAL_EVENTS: "goals",
    topics.IDENTITY_EVENTS: "goals",
    topics.NOTIFICATION_EVENTS: "notifications",
}

TOPIC_DOCS: Final = {
    topics.GOAL_EVENTS: (
        "Goal events",
        "Domain events of goals and ladders, published by the goals service (the only writer) from its event"
        " store through a transactional outbox: at least once, in order per organisation.",
    ),
    topics.MEASUREMENTS: (
        "Measurements",
        "KPI values that CRMs and analytics pipelines publish: CloudEvents of type"
        " `io.goalstream.MeasurementSubmitted`, key = organisation id. The same measurement `id` sent by HTTP"
        " (`POST /v1/measurements`) and on this topic has one effect.",
    ),
    topics.NOTIFICATION_EVENTS: (
        "Alert events",
        "What became of each alert delivery (webhook, Slack, email): delivered, or given up on.",
    ),
    topics.IDENTITY_EVENTS: (
        "Identity events",
        "Organisations and API keys. Services share no tables, so the goals service, which owns them, publishes"
        " each key's SHA-256 hash (never the key) and every other service keeps its own table of them.",
    ),
}

EVENT_DOCS: Final = {
    "GoalSet": (
        "Goal set",
        "A goal was set: a hard goal or an anti-goal, with its metric, target and place in the cascade.",
    ),
    "GoalRevised": ("Goal revised", "Fields of a goal changed; `changed` names them and only those fields are set."),
    "GoalArchived": ("Goal archived", "A goal was archived: it takes no more measurements and leaves the rollups."),
    "GoalPlanned": (
        "Goal planned",
        "A backward plan was set for a goal: dated milestones from its start to its deadline.",
    ),
    "MeasurementRecorded": (
        "Measurement recorded",
        "A measured value reached a goal; `current_value` and `progress` are the goal's after applying it.",
    ),
    "GoalStatusChanged": (
        "Goal status changed",
        "A goal's status moved (on track, at risk, off track, achieved, missed) against its expected progress.",
    ),
    "MilestoneHit": ("Milestone hit", "A goal reached a milestone of its plan, on time or late."),
    "MilestoneMissed": ("Milestone missed", "A milestone's due time passed before the goal reached its target."),
    "GoalAchieved": ("Goal achieved", "A hard goal reached its target."),
    "GoalMissed": ("Goal missed", "A hard goal's deadline passed before it reached its target."),
    "AntiGoalBreached": (
        "Anti-goal breached",
        "An anti-goal's metric crossed its threshold in the direction of its comparator: something to avoid happened.",
    ),
    "AntiGoalRecovered": (
        "Anti-goal recovered",
        "A breached anti-goal's metric came back past its recovery threshold.",
    ),
    "GoalCheckInDue": (
        "Goal check-in due",
        "A goal received no measurement within its `checkin_every` interval: someone should check in.",
    ),
    "LadderSet": (
        "Ladder set",
        "A ladder was set: hard goals as rungs, each active only once the rungs before it are achieved.",
    ),
    "LadderRungUnlocked": (
        "Ladder rung unlocked",
        "The rung before was achieved, so this rung's goal is now active.",
    ),
    "AlertDelivered": (
        "Alert delivered",
        "An alert about a goal event reached a subscription's webhook, Slack or email.",
    ),
    "AlertDeliveryFailed": (
        "Alert delivery failed",
        "An alert delivery was given up: its retries ran out, or the receiver refused it for good.",
    ),
    "OrganisationCreated": ("Organisation created", "An organisation was created."),
    "ApiKeyIssued": (
        "API key issued",
        "An API key was issued to an organisation; the event carries its hash, never the key.",
    ),
    "ApiKeyRevoked": ("API key revoked", "An API key was revoked; requests with it are refused from now on."),
    "MeasurementSubmitted": (
        "Measurement submitted",
        "A KPI value sent in by a CRM or analytics pipeline; `id` makes resubmission safe (one effect per id).",
    ),
}


def _subject_doc(cls: type[Payload]) -> str:
    if issubclass(cls, events.GoalEvent):
        return "the goal id (`goal_id`)"
    if issubclass(cls, events.LadderEvent):
        return "the ladder id (`ladder_id`)"
    if issubclass(cls, alerts.AlertEvent):
        return "the delivery id (`delivery_id`)"
    if cls is identity.OrganisationCreated:
        return "the organisation's name"
    if issubclass(cls, identity.IdentityEvent):
        return "the key id (`key_id`)"
    if cls is measurements.MeasurementSubmitted:
        return "the goal id for a manual check-in (`goal_id`), else the metric key"
    raise KeyError(f"no ce_subject documented for {cls.__name__}")


INFO_DESCRIPTION: Final = """\
goalstream's event contract on Kafka: the goal events the goals service publishes, the measurements
CRMs and analytics pipelines send in, the alert events of the notifications service, the identity
events every service keeps its API keys from, and a dead-letter topic per consumed topic.
Generated from the contract models (`contracts/goalstream_contracts`); a page per event with an
example is in `docs/events/`.

## CloudEvents 1.0, Kafka protocol binding, binary mode

The record value is the payload JSON alone (`content-type: application/json`); the CloudEvents
attributes travel as headers: `ce_specversion` (`1.0`), `ce_id` (the event id, a UUID),
`ce_source` (the producing service, e.g. `/goalstream/goals`), `ce_type`
(`io.goalstream.<EventName>`, e.g. `io.goalstream.GoalSet`), `ce_time` (when it occurred,
RFC 3339), `ce_subject` (the goal, ladder, delivery or key it is about) and `ce_dataschema` (the
payload's JSON Schema). goalstream's envelope fields are extension attributes: `ce_orgid`,
`ce_streamid`, `ce_streamversion` (position in that stream, from 1), `ce_schemaversion`,
`ce_correlationid` and `ce_causationid`; `ce_partitionkey` (the Partitioning extension) repeats
the key. A W3C `traceparent` header carries the trace context.

## What a producer may send in

Consumers read any record a CloudEvents producer (an SDK, a Kafka Connect pipeline) may write:
binary mode as above, or structured mode (`content-type: application/cloudevents+json`, the whole
event as the value, the payload in `data`). Only `ce_specversion`, `ce_id`, `ce_source` and
`ce_type` are required. `ce_id` may be any non-empty string: one that is not a UUID becomes the
event id, the UUID v5 in namespace `2ff54d1e-8bf9-5507-9fcb-e947e72d3ba8` of the JSON array
`[ce_source, ce_id]`, so a repeat of the same id from the same source is still a repeat. A
missing `ce_time` is the record's timestamp; a missing `ce_orgid` is the record key (or
`ce_partitionkey`). A record with neither a key nor `ce_orgid` is dead-lettered with the reason.

## Key = organisation id, and what that means for scaling

Every record's key is the organisation id (also in `ce_orgid`). Kafka keeps order within a
partition, so all of one organisation's events are read in the order they were published. The
price: one organisation's events live in one partition, which one member of each consumer group
reads at a time, so a single organisation's throughput is bounded by what one consumer instance
can apply, and a very large organisation makes a hot partition. More partitions and more
instances spread organisations across consumers, never one organisation's load; the partition
count (default 3) caps a group's useful instances, and changing it moves keys to other partitions,
so drain the topic first if order across the change matters.

## Delivery, versions and dead letters

Delivery is at least once: consumers deduplicate by `ce_id`. Payload schemas evolve backward
compatibly (new optional fields; readers ignore fields they do not know); a breaking change is
a new `ce_schemaversion` that readers upcast from the old one, and the topic name carries the
major version. A record a consumer can never apply goes, unchanged (key, value, headers), to
`<topic>.dlq` with the headers `dlq_reason`, `dlq_topic`, `dlq_partition`, `dlq_offset` and `dlq_consumer`.
"""

# --- names ------------------------------------------------------------------------------------------


def _camel(text: str) -> str:
    words = [w for w in text.replace(".", " ").replace("-", " ").replace("_", " ").split() if w]
    return words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])


CHANNEL_IDS: Final = {
    topics.GOAL_EVENTS: "goalEvents",
    topics.MEASUREMENTS: "measurements",
    topics.NOTIFICATION_EVENTS: "alertEvents",
    topics.IDENTITY_EVENTS: "identityEvents",
}


def channel_id(topic: str) -> str:
    for base, name in CHANNEL_IDS.items():
        if topic == base:
            return name
        if topic == topics.dlq(base):
            return name + "Dlq"
    return _camel(topic)


def all_topics() -> tuple[str, ...]:
    """Every topic records go to: the created ones, and the dead-letter topic of every consumed topic."""
    found = list(topics.ALL_TOPICS)
    for r in RECEIVES:
        if topics.dlq(r.topic) not in found:
            found.append(topics.dlq(r.topic))
    return tuple(found)


def _base_topic(topic: str) -> str | None:
    """The topic whose dead letters `topic` holds; None when it is not a dead-letter topic."""
    return next((t for t in topics.ALL_TOPICS + tuple(r.topic for r in RECEIVES) if topics.dlq(t) == topic), None)


def events_on(topic: str) -> list[type[Payload]]:
    return [cls for cls in registry.EVENT_CLASSES if cls.topic == topic]


def group_id(receive: Receive, prefix: str = DEFAULT_GROUP_PREFIX) -> str:
    return f"{prefix}-{receive.group}"


def senders(topic: str) -> list[str]:
    base = _base_topic(topic)
    if base is not None:
        return sorted({r.service for r in RECEIVES if r.topic == base}, key=SERVICES.index)
    publisher = PUBLISHERS.get(topic)
    return [publisher] if publisher else []


# --- schemas ----------------------------------------------------------------------------------------

# The headers `to_kafka` always writes, and the ones a reader (`from_kafka`) cannot do without.
PUBLISHED_HEADERS: Final = (
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "ce_subject",
    "ce_dataschema",
    "ce_orgid",
    "ce_partitionkey",
    "ce_streamid",
    "ce_streamversion",
    "ce_schemaversion",
    "ce_correlationid",
    "content-type",
)
# What the CloudEvents spec requires; a missing `ce_time` or `ce_orgid` comes from the record (`cloudevents_supplied`).
READER_REQUIRED_HEADERS: Final = ("ce_specversion", "ce_id", "ce_type", "ce_source")


def headers_schema(cls: type[Payload]) -> Schema:
    """The CloudEvents headers of `cls` as a JSON Schema: what `to_kafka` writes and `from_kafka` reads."""
    name, version = cls.event_type, cls.schema_version
    inbound = cls.topic not in PUBLISHERS  # sent by systems outside goalstream: only what the reader needs
    uuid_string = {"type": "string", "format": "uuid"}
    properties: Schema = {
        "ce_specversion": {"type": "string", "const": SPEC_VERSION, "description": "CloudEvents version."},
        "ce_id": (
            {
                "type": "string",
                "minLength": 1,
                "description": "The event id, any non-empty string, unique per ce_source: consumers deduplicate by"
                " it (a UUID as it is, any other id as the UUID v5 of the pair [ce_source, ce_id]).",
            }
            if inbound
            else {**uuid_string, "description": "The event id; unique per event, the key consumers deduplicate by."}
        ),
        "ce_source": {
            "type": "string",
            "format": "uri-reference",
            "description": "The producing service"
            + (", e.g. /integrations/hubspot." if inbound else f": {source(cls)}."),
        },
        "ce_type": {"type": "string", "const": TYPE_PREFIX + name, "description": "io.goalstream.<EventName>."},
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "When the event occurred (RFC 3339)"
            + ("; when absent, the record's timestamp." if inbound else "."),
        },
        "ce_subject": {"type": "string", "description": f"What the event is about: {_subject_doc(cls)}."},
        "ce_dataschema": {
            "type": "string",
            "format": "uri",
            "const": dataschema(name, version),
            "description": "Identifies the payload's JSON Schema (this message's payload).",
        },
        "content-type": (
            {
                "type": "string",
                "enum": [CONTENT_TYPE, JSON_FORMAT],
                "description": f"{CONTENT_TYPE}: binary mode, the value is the payload JSON; {JSON_FORMAT}:"
                " structured mode, the value is the whole event (these attributes and the payload as `data`).",
            }
            if inbound
            else {"type": "string", "const": CONTENT_TYPE, "description": "The value is JSON."}
        ),
        "ce_orgid": {
            "type": "string",
            "description": "Extension: the organisation; equal to the record key"
            + ("; when absent, the record key (or ce_partitionkey) names it." if inbound else "."),
        },
        "ce_partitionkey": {
            "type": "string",
            "description": "Partitioning extension: the record key (the organisation), which CloudEvents SDKs'"
            " key mappers read.",
        },
        "ce_streamid": {
            "type": "string",
            "description": "Extension: the stream (aggregate) the event belongs to"
            + ("; defaults to ce_subject." if inbound else "."),
        },
        "ce_streamversion": {
            "type": "string",
            "pattern": "^[1-9][0-9]*$",
            "description": "Extension: the event's position in its stream, from 1"
            + ("; defaults to 1." if inbound else "."),
        },
        "ce_schemaversion": {
            "type": "string",
            "const": str(version),
            "description": "Extension: the payload's schema version"
            + (
                "; defaults to 1. Older versions are upcast on read." if inbound else "; older ones are upcast on read."
            ),
        },
        "ce_correlationid": {
            **uuid_string,
            "description": "Extension: the request or message that started the chain"
            + ("; defaults to ce_id." if inbound else "."),
        },
        "ce_causationid": {**uuid_string, "description": "Extension: the event or command that caused this one."},
        TRACEPARENT: {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C Trace Context of the trace the event belongs to, when the producer traces.",
        },
    }
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in the Kafka binding's binary mode (header values are UTF-8).",
        "properties": properties,
        "required": list(READER_REQUIRED_HEADERS if inbound else PUBLISHED_HEADERS),
    }


def _rewrite_refs(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                new + v[len(old) :]
                if k == "$ref" and isinstance(v, str) and v.startswith(old)
                else _rewrite_refs(v, old, new)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v, old, new) for v in node]
    return node


COMPONENT_SCHEMAS: Final = "#/components/schemas/"


def payload_schemas() -> dict[str, Schema]:
    """Every payload's JSON Schema and the types they share, for `components.schemas`.

    A payload's schema is its model's (the checked-in snapshot) with `$defs` moved to components,
    because AsyncAPI resolves `#/...` references against the whole document.
    """
    found: dict[str, Schema] = {}
    nested: dict[str, Schema] = {}
    for cls in registry.EVENT_CLASSES:
        schema = cls.model_json_schema()
        for name, definition in schema.pop("$defs", {}).items():
            definition = _rewrite_refs(definition, "#/$defs/", COMPONENT_SCHEMAS)
            if nested.setdefault(name, definition) != definition:
                raise ValueError(f"two different nested types are called {name}")
        found[cls.event_type] = _rewrite_refs(schema, "#/$defs/", COMPONENT_SCHEMAS)
    clash = set(found) & set(nested)
    if clash:
        raise ValueError(f"nested types named like events: {sorted(clash)}")
    return found | dict(sorted(nested.items()))


def snapshot_form(schema: Schema, components: dict[str, Schema]) -> Schema:
    """A payload schema from the document turned back into its model's form (refs to `$defs`)."""
    used: dict[str, Schema] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(COMPONENT_SCHEMAS):
                name = ref[len(COMPONENT_SCHEMAS) :]
                if name not in used:
                    used[name] = components[name]
                    collect(components[name])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(schema)
    result = _rewrite_refs(schema, COMPONENT_SCHEMAS, "#/$defs/")
    if used:
        result["$defs"] = {name: _rewrite_refs(d, COMPONENT_SCHEMAS, "#/$defs/") for name, d in used.items()}
    return dict(result)


# --- the document -------------------------------------------------------------------------------------


def _message(cls: type[Payload], example: Example) -> Schema:
    title, summary = EVENT_DOCS[cls.event_type]
    return {
        "name": cls.event_type,
        "title": title,
        "summary": summary,
        "description": f"`ce_type: {TYPE_PREFIX}{cls.event_type}`, schema version {cls.schema_version}, on"
        f" `{cls.topic}`. The value is the payload JSON; `ce_subject` is {_subject_doc(cls)}.",
        "contentType": CONTENT_TYPE,
        "correlationId": {
            "description": "The request or message that started the chain of events.",
            "location": "$message.header#/ce_correlationid",
        },
        "headers": headers_schema(cls),
        "payload": {"$ref": COMPONENT_SCHEMAS + cls.event_type},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": "The organisation id (= ce_orgid): one organisation's events share a partition,"
                    " in order.",
                    "examples": [EXAMPLE_ORG],
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": f"{cls.event_type}Example",
                "summary": f"{title}, as the record's headers and value (key `{example.key}`).",
                "headers": example.headers,
                "payload": example.value,
            }
        ],
    }


def _dead_letter_message() -> Schema:
    example = dead_letter_example()
    return {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record a consumer can never apply, moved aside unchanged with the reason.",
        "description": "Key, value and headers are the original record's (header values decoded as UTF-8), so a"
        " fixed record can be replayed onto the original topic; four headers say why and where it came from."
        " Consumption of the original topic goes on.",
        "headers": {
            "type": "object",
            "description": "The original record's headers (usually its CloudEvents headers) plus these.",
            "properties": {
                "dlq_reason": {"type": "string", "maxLength": 2000, "description": "Why it could not be applied."},
                "dlq_topic": {"type": "string", "description": "The topic the record was read from."},
                "dlq_partition": {"type": "string", "pattern": "^[0-9]+$", "description": "Its partition there."},
                "dlq_offset": {"type": "string", "pattern": "^[0-9]+$", "description": "Its offset there."},
                "dlq_consumer": {"type": "string", "description": "The consumer group that refused it."},
            },
            "required": list(DLQ_HEADERS),
        },
        "payload": {"description": "The original record's value, byte for byte (usually the event's JSON)."},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key (the organisation id)."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": "MissingOrgId",
                "summary": "A measurement sent with neither ce_orgid nor a key, dead-lettered by the goals service.",
                "headers": example.headers,
                "payload": example.value,
            }
        ],
    }


def _channel(topic: str) -> Schema:
    base = _base_topic(topic)
    if base is None:
        title, description = TOPIC_DOCS[topic]
        messages = {cls.event_type: {"$ref": f"#/components/messages/{cls.event_type}"} for cls in events_on(topic)}
    else:
        title = TOPIC_DOCS[base][0] + ": dead letters"
        by = senders(topic)
        description = f"Dead letters of `{base}`: " + (
            f"records {' and '.join(by)} could never apply."
            if by
            else "no goalstream service consumes that topic, so none writes here."
        )
        if topic not in topics.ALL_TOPICS:
            description += " Not created at start-up with the others (not in `topics.ALL_TOPICS`)."
        messages = {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}}
    binding: Schema = {"topic": topic}
    if topic in topics.ALL_TOPICS:  # created at start-up with GOALSTREAM_TOPIC_PARTITIONS partitions
        binding["partitions"] = DEFAULT_PARTITIONS
    channel: Schema = {
        "address": topic,
        "title": title,
        "description": description,
        "messages": messages,
        "bindings": {"kafka": binding | {"bindingVersion": KAFKA_BINDING_VERSION}},
    }
    return channel


def _operations() -> dict[str, Schema]:
    operations: dict[str, Schema] = {}
    for topic in all_topics():
        cid = channel_id(topic)
        message_refs = [{"$ref": f"#/channels/{cid}/messages/{name}"} for name in _channel(topic)["messages"]]
        for service in senders(topic):
            dead = _base_topic(topic) is not None
            operations[f"{service}Send{cid[:1].upper()}{cid[1:]}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{cid}"},
                "title": f"{service} sends {'dead letters' if dead else TOPIC_DOCS[topic][0].lower()}",
                "summary": (
                    f"The {service} service moves records of `{_base_topic(topic)}` it can never apply here."
                    if dead
                    else f"The {service} service publishes these events through its transactional outbox."
                ),
                "tags": [{"name": service}],
                "messages": message_refs,
            }
        for receive in (r for r in RECEIVES if r.topic == topic):
            operations[f"{receive.service}Receive{cid[:1].upper()}{cid[1:]}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{cid}"},
                "title": f"{receive.service} receives {TOPIC_DOCS[topic][0].lower()}",
                "summary": f"The {receive.service} service {receive.purpose}.",
                "description": f"Consumer group `{group_id(receive)}` (`<GOALSTREAM_CONSUMER_GROUP_PREFIX>-"
                f"{receive.group}`); offsets are committed after the event's transaction, and a record it can never"
                f" apply goes to `{topics.dlq(topic)}`.",
                "tags": [{"name": receive.service}],
                "bindings": {
                    "kafka": {
                        "groupId": {
                            "type": "string",
                            "enum": [group_id(receive)],
                            "description": "<GOALSTREAM_CONSUMER_GROUP_PREFIX, default goalstream>-" + receive.group,
                        },
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
                "messages": message_refs,
            }
    return operations


def _contract_version() -> str:
    try:
        return metadata.version("goalstream-contracts")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


def build_document() -> Schema:
    """The AsyncAPI 3.0.0 document, as plain JSON data."""
    all_examples = examples()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:io:goalstream:events",
        "info": {
            "title": "goalstream events",
            "version": _contract_version(),
            "description": INFO_DESCRIPTION,
            "tags": [{"name": s, "description": f"The {s} service."} for s in SERVICES],
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "production": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "title": "Production Kafka",
                "summary": "Apache Kafka (KRaft), as in docker-compose.yml and deploy/.",
                "description": "The brokers in `GOALSTREAM_KAFKA_BOOTSTRAP`. Every service creates missing topics at"
                " start-up with `GOALSTREAM_TOPIC_PARTITIONS` partitions (default 3).",
                "variables": {
                    "bootstrap": {
                        "default": "kafka:9092",
                        "description": "host:port of a bootstrap broker (docker-compose.yml: kafka:9092).",
                    }
                },
            },
            "embedded": {
                "host": "127.0.0.1:{port}",
                "protocol": "kafka",
                "title": "Embedded broker",
                "summary": "The in-memory Kafka-protocol broker (Tansu) that `make run` starts.",
                "description": "Started by `goalstream run` when `GOALSTREAM_KAFKA_BOOTSTRAP` is unset, on a free port"
                " it prints at start-up; it starts empty on every run.",
                "variables": {"port": {"description": "The free port chosen at start-up."}},
            },
        },
        "channels": {channel_id(t): _channel(t) for t in all_topics()},
        "operations": _operations(),
        "components": {
            "schemas": payload_schemas(),
            "messages": {cls.event_type: _message(cls, all_examples[cls.event_type]) for cls in registry.EVENT_CLASSES}
            | {"DeadLetter": _dead_letter_message()},
        },
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _represent_str)


def render_yaml(document: Schema) -> str:
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return "# Generated by `make schemas` (python -m goalstream_contracts.asyncapi --write); do not edit.\n" + text


@functools.cache
def document_yaml() -> str:
    """The document as YAML, built once per process (what `docs/asyncapi.yaml` holds)."""
    return render_yaml(build_document())


@functools.cache
def document_json() -> str:
    return json.dumps(build_document(), indent=2) + "\n"


# --- a human page per event -----------------------------------------------------------------------------

GENERATED_NOTE: Final = (
    "<!-- Generated by `make schemas` (python -m goalstream_contracts.asyncapi --write) from"
    " contracts/goalstream_contracts; edit the models or asyncapi.py, not this file. -->\n"
)


def _type_label(schema: Schema) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            return " or ".join(_type_label(s) for s in schema[keyword])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_label(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _constraints(schema: Schema) -> list[str]:
    notes: list[str] = []
    variants = schema.get("anyOf", [schema])
    for s in variants:
        for keyword, text in (
            ("minLength", "length ≥ {}"),
            ("maxLength", "length ≤ {}"),
            ("minimum", "≥ {}"),
            ("maximum", "≤ {}"),
        ):
            if keyword in s:
                notes.append(text.format(s[keyword]))
    return notes


def _fields_table(schema: Schema) -> list[str]:
    lines = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        if name in required:
            needed = "yes"
        elif "default" in prop:
            needed = f"no (default `{json.dumps(prop['default'])}`)"
        else:
            needed = "no"
        description = "; ".join(part for part in [prop.get("description", ""), *_constraints(prop)] if part).replace(
            "|", "\\|"
        )
        lines.append(f"| `{name}` | {_type_label(prop)} | {needed} | {description} |")
    return lines


def _who(cls: type[Payload]) -> tuple[str, str]:
    sent = senders(cls.topic)
    published = ", ".join(sent) if sent else "systems outside goalstream (CRMs, analytics pipelines)"
    received = [f"{r.service} (group `{group_id(r)}`)" for r in RECEIVES if r.topic == cls.topic]
    return published, ", ".join(received) or "downstream systems (no goalstream service)"


def render_event_page(cls: type[Payload], components: dict[str, Schema], example: Example) -> str:
    name, version = cls.event_type, cls.schema_version
    title, summary = EVENT_DOCS[name]
    published, consumed = _who(cls)
    schema = components[name]
    lines = [
        GENERATED_NOTE.rstrip("\n"),
        "",
        f"# {name}",
        "",
        f"**{title}.** {summary}",
        "",
        "| | |",
        "| --- | --- |",
        f"| topic | `{cls.topic}` (dead letters: `{topics.dlq(cls.topic)}`) |",
        f"| `ce_type` | `{TYPE_PREFIX}{name}` |",
        f"| schema version (`ce_schemaversion`) | {version}: [`contracts/schemas/{name}.v{version}.json`]"
        f"(../../contracts/schemas/{name}.v{version}.json) |",
        f"| `ce_dataschema` | `{dataschema(name, version)}` |",
        f"| `ce_subject` | {_subject_doc(cls)} |",
        "| key | the organisation id (= `ce_orgid`) |",
        f"| published by | {published} |",
        f"| consumed by | {consumed} |",
        "",
        "## Payload (the record value, JSON)",
        "",
    ]
    if schema.get("description"):
        lines += [schema["description"], ""]
    lines += _fields_table(schema)
    nested: dict[str, Schema] = snapshot_form(schema, components).get("$defs", {})
    for nested_name, nested_schema in nested.items():
        lines += ["", f"### {nested_name}", ""]
        if nested_schema.get("description"):
            lines += [nested_schema["description"], ""]
        lines += _fields_table(nested_schema)
    lines += [
        "",
        "## Example",
        "",
        f"Key: `{example.key}`",
        "",
        "Headers:",
        "",
        "```text",
        *(f"{header}: {value}" for header, value in example.headers.items()),
        "```",
        "",
        "Value:",
        "",
        "```json",
        json.dumps(example.value, indent=2),
        "```",
        "",
        "The headers are described in [the event index](README.md#headers) and, as a schema, in"
        f" [`docs/asyncapi.yaml`](../asyncapi.yaml) (`components.messages.{name}`).",
        "",
    ]
    return "\n".join(lines)


def render_index(components: dict[str, Schema]) -> str:
    lines = [
        GENERATED_NOTE.rstrip("\n"),
        "",
        "# goalstream events",
        "",
        "Every event goalstream publishes or reads on Kafka, one page each with an example. The machine-readable"
        " form is the AsyncAPI 3.0 document [`docs/asyncapi.yaml`](../asyncapi.yaml), also served by every"
        " service at `GET /asyncapi.yaml` and `GET /asyncapi.json`; each payload's JSON Schema is in"
        " [`contracts/schemas/`](../../contracts/schemas/).",
        "",
        "## Topics",
        "",
        "| topic | events | published by | consumed by |",
        "| --- | --- | --- | --- |",
    ]
    for topic in all_topics():
        base = _base_topic(topic)
        if base is None:
            names = ", ".join(f"[{c.event_type}]({c.event_type}.md)" for c in events_on(topic))
            published, consumed = _who(events_on(topic)[0])
        else:
            names = f"dead letters of `{base}`"
            published, consumed = ", ".join(senders(topic)) or "none", "no goalstream service (kept for operators)"
        lines.append(f"| `{topic}` | {names} | {published} | {consumed} |")
    lines += [
        "",
        "## Headers",
        "",
        "Records follow the CloudEvents 1.0 Kafka protocol binding in binary mode: the value is the payload JSON,"
        " the key is the organisation id, and the attributes are headers (values UTF-8):",
        "",
        "| header | meaning |",
        "| --- | --- |",
    ]
    sample = headers_schema(events.GoalSet)["properties"]
    for header, schema in sample.items():
        text = schema["description"]
        if header == "ce_source":
            text = "The producing service: /goalstream/goals, /goalstream/notifications, or the sender's own."
        elif header == "ce_subject":
            text = "What the event is about: a goal, ladder, delivery or API key. Per event: see its page."
        elif header in ("ce_type", "ce_dataschema", "ce_schemaversion"):
            text += " Per event: see its page."
        lines.append(f"| `{header}` | {text} |")
    lines += [
        "",
        "Headers every goalstream record carries: " + ", ".join(f"`{h}`" for h in PUBLISHED_HEADERS) + "; "
        "`ce_causationid` when there is a cause, `traceparent` when the producer traces. A reader needs only "
        + ", ".join(f"`{h}`" for h in READER_REQUIRED_HEADERS)
        + " (what a measurement sent from outside must carry): any non-empty `ce_id` (one that is not a UUID is"
        " mapped to a stable UUID per `ce_source`), `ce_time` taken from the record's timestamp and `ce_orgid`"
        " from its key when absent, in binary or structured mode (`application/cloudevents+json`).",
        "",
        "A dead letter is the original record (key, value and headers) with `dlq_reason`, `dlq_topic`,"
        " `dlq_partition`, `dlq_offset` and `dlq_consumer` added.",
        "",
    ]
    return "\n".join(lines)


def rendered_files() -> dict[str, str]:
    """Every generated file, by path relative to the docs folder."""
    document = build_document()
    components: dict[str, Schema] = document["components"]["schemas"]
    all_examples = examples()
    files = {YAML_NAME: render_yaml(document), f"{EVENTS_DIRNAME}/README.md": render_index(components)}
    for cls in registry.EVENT_CLASSES:
        files[f"{EVENTS_DIRNAME}/{cls.event_type}.md"] = render_event_page(
            cls, components, all_examples[cls.event_type]
        )
    return files


def check_docs(directory: Path = DOCS_DIR) -> list[str]:
    """Why the checked-in files differ from a fresh generation; empty when they are up to date."""
    problems: list[str] = []
    expected = rendered_files()
    for relative, text in expected.items():
        path = directory / relative
        if not path.exists():
            problems.append(f"{relative}: missing")
        elif path.read_text() != text:
            problems.append(f"{relative}: out of date")
    events_dir = directory / EVENTS_DIRNAME
    for path in sorted(events_dir.glob("*.md")) if events_dir.exists() else []:
        if f"{EVENTS_DIRNAME}/{path.name}" not in expected:
            problems.append(f"{EVENTS_DIRNAME}/{path.name}: not generated (no such event); delete it")
    return problems


def write_docs(directory: Path = DOCS_DIR) -> None:
    expected = rendered_files()
    (directory / EVENTS_DIRNAME).mkdir(parents=True, exist_ok=True)
    for relative, text in expected.items():
        (directory / relative).write_text(text)
    for path in sorted((directory / EVENTS_DIRNAME).glob("*.md")):
        if f"{EVENTS_DIRNAME}/{path.name}" not in expected:
            path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m goalstream_contracts.asyncapi", description="the AsyncAPI document and the event pages"
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"(re)write {YAML_NAME} and {EVENTS_DIRNAME}/*.md")
    mode.add_argument("--check", action="store_true", help="exit 1 if a checked-in file differs from a fresh one")
    parser.add_argument("--dir", type=Path, default=DOCS_DIR, help=f"docs folder (default {DOCS_DIR})")
    args = parser.parse_args(argv)
    if args.write:
        write_docs(args.dir)
        return 0
    problems = check_docs(args.dir)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("run `make schemas` (python -m goalstream_contracts.asyncapi --write)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
