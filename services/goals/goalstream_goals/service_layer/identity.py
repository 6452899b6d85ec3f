"""Use cases on organisations and their API keys (the admin API): each runs in one transaction.

Every change and its identity event (OrganisationCreated, ApiKeyIssued, ApiKeyRevoked) commit
together, so a refused request changes nothing and an accepted one is published by the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from goalstream_contracts.identity import Scope
from goalstream_goals.adapters import api_keys, organisations
from goalstream_goals.adapters.api_keys import KeyInfo, UnknownOrganisation
from goalstream_goals.adapters.organisations import OrganisationExists, OrganisationInfo
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.db import Connection

__all__ = [
    "IssuedKey",
    "KeyInfo",
    "OrganisationExists",
    "OrganisationInfo",
    "UnknownKey",
    "UnknownOrganisation",
]
T = TypeVar("T")


class UnknownKey(LookupError):
    """No such key, or (for an organisation's own admin) another organisation's key."""


@dataclass(frozen=True)
class IssuedKey:
    info: KeyInfo
    key: str  # the key itself: shown once, never stored


async def _transaction(service: GoalsService, work: Callable[[Connection], Awaitable[T]]) -> T:
    async with service.pool.acquire() as conn, conn.transaction():
        return await work(conn)


def _distinct(scopes: Sequence[Scope]) -> tuple[Scope, ...]:
    return tuple(dict.fromkeys(scopes))


async def _issued(conn: Connection, key_id: str, key: str) -> IssuedKey:
    info = await api_keys.find_key(conn, key_id)
    assert info is not None, "a key just issued in this transaction"
    return IssuedKey(info, key)


async def create_organisation(
    service: GoalsService, org_id: str, name: str, scopes: Sequence[Scope]
) -> tuple[OrganisationInfo, IssuedKey]:
    """A new organisation and its first key; OrganisationExists when `org_id` is taken."""

    async def work(conn: Connection) -> tuple[OrganisationInfo, IssuedKey]:
        key = new_api_key()
        key_id = await organisations.create_organisation(conn, org_id, name, key, _distinct(scopes), service.clock())
        created = await organisations.organisation(conn, org_id)
        assert created is not None, "an organisation just created in this transaction"
        return created, await _issued(conn, key_id, key)

    return await _transaction(service, work)


async def list_organisations(service: GoalsService, after: str, limit: int) -> list[OrganisationInfo]:
    return await _transaction(service, lambda conn: organisations.list_organisations(conn, after, limit))


async def issue_key(service: GoalsService, org_id: str, scopes: Sequence[Scope]) -> IssuedKey:
    """Another key for `org_id`; UnknownOrganisation when there is no such organisation."""

    async def work(conn: Connection) -> IssuedKey:
        key_id, key = await api_keys.issue_key(conn, org_id, _distinct(scopes), service.clock())
        return await _issued(conn, key_id, key)

    return await _transaction(service, work)


async def list_keys(service: GoalsService, org_id: str) -> list[KeyInfo]:
    """`org_id`'s keys, revoked ones included; UnknownOrganisation when there is no such organisation."""

    async def work(conn: Connection) -> list[KeyInfo]:
        if await organisations.organisation(conn, org_id) is None:
            raise UnknownOrganisation(org_id)
        return await api_keys.list_keys(conn, org_id)

    return await _transaction(service, work)


async def revoke_key(service: GoalsService, key_id: str, org_id: str | None = None) -> None:
    """Revoke `key_id` (only within `org_id` when given). Revoking a revoked key changes nothing
    and succeeds (DELETE is idempotent); UnknownKey when there is no such key in reach."""

    async def work(conn: Connection) -> None:
        found = await api_keys.find_key(conn, key_id)
        if found is None or (org_id is not None and found.org_id != org_id):
            raise UnknownKey(key_id)
        if found.revoked_at is None:
            await api_keys.revoke_key(conn, key_id, service.clock())

    await _transaction(service, work)
