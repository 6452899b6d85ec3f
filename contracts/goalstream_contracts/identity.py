"""Identity events on `goalstream.identity.v1`: how every service learns the organisations' API keys.

The goals service owns organisations and keys. Services share no tables, so it publishes each
key's SHA-256 hash (never the key) and every service keeps its own table of them.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from goalstream_contracts import topics
from goalstream_contracts.base import Payload

Scope = Literal["read", "write", "admin"]


class IdentityEvent(Payload):
    topic: ClassVar[str] = topics.IDENTITY_EVENTS

    def subject(self) -> str:
        return self.key_id  # type: ignore[attr-defined, no-any-return]


class OrganisationCreated(Payload):
    topic: ClassVar[str] = topics.IDENTITY_EVENTS
    event_type: ClassVar[str] = "OrganisationCreated"
    name: str

    def subject(self) -> str:
        return self.name


class ApiKeyIssued(IdentityEvent):
    event_type: ClassVar[str] = "ApiKeyIssued"
    key_id: str
    key_hash: str
    prefix: str
    scopes: tuple[Scope, ...]


class ApiKeyRevoked(IdentityEvent):
    event_type: ClassVar[str] = "ApiKeyRevoked"
    key_id: str
    key_hash: str
