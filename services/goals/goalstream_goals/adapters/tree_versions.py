"""An organisation's goal tree as one versioned whole: its number of writes, and its rows changed since a number.

`bump` runs in the transaction that writes tree rows, before it writes them (they are tagged with the number),
and holds the organisation's version row locked until it ends, so two writers of one organisation number their
writes one after the other. `rows_since` reads the number and the rows tagged after a given one in one
statement, one snapshot: with them, a copy at the given number becomes exactly the copy at the number read.
"""

from __future__ import annotations

from goalstream_goals.adapters.nodes import COLUMNS, Node
from goalstream_runtime.db import Connection

_NODE_COLUMNS = ", ".join(f"n.{c.strip()}" for c in COLUMNS.split(","))


async def bump(conn: Connection, org_id: str) -> int:
    """Count one more write of the organisation's tree rows (in the writing transaction); the new number."""
    version: int = await conn.fetchval(
        "INSERT INTO goal_tree_versions (org_id, version) VALUES ($1, 1)"
        " ON CONFLICT (org_id) DO UPDATE SET version = goal_tree_versions.version + 1 RETURNING version",
        org_id,
    )
    return version


async def rows_since(conn: Connection, org_id: str, since: int, at_most: int) -> tuple[int, list[Node]] | None:
    """The organisation's number now and its rows written after `since` (-1: all of them), read together;
    None when there are more than `at_most` of them."""
    rows = await conn.fetch(
        "WITH v AS (SELECT coalesce((SELECT version FROM goal_tree_versions WHERE org_id = $1), 0) AS version),"
        f" n AS (SELECT {COLUMNS} FROM goal_nodes WHERE org_id = $1 AND tree_version > $2 LIMIT $3 + 1)"
        f" SELECT v.version, {_NODE_COLUMNS} FROM v LEFT JOIN n ON true",
        org_id,
        since,
        at_most,
    )
    if len(rows) > at_most:
        return None
    version: int = rows[0][0]
    return version, [Node(*tuple(r)[1:]) for r in rows if r[1] is not None]
