"""How every goalstream process authenticates to Kafka and encrypts its connections (prefix `GOALSTREAM_`).

One cluster per process, so one security for every client: the services' settings inherit these fields
(and refuse a bad combination at start-up), and `kafka_clients` reads them from the environment for
the clients built where no settings object is at hand (the CLI, the lag monitor, the relay's probe).
The password is a SecretStr: it shows as `**********` in a repr, a log line or a validation error.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from goalstream_runtime.settings_files import FileSettings

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


class KafkaSecuritySettings(FileSettings):
    """TLS and SASL towards the Kafka brokers; the default, PLAINTEXT, is for a broker on a private network."""

    # Never echo the input in a validation error: it holds the password.
    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore", hide_input_in_errors=True)

    kafka_security_protocol: Protocol = Field(
        default="PLAINTEXT",
        description="PLAINTEXT, SSL (TLS), SASL_PLAINTEXT (SASL without TLS: the PLAIN password travels in clear)"
        " or SASL_SSL (SASL over TLS, the one to use across a network you do not own).",
    )
    kafka_sasl_mechanism: Mechanism | None = Field(
        default=None, description="SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. Required with SASL_*."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user (the Kafka principal User:<name>).")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password; never logged.")
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="PEM file of the CAs that sign the brokers' certificates. Unset: the system's CAs."
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="PEM client certificate, for brokers that authenticate clients by TLS (mTLS)."
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None, description="PEM private key of the client certificate (unset: it is in the certificate file)."
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of an encrypted client key; never logged."
    )

    @model_validator(mode="after")
    def _coherent(self) -> KafkaSecuritySettings:
        """Refuse what would silently connect with less security than asked for, naming the setting."""
        protocol = self.kafka_security_protocol
        sasl = {
            "MECHANISM": self.kafka_sasl_mechanism is not None,
            "USERNAME": bool(self.kafka_sasl_username),
            "PASSWORD": self.kafka_sasl_password is not None,
        }
        for name, given in sasl.items():
            if protocol.startswith("SASL_") and not given:
                raise ValueError(f"GOALSTREAM_KAFKA_SASL_{name} is required with {protocol}")
            if not protocol.startswith("SASL_") and given:
                raise ValueError(f"GOALSTREAM_KAFKA_SASL_{name} is set but {protocol} uses no SASL")
        files = {
            "CAFILE": self.kafka_ssl_cafile,
            "CERTFILE": self.kafka_ssl_certfile,
            "KEYFILE": self.kafka_ssl_keyfile,
        }
        for name, path in files.items():
            if path is not None and not protocol.endswith("SSL"):
                raise ValueError(f"GOALSTREAM_KAFKA_SSL_{name} is set but {protocol} uses no TLS")
            if path is not None and not path.is_file():
                raise ValueError(f"GOALSTREAM_KAFKA_SSL_{name}: no such file {path}")
        if self.kafka_ssl_keyfile is not None and self.kafka_ssl_certfile is None:
            raise ValueError("GOALSTREAM_KAFKA_SSL_KEYFILE needs GOALSTREAM_KAFKA_SSL_CERTFILE")
        return self

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifying the brokers' certificates and host names; None without TLS."""
        if not self.kafka_security_protocol.endswith("SSL"):
            return None
        context = ssl.create_default_context(cafile=self.kafka_ssl_cafile)
        if self.kafka_ssl_certfile is not None:
            key_password = self.kafka_ssl_key_password
            context.load_cert_chain(
                self.kafka_ssl_certfile,
                self.kafka_ssl_keyfile,
                key_password.get_secret_value() if key_password is not None else None,
            )
        return context

    def faststream(self) -> BaseSecurity | None:
        """FastStream's security object; `kafka_clients` turns the same object into aiokafka's arguments."""
        context = self.ssl_context()
        mechanism, user, password = self.kafka_sasl_mechanism, self.kafka_sasl_username, self.kafka_sasl_password
        if mechanism is not None and user is not None and password is not None:
            return _SASL[mechanism](user, password.get_secret_value(), ssl_context=context, use_ssl=context is not None)
        return BaseSecurity(ssl_context=context) if context is not None else None
