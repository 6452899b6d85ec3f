"""Every Kafka client goalstream makes is built here, so that each carries the process's TLS and SASL.

FastStream brokers, aiokafka producers, consumers and admin clients: the services, the outbox relay
and its probe, the lag monitor, topic creation, the CLI and tracking's rebuild. Each takes the
bootstrap servers and, optionally, the security (a service passes its settings); without it, the
security comes from the environment (`GOALSTREAM_KAFKA_SECURITY_PROTOCOL` and the rest), read and
checked at each call. FastStream's own mapping (`parse_security`) turns the one security object into
aiokafka's arguments, so a broker and a bare client can never disagree. A client made anywhere else
would connect without them: tests/unit/runtime/test_kafka_clients.py looks for one.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security

from goalstream_runtime.kafka_security import KafkaSecuritySettings


def resolve(security: KafkaSecuritySettings | None = None) -> KafkaSecuritySettings:
    """The given security, or the environment's (refused with the setting named when incoherent)."""
    return security if security is not None else KafkaSecuritySettings()


def client_options(security: KafkaSecuritySettings | None = None) -> dict[str, Any]:
    """aiokafka's security arguments: security_protocol, ssl_context, sasl_* (nothing for PLAINTEXT)."""
    return parse_security(resolve(security).faststream())


def producer(bootstrap: str, *, security: KafkaSecuritySettings | None = None, **kwargs: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **client_options(security), **kwargs)


def consumer(
    bootstrap: str, *topics: str, security: KafkaSecuritySettings | None = None, **kwargs: Any
) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, **client_options(security), **kwargs)


def admin(bootstrap: str, *, security: KafkaSecuritySettings | None = None, **kwargs: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(security), **kwargs)


def broker(bootstrap: str, *, security: KafkaSecuritySettings | None = None, **kwargs: Any) -> KafkaBroker:
    """A FastStream broker; its consumers and producers get the security from FastStream itself."""
    return KafkaBroker(bootstrap, security=resolve(security).faststream(), **kwargs)
