"""Every published payload class by type and version, and the upcasters that read old versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from goalstream_contracts import alerts, events, identity, measurements
from goalstream_contracts.base import Payload

EVENT_CLASSES: tuple[type[Payload], ...] = (
    events.GoalSet,
    events.GoalRevised,
    events.GoalArchived,
    events.GoalPlanned,
    events.MeasurementRecorded,
    events.GoalStatusChanged,
    events.MilestoneHit,
    events.MilestoneMissed,
    events.GoalAchieved,
    events.GoalMissed,
    events.AntiGoalBreached,
    events.AntiGoalRecovered,
    events.GoalCheckInDue,
    events.LadderSet,
    events.LadderRungUnlocked,
    alerts.AlertDelivered,
    alerts.AlertDeliveryFailed,
    identity.OrganisationCreated,
    identity.ApiKeyIssued,
    identity.ApiKeyRevoked,
    measurements.MeasurementSubmitted,
)

BY_TYPE: dict[str, type[Payload]] = {cls.event_type: cls for cls in EVENT_CLASSES}

# (event_type, version) -> function turning that version's JSON into the next version's JSON.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownEventType(LookupError):
    """The type is not in this version of the contract."""


class UnsupportedSchemaVersion(LookupError):
    """The version is newer than this code knows, or no upcaster leads from it."""


def payload_class(event_type: str) -> type[Payload]:
    try:
        return BY_TYPE[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def decode_payload(event_type: str, schema_version: int, data: dict[str, Any]) -> Payload:
    """Validate `data` as `event_type` at `schema_version`, upcasting it to the current version first."""
    cls = payload_class(event_type)
    if schema_version > cls.schema_version:
        raise UnsupportedSchemaVersion(
            f"{event_type} v{schema_version} is newer than this reader (v{cls.schema_version})"
        )
    version = schema_version
    while version < cls.schema_version:
        upcast = UPCASTERS.get((event_type, version))
        if upcast is None:
            raise UnsupportedSchemaVersion(f"no upcaster from {event_type} v{version}")
        data = upcast(data)
        version += 1
    return cls.model_validate(data)
