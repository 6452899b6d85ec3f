"""Receivers' connections (a platform account bound to an organisation) and the records no mapping matched.

A connection's secret is read only by `by_account`, for a receiver that verifies a signature; the rows the API
lists never carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goalstream_runtime.db import Connection

SHOWN = "connection_id, org_id, platform, account, receiver_url, created_at"


class AccountTaken(Exception):
    """The platform account is bound already (to this organisation or another)."""


@dataclass(frozen=True)
class ConnectionInfo:
    connection_id: str
    org_id: str
    platform: str
    account: str
    receiver_url: str | None
    created_at: datetime


@dataclass(frozen=True)
class Bound:
    """What a receiver needs to verify a delivery: the connection and its secret."""

    info: ConnectionInfo
    secret: str | None


async def insert(conn: Connection, info: ConnectionInfo, secret: str | None, token_hash: str | None) -> None:
    created = await conn.fetchval(
        "INSERT INTO inbound_connections (connection_id, org_id, platform, account, secret, token_hash,"
        " receiver_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (platform, account) DO NOTHING RETURNING true",
        info.connection_id, info.org_id, info.platform, info.account, secret, token_hash,
        info.receiver_url, info.created_at,
    )  # fmt: skip
    if not created:
        raise AccountTaken(f"{info.platform} {info.account}")


async def list_for(conn: Connection, org_id: str) -> list[ConnectionInfo]:
    rows = await conn.fetch(f"SELECT {SHOWN} FROM inbound_connections WHERE org_id = $1 ORDER BY connection_id", org_id)
    return [ConnectionInfo(**dict(r)) for r in rows]


async def get(conn: Connection, org_id: str, connection_id: str) -> ConnectionInfo | None:
    row = await conn.fetchrow(
        f"SELECT {SHOWN} FROM inbound_connections WHERE org_id = $1 AND connection_id = $2", org_id, connection_id
    )
    return None if row is None else ConnectionInfo(**dict(row))


async def delete(conn: Connection, org_id: str, connection_id: str) -> bool:
    status: str = await conn.execute(
        "DELETE FROM inbound_connections WHERE org_id = $1 AND connection_id = $2", org_id, connection_id
    )
    return status.endswith(" 1")


async def by_account(conn: Connection, platform: str, account: str) -> Bound | None:
    row = await conn.fetchrow(
        f"SELECT {SHOWN}, secret FROM inbound_connections WHERE platform = $1 AND account = $2", platform, account
    )
    if row is None:
        return None
    shown = dict(row)
    secret = shown.pop("secret")
    return Bound(ConnectionInfo(**shown), secret)


async def every_bound(conn: Connection, platform: str) -> list[Bound]:
    """Every connection of `platform` with its secret: the Segment receiver tries each when an event names no
    source (`projectId`)."""
    rows = await conn.fetch(
        f"SELECT {SHOWN}, secret FROM inbound_connections WHERE platform = $1 ORDER BY connection_id", platform
    )
    found = [dict(r) for r in rows]
    return [Bound(ConnectionInfo(**{k: v for k, v in r.items() if k != "secret"}), r["secret"]) for r in found]


async def by_token(conn: Connection, token_hash: str) -> Bound | None:
    """The Salesforce connection whose receiver token hashes to `token_hash` (service_layer.connections.token_hash)."""
    row = await conn.fetchrow(f"SELECT {SHOWN} FROM inbound_connections WHERE token_hash = $1", token_hash)
    return None if row is None else Bound(ConnectionInfo(**dict(row)), None)


async def note_unmatched(
    conn: Connection, connection_id: str, object_type: str, event_id: str, reason: str, fields: dict[str, Any],
    now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO inbound_unmatched AS u (connection_id, object_type, count, last_event_id, last_reason,"
        " last_fields, last_seen_at) VALUES ($1, $2, 1, $3, $4, $5, $6)"
        " ON CONFLICT (connection_id, object_type) DO UPDATE SET count = u.count + 1,"
        " last_event_id = $3, last_reason = $4, last_fields = $5, last_seen_at = $6",
        connection_id, object_type, event_id, reason, fields, now,
    )  # fmt: skip


async def unmatched(conn: Connection, connection_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT object_type, count, last_event_id, last_reason, last_fields, last_seen_at FROM inbound_unmatched"
        " WHERE connection_id = $1 ORDER BY object_type",
        connection_id,
    )
    return [dict(r) for r in rows]
