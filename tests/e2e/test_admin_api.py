"""The admin API across the platform: an operator creates an organisation whose key every service accepts;
a revoked key stops working in goals on the very next request, and in tracking and notifications as
soon as they consume ApiKeyRevoked from the identity topic (reported, see docs/decisions.md)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import Platform
from tests.support.cli import goalstream

pytestmark = pytest.mark.e2e

PROPAGATION_TIMEOUT = 30.0  # seconds: a bound to fail on, not a promise (it is typically well under a second)


def _statuses(platform: Platform, key: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {key}"}
    paths = {
        "goals": f"{platform.goals.url}/v1/goals/no-such-goal",
        "tracking": f"{platform.tracking.url}/v1/anti-goals",
        "notifications": f"{platform.notifications.url}/v1/subscriptions",
    }
    return {name: httpx.get(url, headers=headers, timeout=30).status_code for name, url in paths.items()}


def _until(platform: Platform, key: str, wanted: dict[str, int]) -> float:
    started = time.monotonic()
    while (seen := _statuses(platform, key)) != wanted:
        assert time.monotonic() - started < PROPAGATION_TIMEOUT, f"wanted {wanted}, still {seen}"
        time.sleep(0.1)
    return time.monotonic() - started


def test_an_operator_creates_an_organisation_and_a_revoked_key_stops_everywhere(platform: Platform) -> None:
    issued = goalstream(
        "admin", "operator", "issue", "--label", "e2e", env={"GOALSTREAM_DATABASE_URL": platform.database_url}
    )
    assert issued.returncode == 0, issued.stdout + issued.stderr
    operator = {"Authorization": f"Bearer {next(w for w in issued.stdout.split() if w.startswith('gso_'))}"}
    org_id = f"org-admin-{uuid.uuid4().hex[:8]}"

    created = httpx.post(
        f"{platform.goals.url}/v1/admin/organisations", headers=operator, json={"org_id": org_id, "name": "E2E"}
    )
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"]["key"], created.json()["key"]["key_id"]
    _until(platform, key, {"goals": 404, "tracking": 200, "notifications": 200})
    assert _statuses(platform, platform.api_key)["goals"] == 404  # the other organisation is unaffected

    revoked = httpx.delete(f"{platform.goals.url}/v1/admin/keys/{key_id}", headers=operator)
    assert revoked.status_code == 204, revoked.text
    assert _statuses(platform, key)["goals"] == 401  # at once: the same database
    took = _until(platform, key, {"goals": 401, "tracking": 401, "notifications": 401})
    print(f"revocation reached tracking and notifications in {took:.2f}s")
    assert _statuses(platform, platform.api_key) == {"goals": 404, "tracking": 200, "notifications": 200}
