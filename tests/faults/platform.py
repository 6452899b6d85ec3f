"""The platform under fault: its own PostgreSQL and broker (so they can be crashed) and the three services.

Faults need control of the processes themselves, so this suite always runs the embedded pair from
the wheels, whatever backend the rest of the suite uses: stopping or restarting a shared server
would break every other test, and a container's broker keeps its data across a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.embedded.kafka import EmbeddedKafka
from goalstream_runtime.embedded.postgres import EmbeddedPostgres
from goalstream_runtime.kafka_admin import ensure_topics
from tests.support.processes import ServiceProcess

SERVICES = ("goals", "tracking", "notifications")


@dataclass
class FaultPlatform:
    root: Path
    org_id: str = field(default_factory=lambda: f"org-faults-{uuid.uuid4().hex[:6]}")
    api_key: str = field(default_factory=new_api_key)
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.postgres = EmbeddedPostgres(self.root / "postgres")
        self.kafka = EmbeddedKafka(self.root / "kafka")

    @property
    def database_url(self) -> str:
        return self.postgres.url

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def url(self, service: str) -> str:
        return self.services[service].url

    def start(self) -> None:
        self.postgres.start()
        self.kafka.start()
        asyncio.run(ensure_topics(self.bootstrap, ALL_TOPICS, 3))
        env = {
            "GOALSTREAM_DATABASE_URL": self.database_url,
            "GOALSTREAM_KAFKA_BOOTSTRAP": self.bootstrap,
            "GOALSTREAM_DEMO_API_KEY": self.api_key,
            "GOALSTREAM_DEMO_ORG_ID": self.org_id,
            "GOALSTREAM_RETRY_SCHEDULE_SECONDS": "[0, 0.5, 1, 2, 4, 8]",
            "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8"]',  # the receiver listens on loopback
            "GOALSTREAM_RATE_LIMIT_PER_SECOND": "10000",  # the load is one key; limits are tested elsewhere
        }
        self.services = {name: ServiceProcess(name, env, self.root / "logs") for name in SERVICES}
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready()

    def stop(self) -> None:
        """Stop everything, even when one part fails to stop (the broker and database are their own sessions)."""
        with contextlib.ExitStack() as stack:
            stack.callback(self.postgres.stop)
            stack.callback(self.kafka.stop)
            for service in self.services.values():
                stack.callback(service.stop)

    # --- the faults ---------------------------------------------------------------------------

    def kill(self, service: str) -> None:
        self.services[service].kill()

    def restart(self, service: str) -> None:
        self.services[service].start()
        self.services[service].wait_ready()

    def restart_broker(self) -> None:
        """Stop the in-memory broker and start an empty one on the same port, with the topics recreated."""
        port = self.kafka.port
        self.kafka.kill()
        self.kafka.start(port=port)
        asyncio.run(ensure_topics(self.bootstrap, ALL_TOPICS, 3))

    def crash_database(self) -> None:
        self.postgres.crash()

    def start_database(self) -> None:
        self.postgres.start(port=self.postgres.port)

    def pause(self, service: str) -> None:
        self._signal(service, signal.SIGSTOP)

    def resume(self, service: str) -> None:
        self._signal(service, signal.SIGCONT)

    def _signal(self, service: str, sig: signal.Signals) -> None:
        process = self.services[service].process
        assert process is not None and process.poll() is None, f"{service} is not running"
        os.kill(process.pid, sig)

    # --- the API, for setting up and probing -----------------------------------------------------

    def post(self, service: str, path: str, body: dict[str, Any], timeout: float = 30) -> httpx.Response:
        return httpx.post(f"{self.url(service)}{path}", json=body, headers=self.auth, timeout=timeout)

    def wait_until_known(self, service: str, timeout: float = 60) -> None:
        """Tracking and notifications learn the organisation's key from the identity topic."""
        path = {"tracking": "/v1/anti-goals", "notifications": "/v1/subscriptions"}[service]
        deadline = time.monotonic() + timeout
        while httpx.get(f"{self.url(service)}{path}", headers=self.auth, timeout=10).status_code == 401:
            assert time.monotonic() < deadline, f"{service} never learned the organisation's key"
            time.sleep(0.3)
