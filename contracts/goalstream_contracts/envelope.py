"""The envelope: what every event carries besides its payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny

from goalstream_contracts.base import Payload

P = TypeVar("P", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    """One event: identity, position in its stream, time, causality, and the payload."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(description="unique id of this event; `ce_id`")
    event_type: str = Field(description="payload type name, e.g. GoalSet; `ce_type` is io.goalstream.<event_type>")
    schema_version: int = Field(ge=1, description="version of the payload's schema")
    org_id: str = Field(description="organisation; also the Kafka message key")
    stream_id: str = Field(description="the aggregate this event belongs to")
    stream_version: int = Field(ge=1, description="position of this event in its stream, from 1")
    occurred_at: AwareDatetime = Field(description="when it happened; `ce_time`")
    correlation_id: uuid.UUID = Field(description="the request or message that started the chain")
    causation_id: uuid.UUID | None = Field(default=None, description="the event or command that caused this one")
    source: str = Field(description="the producing service, e.g. /goalstream/goals; `ce_source`")
    payload: SerializeAsAny[P]

    @classmethod
    def new(
        cls,
        payload: P,
        *,
        org_id: str,
        stream_id: str,
        stream_version: int,
        occurred_at: datetime,
        source: str,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope[P]:
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=payload.event_type,
            schema_version=payload.schema_version,
            org_id=org_id,
            stream_id=stream_id,
            stream_version=stream_version,
            occurred_at=occurred_at,
            correlation_id=correlation_id or uuid.uuid4(),
            causation_id=causation_id,
            source=source,
            payload=payload,
        )
