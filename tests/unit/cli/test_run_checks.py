"""What `goalstream run` decides before and while it runs: taken ports, restarts, what a failing log says."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from goalstream_cli.run.children import Child, recent_exits, restart_delay
from goalstream_cli.run.preflight import port_problems


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
