"""Seeding a peer with real resources through the APIs, so that fuzzed requests name things that exist.

Goals of every kind, a ladder, a plan, measurements, subscriptions and deliveries, each id recorded on
the `Peer`, and nothing returned until every service knows them: a fuzzed request must not race the
services' own eventual consistency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.fuzz.organisations import Peer
from tests.support.fuzz.settling import settled_deliveries, wait_for, wait_for_key, wait_for_tracking


@dataclass
class Seeder:
    """Creates a peer's resources through the real APIs and waits until every service knows them."""

    goals_url: str
    tracking_url: str
    notifications_url: str
    peer: Peer
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def _client(self) -> httpx.Client:
        return httpx.Client(headers=self.peer.auth, timeout=30)

    def _post(self, client: httpx.Client, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = client.post(url, json=body)
        assert response.status_code == status, f"POST {url} {body}: {response.status_code} {response.text}"
        created: dict[str, Any] = response.json()
        return created

    def _time(self, days: float) -> str:
        return (self.now + timedelta(days=days)).isoformat()

    def seed(self) -> Peer:
        p, m = self.peer, self.peer.marker
        with self._client() as client:
            wait_for_key(client, self.notifications_url, self.tracking_url)
            # Subscribed first, so that the goals' events below become deliveries (that fail: nothing listens).
            everything = self._subscribe(client, {"channel": "webhook", "target": "http://127.0.0.1:9/hook"})
            metric = {"aggregation": "sum"}
            root = self._goal(
                client,
                {"title": f"{m} root", "level": "organisation", "rollup": "sum", "target": 100},
            )
            child = self._goal(
                client,
                {
                    "title": f"{m} cascade child",
                    "level": "department",
                    "parent_id": root,
                    "weight": 2,
                    "metric": {"key": f"{m}.leads", **metric},
                    "target": 50,
                },
            )
            anti = self._goal(
                client,
                {
                    "title": f"{m} anti",
                    "kind": "anti",
                    "level": "team",
                    "metric": {"key": f"{m}.churn", "aggregation": "latest"},
                    "comparator": "above",
                    "threshold": 0.5,
                    "severity": "critical",
                    "guards": child,
                },
            )
            self._post(client, f"{self.goals_url}/v1/goals/{root}/plan", {"milestones": 4})
            ladder = self._post(
                client,
                f"{self.goals_url}/v1/ladders",
                {
                    "title": f"{m} ladder",
                    "rungs": [
                        {
                            "title": f"{m} rung {i}",
                            "metric": {"key": f"{m}.posts", **metric},
                            "target": 10 * i,
                            "deadline": self._time(30 * i),
                        }
                        for i in (1, 2)
                    ],
                },
            )
            p.add("ladders", ladder["id"])
            p.add("goals", *(r["goal_id"] for r in ladder["rungs"]))
            measurements = [
                {"id": f"{m}-m{i}", "metric": f"{m}.{key}", "value": value, "observed_at": self._time(-1)}
                for i, (key, value) in enumerate((("leads", 20), ("churn", 0.9), ("posts", 4)))
            ]
            self._post(client, f"{self.goals_url}/v1/measurements", {"measurements": measurements}, 202)
            p.add("measurements", *(str(item["id"]) for item in measurements))
            for goal_id in p.ids["goals"]:
                events = client.get(f"{self.goals_url}/v1/goals/{goal_id}/events").json()
                p.add("events", *(e["event_id"] for e in events))
            # A subscription to the root's subtree needs notifications to know the root already.
            self._subscribe(
                client,
                {"channel": "webhook", "target": "http://127.0.0.1:9/subtree", "root_goal_id": root},
                retry_unknown=True,
            )
            wait_for_tracking(client, self.tracking_url, root, anti, ladder["id"])
            for delivery in settled_deliveries(client, self.notifications_url, everything):
                p.add("deliveries", delivery["id"])
        return p

    def _goal(self, client: httpx.Client, fields: dict[str, Any]) -> str:
        times = {} if fields.get("kind") == "anti" else {"start_at": self._time(-10), "deadline": self._time(60)}
        body = {**times, **fields}
        goal_id: str = self._post(client, f"{self.goals_url}/v1/goals", body)["id"]
        self.peer.add("goals", goal_id)
        return goal_id

    def _subscribe(self, client: httpx.Client, body: dict[str, Any], retry_unknown: bool = False) -> str:
        def attempt() -> dict[str, Any] | None:
            response = client.post(f"{self.notifications_url}/v1/subscriptions", json=body)
            if retry_unknown and response.status_code == 422 and "unknown_goal" in response.text:
                return None
            assert response.status_code == 201, response.text
            created: dict[str, Any] = response.json()
            return created

        created = wait_for(attempt, f"subscription {body}")
        self.peer.add("subscriptions", created["id"])
        self.peer.hidden.add(created["secret"])
        subscription_id: str = created["id"]
        return subscription_id
