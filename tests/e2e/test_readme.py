"""The README's tour runs as printed, in order, against a real platform: so the README cannot rot.

Every ```sh block of README.md (```bash blocks are illustrations: `make run` itself, settings) is joined in order
into one bash script with `set -euo pipefail` and run with the services' addresses and a new organisation's key in
the variables the tour's first block reads (as a reader's `make run` would give them). The tour's own `api` helper
fails on any error answer and its `shows` helper waits for the read side, so a block that no longer matches the
API stops the script, naming the answer. Only the webhook listener's port is changed (to a free one): 9000 may be
taken on the machine running the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from goalstream_runtime.embedded.ports import free_port
from tests.e2e.conftest import Platform

README = Path(__file__).resolve().parents[2] / "README.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def tour_blocks(text: str) -> list[str]:
    return SH_BLOCK.findall(text)


def run_tour(script: str, platform: Platform, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # the goalstream command
        "GOALS": platform.goals.url,
        "TRACKING": platform.tracking.url,
        "NOTIFICATIONS": platform.notifications.url,
        "GOALSTREAM_KEY": platform.api_key,
        "GOALSTREAM_API_URL": platform.goals.url,
        "GOALSTREAM_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
        "GOALSTREAM_CONSUMER_GROUP_PREFIX": platform.group_prefix,
    }
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_the_readme_tour_runs_as_printed(platform: Platform, tmp_path: Path) -> None:
    blocks = tour_blocks(README.read_text())
    assert len(blocks) >= 8, "the tour's sh blocks: setup, hard, plan, cascade, anti-goal, ladder, check-in, webhook"
    port = str(free_port())
    script = "\n".join(blocks).replace("127.0.0.1:9000/", f"127.0.0.1:{port}/").replace("--port 9000", f"--port {port}")
    assert script.count(port) >= 2, "the tour's subscription and listener name port 9000 as the test expects"
    done = run_tour(script, platform, tmp_path)
    assert done.returncode == 0, f"the tour stopped ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "GoalAchieved" in done.stdout and "signature ok" in done.stdout, done.stdout[-2000:]


def test_a_tour_block_that_no_longer_matches_the_api_stops_the_tour(platform: Platform, tmp_path: Path) -> None:
    """The check above can fail: the same tour with one field renamed stops at that block, naming the field."""
    text = README.read_text().replace('"target": 100,', '"goal_target": 100,', 1)
    done = run_tour("\n".join(tour_blocks(text)), platform, tmp_path)
    assert done.returncode != 0 and "goal_target" in done.stdout + done.stderr, done.stdout[-2000:]
