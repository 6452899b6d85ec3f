"""`goalstream run`: the infrastructure and the three services under one supervisor.

Starts the embedded PostgreSQL and Kafka-protocol broker where no servers are configured, then
the three services as child processes; waits until each answers /ready; prints the URLs, the
demo API key and a working curl example; restarts a service that dies; and on Ctrl-C or SIGTERM
stops every process it started, the servers last.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from rich.console import Console

from goalstream_runtime.auth import KEY_PREFIX
from goalstream_runtime.banner import banner, curl_example
from goalstream_runtime.infra import Infrastructure
from goalstream_runtime.settings import InfraSettings


class RunSettings(InfraSettings):
    """What `goalstream run` reads (prefix `GOALSTREAM_`), besides where the infrastructure is."""

    model_config = SettingsConfigDict(env_prefix="GOALSTREAM_", extra="ignore")

    goals_port: int = Field(default=8001, description="Port of the goals service.")
    tracking_port: int = Field(default=8002, description="Port of the tracking service.")
    notifications_port: int = Field(default=8003, description="Port of the notifications service.")
    demo_api_key: str | None = Field(
        default=None, description="API key of the demo organisation; unset: generated once and kept in data_dir."
    )
    ready_timeout: float = Field(default=90.0, description="Seconds to wait for every service to be ready.")


@dataclass
class Child:
    name: str
    module: str
    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = field(default=0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "GOALSTREAM_HTTP_PORT": str(self.port)}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", self.module], env=env, stdout=log, stderr=log)

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def demo_key(settings: RunSettings) -> str:
    if settings.demo_api_key:
        return settings.demo_api_key
    path = settings.data_dir / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def run(settings: RunSettings, console: Console) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    infra = Infrastructure(settings)
    children: list[Child] = []
    try:
        with console.status("starting the infrastructure (embedded where not configured)..."):
            infra.start()
        console.print(f"[green]✓[/] PostgreSQL  {infra.database_url}")
        console.print(f"[green]✓[/] Kafka       {infra.kafka_bootstrap}")
        key = demo_key(settings)
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        common = {"GOALSTREAM_DATABASE_URL": infra.database_url, "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap}
        for name, port in (
            ("goals", settings.goals_port),
            ("tracking", settings.tracking_port),
            ("notifications", settings.notifications_port),
        ):
            env = dict(common, GOALSTREAM_DEMO_API_KEY=key) if name == "goals" else dict(common)
            children.append(Child(name, f"goalstream_{name}", port, logs / f"{name}.log", env))
        for child in children:
            child.start()
        _wait_ready(children, settings.ready_timeout, console)
        console.print(banner(children[0].url, children[1].url, children[2].url, key, logs))
        # Plain and unwrapped, so that it can be copied and pasted as it is.
        console.print(
            curl_example(children[0].url, children[1].url, key), markup=False, highlight=False, soft_wrap=True
        )
        sys.stdout.flush()
        _supervise(children, console)
    except _Stop:
        console.print("\nstopping...")
    finally:
        for child in children:
            child.stop()
        infra.stop()
        console.print("[green]✓[/] every process goalstream started is stopped")
    return 0


def _wait_ready(children: list[Child], timeout: float, console: Console) -> None:
    deadline = time.monotonic() + timeout
    pending = list(children)
    with console.status("waiting for the services to be ready...") as status:
        while pending:
            for child in list(pending):
                if child.process is not None and child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited during start-up; see {child.log_path}")
                if child.ready():
                    pending.remove(child)
                    console.print(f"[green]✓[/] {child.name:<13} {child.url}")
            status.update(f"waiting for {', '.join(c.name for c in pending)} to be ready...")
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(c.name for c in pending)}")
            time.sleep(0.2)


def _supervise(children: list[Child], console: Console) -> None:
    while True:
        time.sleep(1.0)
        for child in children:
            if child.process is not None and child.process.poll() is not None:
                child.restarts += 1
                console.print(f"[yellow]![/] {child.name} exited ({child.process.returncode}); restarting")
                time.sleep(min(30.0, 2.0**child.restarts))
                child.start()
