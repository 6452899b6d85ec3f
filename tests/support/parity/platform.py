"""goals and tracking as real processes for the parity test, and a new organisation for each example.

Notifications plays no part in parity and is not started. The scheduler looks every half second, so a
deadline that passes during an example is acted on while the example still runs. Goals runs on a clock the
test moves (clocked_goals.py): real now plus the offset in the platform's clock file, forward only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.support.cli import goalstream
from tests.support.infra import Endpoints, create_database, start_groups_at_end
from tests.support.parity.clocked_goals import CLOCK_FILE, move_to
from tests.support.polling import eventually
from tests.support.processes import ServiceProcess


@dataclass(frozen=True)
class ParityPlatform:
    goals_url: str
    tracking_url: str
    kafka_bootstrap: str
    operator: dict[str, str]  # the operator key's Authorization header, for the admin API
    clock_file: Path  # goals' clock offset, in seconds

    def offset(self) -> timedelta:
        if not self.clock_file.exists():
            return timedelta(0)
        return timedelta(seconds=float(self.clock_file.read_text()))

    def now(self) -> datetime:
        """Goals' clock now (up to the time a request takes)."""
        return datetime.now(UTC) + self.offset()

    def move(self, by: timedelta) -> None:
        assert by > timedelta(0), f"the clock moves forward only, not by {by}"
        move_to(self.clock_file, self.offset() + by)


class _ClockedGoals(ServiceProcess):
    """The goals service through tests/support/parity/clocked_goals.py instead of `python -m goalstream_goals`."""

    def start(self) -> _ClockedGoals:
        env = {**os.environ, **self.env, "GOALSTREAM_HTTP_PORT": str(self.port)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        root = Path(__file__).resolve().parents[3]  # the repository, where `tests` is a package
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.parity.clocked_goals"],
                env=env,
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self


@contextlib.contextmanager
def parity_platform(infra: Endpoints, logs: Path) -> Iterator[ParityPlatform]:
    database_url = asyncio.run(create_database(infra.database_url))
    prefix = f"parity-{uuid.uuid4().hex[:8]}"
    env = {
        "GOALSTREAM_DATABASE_URL": database_url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": prefix,
        "GOALSTREAM_SCHEDULER_INTERVAL_SECONDS": "0.5",
        CLOCK_FILE: str(logs / "clock"),
    }
    asyncio.run(start_groups_at_end(infra.kafka_bootstrap, prefix))
    services = [_ClockedGoals("goals", env, logs), ServiceProcess("tracking", env, logs)]
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_ready()
        issued = goalstream(
            "admin", "operator", "issue", "--label", prefix, env={"GOALSTREAM_DATABASE_URL": database_url}
        )
        assert issued.returncode == 0, issued.stdout + issued.stderr
        operator = next(w for w in issued.stdout.split() if w.startswith("gso_"))
        goals, tracking = services
        key = {"Authorization": f"Bearer {operator}"}
        yield ParityPlatform(goals.url, tracking.url, infra.kafka_bootstrap, key, logs / "clock")
    finally:
        for service in services:
            service.stop()


async def new_organisation(platform: ParityPlatform) -> tuple[str, dict[str, str]]:
    """A fresh organisation through the admin API; returns its id and the Authorization header of its key,
    once tracking (which learns keys from the identity topic) accepts the key too."""
    org_id = f"parity-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(base_url=platform.goals_url, headers=platform.operator, timeout=30) as admin:
        created = await admin.post("/v1/admin/organisations", json={"org_id": org_id, "name": "parity example"})
    assert created.status_code == 201, created.text
    auth = {"Authorization": f"Bearer {created.json()['key']['key']}"}
    async with httpx.AsyncClient(base_url=platform.tracking_url, headers=auth, timeout=30) as tracking:

        async def known() -> bool:
            return (await tracking.get("/v1/anti-goals")).status_code == 200

        await eventually(known, 60, f"tracking accepts {org_id}'s key")
    return org_id, auth
