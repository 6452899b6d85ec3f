"""The service processes of `goalstream run`, and what their log files say when one fails."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from goalstream_cli.addresses import write_private
from goalstream_cli.run.settings import RunSettings
from goalstream_runtime.auth import KEY_PREFIX

TAIL_LINES = 12
LINE_CHARS = 400


@dataclass
class Child:
    name: str
    module: str
    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_start: int = 0  # where this start's lines begin in the log, so a report shows only its own
    ready: bool = False
    exits: list[float] = field(default_factory=list)  # monotonic times of its exits
    restart_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **self.env, "GOALSTREAM_HTTP_PORT": str(self.port)}
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.ready, self.restart_at = False, None
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", self.module], env=env, stdout=log, stderr=log)

    def exited(self) -> int | None:
        """Its exit code once it exited and was not restarted yet; None while it runs (or waits to restart)."""
        if self.process is None or self.restart_at is not None:
            return None
        return self.process.poll()

    def answers_ready(self) -> bool:
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

    def last_lines(self) -> list[str]:
        """The last lines its latest start wrote, JSON log lines shown as `level logger: msg` plus the error."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_start)
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [shown(line)[:LINE_CHARS] for line in text.splitlines() if line.strip()][-TAIL_LINES:]


def shown(line: str) -> str:
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    if not isinstance(entry, dict) or "msg" not in entry:
        return line
    text = f"{entry.get('level', '')} {entry.get('logger', '')}: {entry['msg']}"
    if entry.get("exc"):
        text += " | " + error_of(str(entry["exc"]))
    return text


def error_of(traceback: str) -> str:
    """The error a traceback ends with, all its lines (a ValidationError names its fields on the next ones)."""
    lines = traceback.strip().splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    rest = lines[frames[-1] + 1 :] if frames else lines
    while rest and rest[0].startswith("    "):  # the frame's source line and its ^^^ markers
        rest = rest[1:]
    return " | ".join(line.strip() for line in rest if line.strip())


def demo_key(settings: RunSettings) -> str:
    if settings.demo_api_key:
        return settings.demo_api_key
    path = settings.data_dir / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    write_private(path, key + "\n")
    return key


def recent_exits(exits: list[float], now: float, window: float) -> int:
    """How many of the exits fall within the last `window` seconds before `now`."""
    return sum(1 for at in exits if now - at <= window)


def restart_delay(recent: int) -> float:
    """1 s after a first exit, then twice as long each time, at most 30 s."""
    return float(min(30, 2 ** max(0, recent - 1)))
