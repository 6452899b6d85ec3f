"""No input gives a 5xx: edge times, numbers and text in every field and query parameter of every service.

A property test over each service's OpenAPI (`tests/support/fuzz/edge_requests.py`): every operation under /v1
gets requests whose times, numbers and strings are drawn mostly from their edges, with real goal ids and
the metric of a real `sum` goal; each request is sent twice, so that a value that is fine once but
overflows a running total the second time is found too. Every answer must be below 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import hypothesis
import pytest

from tests.e2e.conftest import Platform
from tests.support.fuzz.edge_requests import EdgeRequests, Known, Request

pytestmark = pytest.mark.e2e

SERVICES = ("goals", "tracking", "notifications")
MAX_EXAMPLES = 20  # per operation, each sent twice: about 25 s for the three services on a busy machine


def _examples(now: datetime, goal_id: str, metric: str) -> dict[tuple[str, str], list[Any]]:
    """A valid body for each operation that takes one: the edges go into one field of it."""
    start, deadline = (now - timedelta(days=10)).isoformat(), (now + timedelta(days=60)).isoformat()
    later = (now + timedelta(days=90)).isoformat()
    # Durations first: Hypothesis tries the first field and the first edge early, and a century added overflows.
    hard = {"checkin_every": "P7D", "title": "edge", "target": 10, "baseline": 0, "weight": 1, "start_at": start,
            "deadline": deadline, "metric": {"key": metric, "aggregation": "sum"}}  # fmt: skip
    anti = {"window": "P1D", "title": "edge anti", "kind": "anti", "metric": {"key": metric}, "comparator": "above",
            "threshold": 5, "recovery_threshold": 4}  # fmt: skip
    rung = {"title": "rung", "metric": {"key": metric, "aggregation": "sum"}, "target": 5, "deadline": deadline}
    item = {"value": 1, "metric": metric, "observed_at": now.isoformat(), "comment": "c", "confidence": 0.5}
    return {
        ("POST", "/v1/goals"): [hard, anti],
        ("PATCH", "/v1/goals/{goal_id}"): [{"target": 20}, {"deadline": deadline, "title": "t"}],
        ("POST", "/v1/goals/{goal_id}/plan"): [{"checkpoints": [{"due": deadline, "target": 5}]}],
        ("POST", "/v1/ladders"): [
            {"title": "l", "owner": "o", "rungs": [rung, rung | {"target": 9, "deadline": later}]}
        ],
        # Two equal items: a large value in both is the overflow pair in one request (and in two, sent twice).
        ("POST", "/v1/measurements"): [{"measurements": [item, item]}, {"measurements": [item | {"goal_id": goal_id}]}],
    }


@pytest.fixture(scope="module")
def known(platform: Platform) -> Known:
    """A sum goal, an anti-goal and a ladder: real things for requests to name, and valid bodies to vary."""
    now = datetime.now(UTC)
    examples = _examples(now, "", "edge.sum")
    with httpx.Client(headers=platform.auth, timeout=30) as client:
        goal, anti = (client.post(f"{platform.goals.url}/v1/goals", json=b) for b in examples[("POST", "/v1/goals")])
        ladder = client.post(f"{platform.goals.url}/v1/ladders", json=examples[("POST", "/v1/ladders")][0])
    for response in (goal, anti, ladder):
        assert response.status_code == 201, response.text
    goals = (goal.json()["id"], anti.json()["id"], *(r["goal_id"] for r in ladder.json()["rungs"]))
    return Known(goals, (ladder.json()["id"],), ("edge.sum",), now, _examples(now, goals[0], "edge.sum"))


@pytest.fixture(scope="module")
def client(platform: Platform) -> Iterator[httpx.Client]:
    # A connection per request: a kept-alive one that sat idle past the server's keep-alive timeout can be
    # reset as it is reused, which is the client's race, not an answer of the service (seen once in CI).
    headers = {**platform.auth, "content-type": "application/json"}
    with httpx.Client(headers=headers, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        yield c


def _send(client: httpx.Client, base: str, request: Request) -> httpx.Response:
    # Encoded here: httpx cannot encode a lone surrogate, which a client may still send as its UTF-8-like bytes.
    query = "&".join(f"{quote(k)}={quote(str(v).encode('utf-8', 'surrogatepass'))}" for k, v in request.query.items())
    return client.request(request.method, f"{base}{request.path}?{query}", content=request.body)


@pytest.mark.parametrize("service", SERVICES)
def test_no_edge_value_gives_a_server_error(
    service: str, platform: Platform, known: Known, client: httpx.Client, subtests: pytest.Subtests
) -> None:
    base = getattr(platform, service).url
    requests = EdgeRequests(client.get(f"{base}/openapi.json").json(), known)
    for method, path, operation in requests.operations():

        @hypothesis.settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            phases=(hypothesis.Phase.generate,),  # no shrinking: the failing request is printed whole
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(request=requests.request(method, path, operation))
        def run(request: Request) -> None:
            for attempt in (1, 2):
                response = _send(client, base, request)
                assert response.status_code < 500, f"{request} (send {attempt}): {response.status_code} {response.text}"

        with subtests.test(msg=f"{method} {path}"):
            run()
