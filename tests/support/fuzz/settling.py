"""Waiting until every service knows what a peer was given, so that fuzzing never races eventual consistency.

A new key, goals and subscriptions reach tracking and notifications through the broker; deliveries to a
webhook that never answers keep changing until they have failed for good. Each wait here polls until
that has happened, or fails naming what did not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Call `probe` until it returns something other than None (or False), and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None and last is not False:
            return last
        time.sleep(0.2)
    raise AssertionError(f"not settled after {timeout:.0f}s: {what} (last: {last!r})")


def wait_for_key(client: httpx.Client, notifications_url: str, tracking_url: str) -> None:
    """Other services learn a new key from the identity topic."""
    wait_for(lambda: client.get(f"{notifications_url}/v1/subscriptions").status_code == 200, "key")
    wait_for(lambda: client.get(f"{tracking_url}/v1/tree").status_code == 200, "key at tracking")


def wait_for_tracking(client: httpx.Client, tracking_url: str, root: str, anti: str, ladder_id: str) -> None:
    """Tracking has the goal tree under `root`, the ladder, and the anti-goal breached by its measurement."""

    def applied() -> bool:
        progress = client.get(f"{tracking_url}/v1/goals/{anti}/progress")
        ladder = client.get(f"{tracking_url}/v1/ladders/{ladder_id}/progress")
        tree = client.get(f"{tracking_url}/v1/tree", params={"root": root})
        return progress.status_code == ladder.status_code == tree.status_code == 200 and bool(
            progress.json().get("breached")
        )

    wait_for(applied, "tracking applied the seeded goals")


def settled_deliveries(client: httpx.Client, notifications_url: str, subscription_id: str) -> list[dict[str, Any]]:
    """Every delivery, once those to the (unanswered) webhook exist and all have failed for good."""

    def settled() -> list[dict[str, Any]] | None:
        response = client.get(f"{notifications_url}/v1/deliveries", params={"limit": 1000})
        found: list[dict[str, Any]] = response.json() if response.status_code == 200 else []
        mine = [d for d in found if d["subscription_id"] == subscription_id]
        if not mine or any(d["status"] == "pending" for d in found):
            return None
        return found

    deliveries: list[dict[str, Any]] = wait_for(settled, "deliveries to the unanswered webhook, every one settled")
    return deliveries
