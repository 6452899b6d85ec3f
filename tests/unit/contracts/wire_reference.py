"""The CloudEvents binding as it was before issue 17 (commit efeb24f), kept verbatim as the wire's reference.

`test_wire_bytes.py` holds the binding to it: the records it writes, the JSON stored for each event and
what it reads (or the reason it refuses) must stay the same. Do not "fix" this file; it is what was.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents import CONTENT_TYPE, SPEC_VERSION, TYPE_PREFIX, ContractError, dataschema
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.registry import UnknownEventType, UnsupportedSchemaVersion, decode_payload

Header = tuple[str, bytes]


def to_kafka(envelope: Envelope[Any]) -> tuple[str, bytes, bytes, tuple[Header, ...]]:
    """(topic, key, value, headers) as the old `to_kafka` made them."""
    payload: Payload = envelope.payload
    attributes = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": str(envelope.event_id),
        "ce_source": envelope.source,
        "ce_type": TYPE_PREFIX + envelope.event_type,
        "ce_time": envelope.occurred_at.isoformat(),
        "ce_subject": payload.subject(),
        "ce_dataschema": dataschema(envelope.event_type, envelope.schema_version),
        "ce_orgid": envelope.org_id,
        "ce_streamid": envelope.stream_id,
        "ce_streamversion": str(envelope.stream_version),
        "ce_schemaversion": str(envelope.schema_version),
        "ce_correlationid": str(envelope.correlation_id),
        "content-type": CONTENT_TYPE,
    }
    if envelope.causation_id is not None:
        attributes["ce_causationid"] = str(envelope.causation_id)
    return (
        payload.topic,
        envelope.org_id.encode(),
        payload.model_dump_json().encode(),
        tuple((name, value.encode()) for name, value in attributes.items()),
    )


def stored_payload(envelope: Envelope[Any]) -> Any:
    """What the goals event store wrote to `events.payload` (then `json.dumps` in the jsonb codec)."""
    return envelope.payload.model_dump(mode="json")


def _header_map(headers: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers or ():
        found[name.lower()] = value.decode() if isinstance(value, bytes | bytearray) else str(value)
    return found


def from_kafka(headers: Any, value: bytes | None) -> Envelope[Payload]:
    """Decode a binary-mode record; raises ContractError naming what is wrong."""
    h = _header_map(headers)
    missing = [n for n in ("ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_orgid") if n not in h]
    if missing:
        raise ContractError(f"missing CloudEvents headers: {', '.join(missing)}")
    if h["ce_specversion"] != SPEC_VERSION:
        raise ContractError(f"unsupported ce_specversion {h['ce_specversion']!r}")
    if not h["ce_type"].startswith(TYPE_PREFIX):
        raise ContractError(f"ce_type {h['ce_type']!r} is not an io.goalstream type")
    content_type = h.get("content-type", CONTENT_TYPE).split(";")[0].strip()
    if content_type != CONTENT_TYPE:
        raise ContractError(f"unsupported content-type {content_type!r}")
    event_type = h["ce_type"][len(TYPE_PREFIX) :]
    try:
        version = int(h.get("ce_schemaversion", "1"))
        data = json.loads(value or b"", parse_constant=_reject_constant)
        if not isinstance(data, dict):
            raise ContractError("value is not a JSON object")
        payload = decode_payload(event_type, version, data)
        return Envelope[Payload](
            event_id=uuid.UUID(h["ce_id"]),
            event_type=event_type,
            schema_version=payload.schema_version,
            org_id=h["ce_orgid"],
            stream_id=h.get("ce_streamid", payload.subject()),
            stream_version=int(h.get("ce_streamversion", "1")),
            occurred_at=datetime.fromisoformat(h["ce_time"]),
            correlation_id=uuid.UUID(h.get("ce_correlationid", h["ce_id"])),
            causation_id=uuid.UUID(h["ce_causationid"]) if h.get("ce_causationid") else None,
            source=h["ce_source"],
            payload=payload,
        )
    except ContractError:
        raise
    except (UnknownEventType, UnsupportedSchemaVersion) as exc:
        raise ContractError(str(exc)) from exc
    except ValidationError as exc:
        raise ContractError(f"invalid {event_type}: {exc.errors(include_url=False)}") from exc
    except ValueError as exc:
        raise ContractError(f"malformed record: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")
