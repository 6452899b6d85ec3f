"""Generations of the read models: each is a schema (`tracking_rm_<n>`); exactly one is live.

Consumers read the live generation's name under FOR SHARE in each event's transaction; a switch
takes FOR UPDATE on the same row, so no event is half in the old generation and half in the new.
"""

from __future__ import annotations

from importlib import resources

from goalstream_runtime.db import Connection

PREFIX = "tracking_rm_"


def _ddl(schema: str) -> str:
    template = resources.files("goalstream_tracking").joinpath("adapters/read_models.sql").read_text()
    return template.replace("{schema}", schema)


async def create(conn: Connection, state: str) -> str:
    """A new, empty generation (`building`, or `live` when there is none yet)."""
    number = await conn.fetchval(
        "SELECT coalesce(max(substring(name FROM length($1) + 1)::int), 0) + 1 FROM generations", PREFIX
    )
    name = f"{PREFIX}{number}"
    await conn.execute(_ddl(name))
    await conn.execute("INSERT INTO generations (name, state) VALUES ($1, $2)", name, state)
    return name


async def ensure_live(conn: Connection) -> str:
    """The live generation, created on first start. Needs a transaction (two instances may start together)."""
    await conn.execute("LOCK TABLE generations IN EXCLUSIVE MODE")
    live = await live_name(conn)
    return live if live is not None else await create(conn, "live")


async def live_name(conn: Connection, lock: str = "") -> str | None:
    """The live generation's schema; `lock` "share" or "update" locks its row for the transaction."""
    suffix = {"": "", "share": " FOR SHARE", "update": " FOR UPDATE"}[lock]
    name: str | None = await conn.fetchval(f"SELECT name FROM generations WHERE state = 'live'{suffix}")
    return name


async def switch(conn: Connection, new: str) -> str | None:
    """Make `new` live and retire the old one; run with the live row locked FOR UPDATE."""
    old = await live_name(conn)
    await conn.execute("UPDATE generations SET state = 'retired' WHERE state = 'live'")
    await conn.execute("UPDATE generations SET state = 'live', switched_at = now() WHERE name = $1", new)
    return old


async def drop(conn: Connection, name: str) -> None:
    if not name.startswith(PREFIX) or not name[len(PREFIX) :].isdigit():
        raise ValueError(f"{name} is not a read-model generation")
    await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    await conn.execute("DELETE FROM generations WHERE name = $1", name)
