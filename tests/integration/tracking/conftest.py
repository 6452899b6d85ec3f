"""Fixtures of the tracking integration tests: a real PostgreSQL database with tracking's live read-model
generation, fed goal events through the projection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from tests.integration.tracking.harness import Feed, open_live_generation
from tests.support.infra import Endpoints, create_database


@pytest_asyncio.fixture
async def feed(database_url: str) -> AsyncIterator[Feed]:
    """A fresh database for this test, its live generation, and a new organisation to feed events for."""
    conn, schema = await open_live_generation(database_url)
    try:
        yield Feed(conn, schema, f"org-{uuid.uuid4().hex[:8]}")
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_feed(infra: Endpoints) -> AsyncIterator[Feed]:
    """As `feed`, shared by a module's tests (which then run on the module's event loop): for costly setups.

    Tests that change it should do so inside `harness.rolled_back`.
    """
    conn, schema = await open_live_generation(await create_database(infra.database_url))
    try:
        yield Feed(conn, schema, f"org-{uuid.uuid4().hex[:8]}")
    finally:
        await conn.close()
