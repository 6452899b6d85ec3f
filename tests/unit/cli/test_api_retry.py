"""The CLI's imports resend on 5xx and connection errors, 0.5, 1, 2 and 4 s apart, and never on a verdict (< 500)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from goalstream_cli import api_retry
from goalstream_cli.goals_file import GoalFile
from goalstream_cli.goals_import import send
from goalstream_cli.measurements_batches import ImportAborted, Importer


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(api_retry.RETRY, "sleep", waited.append)
    return waited


def api(answers: list[int | None]) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose API answers each status in turn (None: the connection fails), then 202s."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = answers.pop(0) if answers else 202
        if status is None:
            raise httpx.ConnectError("refused", request=request)
        body = {"results": [], "goals": [{"index": 0, "goal_id": "g"}]}
        return httpx.Response(status, json=body if status < 400 else {"message": "no"})

    return httpx.Client(base_url="http://goals", transport=httpx.MockTransport(handle)), seen


def measurements(client: httpx.Client) -> Callable[[], object]:
    return lambda: Importer(client, None, 5).post([], [{"metric": "m"}])


def test_a_5xx_or_a_lost_connection_is_resent(waits: list[float]) -> None:
    client, seen = api([503, None, 500])
    measurements(client)()
    assert len(seen) == 4 and waits == [0.5, 1, 2]


def test_five_failures_give_up_with_the_last_reason(waits: list[float]) -> None:
    client, seen = api([503, 503, 503, 503, 502])
    with pytest.raises(ImportAborted, match="answered 502"):
        measurements(client)()
    assert len(seen) == 5 and waits == [0.5, 1, 2, 4]


def test_a_refusal_is_not_resent(waits: list[float]) -> None:
    client, seen = api([401])
    with pytest.raises(ImportAborted, match="401"):
        measurements(client)()
    assert len(seen) == 1 and waits == []


def test_goals_import_resends_with_the_same_idempotency_key(waits: list[float]) -> None:
    client, seen = api([None, 503, 201])
    created, replayed = send(client, GoalFile(items=[{"title": "t"}], places=["line 2"]), "key-1")
    assert created == [{"index": 0, "goal_id": "g"}] and not replayed
    assert [r.headers["Idempotency-Key"] for r in seen] == ["key-1"] * 3 and waits == [0.5, 1]


def test_goals_import_gives_up_as_before(waits: list[float]) -> None:
    client, _ = api([None] * 5)
    with pytest.raises(RuntimeError, match="cannot reach the goals API at http://goals"):
        send(client, GoalFile(items=[{"title": "t"}], places=["line 2"]), "key-1")
    assert waits == [0.5, 1, 2, 4]


def answering(*responses: httpx.Response | None) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose API gives each response in turn (None: the connection fails), then 202s."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if queue else httpx.Response(202, json={"results": []})
        if answer is None:
            raise httpx.ConnectError("refused", request=request)
        return answer

    return httpx.Client(base_url="http://goals", transport=httpx.MockTransport(handle)), seen


def test_a_429_is_resent_after_its_retry_after(waits: list[float]) -> None:
    client, seen = answering(httpx.Response(429, headers={"Retry-After": "3"}, json={"message": "slow down"}))
    measurements(client)()
    assert len(seen) == 2 and waits == [3]


def test_a_503_waits_as_long_as_its_retry_after_asks_within_a_bound(waits: list[float]) -> None:
    client, seen = answering(
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(503, headers={"Retry-After": "86400"}),
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # a date: the backoff
    )
    measurements(client)()
    assert len(seen) == 4 and waits == [2, api_retry.MAX_RETRY_AFTER, 2]


def test_giving_up_shows_the_last_answer_s_own_words(waits: list[float]) -> None:
    client, _ = answering(*[httpx.Response(503, json={"message": "the database is unreachable"})] * 5)
    with pytest.raises(ImportAborted, match=r"answered 503: .*the database is unreachable"):
        measurements(client)()


def test_a_url_no_attempt_can_send_is_not_resent(waits: list[float]) -> None:
    client = httpx.Client(base_url="localhost:8000")  # no scheme: httpx cannot send it at all
    with pytest.raises(ImportAborted, match="cannot reach the goals API"):
        measurements(client)()
    assert waits == []
