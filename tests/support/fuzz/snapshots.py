"""What a peer owns, read before and after fuzzing: another organisation's requests must change none of it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.fuzz.organisations import Peer


def snapshot(peer: Peer, goals_url: str, notifications_url: str) -> dict[str, Any]:
    """What a peer owns, as its own key reads it: another organisation's requests must change none of it."""
    state: dict[str, Any] = {}
    with httpx.Client(headers=peer.auth, timeout=30) as client:
        for goal_id in peer.ids["goals"]:
            goal = client.get(f"{goals_url}/v1/goals/{goal_id}").json()
            state[goal_id] = (goal["version"], goal["archived"], goal["definition"])
        for ladder_id in peer.ids["ladders"]:
            state[ladder_id] = client.get(f"{goals_url}/v1/ladders/{ladder_id}").json()["version"]
        subscriptions = client.get(f"{notifications_url}/v1/subscriptions", params={"limit": 1000}).json()
        deliveries = client.get(f"{notifications_url}/v1/deliveries", params={"limit": 1000}).json()
    state["subscriptions"] = sorted((s["id"], s["status"], s["secret_rotated_at"]) for s in subscriptions)
    # Settled deliveries only: a pending one settles on its own. One retried (by anyone) leaves this set.
    state["deliveries"] = {(d["id"], d["status"], d["attempts"]) for d in deliveries if d["status"] != "pending"}
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What differs between two snapshots, but for deliveries that settled in between."""
    found = {k: (v, after.get(k)) for k, v in before.items() if k != "deliveries" and after.get(k) != v}
    if not before["deliveries"] <= after["deliveries"]:
        found["deliveries"] = (before["deliveries"] - after["deliveries"], after["deliveries"] - before["deliveries"])
    return found
