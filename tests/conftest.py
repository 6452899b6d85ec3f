"""Fixtures shared by the whole suite: real infrastructure for integration and end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.infra import Endpoints, create_database, real_infrastructure

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    """The session's PostgreSQL server and Kafka broker (configured, containers, or embedded)."""
    with real_infrastructure(tmp_path_factory.mktemp("infra")) as endpoints:
        yield endpoints


@pytest.fixture
async def database_url(infra: Endpoints) -> AsyncIterator[str]:
    """A fresh database for this test alone."""
    yield await create_database(infra.database_url)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"
