"""What `goalstream run` reads (prefix `GOALSTREAM_`), besides where the infrastructure is."""

from __future__ import annotations

import ipaddress

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from goalstream_runtime.settings import InfraSettings


class RunSettings(InfraSettings):
    """`goalstream run`'s settings; the services it starts read their own from the same environment."""

    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore")

    goals_port: int = Field(default=8001, ge=1, le=65535, description="Port of the goals service.")
    tracking_port: int = Field(default=8002, ge=1, le=65535, description="Port of the tracking service.")
    notifications_port: int = Field(default=8003, ge=1, le=65535, description="Port of the notifications service.")
    http_host: str = Field(default="127.0.0.1", description="Interface the services bind to (checked before start).")
    demo_api_key: str | None = Field(
        default=None, description="API key of the demo organisation; unset: generated once and kept in data_dir."
    )
    consumer_group_prefix: str = Field(
        default="goalstream", description="The services' consumer group prefix (recorded in the addresses file)."
    )
    demo_webhooks_to_this_machine: bool = Field(
        default=True,
        description="Let notifications deliver to 127.0.0.0/8 and ::1, so a webhook to a local receiver works in"
        " the demo (`goalstream webhooks listen`). Applied only when GOALSTREAM_EGRESS_ALLOW is not set and"
        " http_host is a loopback address (127.x, ::1, localhost): services others can reach must not be made"
        " to POST to this machine's own services. The services on their own refuse loopback and private"
        " addresses.",
    )
    egress_allow: str | None = Field(
        default=None,
        description="Notifications' egress allow-list, read here only to know whether the operator set one (in the"
        " environment, the .env file or the secrets directory): then the demo leaves it alone.",
    )
    ready_timeout: float = Field(default=90.0, gt=0, description="Seconds to wait for every service to be ready.")
    run_crash_limit: int = Field(
        default=3,
        ge=1,
        description="A service that exits this many times within run_crash_window_seconds stops the run, with the"
        " last lines of its log; fewer exits are restarted (1: the first exit stops the run).",
    )
    run_crash_window_seconds: float = Field(
        default=60.0, gt=0, description="The window in which run_crash_limit exits of one service stop the run."
    )

    def demo_egress_allow(self) -> str | None:
        """The egress allow-list notifications gets in the demo (loopback, when the services listen only there), or
        None: its own settings apply."""
        if self.demo_webhooks_to_this_machine and self.egress_allow is None and loopback(self.http_host):
            return '["127.0.0.0/8", "::1/128"]'
        return None

    def ports(self) -> dict[str, int]:
        return {"goals": self.goals_port, "tracking": self.tracking_port, "notifications": self.notifications_port}


def loopback(host: str) -> bool:
    """127.x, ::1 or localhost: only this machine can reach a service bound there."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
