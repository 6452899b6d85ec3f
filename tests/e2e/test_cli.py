"""The `goalstream` command against the real services: import, tail, lag and admin."""

from __future__ import annotations

import asyncio
import csv
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.cli import goalstream
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
T = TypeVar("T")
ROWS = 100_000


def create_goal(platform: Platform, metric: str) -> str:
    response = httpx.post(
        f"{platform.goals.url}/v1/goals",
        headers=platform.auth,
        json={
            "title": f"imported {metric}",
            "metric": {"key": metric, "aggregation": "sum"},
            "target": 10_000_000,
            "start_at": (NOW - timedelta(days=30)).isoformat(),
            "deadline": (NOW + timedelta(days=30)).isoformat(),
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    goal_id: str = response.json()["id"]
    return goal_id


def current_value(platform: Platform, goal_id: str) -> float:
    response = httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=platform.auth, timeout=30)
    assert response.status_code == 200, response.text
    value: float = response.json()["current_value"]
    return value


def write_export(path: Path, metric: str) -> tuple[int, float, dict[int, str]]:
    """ROWS data rows, 50 of them invalid at known lines; returns (valid rows, the sum of `metric`'s, {line: reason}).

    Like a CRM export, most rows are other metrics that no goal follows (accepted, applied to no goal);
    one row in 20 is `metric`, which the test's goal sums. (The goals service applies measurements that
    reach a goal at a few hundred per second, so 100,000 of them on one goal would not fit in the time.)
    """
    bad_kinds = [
        ("abc", "2026", "is not a number"),
        ("NaN", "2026", "not a finite number"),
        ("5", "no-tz", "has no timezone"),
        ("", "2026", "missing value"),
    ]
    valid, total, invalid = 0, 0.0, {}
    base = NOW - timedelta(days=10)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["metric", "value", "observed_at", "source"])
        for i in range(ROWS):
            line = i + 2
            when = base + timedelta(seconds=i)
            if i % 2000 == 1999:
                value, kind, reason = bad_kinds[(i // 2000) % len(bad_kinds)]
                stamp = when.replace(tzinfo=None).isoformat() if kind == "no-tz" else when.isoformat()
                out.writerow([metric, value, stamp, "crm"])
                invalid[line] = reason
            else:
                value_int, ours = i % 7 + 1, i % 20 == 0
                out.writerow([metric if ours else f"{metric}.other{i % 3}", value_int, when.isoformat(), "crm"])
                valid, total = valid + 1, total + value_int * ours
    return valid, total, invalid


def summary_count(output: str, name: str) -> int:
    for line in output.splitlines():
        cells = [c.strip() for c in line.replace("│", "|").split("|") if c.strip()]
        if len(cells) == 2 and cells[0] == name:
            return int(cells[1])
    raise AssertionError(f"no {name!r} row in the summary:\n{output}")


def test_import_lands_every_valid_row_once(platform: Platform, tmp_path: Path) -> None:
    metric = f"crm.import.{uuid.uuid4().hex[:8]}"
    goal_id = create_goal(platform, metric)
    export = tmp_path / "export.csv"
    valid, expected_sum, invalid = write_export(export, metric)
    assert len(invalid) == 50
    args = ["import", str(export), "--api", platform.goals.url, "--key", platform.api_key, "--batch", "10000"]

    started = time.monotonic()
    errors = tmp_path / "errors.csv"
    first = goalstream(*args, "--errors", str(errors))
    took = time.monotonic() - started
    output = first.stdout + first.stderr
    assert first.returncode == 1, output  # invalid rows make the exit status 1
    assert "importing export.csv" in first.stderr and f"{ROWS}/{ROWS}" in first.stderr  # the progress bar
    assert summary_count(output, "read") == ROWS
    assert summary_count(output, "accepted") == valid
    assert summary_count(output, "duplicate") == 0
    assert summary_count(output, "rejected (server)") == 0
    assert summary_count(output, "invalid (local)") == len(invalid)
    first_line = min(invalid)
    assert f"line {first_line}: invalid:" in first.stdout and invalid[first_line] in first.stdout
    with errors.open(newline="") as f:
        listed = {int(r["line"]): r["reason"] for r in csv.DictReader(f)}
    assert listed.keys() == invalid.keys()
    assert all(invalid[line] in reason for line, reason in listed.items())
    assert current_value(platform, goal_id) == pytest.approx(expected_sum)
    print(f"first import of {ROWS} rows took {took:.1f}s")

    again = goalstream(*args)
    output = again.stdout + again.stderr
    assert again.returncode == 1, output
    assert summary_count(output, "accepted") == 0
    assert summary_count(output, "duplicate") == valid
    assert summary_count(output, "invalid (local)") == len(invalid)
    assert current_value(platform, goal_id) == pytest.approx(expected_sum)


def test_import_of_a_clean_jsonl_file_exits_0(platform: Platform, tmp_path: Path) -> None:
    metric = f"crm.jsonl.{uuid.uuid4().hex[:8]}"
    goal_id = create_goal(platform, metric)
    export = tmp_path / "export.jsonl"
    stamp = (NOW - timedelta(hours=1)).isoformat()
    export.write_text("".join(f'{{"metric": "{metric}", "value": {v}, "observed_at": "{stamp}"}}\n' for v in (1, 2, 4)))
    result = goalstream("import", str(export), "--api", platform.goals.url, "--key", platform.api_key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary_count(result.stdout, "accepted") == 3
    assert current_value(platform, goal_id) == 7


def test_tail_prints_the_organisations_events(platform: Platform) -> None:
    goal_id = create_goal(platform, f"crm.tail.{uuid.uuid4().hex[:8]}")
    create_goal(platform, f"crm.tail.{uuid.uuid4().hex[:8]}")
    args = ["tail", "--bootstrap", platform.kafka_bootstrap, "--from-beginning", "--org", platform.org_id]
    result = goalstream(*args, "--goal", goal_id, "--limit", "1", timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    assert f" GoalSet org={platform.org_id} subject={goal_id} " in lines[0], lines[0]

    result = goalstream(*args, "--type", "GoalSet", "--limit", "2", timeout=60)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0 and len(lines) == 2, result.stdout + result.stderr
    assert all(f" GoalSet org={platform.org_id} " in line for line in lines), lines


def test_lag_prints_the_services_groups(platform: Platform) -> None:
    prefix = "e2e-" + platform.org_id.removeprefix("org-")  # how tests/e2e/conftest.py names both
    env = {"GOALSTREAM_KAFKA_BOOTSTRAP": platform.kafka_bootstrap, "GOALSTREAM_CONSUMER_GROUP_PREFIX": prefix}
    result = goalstream("lag", env=env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    for group in (f"{prefix}-tracking", f"{prefix}-notifications", f"{prefix}-goals-measurements"):
        assert group in result.stdout, result.stdout
    assert "goalstream.goals.events.v1" in result.stdout and "goalstream.measurements.v1" in result.stdout

    result = goalstream("lag", "--group", "nobody-reads-this", env=env, timeout=60)
    assert result.returncode == 0 and "nobody-reads-this" in result.stdout, result.stdout + result.stderr
    assert f"{prefix}-tracking" not in result.stdout


def new_key(output: str) -> str:
    return next(word for line in output.splitlines() for word in line.split() if word.startswith("gs_"))


def test_admin_creates_an_organisation_whose_key_works(platform: Platform) -> None:
    env = {"GOALSTREAM_DATABASE_URL": platform.database_url}
    org_id = f"org-cli-{uuid.uuid4().hex[:8]}"
    created = goalstream("admin", "org", "create", org_id, "--name", "CLI test", env=env, timeout=60)
    assert created.returncode == 0, created.stdout + created.stderr
    key = new_key(created.stdout)
    headers = {"Authorization": f"Bearer {key}"}
    goal = httpx.post(
        f"{platform.goals.url}/v1/goals",
        headers=headers,
        json={
            "title": "t",
            "metric": {"key": "m", "aggregation": "sum"},
            "target": 1,
            "deadline": "2030-01-01T00:00:00Z",
        },
        timeout=30,
    )
    assert goal.status_code == 201, goal.text
    goal_id = goal.json()["id"]
    # the other services learn the key from the identity topic
    progress = f"{platform.tracking.url}/v1/goals/{goal_id}/progress"
    deadline = time.monotonic() + 30
    while httpx.get(progress, headers=headers, timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "tracking never accepted the new key"
        time.sleep(0.5)

    issued = goalstream("admin", "key", "issue", org_id, "--scopes", "read", env=env, timeout=60)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    reader = {"Authorization": f"Bearer {new_key(issued.stdout)}"}
    assert httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=reader, timeout=30).status_code == 200
    write = httpx.post(f"{platform.goals.url}/v1/goals", headers=reader, json={}, timeout=30)
    assert write.status_code == 403, write.text
    key_id = issued.stdout.split()[1]

    listed = goalstream("admin", "key", "list", org_id, env=env, timeout=60)
    assert listed.returncode == 0 and key_id in listed.stdout, listed.stdout + listed.stderr
    revoked = goalstream("admin", "key", "revoke", key_id, env=env, timeout=60)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert httpx.get(f"{platform.goals.url}/v1/goals/{goal_id}", headers=reader, timeout=30).status_code == 401
    assert goalstream("admin", "key", "revoke", key_id, env=env, timeout=60).returncode == 1
    assert goalstream("admin", "key", "issue", "org-nobody", env=env, timeout=60).returncode == 1


def test_tracking_rebuild_switches_to_a_fresh_generation_with_the_same_answers(platform: Platform) -> None:
    goal_id = create_goal(platform, f"rebuild.{uuid.uuid4().hex[:6]}")

    def progress() -> dict[str, object] | None:
        response = httpx.get(f"{platform.tracking.url}/v1/goals/{goal_id}/progress", headers=platform.auth)
        if response.status_code != 200 or response.json()["status"] is None:
            return None  # not yet applied, or its first status not yet
        return {k: v for k, v in response.json().items() if k not in ("as_of", "expected_progress")}

    before = asyncio.run(eventually(_async_of(progress), 60, "the goal and its first status in tracking"))
    env = {"GOALSTREAM_DATABASE_URL": platform.database_url, "GOALSTREAM_KAFKA_BOOTSTRAP": platform.kafka_bootstrap}
    result = goalstream("tracking", "rebuild", env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilding read models" in result.stderr and "live generation is now tracking_rm_" in result.stderr
    assert progress() == before


def _async_of(probe: Callable[[], T | None]) -> Callable[[], Awaitable[T | None]]:
    async def run() -> T | None:
        return probe()

    return run
