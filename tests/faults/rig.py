"""The fault suite's rig: the platform, the receiver, and the goals and subscriptions the load moves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.faults.checks import CleanRebuild
from tests.faults.load import ALERT_TYPES, Workload
from tests.faults.platform import FaultPlatform
from tests.faults.receiver import ThreadedReceiver

HARD_GOALS, ANTI_GOALS = 4, 2


@dataclass
class Rig:
    platform: FaultPlatform
    workload: Workload
    receiver: ThreadedReceiver
    standing: list[str]  # subscriptions that live through every fault: each alert must reach them
    probe_goal: str  # a goal of its own whose value shows when a new measurement is through again
    probe_metric: str
    rebuild: CleanRebuild = field(default_factory=CleanRebuild)


def _goal(platform: FaultPlatform, body: dict[str, object]) -> str:
    response = platform.post("goals", "/v1/goals", body)
    assert response.status_code == 201, response.text
    goal_id: str = response.json()["id"]
    return goal_id


def set_up(platform: FaultPlatform, receiver: ThreadedReceiver) -> Rig:
    """A parent with hard children, two anti-goals, the probe goal and two standing subscriptions."""
    platform.wait_until_known("tracking")
    platform.wait_until_known("notifications")
    now = datetime.now(UTC)
    span = {"start_at": (now - timedelta(days=1)).isoformat(), "deadline": (now + timedelta(days=30)).isoformat()}
    run = uuid.uuid4().hex[:6]
    parent = _goal(platform, {"title": "Quarter", "target": 1, **span})
    hard = tuple(f"faults.{run}.hard{i}" for i in range(HARD_GOALS))
    anti = tuple(f"faults.{run}.anti{i}" for i in range(ANTI_GOALS))
    for metric in hard:
        body = {"title": metric, "parent_id": parent, "metric": {"key": metric, "aggregation": "sum"}, "target": 1e7}
        _goal(platform, body | span)
    for metric in anti:
        _goal(
            platform,
            {"kind": "anti", "title": metric, "metric": {"key": metric}, "comparator": "above", "threshold": 10},
        )
    probe_metric = f"faults.{run}.probe"
    probe = _goal(platform, {"title": "probe", "metric": {"key": probe_metric}, "target": 1e9, **span})
    standing = []
    for _ in range(2):
        body = {"channel": "webhook", "target": receiver.url, "event_types": ALERT_TYPES}
        created = platform.post("notifications", "/v1/subscriptions", body)
        assert created.status_code == 201, created.text
        standing.append(created.json()["id"])
    return Rig(platform, Workload(hard, anti), receiver, standing, probe, probe_metric)
