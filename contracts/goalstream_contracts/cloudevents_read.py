"""Reading a CloudEvents record: headers checked, then the payload validated from its raw bytes.

Binary mode is the common record; a structured-mode one is unpacked into the same form first
(`cloudevents_structured`), and what a third-party record may leave out (a UUID id, the time, the
organisation) is taken from the record itself (`cloudevents_supplied`).

The common record (the payload's current version, a JSON object, well-formed headers) is validated in
one pass by the payload's own validator (`validate_json`), with no dict in between, and its envelope is
put together from values already checked here, without a second validation. Anything else (an old
version to upcast, or a record this path refuses for any reason) takes the full path, which decides,
upcasts, and names what is wrong: so every record gets exactly the answer the full path gives.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError

from goalstream_contracts import registry
from goalstream_contracts.base import Payload
from goalstream_contracts.cloudevents_structured import structured_format, unpack
from goalstream_contracts.cloudevents_supplied import ContractError, complete, event_id, event_time
from goalstream_contracts.envelope import Envelope

SPEC_VERSION = "1.0"
TYPE_PREFIX = "io.goalstream."
CONTENT_TYPE = "application/json"
# What the spec requires; `ce_time` and `ce_orgid` may come from the record instead (`complete`).
_REQUIRED = ("ce_specversion", "ce_id", "ce_type", "ce_source")
_ENVELOPE = Envelope[Payload]  # parametrised once: `Envelope[Payload]` per record costs a cache lookup each

__all__ = ["CONTENT_TYPE", "SPEC_VERSION", "TYPE_PREFIX", "ContractError", "from_header_map"]


def from_header_map(
    h: dict[str, str], value: bytes | None, key: bytes | str | None = None, timestamp_ms: int | None = None
) -> Envelope[Payload]:
    """Decode a record from its headers (lower-case names, text), value, key and timestamp; raises ContractError."""
    content_type = h.get("content-type", CONTENT_TYPE).split(";")[0].strip()
    structured = structured_format(content_type, "ce_specversion" in h, value)
    if structured:
        h, value = unpack(structured, value)
        content_type = h.get("content-type", CONTENT_TYPE).split(";")[0].strip()
    missing = [n for n in _REQUIRED if n not in h]
    if missing:
        raise ContractError(f"missing CloudEvents headers: {', '.join(missing)}")
    if h["ce_specversion"] != SPEC_VERSION:
        raise ContractError(f"unsupported ce_specversion {h['ce_specversion']!r}")
    if not h["ce_type"].startswith(TYPE_PREFIX):
        raise ContractError(f"ce_type {h['ce_type']!r} is not an io.goalstream type")
    if content_type != CONTENT_TYPE:
        raise ContractError(f"unsupported content-type {content_type!r}")
    h = complete(h, key, timestamp_ms)
    event_type = h["ce_type"][len(TYPE_PREFIX) :]
    return _one_pass(h, event_type, value) or _full(h, event_type, value)


def _one_pass(h: dict[str, str], event_type: str, value: bytes | None) -> Envelope[Payload] | None:
    """The common record in one pass, or None for the full path to decide."""
    cls = registry.BY_TYPE.get(event_type)
    # json.loads refuses NaN and Infinity anywhere, even in a field nobody reads; validate_json only
    # in float fields. Such a value, a body that is not plainly an object, or an old version: full path.
    if cls is None or h.get("ce_schemaversion", "1") != str(cls.schema_version) or not value:
        return None
    if value[:1] != b"{" or b"NaN" in value or b"Infinity" in value:
        return None
    try:
        payload: Payload = cls.__pydantic_validator__.validate_json(value)
        occurred_at = event_time(h["ce_time"])
        stream_version = int(h.get("ce_streamversion", "1"))
        the_id = event_id(h["ce_source"], h["ce_id"])
        correlation_id = uuid.UUID(h["ce_correlationid"]) if "ce_correlationid" in h else the_id
        causation_id = uuid.UUID(h["ce_causationid"]) if h.get("ce_causationid") else None
    except ValueError:  # ValidationError included: the full path says what is wrong, in its own words
        return None
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None or stream_version < 1:
        return None  # what the envelope's validation refuses: the full path says so
    return _ENVELOPE.of_checked(
        payload,
        event_id=the_id,
        org_id=h["ce_orgid"],
        stream_id=h.get("ce_streamid", payload.subject()),
        stream_version=stream_version,
        occurred_at=occurred_at,
        correlation_id=correlation_id,
        causation_id=causation_id,
        source=h["ce_source"],
    )


def _full(h: dict[str, str], event_type: str, value: bytes | None) -> Envelope[Payload]:
    """Every record: parsed to a dict, upcast from an old version, validated, or refused with the reason."""
    try:
        version = int(h.get("ce_schemaversion", "1"))
        data = json.loads(value or b"", parse_constant=_reject_constant)
        if not isinstance(data, dict):
            raise ContractError("value is not a JSON object")
        payload = registry.decode_payload(event_type, version, data)
        the_id = event_id(h["ce_source"], h["ce_id"])
        return _ENVELOPE(
            event_id=the_id,
            event_type=event_type,
            schema_version=payload.schema_version,
            org_id=h["ce_orgid"],
            stream_id=h.get("ce_streamid", payload.subject()),
            stream_version=int(h.get("ce_streamversion", "1")),
            occurred_at=event_time(h["ce_time"]),
            correlation_id=uuid.UUID(h["ce_correlationid"]) if "ce_correlationid" in h else the_id,
            causation_id=uuid.UUID(h["ce_causationid"]) if h.get("ce_causationid") else None,
            source=h["ce_source"],
            payload=payload,
        )
    except ContractError:
        raise
    except (registry.UnknownEventType, registry.UnsupportedSchemaVersion) as exc:
        raise ContractError(str(exc)) from exc
    except ValidationError as exc:
        raise ContractError(f"invalid {event_type}: {exc.errors(include_url=False)}") from exc
    except ValueError as exc:
        raise ContractError(f"malformed record: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")
