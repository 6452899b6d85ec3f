"""What the `goalstream admin` commands share: the goals database option and one transaction on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from goalstream_runtime.db import Connection, connect, migrate

SCHEMA = "goals"  # the goals service's schema
T = TypeVar("T")

DatabaseUrl = Annotated[str, typer.Option(envvar="GOALSTREAM_DATABASE_URL", help="the goals database")]


def in_transaction(url: str, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Migrate the goals schema (a no-op once the service ran), then run `work` in one transaction."""
    if not url:
        raise typer.BadParameter("set GOALSTREAM_DATABASE_URL or pass --database-url", param_hint="--database-url")

    async def go() -> T:
        await migrate(url, SCHEMA, "goalstream_goals")
        conn = await connect(url, SCHEMA)
        try:
            async with conn.transaction():
                return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())
