"""PostgreSQL: a connection pool bound to one service's schema, and versioned migrations."""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources

import asyncpg
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

# What a function that runs SQL accepts: a plain connection or one borrowed from a pool.
Connection = asyncpg.Connection | PoolConnectionProxy


def _jsonb_out(value: object) -> bytes:
    if isinstance(value, bytes):  # JSON text already (an event's payload, encoded once for Kafka and the store)
        return b"\x01" + value
    return b"\x01" + json.dumps(value).encode()  # jsonb's binary form: a version byte, then the text


def _jsonb_in(data: bytes) -> object:
    return json.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary, so COPY (binary only in asyncpg) can write jsonb columns: batches of events use it.
    await conn.set_type_codec("jsonb", encoder=_jsonb_out, decoder=_jsonb_in, schema="pg_catalog", format="binary")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(url: str, schema: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections see `schema` first; each service has its own schema."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": schema, "application_name": f"goalstream-{schema}"},
    )
    return pool


async def connect(url: str, schema: str) -> asyncpg.Connection:
    """A single connection that sees `schema` first, with the same JSON codecs as the pool."""
    conn: asyncpg.Connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    await _init_connection(conn)
    return conn


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


async def migrate(url: str, schema: str, package: str) -> list[str]:
    """Apply the `NNNN_name.sql` files of `package`'s `migrations` folder not applied yet, in order.

    Each file runs in its own transaction together with its record in `schema_migrations`, under
    an advisory lock so that two instances starting together do not both migrate.
    """
    conn = await connect(url, schema)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(f"migrate:{schema}"))
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        files = sorted(
            (f for f in resources.files(package).joinpath("migrations").iterdir() if f.name.endswith(".sql")),
            key=lambda f: f.name,
        )
        for file in files:
            version = file.name.removesuffix(".sql")
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(file.read_text())
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            applied.append(version)
            log.info("migration applied", extra={"schema": schema, "version": version})
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(f"migrate:{schema}"))
        await conn.close()
    return applied


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for `name`."""
    return _lock_key(name)


async def pings(pool: asyncpg.Pool | None) -> bool:
    """Readiness: the pool exists and the database answers."""
    if pool is None:
        return False
    try:
        return bool(await pool.fetchval("SELECT true"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
