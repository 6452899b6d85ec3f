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
