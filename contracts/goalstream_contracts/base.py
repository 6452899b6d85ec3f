"""Base classes and field types shared by every payload."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Numbers in events are finite: NaN and Infinity are not JSON and not facts.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Timestamp = AwareDatetime


class Payload(BaseModel):
    """A past-tense fact: frozen, versioned, published on `topic`.

    `event_type` is the name in `ce_type` (`io.goalstream.<event_type>`); `schema_version` rises
    only with a breaking change, which then gets an upcaster from the version before it.
    Unknown fields are ignored on read so that consumers survive additive changes.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]

    def subject(self) -> str:
        """The thing this event is about (`ce_subject`): a goal, a ladder, a subscription..."""
        raise NotImplementedError
