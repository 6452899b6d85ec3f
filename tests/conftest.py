"""Fixtures shared by the whole suite: real infrastructure for integration and end-to-end tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.infra import Endpoints, create_database, real_infrastructure

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")


@pytest.fixture(scope="session")
def infra() -> Iterator[Endpoints]:
    """The session's PostgreSQL server and Kafka broker (configured, containers, or embedded).

    The embedded server's data lives outside pytest's base temporary directory: a second pytest session started
    meanwhile removes all but the newest three of those, and PostgreSQL shuts down once its data directory is gone
    (seen: a suite whose database vanished halfway while another suite ran beside it)."""
    with (
        tempfile.TemporaryDirectory(prefix="goalstream-infra-") as data_dir,
        real_infrastructure(Path(data_dir)) as ends,
    ):
        yield ends


@pytest.fixture
async def database_url(infra: Endpoints) -> AsyncIterator[str]:
    """A fresh database for this test alone."""
    yield await create_database(infra.database_url)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"
