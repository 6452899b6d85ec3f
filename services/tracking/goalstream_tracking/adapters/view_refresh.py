"""Writing again the stored views a migration cleared (0004: the view gained fields), from the nodes' documents.

A row whose `view_json` is null answers from its document (`view_rows`), correctly but slower; tracking's start-up
fills them in chunks, each locking its rows so a consumer writing one of them waits or is skipped (it writes the
view itself). Decided in docs/decisions.md, "Dashboard API (issue 20)".
"""

from __future__ import annotations

from goalstream_runtime.db import Connection
from goalstream_tracking.adapters import node_view, store

CHUNK = 1000


async def refresh(conn: Connection, schema: str) -> int:
    """Fill every cleared view of the generation; how many were written."""
    written, last = 0, ""
    while True:
        async with conn.transaction():
            # Onwards from the last chunk's key: each chunk reads only its own rows, not again every cleared row
            # before it (a row skipped while a consumer held it is written by that consumer).
            rows = await conn.fetch(
                f'SELECT goal_id, doc::text AS doc FROM "{schema}".nodes WHERE view_json IS NULL AND goal_id > $2'
                " ORDER BY goal_id LIMIT $1 FOR UPDATE SKIP LOCKED",
                CHUNK,
                last,
            )
            if not rows:
                return written
            last = rows[-1]["goal_id"]
            nodes = [store.node_from_json(r["doc"]) for r in rows]
            await conn.executemany(
                f'UPDATE "{schema}".nodes SET view_json = $2, plan_json = $3 WHERE goal_id = $1',
                [(n.goal_id, node_view.view_json(n), node_view.plan_json(n)) for n in nodes],
            )
            written += len(rows)
