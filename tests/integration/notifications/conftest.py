"""Fixtures of the notifications integration tests: the service on the session's real infrastructure."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.notifications.harness import Receiver, Service, running_service
from tests.support.infra import Endpoints


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver().serving() as serving:
        yield serving


@pytest.fixture
async def service(database_url: str, infra: Endpoints) -> AsyncIterator[Service]:
    """The notifications service on a fresh database, with a fast retry schedule [0, 0.2, 0.2] and no jitter."""
    async with running_service(database_url, infra.kafka_bootstrap) as running:
        yield running
