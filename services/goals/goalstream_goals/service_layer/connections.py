"""Use cases on an organisation's receiver connections and field mappings, each in one transaction.

Another organisation's connection or mapping is not found (404), never forbidden: its existence is not told.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from goalstream_goals.adapters import connections, mappings
from goalstream_goals.adapters.connections import AccountTaken, ConnectionInfo
from goalstream_goals.domain.inbound.mapping import Mapping
from goalstream_goals.domain.inbound.record import Platform
from goalstream_goals.service_layer.goals import GoalsService

__all__ = ["SALESFORCE_TOKEN_PREFIX", "AccountTaken", "Created", "NotFound", "token_hash"]
SALESFORCE_TOKEN_PREFIX = "gsr_"


class NotFound(LookupError):
    """No such connection or mapping in the caller's organisation."""


@dataclass(frozen=True)
class Created:
    info: ConnectionInfo
    token: str | None  # a Salesforce connection's receiver token: shown once, only its hash is kept


def token_hash(token: str) -> str:
    """The token is 32 random bytes, so an unsalted SHA-256 is as strong as a slow hash here (like API keys)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_connection(
    service: GoalsService, org_id: str, platform: Platform, account: str, secret: str | None, receiver_url: str | None
) -> Created:
    token = SALESFORCE_TOKEN_PREFIX + secrets.token_urlsafe(32) if platform == "salesforce" else None
    info = ConnectionInfo(f"con_{uuid.uuid4().hex[:16]}", org_id, platform, account, receiver_url, service.clock())
    async with service.pool.acquire() as conn, conn.transaction():
        await connections.insert(conn, info, secret, token_hash(token) if token else None)
    return Created(info, token)


async def list_connections(service: GoalsService, org_id: str) -> list[ConnectionInfo]:
    async with service.pool.acquire() as conn:
        return await connections.list_for(conn, org_id)


async def get_connection(
    service: GoalsService, org_id: str, connection_id: str
) -> tuple[ConnectionInfo, list[dict[str, Any]]]:
    """The connection and the records no mapping matched, by object type."""
    async with service.pool.acquire() as conn:
        info = await connections.get(conn, org_id, connection_id)
        if info is None:
            raise NotFound(connection_id)
        return info, await connections.unmatched(conn, connection_id)


async def delete_connection(service: GoalsService, org_id: str, connection_id: str) -> None:
    async with service.pool.acquire() as conn, conn.transaction():
        if not await connections.delete(conn, org_id, connection_id):
            raise NotFound(connection_id)


async def create_mapping(service: GoalsService, org_id: str, fields: dict[str, Any]) -> Mapping:
    mapping = Mapping(mapping_id=f"map_{uuid.uuid4().hex[:16]}", **fields)
    async with service.pool.acquire() as conn, conn.transaction():
        await mappings.insert(conn, org_id, mapping, service.clock())
    return mapping


async def list_mappings(service: GoalsService, org_id: str, platform: str | None) -> list[Mapping]:
    async with service.pool.acquire() as conn:
        return await mappings.list_for(conn, org_id, platform)


async def get_mapping(service: GoalsService, org_id: str, mapping_id: str) -> Mapping:
    async with service.pool.acquire() as conn:
        found = await mappings.get(conn, org_id, mapping_id)
    if found is None:
        raise NotFound(mapping_id)
    return found


async def delete_mapping(service: GoalsService, org_id: str, mapping_id: str) -> None:
    async with service.pool.acquire() as conn, conn.transaction():
        if not await mappings.delete(conn, org_id, mapping_id):
            raise NotFound(mapping_id)
