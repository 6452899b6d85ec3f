"""Kafka TLS and SASL settings: a bad combination is refused at start-up naming the setting, and the
password shows nowhere (repr, JSON, validation errors). No broker here: the embedded Tansu has no SASL."""

from __future__ import annotations

import os
from pathlib import Path

import certifi
import pytest
from pydantic import ValidationError

from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.kafka_security import KafkaSecuritySettings
from goalstream_runtime.settings import InfraSettings

PASSWORD = "s3cret-Kafka-pw"  # a sentinel looked for in every rendering
REQUIRED = {"GOALSTREAM_DATABASE_URL": "postgresql://u@h/db", "GOALSTREAM_KAFKA_BOOTSTRAP": "kafka:9093"}


def environment(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name in list(os.environ):
        if name.startswith("GOALSTREAM_"):
            monkeypatch.delenv(name)
    for name, value in {**REQUIRED, **env}.items():
        monkeypatch.setenv(name, value)


def sasl_ssl(**more: str) -> dict[str, str]:
    return {
        "GOALSTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "GOALSTREAM_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "GOALSTREAM_KAFKA_SASL_USERNAME": "goals",
        "GOALSTREAM_KAFKA_SASL_PASSWORD": PASSWORD,
        "GOALSTREAM_KAFKA_SSL_CAFILE": certifi.where(),
        **more,
    }


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**sasl_ssl(), "GOALSTREAM_KAFKA_SASL_MECHANISM": ""}, "GOALSTREAM_KAFKA_SASL_MECHANISM"),
        ({**sasl_ssl(), "GOALSTREAM_KAFKA_SASL_USERNAME": ""}, "GOALSTREAM_KAFKA_SASL_USERNAME"),
        ({"GOALSTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "GOALSTREAM_KAFKA_SASL_MECHANISM"),
        (sasl_ssl(GOALSTREAM_KAFKA_SSL_CAFILE="/nowhere/ca.pem"), "GOALSTREAM_KAFKA_SSL_CAFILE"),
        (sasl_ssl(GOALSTREAM_KAFKA_SSL_KEYFILE=certifi.where()), "GOALSTREAM_KAFKA_SSL_KEYFILE"),
        ({"GOALSTREAM_KAFKA_SSL_CAFILE": certifi.where()}, "GOALSTREAM_KAFKA_SSL_CAFILE"),  # PLAINTEXT: no TLS
        ({"GOALSTREAM_KAFKA_SASL_PASSWORD": PASSWORD}, "GOALSTREAM_KAFKA_SASL_PASSWORD"),  # PLAINTEXT: no SASL
        ({"GOALSTREAM_KAFKA_SECURITY_PROTOCOL": "SASL_TLS"}, "kafka_security_protocol"),
        (sasl_ssl(GOALSTREAM_KAFKA_SASL_MECHANISM="GSSAPI"), "kafka_sasl_mechanism"),
    ],
)
def test_a_bad_combination_is_refused_at_start_up_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    environment(monkeypatch, **{k: v for k, v in env.items() if v})
    with pytest.raises(ValidationError) as refused:
        GoalsSettings()  # what `python -m goalstream_goals` builds first
    assert named in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_the_embedded_broker_refuses_tls_or_sasl(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, **sasl_ssl())
    monkeypatch.delenv("GOALSTREAM_KAFKA_BOOTSTRAP")
    with pytest.raises(ValidationError, match="GOALSTREAM_KAFKA_BOOTSTRAP"):
        InfraSettings()


def test_a_coherent_sasl_ssl_is_accepted_and_verifies_the_brokers(monkeypatch: pytest.MonkeyPatch) -> None:
    environment(monkeypatch, **sasl_ssl())
    settings = GoalsSettings()
    context = settings.ssl_context()
    assert context is not None and context.check_hostname and context.get_ca_certs()
    assert KafkaSecuritySettings().kafka_sasl_mechanism == "SCRAM-SHA-512"


def test_the_password_never_shows(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    environment(monkeypatch, **sasl_ssl(GOALSTREAM_KAFKA_SSL_KEY_PASSWORD=PASSWORD + "-key"))
    settings = GoalsSettings()
    import logging

    logging.getLogger("test").warning("settings %s %r", settings, settings, extra={"settings": settings})
    for shown in (repr(settings), str(settings), settings.model_dump_json(), caplog.text):
        assert PASSWORD not in shown and "**********" in shown
    # only the factory reads it, to hand it to the Kafka client
    assert settings.kafka_sasl_password is not None and settings.kafka_sasl_password.get_secret_value() == PASSWORD


def test_a_missing_client_certificate_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment(monkeypatch, **sasl_ssl(GOALSTREAM_KAFKA_SSL_CERTFILE=str(tmp_path / "client.pem")))
    with pytest.raises(ValidationError, match="GOALSTREAM_KAFKA_SSL_CERTFILE"):
        GoalsSettings()
