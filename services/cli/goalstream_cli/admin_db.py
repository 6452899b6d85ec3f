"""What the `goalstream admin` commands share: the goals database option and one transaction on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer

from goalstream_cli.settings import database_found, unreachable
from goalstream_runtime.db import Connection, connect, migrate

SCHEMA = "goals"  # the goals service's schema
T = TypeVar("T")

DatabaseUrl = Annotated[
    str, typer.Option(help="the goals database (default: GOALSTREAM_DATABASE_URL, then .goalstream/addresses.json)")
]
# What a refused or unreachable server raises on connecting (not what `work` raises: that is not about the address).
UNREACHABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
)


def in_transaction(option: str, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Migrate the goals schema (a no-op once the service ran), then run `work` in one transaction."""
    database = database_found(option or None)

    async def go() -> T:
        try:  # the first connection: where an address that does not answer shows
            await migrate(database.value, SCHEMA, "goalstream_goals")
        except UNREACHABLE as exc:
            raise unreachable("database", database, "--database-url", "GOALSTREAM_DATABASE_URL", exc) from exc
        conn = await connect(database.value, SCHEMA)
        try:
            async with conn.transaction():
                return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())
