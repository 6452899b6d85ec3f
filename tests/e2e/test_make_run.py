"""`goalstream run` (what `make run` calls), run as a user runs it, in a working directory of its own.

One platform serves every check here: the printed curl example works as printed; a second `make run` on the same
ports stops at once, naming the port, and leaves the first alone; commands given no flag and no variable
find the platform through `.goalstream/addresses.json`; a run whose services keep exiting stops with the
last lines of their log; and Ctrl-C leaves no process and no addresses file behind. The run starts its own
embedded pair in a fresh data directory (or uses the configured servers, as users would).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from goalstream_runtime.embedded.ports import free_port

pytestmark = pytest.mark.e2e
BANNER_END = "Try it (a goal, a measurement, its progress):"
CLI = [sys.executable, "-m", "goalstream_cli"]
REPO = Path(__file__).resolve().parents[2]  # where the Makefile is


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


def _without_platform_variables() -> dict[str, str]:
    """The environment of a new shell: none of the platform's addresses, so only the addresses file can tell."""
    names = ("DATA_DIR", "KAFKA_BOOTSTRAP", "DATABASE_URL", "API_URL", "GOALS_PORT", "KEY", "DEMO_API_KEY")
    return {k: v for k, v in os.environ.items() if k not in {f"GOALSTREAM_{n}" for n in names}}


@dataclass
class Run:
    process: subprocess.Popen[str]
    home: Path  # its working directory; its data directory is the default .goalstream in it
    env: dict[str, str]
    banner: list[str]

    @property
    def addresses(self) -> Path:
        return self.home / ".goalstream" / "addresses.json"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    home = tmp_path_factory.mktemp("make-run")
    env = {
        **_without_platform_variables(),
        **{k: v for k, v in os.environ.items() if k in ("GOALSTREAM_DATABASE_URL", "GOALSTREAM_KAFKA_BOOTSTRAP")},
        "GOALSTREAM_GOALS_PORT": str(free_port()),
        "GOALSTREAM_TRACKING_PORT": str(free_port()),
        "GOALSTREAM_NOTIFICATIONS_PORT": str(free_port()),
        "COLUMNS": "80",
    }
    process = subprocess.Popen(
        [*CLI, "run"], cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    descendants: list[psutil.Process] = []
    try:
        banner = _read_until(process, BANNER_END, 90)
        descendants = psutil.Process(process.pid).children(recursive=True)
        yield Run(process, home, env, banner)
    finally:
        process.send_signal(signal.SIGINT)
        if descendants:  # it got as far as running: Ctrl-C again, and a SIGTERM, while its services stop
            _read_until(process, "stopping...", 30)
            process.send_signal(signal.SIGINT)
            process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert process.returncode == 0
    time.sleep(0.5)
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert descendants, "the supervisor started no processes?"
    assert left == [], f"left running: {[(p.pid, p.name()) for p in left]}"
    assert not (home / ".goalstream" / "addresses.json").exists()


def test_the_banner_names_the_dashboard_the_docs_and_the_apis(run: Run) -> None:
    text = "\n".join(run.banner)
    goals, tracking = (f"http://127.0.0.1:{run.env[f'GOALSTREAM_{s}_PORT']}" for s in ("GOALS", "TRACKING"))
    assert f"dashboard      {tracking}/" in text
    assert f"{goals}/docs" in text and f"{tracking}/docs" in text
    assert "demo: webhooks may go to this machine" in text  # said in the open, before the example
    assert httpx.get(f"{tracking}/", timeout=10).status_code == 200


def test_the_printed_example_works_as_printed(run: Run) -> None:
    example = "\n".join(_read_until(run.process, "/progress", 10)).strip()
    assert "export GOALSTREAM_KEY=gs_" in example
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", example], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr + ran.stdout
    progress = _json_documents(ran.stdout)[-1]  # curl prints the bodies back to back
    assert progress["current_value"] == 40
    assert progress["progress"] == pytest.approx(0.4)
    assert (run.home / ".goalstream" / "demo-api-key").read_text().strip() in example


def test_a_second_make_run_on_the_same_ports_stops_at_once_naming_the_port(run: Run) -> None:
    """`make run` itself, as a user types it again in another terminal (on the first run's data directory)."""
    env = {**run.env, "GOALSTREAM_DATA_DIR": str(run.home / ".goalstream")}
    second = subprocess.Popen(
        ["make", "-s", "--no-print-directory", "-C", str(REPO), "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started: dict[int, psutil.Process] = {}  # every process it starts, seen while it runs
    deadline = time.monotonic() + 60
    while second.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            started.update((p.pid, p) for p in psutil.Process(second.pid).children(recursive=True))
        time.sleep(0.02)
    stdout, stderr = second.communicate(timeout=10)
    port = run.env["GOALSTREAM_GOALS_PORT"]
    assert second.returncode != 0, stdout + stderr
    assert f"port {port} (goals) is in use: stop what holds it or set GOALSTREAM_GOALS_PORT" in stderr
    assert "goalstream is running" not in stdout
    assert "PostgreSQL" not in stdout and "Kafka" not in stdout, stdout  # stopped before starting anything
    left = [p for p in started.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"left running: {[(p.pid, p.name()) for p in left]}"
    goals = json.loads(run.addresses.read_text())["goals_url"]
    assert httpx.get(f"{goals}/ready", timeout=10).status_code == 200  # the first run is untouched


def test_commands_with_no_flag_and_no_variable_find_the_platform_through_the_addresses_file(run: Run) -> None:
    shell = _without_platform_variables()
    lag = subprocess.run([*CLI, "lag"], cwd=run.home, env=shell, capture_output=True, text=True, timeout=60)
    assert lag.returncode == 0, lag.stdout + lag.stderr
    assert "goalstream-tracking" in lag.stdout
    rows = run.home / "leads.csv"
    rows.write_text("metric,value,observed_at\ncrm.leads.qualified,2,2026-01-02T00:00:00Z\n")
    imported = subprocess.run(
        [*CLI, "import", str(rows)], cwd=run.home, env=shell, capture_output=True, text=True, timeout=60
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr  # the file's goals URL and demo key


def test_a_service_that_keeps_exiting_stops_the_run_with_the_last_lines_of_its_log(run: Run, tmp_path: Path) -> None:
    """A second platform's services on the first one's servers, each refusing its settings at every start."""
    recorded = json.loads(run.addresses.read_text())
    env = {
        **_without_platform_variables(),
        "GOALSTREAM_DATABASE_URL": recorded["database_url"],
        "GOALSTREAM_KAFKA_BOOTSTRAP": recorded["kafka_bootstrap"],
        "GOALSTREAM_GOALS_PORT": str(free_port()),
        "GOALSTREAM_TRACKING_PORT": str(free_port()),
        "GOALSTREAM_NOTIFICATIONS_PORT": str(free_port()),
        "GOALSTREAM_DB_POOL_MAX": "1",  # below its minimum of 2: every service exits as it starts
        "GOALSTREAM_RUN_CRASH_LIMIT": "2",  # the second exit stops the run (each start costs seconds)
    }
    failing = subprocess.run([*CLI, "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=80)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "exited (1); restarting in 1s" in output  # the first exit is restarted, and said
    assert "exited 2 times within 60s" in failing.stderr, output
    assert "db_pool_max" in failing.stderr.split("exited 2 times", 1)[1], output  # the cause, from its log
    assert "goalstream is running" not in output
    assert not (tmp_path / ".goalstream" / "addresses.json").exists()
