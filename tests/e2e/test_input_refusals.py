"""Smaller input holes closed: ladder rungs as hard goals and in deadline order, a reused Idempotency-Key,
unsafe text in titles and other shown text, and bodies that are not UTF-8 or nest too deeply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
JSON = {"content-type": "application/json"}


def _time(days: int) -> str:
    return (NOW + timedelta(days=days)).isoformat()


def _rung(days: int, **fields: Any) -> dict[str, Any]:
    return {"title": f"rung {days}", "metric": {"key": "ladder.m", "aggregation": "sum"}, "target": days,
            "deadline": _time(days)} | fields  # fmt: skip


def _error(response: httpx.Response, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e["field"] for e in answer["errors"]], answer
    return answer


def test_a_rung_may_say_it_is_a_hard_goal_and_no_other_kind(platform: Platform) -> None:
    url = f"{platform.goals.url}/v1/ladders"
    # Two rungs may share a deadline (the marketing-quarter scenario's ladder does): only going back is out of order.
    same_deadline = [_rung(10, kind="hard"), _rung(10, title="rung 10 again")]
    made = httpx.post(url, headers=platform.auth, json={"title": "l", "rungs": same_deadline})
    assert made.status_code == 201, made.text
    anti = httpx.post(url, headers=platform.auth, json={"title": "l", "rungs": [_rung(10), _rung(20, kind="anti")]})
    assert "rungs are hard goals" in _error(anti, 422, "rungs.1.kind")["message"]


@pytest.mark.parametrize("days", [(20, 10), (10, 30, 20), (10, 10, 5)])
def test_rungs_whose_deadlines_are_out_of_order_are_refused(platform: Platform, days: tuple[int, ...]) -> None:
    body = {"title": "l", "rungs": [_rung(d) for d in days]}
    wrong = next(i for i in range(1, len(days)) if days[i] < days[i - 1])
    _error(httpx.post(f"{platform.goals.url}/v1/ladders", headers=platform.auth, json=body), 422,
           f"rungs.{wrong}.deadline")  # fmt: skip


def test_an_idempotency_key_reused_with_another_body_is_422_and_the_same_body_replays(platform: Platform) -> None:
    headers = {**platform.auth, "Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"title": "once", "target": 10, "start_at": _time(-1), "deadline": _time(30)}
    first = httpx.post(f"{platform.goals.url}/v1/goals", headers=headers, json=body)
    assert first.status_code == 201, first.text
    other = httpx.post(f"{platform.goals.url}/v1/goals", headers=headers, json=body | {"target": 20})
    _error(other, 422, "Idempotency-Key")
    again = httpx.post(f"{platform.goals.url}/v1/goals", headers=headers, json=body | {"target": 10.0})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true", again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["definition"]["target"] == 10


UNSAFE = ["\x1b[31mred\x1b[0m", "evil\u202etxt.exe", "\u2066isolate\u2069", "new\nline", "c1\x9b2J"]


@pytest.mark.parametrize("text", UNSAFE)
def test_unsafe_text_is_422_naming_the_field(platform: Platform, text: str) -> None:
    goals, auth = platform.goals.url, platform.auth
    goal = {"title": "t", "target": 10, "start_at": _time(-1), "deadline": _time(30)}
    for fields, field in (({"title": text}, "title"), ({"owner": text}, "owner")):
        _error(httpx.post(f"{goals}/v1/goals", headers=auth, json=goal | fields), 422, field)
    ladder = {"title": "l", "rungs": [_rung(10, title=text)]}
    _error(httpx.post(f"{goals}/v1/ladders", headers=auth, json=ladder), 422, "rungs.0.title")
    _error(httpx.post(f"{goals}/v1/ladders", headers=auth, json={**ladder, "title": text}), 422, "title")
    item = {"metric": "m", "value": 1, "observed_at": _time(0)}
    for name in ("comment", "source", "metric"):
        response = httpx.post(f"{goals}/v1/measurements", headers=auth, json={"measurements": [item | {name: text}]})
        _error(response, 422, f"measurements.0.{name}")


@pytest.mark.parametrize(
    ("service", "path"), [("goals", "/v1/goals"), ("goals", "/v1/measurements"), ("notifications", "/v1/subscriptions")]
)
@pytest.mark.parametrize(
    "body",
    [b'{"title": "caf\xe9"}', b'{"title": "\xff"}', b"[" * 100_000 + b"]" * 100_000],
    ids=["latin-1", "ff", "deep"],
)
def test_a_body_that_is_not_utf8_or_nests_too_deeply_is_malformed_json(
    platform: Platform, service: str, path: str, body: bytes
) -> None:
    url = getattr(platform, service).url + path
    response = httpx.post(url, headers={**platform.auth, **JSON}, content=body, timeout=30)
    assert _error(response, 400, None)["error"] == "malformed_json"
