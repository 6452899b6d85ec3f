"""Typed settings every goalstream process reads (prefix `GOALSTREAM_`): from the environment, then a `.env` file,
then a secrets directory (`settings_files.py`, the base of every settings class through KafkaSecuritySettings)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from faststream.kafka import KafkaBroker
from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from goalstream_contracts.topics import ALL_TOPICS
from goalstream_runtime import kafka_clients
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.kafka_security import KafkaSecuritySettings


class InfraSettings(KafkaSecuritySettings):
    """Where the infrastructure is. Unset URLs mean: start the embedded servers.

    The Kafka TLS and SASL settings (GOALSTREAM_KAFKA_SECURITY_PROTOCOL and the rest) are in
    kafka_security.py; every Kafka client gets them through kafka_clients.py.
    """

    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL, e.g. postgresql://user:pw@host:5432/goalstream. Unset: embedded PostgreSQL.",
    )
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers, host:port[,host:port]. Unset: embedded Tansu broker."
    )
    data_dir: Path = Field(
        default=Path(".goalstream"),
        description="Where the embedded servers keep their data and logs; persists between runs.",
    )
    topic_partitions: int = Field(default=3, ge=1, description="Partitions of each topic created at start-up.")

    @model_validator(mode="after")
    def _embedded_is_plaintext(self) -> InfraSettings:
        # The embedded Tansu broker has no TLS or SASL: asking for them there is a mistake, not a downgrade.
        if self.kafka_bootstrap is None and self.kafka_security_protocol != "PLAINTEXT":
            raise ValueError(
                f"GOALSTREAM_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs GOALSTREAM_KAFKA_BOOTSTRAP:"
                " the embedded broker speaks PLAINTEXT only"
            )
        return self


class ServiceSettings(KafkaSecuritySettings):
    """Settings shared by the three services; each service subclasses it with its own defaults.

    With the Kafka TLS and SASL settings of KafkaSecuritySettings (kafka_security.py), checked at start-up.
    """

    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore")

    database_url: str = Field(description="PostgreSQL URL of the database holding this service's schema.")
    kafka_bootstrap: str = Field(description="Kafka bootstrap servers, host:port[,host:port].")
    http_host: str = Field(default="127.0.0.1", description="Interface the HTTP API binds to.")
    http_port: int = Field(default=8000, description="Port of the HTTP API.")
    log_level: str = Field(default="INFO", description="Python log level of the service.")
    http_keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        description="How long the HTTP server keeps an idle connection open. Longer than the idle timeouts of the"
        " clients and load balancers in front of it (httpx 5 s, most load balancers 60 s), so that none of them"
        " reuses a connection just as the server closes it (a reset request, a 502 at the balancer).",
    )
    db_pool_max: int = Field(default=10, ge=2, description="Largest size of the PostgreSQL connection pool.")
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest accepted HTTP request body; larger gets 413."
    )
    rate_limit_per_second: float = Field(
        default=100.0,
        ge=0,
        description="Requests per second each API key may make to this instance (0: no limit); more gets 429"
        " with Retry-After.",
    )
    rate_limit_burst: int = Field(
        default=500, ge=1, description="Requests an API key may make at once, above the rate."
    )
    instance_id: str = Field(default="", description="Name of this instance in logs and consumer client ids.")
    topic_partitions: int = Field(
        default=3, ge=1, description="Partitions of each topic this service creates if missing."
    )
    consumer_group_prefix: str = Field(
        default="goalstream",
        description="Prefix of this service's Kafka consumer groups; every instance of one deployment shares it.",
    )


class RelaySettings(ServiceSettings):
    """Settings of a service that publishes through a transactional outbox."""

    relay_batch_size: int = Field(default=500, ge=1, description="Most outbox records the relay publishes at once.")
    relay_poll_seconds: float = Field(default=1.0, gt=0, description="Relay poll interval when no NOTIFY wakes it.")
    relay_check_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the relay checks that the broker still holds what it acknowledged;"
        " a broker that lost records gets them republished from the outbox.",
    )


async def start_broker(broker: KafkaBroker, settings: ServiceSettings) -> None:
    """Create missing topics (brokers do not auto-create them reliably), then start consuming."""
    await ensure_topics(settings.kafka_bootstrap, ALL_TOPICS, settings.topic_partitions, security=settings)
    # As KafkaBroker.start (FastStream 0.7, pinned in constraints.txt: check this on an upgrade), but every
    # subscriber joins its group at once: a subscriber's start waits for its group's partitions (aiokafka), a
    # few seconds each, and one after another they added up at every start. A subscriber that fails to start
    # fails the service's start-up, which stops the broker and so the others.
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


def kafka_broker(settings: ServiceSettings, service: str) -> KafkaBroker:
    """The service's FastStream broker, logging through the JSON log lines like everything else.

    No FastStream telemetry middleware: `consumers.consume_batch` makes the consumer spans, after the
    OpenTelemetry messaging conventions (the middleware's follow an older version of them).
    """
    return kafka_clients.broker(
        settings.kafka_bootstrap,
        security=settings,
        client_id=f"goalstream-{service}{settings.instance_id}",
        logger=logging.getLogger("faststream"),
    )
