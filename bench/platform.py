"""The platform under measurement: its own embedded PostgreSQL and broker, and the three services."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.services import ServiceProcess
from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime.auth import new_api_key
from goalstream_runtime.embedded.kafka import EmbeddedKafka
from goalstream_runtime.embedded.postgres import EmbeddedPostgres
from goalstream_runtime.kafka_admin import ensure_topics

SERVICES = ("goals", "tracking", "notifications")
PARTITIONS = 3
MARKER = ".goalstream-bench"


@dataclass
class BenchPlatform:
    root: Path
    org_id: str = field(default_factory=lambda: f"org-bench-{uuid.uuid4().hex[:6]}")
    api_key: str = field(default_factory=new_api_key)
    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._empty_root()  # every run starts from empty stores
        self.postgres = EmbeddedPostgres(self.root / "postgres")
        self.kafka = EmbeddedKafka(self.root / "kafka")

    def _empty_root(self) -> None:
        """Empty the data directory, but only one this benchmark made (it holds MARKER) or an empty one."""
        if self.root.exists() and any(self.root.iterdir()):
            if not (self.root / MARKER).exists():
                raise SystemExit(
                    f"{self.root} is not empty and was not made by the benchmark; choose another --data-dir"
                )
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / MARKER).touch()

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

    def start_infrastructure(self) -> None:
        self.postgres.start()
        self.kafka.start()
        asyncio.run(ensure_topics(self.bootstrap, ALL_TOPICS, PARTITIONS))

    def start_services(self) -> None:
        env = {
            "GOALSTREAM_DATABASE_URL": self.database_url,
            "GOALSTREAM_KAFKA_BOOTSTRAP": self.bootstrap,
            "GOALSTREAM_DEMO_API_KEY": self.api_key,
            "GOALSTREAM_DEMO_ORG_ID": self.org_id,
            "GOALSTREAM_EGRESS_ALLOW": '["127.0.0.0/8"]',  # the webhook receiver listens on loopback
            "GOALSTREAM_RATE_LIMIT_PER_SECOND": "0",  # the benchmark's load is one key
        }
        self.services = {name: ServiceProcess(name, env, self.root / "logs") for name in SERVICES}
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            service.wait_ready()

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self.kafka.stop()
        self.postgres.stop()
