"""Every Kafka client carries the configured TLS and SASL: the factory's clients, each place that makes
one (stopped at its first connection attempt, so no broker is needed: the embedded Tansu has no SASL),
and no client made anywhere but goalstream_runtime.kafka_clients."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.client import AIOKafkaClient

from goalstream_cli.tail import tail_events
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime import kafka_clients
from goalstream_runtime.kafka_admin import ensure_topics
from goalstream_runtime.lag import LagMonitor
from goalstream_runtime.settings import kafka_broker
from goalstream_runtime.watermarks import BrokerProbe
from tests.unit.runtime.test_kafka_security import PASSWORD, environment, sasl_ssl

ROOT = Path(__file__).resolve().parents[3]
EXPECTED = {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "goals"}


def _config(client: AIOKafkaClient) -> dict[str, Any]:
    return {
        "security_protocol": client._security_protocol,
        "sasl_mechanism": client._sasl_mechanism,
        "sasl_plain_username": client._sasl_plain_username,
    }


def _secured(client: AIOKafkaClient) -> None:
    assert _config(client) == EXPECTED
    assert client._sasl_plain_password == PASSWORD
    assert client._ssl_context is not None and client._ssl_context.get_ca_certs()


async def test_each_factory_client_carries_the_settings_security(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, **sasl_ssl())
    settings = GoalsSettings()
    _secured(kafka_clients.producer("kafka:9093", security=settings).client)
    _secured(kafka_clients.consumer("kafka:9093", "t", security=settings)._client)
    _secured(kafka_clients.admin("kafka:9093", security=settings)._client)
    _secured(kafka_clients.broker("kafka:9093", security=settings).config.broker_config.builder(group_id="g")._client)
    # without settings at hand, the environment's
    _secured(kafka_clients.consumer("kafka:9093", group_id=None)._client)


def test_the_service_broker_carries_the_settings_security(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, **sasl_ssl())
    settings = GoalsSettings()
    environment(monkeypatch)  # the settings' security, not the environment's at the time
    broker = kafka_broker(settings, "goals")
    builder: Any = broker.config.broker_config.builder  # a partial: what every subscriber's consumer is built with
    consumers = builder.keywords
    producer = broker._connection_kwargs  # and the broker's producer
    for options in (consumers, producer):
        assert {key: options[key] for key in EXPECTED} == EXPECTED
        assert options["sasl_plain_password"] == PASSWORD and options["ssl_context"] is not None


def test_plaintext_adds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch)
    assert kafka_clients.client_options() == {}


class Attempted(Exception):
    """Raised at a client's first connection attempt, carrying the client."""


async def test_every_place_that_makes_a_client_gives_it_the_security(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, **sasl_ssl())

    async def attempt(client: AIOKafkaClient) -> None:
        raise Attempted(client)

    monkeypatch.setattr(AIOKafkaClient, "bootstrap", attempt)
    probe = BrokerProbe("kafka:9093", "relay")
    places: dict[str, Callable[[], Awaitable[Any]]] = {
        "ensure_topics": lambda: ensure_topics("kafka:9093", ["t"], 1),
        "lag monitor": LagMonitor("kafka:9093", "g", ["t"]).snapshot,
        "lag monitor member": lambda: LagMonitor("kafka:9093", "g", ["t"]).committed_by_member([]),
        "relay probe": probe.start,
        "goalstream tail": lambda: tail_events("kafka:9093", ["t"], True, 1, lambda _: True),
    }
    for place, start in places.items():
        with pytest.raises(Attempted) as attempted:
            await start()
        assert _config(attempted.value.args[0]) == EXPECTED, place


_CONSTRUCTION = re.compile(r"\b(AIOKafkaProducer|AIOKafkaConsumer|AIOKafkaAdminClient|KafkaBroker)\(")


def test_no_client_is_made_outside_the_factory() -> None:
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "services").glob("*/goalstream_*/**/*.py")
        if path.name != "kafka_clients.py"
        for match in _CONSTRUCTION.finditer(path.read_text())
    ]
    assert not found, f"Kafka clients made without the security settings: {found}"
