"""One change a platform reports (a HubSpot property change, a Salesforce outbound message notification, a Segment
`track` event), in the shape every receiver produces and the field mapping reads. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Platform = Literal["hubspot", "salesforce", "segment"]


@dataclass(frozen=True)
class InboundRecord:
    """`account`: the platform's own account id (HubSpot portalId, Salesforce OrganizationId, Segment source or
    workspace id) that an organisation's connection binds; `event_id`: the platform's id of this delivery item,
    what repeats are recognised by; `object_type`: what changed (HubSpot `deal` / subscription type, the Salesforce
    sObject type, the Segment event name); `fields`: the record's properties as the platform sent them (nested
    objects kept), read by the mapping's value, time and id paths; `occurred_at`: the platform's time of the
    change, when it gives one."""

    platform: Platform
    account: str
    event_id: str
    object_type: str
    fields: dict[str, Any]
    occurred_at: datetime | None
