"""What `goalstream run` decides before and while it runs: taken ports, restarts, what a failing log says."""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path

import pytest
from rich.console import Console

from goalstream_cli.run import stopping
from goalstream_cli.run.children import Child, recent_exits, restart_delay
from goalstream_cli.run.preflight import port_problems
from goalstream_cli.run.settings import RunSettings
from goalstream_runtime.infra import Infrastructure


def test_a_taken_port_is_named_with_its_service_and_variable() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert port_problems("127.0.0.1", {"goals": port}) == [
            f"port {port} (goals) is in use: stop what holds it or set GOALSTREAM_GOALS_PORT"
        ]
    assert port_problems("127.0.0.1", {"goals": port}) == []
    assert port_problems("127.0.0.1", {"goals": port, "tracking": port}) == [
        f"port {port} is set for both goals and tracking: set GOALSTREAM_TRACKING_PORT to another port"
    ]


def test_exits_are_counted_in_a_sliding_window_and_restarts_back_off() -> None:
    assert recent_exits([0.0, 11.0, 70.5], now=70.5, window=60.0) == 2
    assert [restart_delay(n) for n in (1, 2, 3, 6, 9)] == [1.0, 2.0, 4.0, 30.0, 30.0]


def test_the_last_lines_are_those_of_the_latest_start_json_lines_made_readable(tmp_path: Path) -> None:
    log = tmp_path / "goals.log"
    log.write_text("an earlier start's line\n")
    child = Child("goals", "goalstream_goals", 1, log, {})
    child.log_start = log.stat().st_size
    error = {"level": "error", "logger": "uvicorn.error", "msg": "[Errno 98] address already in use"}
    exc = (
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n    go()\n    ^^^^\n'
        "ValueError: 1 error\nport\n  too low"
    )
    crash = {"level": "critical", "logger": "x", "msg": "boom", "exc": exc}
    with log.open("a") as f:
        f.write("plain text\n" + json.dumps(error) + "\n" + json.dumps(crash) + "\n")
    assert child.last_lines() == [
        "plain text",
        "error uvicorn.error: [Errno 98] address already in use",
        "critical x: boom | ValueError: 1 error | port | too low",
    ]


class _Servers(Infrastructure):
    """Stands for the embedded servers: records that it was stopped."""

    def __init__(self, stopped: list[str]) -> None:
        super().__init__(RunSettings(database_url="postgresql://u:secret@db.example.com/goalstream"))
        self.database_url, self.kafka_bootstrap, self.stopped = self.settings.database_url or "", "k:9092", stopped

    def stop(self) -> None:
        self.stopped.append("servers")


class _SlowToStop(Child):
    """A service during whose stopping Ctrl-C is pressed again."""

    def __init__(self, name: str, stopped: list[str]) -> None:
        super().__init__(name, "", 1, Path(), {})
        self.stopped = stopped

    def stop(self, timeout: float = 15.0) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        self.stopped.append(self.name)


def test_a_second_ctrl_c_while_stopping_cuts_nothing_short(tmp_path: Path) -> None:
    stopped: list[str] = []
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        stopping.arm()
        with pytest.raises(stopping.Stop):
            os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C stops the run
        stopping.arm()  # a run that failed on its own still has them armed when it stops
        children = [_SlowToStop("goals", stopped), _SlowToStop("tracking", stopped)]
        stopping.clean_up(children, tmp_path / "addresses.json", _Servers(stopped))
        os.kill(os.getpid(), signal.SIGTERM)  # ignored too: the process is ending
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    assert stopped == ["goals", "tracking", "servers"]


def test_a_configured_database_url_is_shown_without_its_password() -> None:
    console = Console(record=True, width=200)
    stopping.announce_servers(console, _Servers([]))
    shown = console.export_text()
    assert "postgresql://u:***@db.example.com/goalstream" in shown and "secret" not in shown
