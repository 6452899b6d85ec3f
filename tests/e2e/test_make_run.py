"""`goalstream run` (what `make run` calls): healthy services, the printed curl example works as
printed, and Ctrl-C leaves no process behind. It starts its own embedded pair in a fresh data
directory (or uses the configured servers, as users would)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from goalstream_runtime.embedded.ports import free_port

pytestmark = pytest.mark.e2e
BANNER_END = "Try it (a goal, a measurement, its progress):"


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            lines.append(line.rstrip("\n"))
            if marker in line:
                return lines
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.05)
    raise AssertionError(f"no {marker!r} within {timeout}s; output:\n" + "\n".join(lines))


def _json_documents(text: str) -> list[dict[str, object]]:
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        document, end = decoder.raw_decode(text, at)
        found.append(document)
        at = end + len(text[end:]) - len(text[end:].lstrip())
    return found


def test_run_serves_prints_a_working_example_and_stops_everything(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GOALSTREAM_DATA_DIR": str(tmp_path / "data"),
        "GOALSTREAM_GOALS_PORT": str(free_port()),
        "GOALSTREAM_TRACKING_PORT": str(free_port()),
        "GOALSTREAM_NOTIFICATIONS_PORT": str(free_port()),
        "COLUMNS": "80",
    }
    env.pop("GOALSTREAM_DEMO_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "goalstream_cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    descendants: list[psutil.Process] = []
    try:
        started = time.monotonic()
        _read_until(process, BANNER_END, 90)
        assert time.monotonic() - started < 90
        descendants = psutil.Process(process.pid).children(recursive=True)
        example = "\n".join(_read_until(process, "/progress", 10)).strip()
        assert "export GOALSTREAM_KEY=gs_" in example

        ran = subprocess.run(["bash", "-euo", "pipefail", "-c", example], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr + ran.stdout
        progress = _json_documents(ran.stdout)[-1]  # curl prints the bodies back to back
        assert progress["current_value"] == 40
        assert progress["progress"] == pytest.approx(0.4)
        assert (tmp_path / "data" / "demo-api-key").read_text().strip() in example
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    assert process.returncode == 0
    time.sleep(0.5)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert descendants, "the supervisor started no processes?"
    assert left == [], f"left running: {[(p.pid, p.name()) for p in left]}"
