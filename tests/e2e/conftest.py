"""The three services as real subprocesses on the session's real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from goalstream_runtime.auth import new_api_key
from tests.support.infra import Endpoints, create_database, start_groups_at_end
from tests.support.processes import ServiceProcess


@dataclass
class Platform:
    org_id: str
    api_key: str
    goals: ServiceProcess
    tracking: ServiceProcess
    notifications: ServiceProcess
    kafka_bootstrap: str
    database_url: str
    group_prefix: str  # of the services' consumer groups (GOALSTREAM_CONSUMER_GROUP_PREFIX)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="module")
def platform(infra: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """goals, tracking and notifications on a fresh database, with their own consumer groups."""
    database_url = asyncio.run(create_database(infra.database_url))
    run_id = uuid.uuid4().hex[:8]
    org_id, api_key = f"org-{run_id}", new_api_key()
    env = {
        "GOALSTREAM_DATABASE_URL": database_url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": f"e2e-{run_id}",
        "GOALSTREAM_DEMO_API_KEY": api_key,
        "GOALSTREAM_DEMO_ORG_ID": org_id,
        "GOALSTREAM_RETRY_SCHEDULE_SECONDS": "[0, 0.5, 0.5]",
        # The tests' webhook receivers listen on loopback, which notifications' egress guard refuses by default.
        "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8", "::1/128"]',
    }
    asyncio.run(start_groups_at_end(infra.kafka_bootstrap, env["GOALSTREAM_CONSUMER_GROUP_PREFIX"]))
    logs: Path = tmp_path_factory.mktemp("service-logs")
    services = [ServiceProcess(name, env, logs) for name in ("goals", "tracking", "notifications")]
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_ready()
        goals, tracking, notifications = services
        prefix = env["GOALSTREAM_CONSUMER_GROUP_PREFIX"]
        yield Platform(org_id, api_key, goals, tracking, notifications, infra.kafka_bootstrap, database_url, prefix)
    finally:
        for service in services:
            service.stop()
