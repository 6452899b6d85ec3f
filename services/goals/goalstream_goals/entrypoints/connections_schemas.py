"""Bodies and views of `/v1/connections` and `/v1/mappings`; a connection's secret is taken, never shown."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from goalstream_contracts.inputs import Text
from goalstream_goals.adapters.connections import ConnectionInfo
from goalstream_goals.domain.inbound.mapping import Mapping
from goalstream_goals.entrypoints.schemas import Strict
from goalstream_runtime.http import ApiError

PlatformName = Literal["hubspot", "salesforce", "segment"]
# A dotted path into a record's fields: `properties.amount`, `items.0.price` (no empty part, no spaces).
Path = Annotated[str, StringConstraints(pattern=r"^[^.\s]+(\.[^.\s]+)*$", min_length=1, max_length=200)]
# What each platform's account id looks like: a HubSpot portal is a number, a Salesforce organisation an id of
# 15 or 18 letters and digits, a Segment source id letters, digits, `_` and `-`.
ACCOUNT = {
    "hubspot": (r"[0-9]{1,20}", "a HubSpot portalId (its hub id, digits)"),
    "salesforce": (r"[A-Za-z0-9]{15}|[A-Za-z0-9]{18}", "a Salesforce OrganizationId (15 or 18 letters and digits)"),
    "segment": (r"[A-Za-z0-9_-]{1,100}", "a Segment source id (letters, digits, _ and -)"),
}


class ConnectionIn(Strict):
    platform: PlatformName = Field(description="the platform whose deliveries this account sends")
    account: str = Field(min_length=1, max_length=100, description="portalId, OrganizationId or Segment source id")
    secret: str | None = Field(
        default=None,
        min_length=8,
        max_length=500,
        description="HubSpot: the app's client secret; Segment: the destination's shared secret; Salesforce: none"
        " (a receiver token is generated and shown once). Stored to verify signatures, never returned.",
    )
    receiver_url: str | None = Field(
        default=None,
        max_length=2000,
        pattern=r"^https?://\S+$",
        description="the URL the platform calls, if a proxy stands between (HubSpot signs the URL it calls)",
    )

    def checked(self) -> ConnectionIn:
        """Raise a 422 naming the field when the account or the secret does not fit the platform."""
        pattern, what = ACCOUNT[self.platform]
        if not re.fullmatch(pattern, self.account):
            raise ApiError(422, "invalid_account", f"account must be {what}", "account")
        if self.platform == "salesforce" and self.secret is not None:
            message = "Salesforce signs nothing: leave secret out, a receiver token is generated"
            raise ApiError(422, "unexpected_secret", message, "secret")
        if self.platform != "salesforce" and self.secret is None:
            raise ApiError(422, "missing_secret", f"a {self.platform} connection needs its secret", "secret")
        return self


class ConnectionView(BaseModel):
    id: str = Field(description="the connection's id")
    platform: str = Field(description="hubspot, salesforce or segment")
    account: str = Field(description="the platform's account id bound to the organisation")
    receiver_url: str | None = Field(description="the URL the platform calls, when set (HubSpot behind a proxy)")
    created_at: datetime = Field(description="when the connection was made")
    receiver_token: str | None = Field(default=None, description="Salesforce only, in the creation's answer only")
    unmatched: list[dict[str, Any]] | None = Field(
        default=None, description="records no mapping matched, by object type (in GET /v1/connections/{id})"
    )

    @classmethod
    def of(cls, c: ConnectionInfo, **more: Any) -> ConnectionView:
        return cls(id=c.connection_id, platform=c.platform, account=c.account, receiver_url=c.receiver_url,
                   created_at=c.created_at, **more)  # fmt: skip


class MappingIn(Strict):
    platform: PlatformName = Field(description="the platform whose records it reads")
    object_type: Text = Field(min_length=1, max_length=200, description="`deal`, an sObject type, an event name")
    value_path: Path = Field(description="where the number is: `properties.amount`, `properties.revenue`")
    metric: Text = Field(min_length=1, max_length=200, description="the metric key it feeds")
    aggregation: Literal["latest", "sum"] = Field(
        default="latest", description="what the value is: the figure now (latest) or an amount to add (sum)"
    )
    time_path: Path | None = Field(default=None, description="when the value was true; default: the record's time")
    id_path: Path | None = Field(default=None, description="the record's own id; default: the platform's event id")


class MappingView(BaseModel):
    id: str = Field(description="the mapping's id")
    platform: str = Field(description="hubspot, salesforce or segment")
    object_type: str = Field(description="the object or event name a record must have")
    value_path: str = Field(description="the dotted path of the value in a record's fields")
    metric: str = Field(description="the metric key the value feeds")
    aggregation: str = Field(description="latest (a figure now) or sum (an amount to add)")
    time_path: str | None = Field(description="the path of the value's time; null: the record's own time")
    id_path: str | None = Field(description="the path of the record's id; null: the platform's event id")

    @classmethod
    def of(cls, m: Mapping) -> MappingView:
        return cls(id=m.mapping_id, platform=m.platform, object_type=m.object_type, value_path=m.value_path,
                   metric=m.metric, aggregation=m.aggregation, time_path=m.time_path, id_path=m.id_path)  # fmt: skip
