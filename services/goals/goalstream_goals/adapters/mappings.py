"""Field mappings: which records of a platform feed which metric of an organisation."""

from __future__ import annotations

from datetime import datetime

from goalstream_goals.domain.inbound.mapping import Mapping
from goalstream_runtime.db import Connection

COLUMNS = "mapping_id, platform, object_type, value_path, metric_key, aggregation, time_path, id_path"


def _of(row: dict[str, object]) -> Mapping:
    row = dict(row)
    row["metric"] = row.pop("metric_key")
    return Mapping(**row)  # type: ignore[arg-type]


async def insert(conn: Connection, org_id: str, m: Mapping, now: datetime) -> None:
    await conn.execute(
        f"INSERT INTO inbound_mappings ({COLUMNS}, org_id, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        m.mapping_id, m.platform, m.object_type, m.value_path, m.metric, m.aggregation, m.time_path, m.id_path,
        org_id, now,
    )  # fmt: skip


async def list_for(conn: Connection, org_id: str, platform: str | None = None) -> list[Mapping]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM inbound_mappings WHERE org_id = $1 AND ($2::text IS NULL OR platform = $2)"
        " ORDER BY created_at, mapping_id",
        org_id,
        platform,
    )
    return [_of(dict(r)) for r in rows]


async def get(conn: Connection, org_id: str, mapping_id: str) -> Mapping | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM inbound_mappings WHERE org_id = $1 AND mapping_id = $2", org_id, mapping_id
    )
    return None if row is None else _of(dict(row))


async def delete(conn: Connection, org_id: str, mapping_id: str) -> bool:
    status: str = await conn.execute(
        "DELETE FROM inbound_mappings WHERE org_id = $1 AND mapping_id = $2", org_id, mapping_id
    )
    return status.endswith(" 1")
