"""The three services as real subprocesses on the session's real broker and database.

The services start once for the e2e package (starting them is most of a module's set-up time); each module gets an
organisation of its own on them, as a new customer would, so modules share no goals, metrics or subscriptions.
Modules that need services configured otherwise (tracing, the clock, kill -9) start their own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from goalstream_contracts.identity import Scope
from goalstream_goals.adapters.organisations import create_organisation
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.db import connect
from tests.support.infra import Endpoints, create_database, start_groups_at_end
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess


@dataclass
class Services:
    goals: ServiceProcess
    tracking: ServiceProcess
    notifications: ServiceProcess
    kafka_bootstrap: str
    database_url: str
    group_prefix: str  # of the services' consumer groups (GOALSTREAM_CONSUMER_GROUP_PREFIX)


@dataclass
class Platform(Services):
    """The services as one organisation sees them: its id and its read, write and admin key."""

    org_id: str
    api_key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="package")
def services(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """goals, tracking and notifications on a fresh database, with their own consumer groups."""
    database_url = asyncio.run(create_database(infra.database_url))
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    env = {
        "GOALSTREAM_DATABASE_URL": database_url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": prefix,
        "GOALSTREAM_RETRY_SCHEDULE_SECONDS": "[0, 0.5, 0.5]",
        # The tests' webhook receivers listen on loopback, which notifications' egress guard refuses by default.
        "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8", "::1/128"]',
    }
    asyncio.run(start_groups_at_end(infra.kafka_bootstrap, prefix))
    logs: Path = tmp_path_factory.mktemp("service-logs")
    started = [ServiceProcess(name, env, logs) for name in ("goals", "tracking", "notifications")]
    try:
        for service in started:
            service.start()
        for service in started:
            service.wait_ready()
        goals, tracking, notifications = started
        yield Services(goals, tracking, notifications, infra.kafka_bootstrap, database_url, prefix)
    finally:
        for service in started:
            service.stop()


@pytest.fixture(scope="module")
def platform(services: Services) -> Platform:
    """A new organisation (read, write and admin key) on the package's services, once all three know its key."""
    org_id, api_key = f"org-{uuid.uuid4().hex[:8]}", new_api_key()
    asyncio.run(_new_organisation(services, org_id, api_key))
    return Platform(**vars(services), org_id=org_id, api_key=api_key)


async def _new_organisation(services: Services, org_id: str, api_key: str) -> None:
    conn = await connect(services.database_url, "goals")
    try:
        async with conn.transaction():
            scopes: tuple[Scope, ...] = ("read", "write", "admin")
            await create_organisation(conn, org_id, f"e2e {org_id}", api_key, scopes, datetime.now(UTC))
    finally:
        await conn.close()
    # Tracking and notifications learn the key from the identity topic: wait for both to accept it.
    auth = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(headers=auth, timeout=10) as client:
        for url in (f"{services.tracking.url}/v1/tree", f"{services.notifications.url}/v1/subscriptions"):

            async def known(url: str = url) -> bool:
                return (await client.get(url)).status_code == 200

            await eventually(known, 60, f"{url} accepting the new organisation's key")
