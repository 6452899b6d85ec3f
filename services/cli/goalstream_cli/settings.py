"""What `goalstream tail` and `goalstream lag` read from the environment: the broker and the services' groups."""

from __future__ import annotations

import typer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CliSettings(BaseSettings):
    """What the operator commands read from the environment (the services' variables); options override."""

    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore")

    kafka_bootstrap: str | None = Field(default=None, description="Kafka bootstrap servers, host:port[,...]")
    consumer_group_prefix: str = Field(default="goalstream", description="the services' consumer group prefix")


def bootstrap_of(option: str | None) -> str:
    bootstrap = option or CliSettings().kafka_bootstrap
    if not bootstrap:
        raise typer.BadParameter("set GOALSTREAM_KAFKA_BOOTSTRAP or pass --bootstrap", param_hint="--bootstrap")
    return bootstrap
