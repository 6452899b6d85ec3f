"""Structured content mode: the whole event, attributes and data, as the record's value.

The Kafka binding tells the modes apart by `content-type`: a value starting `application/cloudevents` is
structured mode in that event format, anything else binary mode. Kafka Connect converters and the SDK's
`to_structured` write the JSON format (`application/cloudevents+json`); the event is unpacked here into
what a binary-mode record carries (attributes as `ce_*` text, `datacontenttype` as `content-type`, the
data as the value's bytes), so the one reader checks both alike. The record's own `ce_*` headers are
ignored in this mode, as the binding says: the value holds every attribute.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from goalstream_contracts.cloudevents_supplied import ContractError

STRUCTURED_PREFIX = "application/cloudevents"
JSON_FORMAT = "application/cloudevents+json"


def structured_format(content_type: str, has_specversion_header: bool, value: bytes | None) -> str | None:
    """The event format of a structured-mode record, or None for binary mode.

    By the binding, `content-type: application/cloudevents...`. The SDK's older API (`cloudevents` 1.x,
    `cloudevents.v1.kafka.to_structured`) labels its structured records with the data's content type
    instead, so a JSON event with no `ce_specversion` header and a `specversion` member is read as one too.
    """
    if content_type.startswith(STRUCTURED_PREFIX):
        return content_type
    if has_specversion_header or not value or value[:1] != b"{" or b'"specversion"' not in value:
        return None
    return JSON_FORMAT if content_type == "application/json" else None


def unpack(content_type: str, value: bytes | None) -> tuple[dict[str, str], bytes]:
    """The event in `value` as binary mode's (headers by lower-case name, data bytes); raises ContractError."""
    if content_type != JSON_FORMAT:
        raise ContractError(f"unsupported event format {content_type!r}: only {JSON_FORMAT}")
    try:
        event = json.loads(value or b"", parse_constant=_reject_constant)
    except ValueError as exc:
        raise ContractError(f"malformed structured record: {exc}") from exc
    if not isinstance(event, dict):
        raise ContractError("structured record is not a JSON object")
    headers: dict[str, str] = {}
    for name, attribute in event.items():
        if name in ("data", "data_base64") or attribute is None:  # null: absent, as the JSON format says
            continue
        text = _text(name, attribute)
        headers["content-type" if name == "datacontenttype" else f"ce_{name.lower()}"] = text
    return headers, _data(event)


def _text(name: str, attribute: Any) -> str:
    """An attribute as binary mode's header text: the JSON format's strings, integers and booleans."""
    if isinstance(attribute, str):
        return attribute
    if isinstance(attribute, bool):
        return "true" if attribute else "false"
    if isinstance(attribute, int):
        return str(attribute)
    raise ContractError(f"attribute {name!r} is {type(attribute).__name__}, not a string, integer or boolean")


def _data(event: dict[str, Any]) -> bytes:
    if "data_base64" in event:
        try:
            return base64.b64decode(str(event["data_base64"]), validate=True)
        except binascii.Error as exc:
            raise ContractError(f"data_base64 is not base64: {exc}") from exc
    if "data" not in event:
        return b""  # no data: refused by the payload's validation, in its own words
    try:
        return json.dumps(event["data"], allow_nan=False).encode()
    except ValueError as exc:  # 1e999 parses to inf: not JSON either
        raise ContractError(f"malformed structured record: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")
