"""What a third-party record may leave out, and where the reader takes it from instead.

The CloudEvents spec lets `id` be any non-empty string and `time` be absent; a Kafka Connect pipeline or
another team's producer uses both. goalstream's envelope needs a UUID event id (the key every consumer
deduplicates by, and a measurement's id when it names none), a time and an organisation, so:

- `ce_id` that is a UUID in canonical text is the event id as it is (our own events, unchanged); any
  other string is mapped to a UUID by `uuid5` over the pair (source, id), the pair the spec makes unique:
  the same third-party event sent again is a repeat, the same id from two sources two events;
- a missing `ce_time` is the record's own timestamp (the producer's create time, or the broker's);
- a missing `ce_orgid` is the record's key, which is the organisation on every goalstream topic (and the
  Partitioning extension's `partitionkey`, which is the key by definition).

When nothing supplies one of them, the record is refused with the reason (it goes to the dead letters).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

# Fixed for good: changing it would make every mapped id new, so a redelivered record would count twice.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://goalstream.io/cloudevents/id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ContractError(ValueError):
    """A Kafka record that is not a valid goalstream CloudEvent; the message says why."""


def event_id(source: str, ce_id: str) -> uuid.UUID:
    """The event id of a record: `ce_id` when it is a UUID in its canonical text, else a stable UUID of
    (source, id)."""
    try:
        found = uuid.UUID(ce_id)
    except ValueError:
        found = None
    # Only the canonical form (lowercase, hyphenated: what we publish) is taken as it is. `uuid.UUID` also
    # reads 32 bare hex digits, braces, `urn:uuid:` and capitals, so two sources' ids such as hex hashes
    # would otherwise be one event and the second dropped as a repeat.
    if found is not None and str(found) == ce_id:
        return found
    # JSON of the pair: unambiguous whatever either string holds (no separator to forge).
    return uuid.uuid5(ID_NAMESPACE, json.dumps([source, ce_id]))


def event_time(ce_time: str) -> datetime:
    """`ce_time` read as RFC 3339, which allows a lowercase `t` and `z` (Python 3.11 reads only capitals)."""
    try:
        return datetime.fromisoformat(ce_time)
    except ValueError:
        if ce_time == (upper := ce_time.upper()):
            raise
        try:
            return datetime.fromisoformat(upper)
        except ValueError:
            pass
        raise  # the first error: it quotes the text as it was sent


def complete(h: dict[str, str], key: bytes | str | None, timestamp_ms: int | None) -> dict[str, str]:
    """`h` with `ce_time` and `ce_orgid` filled from the record where it lacks them; raises ContractError."""
    if not h["ce_id"]:
        raise ContractError("ce_id is empty: a CloudEvent's id is a non-empty string")
    if "ce_time" in h and "ce_orgid" in h:
        return h  # every record we publish: no copy
    filled = dict(h)
    if "ce_time" not in h:
        if timestamp_ms is None or timestamp_ms < 0:
            raise ContractError(
                "missing CloudEvents headers: ce_time (and the record has no timestamp to take it from)"
            )
        filled["ce_time"] = (_EPOCH + timedelta(milliseconds=timestamp_ms)).isoformat()
    if "ce_orgid" not in h:
        org = _key_text(key) or h.get("ce_partitionkey")
        if not org:
            raise ContractError(
                "missing CloudEvents headers: ce_orgid (and the record has no key naming the organisation)"
            )
        filled["ce_orgid"] = org
    return filled


def _key_text(key: bytes | str | None) -> str | None:
    if isinstance(key, bytes | bytearray):
        try:
            return bytes(key).decode()
        except UnicodeDecodeError:
            raise ContractError(
                "missing CloudEvents headers: ce_orgid (and the record key is not UTF-8 text)"
            ) from None
    return key
